"""`known-issue unanswered`: the errors no entry matched, grouped, for the next entry."""

import json
import sqlite3

from bot.ledger import Ledger
from bot.normalize import fingerprint
from bot.paste import headline
from bot.state import StateDB
from bot.unanswered import DAY, unanswered_errors
from conftest import run_cli

REFUSED = ("2026-12-01 09:14:02 web | ERROR connect ECONNREFUSED 10.1.2.3:5432\n"
           "    at TCPConnectWrap.afterConnect (node:net:1300:16)")
REFUSED_AGAIN = ("2026-12-02 17:40:55 api | ERROR connect ECONNREFUSED 10.9.8.7:5432\n"
                 "    at TCPConnectWrap.afterConnect (node:net:1278:10)")
QUOTA = "QuotaExceeded: project quota of 50 snapshots reached for project 1234"


def record(path, pastes, now=1_000_000.0):
    """Pastes as the bot records them: (channel, ts, text, seconds ago)."""
    clock = [now]
    book = Ledger(StateDB(str(path)), lambda: clock[0])
    for channel, ts, text, ago in pastes:
        clock[0] = now - ago
        book.unanswered(channel, ts, fingerprint(text), headline(text))
    book.state.close()


def test_the_same_error_in_two_channels_is_one_row_counted_twice(tmp_path):
    state = tmp_path / "state.db"
    record(state, [("C1", "1.0", REFUSED, 300), ("C2", "2.0", REFUSED_AGAIN, 200),
                   ("C1", "3.0", QUOTA, 100)])

    first, second = unanswered_errors(str(state), now=1_000_000.0)

    assert (first.times, first.channels) == (2, 2)
    assert first.sample == "ERROR connect ECONNREFUSED <ip>"
    assert (second.times, second.sample.startswith("QuotaExceeded")) == (1, True)


def test_days_keeps_only_recent_errors(tmp_path):
    state = tmp_path / "state.db"
    record(state, [("C1", "1.0", REFUSED, 10 * DAY), ("C1", "2.0", QUOTA, DAY / 2)])

    recent = unanswered_errors(str(state), days=7, now=1_000_000.0)

    assert [e.sample[:13] for e in recent] == ["QuotaExceeded"]


def test_a_state_file_from_before_samples_gains_the_column(tmp_path):
    state = tmp_path / "state.db"
    old = sqlite3.connect(state)
    old.execute("create table unanswered (channel text, ts text, fingerprint text, at float, "
                "primary key (channel, ts))")
    old.execute("insert into unanswered values ('C1', '1.0', 'f00', 999999.0)")
    old.commit()
    old.close()

    record(state, [("C1", "2.0", QUOTA, 0)])

    rows = unanswered_errors(str(state), now=1_000_000.0)
    assert sorted(e.sample[:13] for e in rows) == ["", "QuotaExceeded"]


def test_cli_lists_them_most_frequent_first(tmp_path):
    state = tmp_path / "state.db"
    record(state, [("C1", "1.0", QUOTA, 0), ("C1", "2.0", REFUSED, 0),
                   ("C2", "3.0", REFUSED_AGAIN, 0)], now=__import__("time").time())
    env = {"KNOWN_ISSUE_STATE_DB": str(state)}

    table = run_cli("unanswered", env=env)
    listed = json.loads(run_cli("unanswered", "--json", "--limit", "1", env=env).stdout)

    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    refused = next(i for i, ln in enumerate(lines) if "ECONNREFUSED <ip>" in ln)
    quota = next(i for i, ln in enumerate(lines) if "QuotaExceeded" in ln)
    assert refused < quota and lines[refused].split()[:2] == ["2", "2"]
    assert "10.1.2.3" not in table.stdout
    assert [(e["times"], e["sample"]) for e in listed] == [(2, "ERROR connect ECONNREFUSED <ip>")]


def test_cli_says_which_entry_was_offered_privately(tmp_path):
    state = tmp_path / "state.db"
    book = Ledger(StateDB(str(state)))
    book.unanswered("C1", "1.0", fingerprint(QUOTA), headline(QUOTA), offered="disk-quota")
    book.state.close()

    table = run_cli("unanswered", env={"KNOWN_ISSUE_STATE_DB": str(state)})

    assert "QuotaExceeded" in table.stdout and "offered privately: disk-quota" in table.stdout


def test_cli_before_the_bot_ever_ran_says_there_is_nothing(tmp_path):
    result = run_cli("unanswered", env={"KNOWN_ISSUE_STATE_DB": str(tmp_path / "none.db")})

    assert result.returncode == 0
    assert "No unanswered errors" in result.stdout
    assert not (tmp_path / "none.db").exists()


def test_cli_on_a_file_that_is_not_a_database_says_which_setting(tmp_path):
    bogus = tmp_path / "state.db"
    bogus.write_text("not sqlite at all\n" * 100)

    result = run_cli("unanswered", env={"KNOWN_ISSUE_STATE_DB": str(bogus)})

    assert result.returncode == 2
    assert "KNOWN_ISSUE_STATE_DB" in result.stderr and "Traceback" not in result.stderr


def test_the_same_error_for_other_users_is_one_row_naming_none_of_them(tmp_path):
    state = tmp_path / "state.db"
    record(state, [("C1", "1.0", 'FATAL:  password authentication failed for user "tutor"', 9),
                   ("C2", "2.0", 'FATAL:  password authentication failed for user "app"', 5)])

    [row] = unanswered_errors(str(state), now=1_000_000.0)

    assert row.times == 2
    assert "tutor" not in row.sample and "app" not in row.sample and "<value>" in row.sample
