"""The `known-issue` command, run as a user runs it: a real subprocess."""

import json
import re

import pytest

from conftest import DATA, run_cli

EACCES = "Error: EACCES: permission denied, mkdir '/app/.next/cache'"


@pytest.fixture
def db_env(tmp_path):
    return {"KNOWN_ISSUE_DB": str(tmp_path / "knowledge.db")}


def test_lookup_prints_the_reply_the_bot_would_give(db_env):
    result = run_cli("lookup", EACCES, env=db_env)

    assert result.returncode == 0, result.stderr
    assert "Admin pages slow to load despite fast backend responses" in result.stdout
    assert "EACCES" in result.stdout
    assert "knowledge/troubleshooting.md:" in result.stdout


def test_lookup_json_lists_matches_best_first(db_env):
    result = run_cli("lookup", "--json", EACCES, env=db_env)

    matches = json.loads(result.stdout)
    assert matches[0]["id"] == "admin-pages-slow-to-load-despite-fast-backend-responses"
    assert matches[0]["confidence"] == "high"
    assert {"id", "title", "score", "confidence", "url", "snippet"} <= set(matches[0])
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches),
                                                   reverse=True)


def test_lookup_reads_the_paste_from_stdin(db_env):
    result = run_cli("lookup", "--json", "-", input='nginx: [emerg] unknown directive '
                     '"gzip_level" in /etc/nginx/nginx.conf:34\n', env=db_env)

    assert json.loads(result.stdout)[0]["title"].startswith("Nginx crash loop")


def test_lookup_of_chatter_says_nothing_matches(db_env):
    result = run_cli("lookup", "--json", "lgtm, merging now", env=db_env)

    assert all(m["confidence"] != "high" for m in json.loads(result.stdout))


def test_ingest_reports_entries_and_database(tmp_path, db_env):
    result = run_cli("ingest", env=db_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("13 entries from 1 file ")
    assert (tmp_path / "knowledge.db").exists()


def test_ingest_with_a_missing_path_keeps_the_rest_and_exits_1(tmp_path, db_env):
    result = run_cli("ingest", "knowledge", str(tmp_path / "no-such-dir"), env=db_env)

    assert result.returncode == 1
    assert "no-such-dir" in result.stderr and "not found" in result.stderr
    assert result.stdout.startswith("13 entries from 1 file ")
    lookup = run_cli("lookup", "--json", "Error: EACCES: permission denied, mkdir "
                     "'/app/.next/cache'", env=db_env)
    assert json.loads(lookup.stdout)[0]["confidence"] == "high"


def test_database_is_rebuilt_when_the_markdown_is_newer(tmp_path):
    knowledge = tmp_path / "kb.md"
    knowledge.write_text("## Ops\n\n### Disk full on build host\n\n**Symptoms:**\n\n"
                         "- `No space left on device` while writing layers\n\n"
                         "**Fix:** prune images with `docker system prune -af`\n")
    env = {"KNOWN_ISSUE_DB": str(tmp_path / "k.db"), "KNOWN_ISSUE_KNOWLEDGE": str(knowledge)}
    first = json.loads(run_cli("lookup", "--json", "write /var/lib/docker: no space "
                               "left on device", env=env).stdout)

    knowledge.write_text(knowledge.read_text().replace("Disk full on build host",
                                                       "Disk full on runner"))
    import os
    os.utime(knowledge, (os.stat(knowledge).st_atime, os.stat(knowledge).st_mtime + 5))
    second = json.loads(run_cli("lookup", "--json", "write /var/lib/docker: no space "
                                "left on device", env=env).stdout)

    assert first[0]["title"] == "Disk full on build host"
    assert second[0]["title"] == "Disk full on runner"


def test_eval_json_has_the_contract_fields(db_env):
    result = run_cli("eval", str(DATA / "seed-dev.jsonl"), "--json", env=db_env)

    report = json.loads(result.stdout)
    assert report["cases"] == 20
    assert report["positives"] == 13
    assert report["negatives"] == 7
    for key in ("top1", "top3", "mrr", "channel_recall"):
        assert 0 <= report[key] <= 1
    assert report["false_alarms"] == 0
    assert report["wrong_high"] == 0
    assert set(report["latency_ms"]) == {"p50", "p95", "max"}


def test_eval_table_lists_each_miss(tmp_path, db_env):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "wrong-on-purpose", "query": EACCES,
                                 "expected": ["Docker awslogs-stream-prefix not supported"]})
                     + "\n")

    result = run_cli("eval", str(cases), env=db_env)

    assert "top1 0.000" in result.stdout
    assert "wrong-on-purpose" in result.stdout
    assert "want Docker awslogs-stream-prefix not supported" in result.stdout


