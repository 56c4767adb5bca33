"""Small wording slips: an empty heading, a doubled warning, eval cases files."""

import json

import pytest

from bot.parse import parse_document
from conftest import run_cli

ENTRY = """### {title}

**Symptoms:**

- `{error}`

**Fix:** {fix}
"""


def _findings(result):
    return [(d.line, d.level, d.message) for d in result.diagnostics]


def test_an_empty_entry_heading_is_reported_as_empty_and_skipped():
    text = "## Ops\n\n" + "\n".join(
        ENTRY.format(title=t, error=e, fix="Do it.")
        for t, e in [("", "boom one happened"), ("", "boom two happened"),
                     ("Disk full", "No space left on device")])

    result = parse_document(text, "kb.md")

    assert [e.title for e in result.entries] == ["Disk full"]
    assert _findings(result) == [
        (3, "error", "empty heading: write the entry's title after the '###'; "
                     "entry skipped"),
        (11, "error", "empty heading: write the entry's title after the '###'; "
                      "entry skipped"),
    ]


def test_an_empty_question_heading_is_reported_as_empty():
    text = ("## Q:\n\nRestart it.\n\n## Error: connection refused\n\nStart the db.\n\n"
            "## Error: timed out\n\nRaise the timeout.\n")

    result = parse_document(text, "faq.md", layout="faq")

    assert len(result.entries) == 2
    assert _findings(result) == [
        (1, "error", "empty heading: write the entry's title after the '##'; "
                     "entry skipped")]


def test_an_unknown_front_matter_layout_is_reported_once(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("---\nlayout: weird\n---\n# Disk full\n\nPrune the cache.\n")

    result = run_cli("check", str(page))

    assert result.stdout.count("unknown layout 'weird'") == 1, result.stdout


@pytest.fixture
def db_env(tmp_path):
    return {"KNOWN_ISSUE_DB": str(tmp_path / "knowledge.db")}


def test_an_eval_cases_file_may_start_with_a_byte_order_mark(tmp_path, db_env):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"query": "deploy done", "expected": []}) + "\n",
                     encoding="utf-8-sig")

    result = run_cli("eval", str(cases), "--json", env=db_env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cases"] == 1


@pytest.mark.parametrize("expected", [[None, 3], ["nginx", {"id": "x"}]])
def test_eval_expected_names_must_be_strings(tmp_path, db_env, expected):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"query": "x", "expected": []}) + "\n"
                     + json.dumps({"query": "y", "expected": expected}) + "\n")

    result = run_cli("eval", str(cases), env=db_env)

    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"known-issue: {cases}:2: expected must be a list of entry ids or titles as "
        'strings, such as ["nginx-crash-loop"]')
