"""The command line refuses to destroy files and names the setting to fix.

Real subprocesses, run as a user runs `known-issue`.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KNOWLEDGE, ROOT, run_cli
from fake_slack import BOT_TOKEN, SIGNING_SECRET

pytest_plugins = ["fake_slack"]

NGINX = "nginx gzip_level"


def _one_line(result):
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_db_pointing_at_the_markdown_is_refused_and_the_file_kept(tmp_path):
    shutil.copy(KNOWLEDGE / "troubleshooting.md", tmp_path)
    markdown = tmp_path / "troubleshooting.md"
    before = markdown.read_bytes()

    result = run_cli("--db", "troubleshooting.md", "lookup", "--knowledge",
                     "troubleshooting.md", NGINX, cwd=tmp_path)

    assert _one_line(result) == (
        "known-issue: the knowledge database troubleshooting.md is not an SQLite "
        "database, and building it would replace it: set KNOWN_ISSUE_DB (or --db) to "
        "a new file path, such as .known-issue/knowledge.db")
    assert markdown.read_bytes() == before


def test_db_that_is_not_a_regular_file_is_refused(tmp_path):
    pipe = tmp_path / "pipe.db"
    os.mkfifo(pipe)

    result = run_cli("lookup", NGINX, env={"KNOWN_ISSUE_DB": str(pipe)})

    assert "is not a regular file" in _one_line(result)
    assert "KNOWN_ISSUE_DB" in result.stderr
    assert pipe.is_fifo()


def test_db_that_is_another_sqlite_database_is_refused(tmp_path):
    state = tmp_path / "state.db"
    with sqlite3.connect(state) as conn:
        conn.execute("create table replies (channel text, ts text)")
    conn.close()

    result = run_cli("ingest", env={"KNOWN_ISSUE_DB": str(state)})

    assert "is an SQLite database that known-issue did not build" in _one_line(result)
    with sqlite3.connect(state) as conn:
        tables = {n for (n,) in conn.execute("select name from sqlite_master")}
    conn.close()
    assert tables == {"replies"}


@pytest.mark.parametrize("existing", [None, b"", "knowledge database"])
def test_no_file_an_empty_file_or_an_old_database_is_built(tmp_path, existing):
    db = tmp_path / "k.db"
    if existing == "knowledge database":
        run_cli("ingest", env={"KNOWN_ISSUE_DB": str(db)})
    elif existing is not None:
        db.write_bytes(existing)

    result = run_cli("ingest", env={"KNOWN_ISSUE_DB": str(db)})

    assert result.returncode == 0, result.stderr
    assert db.read_bytes().startswith(b"SQLite format 3\0")


def test_undecodable_bytes_on_stdin_are_replaced_not_fatal(tmp_path):
    script = Path(sys.executable).parent / "known-issue"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "KNOWN_ISSUE_"))}
    env.update(PYTHONIOENCODING="utf-8", KNOWN_ISSUE_DB=str(tmp_path / "k.db"))

    result = subprocess.run([str(script), "lookup", "-"], input=b"zz \xff\xfe qq\n",
                            capture_output=True, env=env, cwd=ROOT, timeout=60)

    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    assert "zz \ufffd\ufffd qq" in result.stdout.decode()


def _unwritable_folder(tmp_path):
    """A folder no file can be made in, even by root (who ignores permissions)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    for candidate in (folder, Path("/sys")):
        try:
            (candidate / "probe.tmp").touch()
        except OSError:
            return candidate
        (candidate / "probe.tmp").unlink()
    pytest.skip("no folder here refuses new files")


def test_an_unwritable_db_names_the_path_given_not_its_temporary_file(tmp_path):
    db = _unwritable_folder(tmp_path) / "k.db"

    result = run_cli("--db", str(db), "ingest")

    line = _one_line(result)
    assert line.startswith(f"known-issue: cannot use the knowledge database {db} (")
    assert line.endswith("): set KNOWN_ISSUE_DB (or --db) to a writable file path")
    assert ".tmp" not in line


def _serve(fake_slack, tmp_path, state_db):
    return run_cli("serve", "--http", "--port", "0", env={
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url, "KNOWN_ISSUE_DB": str(tmp_path / "k.db"),
        "KNOWN_ISSUE_STATE_DB": str(state_db)})


def test_a_state_db_that_is_not_a_database_names_its_own_setting(fake_slack, tmp_path):
    state = tmp_path / "state.db"
    state.write_text("these are notes, not a database\n" * 10)

    line = _one_line(_serve(fake_slack, tmp_path, state))

    assert line == (f"known-issue: cannot use the state database {state} (file is not a "
                    "database): set KNOWN_ISSUE_STATE_DB to a writable file path, such "
                    "as .known-issue/state.db")


def test_a_state_db_in_a_folder_that_cannot_be_made_names_its_setting(fake_slack,
                                                                       tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file where the folder should be\n")
    state = blocker / "state.db"

    line = _one_line(_serve(fake_slack, tmp_path, state))

    assert line.startswith(f"known-issue: cannot use the state database {state} (")
    assert "KNOWN_ISSUE_STATE_DB" in line and "KNOWN_ISSUE_DB " not in line