def test_eval_of_negatives_only_reports_no_hit_rates(tmp_path, db_env):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"query": "deploy done, v2.14.3 is live", "expected": []})
                     + "\n")

    table = run_cli("eval", str(cases), env=db_env).stdout
    report = json.loads(run_cli("eval", str(cases), "--json", env=db_env).stdout)

    assert "top1 n/a" in table
    assert report["top1"] is None and report["channel_recall"] is None
    assert report["false_alarms"] == 0


def test_eval_reports_each_kind_of_paste_apart(tmp_path, db_env):
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(c) for c in [
        {"query": EACCES, "expected": ["Admin pages slow to load despite fast backend "
                                       "responses"], "kind": "exact"},
        {"query": EACCES, "expected": ["Docker awslogs-stream-prefix not supported"],
         "kind": "paraphrase"},
        {"query": "deploy done, v2.14.3 is live", "expected": [], "kind": "paraphrase"},
    ]) + "\n")

    table = run_cli("eval", str(cases), env=db_env).stdout
    report = json.loads(run_cli("eval", str(cases), "--json", env=db_env).stdout)

    assert report["by_kind"]["exact"]["top1"] == 1.0
    assert report["by_kind"]["paraphrase"]["top1"] == 0.0
    assert report["by_kind"]["paraphrase"]["cases"] == 2
    assert re.search(r"^exact\s+1\s+1\.000", table, re.M)
    assert re.search(r"^paraphrase\s+2\s+0\.000", table, re.M)


def test_eval_names_the_bad_line_of_a_cases_file(tmp_path, db_env):
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"query": "x", "expected": []}\nnot json\n')

    result = run_cli("eval", str(cases), env=db_env)

    assert result.returncode == 2
    assert f"{cases}:2: not valid JSON" in result.stderr


def test_an_eval_case_without_expected_is_named(tmp_path, db_env):
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"query": "Error: EACCES"}\n')

    result = run_cli("eval", str(cases), env=db_env)

    assert result.returncode == 2
    assert f"{cases}:1:" in result.stderr


def test_knowledge_with_no_markdown_is_an_error_not_a_miss(tmp_path, db_env):
    empty = tmp_path / "kb"
    empty.mkdir()

    result = run_cli("lookup", "--knowledge", str(empty), "nginx", env=db_env)

    assert result.returncode == 2
    assert "no knowledge files" in result.stderr
    assert str(empty) in result.stderr


def test_a_miss_does_not_echo_terminal_control_sequences(db_env):
    result = run_cli("lookup", "-", input="\x1b]0;pwned\x07zzqx \x1b[31mred\x1b[0m",
                     env=db_env)

    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    assert "zzqx" in result.stdout


@pytest.mark.parametrize("env, args, variable", [
    ({"KNOWN_ISSUE_DOCS_URL": "docs.example.com"}, ["lookup", "x"], "KNOWN_ISSUE_DOCS_URL"),
    ({"KNOWN_ISSUE_KNOWLEDGE": "/nonexistent/kb"}, ["lookup", "x"], "KNOWN_ISSUE_KNOWLEDGE"),
    ({"KNOWN_ISSUE_DB": "/proc/nope/x.db"}, ["lookup", "x"], "KNOWN_ISSUE_DB"),
    ({}, ["serve"], "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, ["serve", "--http"], "SLACK_SIGNING_SECRET"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, ["serve"], "SLACK_APP_TOKEN"),
])
def test_a_missing_or_wrong_setting_is_one_line_and_exit_2(db_env, env, args, variable):
    result = run_cli(*args, env={**db_env, **env})

    assert result.returncode == 2
    assert variable in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args, says", [
    (["lookup", "--limit", "0", "x"], "'0' is not a positive whole number"),
    (["serve", "--http", "--port", "70000"], "'70000' is not a port number (0-65535)"),
    (["unanswered", "--days", "soon"], "'soon' is not a positive number of days"),
])
def test_a_bad_number_is_one_line_saying_what_it_must_be(args, says):
    result = run_cli(*args)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith(says)
    assert "Traceback" not in result.stderr
