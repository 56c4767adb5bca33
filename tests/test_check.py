"""`known-issue check`: planted problems are found at their lines, exit codes hold."""

import json
from pathlib import Path

import pytest

from bot.check import ambiguous_symptoms, check_paths, missing_parts, run_check
from bot.config import Settings
from bot.model import Entry
from conftest import ROOT, run_cli

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "knowledge"
LINT = FIXTURES / "lint"
TYPOS = str(LINT / "typos.md")
CORPUS = ROOT.parent / "shared" / "corpus"


def test_planted_problems_are_found_at_their_lines():
    findings = [(d.path, d.line, d.level, d.message) for d in check_paths([str(LINT)])]

    assert findings == [
        (str(LINT / "bad-front-matter.md"), 1, "warning",
         "no title: give the file a '# Title' heading or front matter 'title:'; "
         "file skipped"),
        (str(LINT / "bad-front-matter.md"), 3, "error",
         "front matter is not valid YAML: expected ',' or ']', but got '<stream end>'"),
        (TYPOS, 9, "error", "unknown label 'Root casue': did you mean 'Root cause'? "
                            "(or add it to [labels] in known-issue.toml)"),
        (TYPOS, 13, "error", "entry 'Report export is empty' has no fix: add a **Fix:** "
                             "section saying what resolved it"),
        (TYPOS, 19, "warning", "section 'Prevention' of 'Report export is empty' is empty"),
        (TYPOS, 21, "warning", "duplicate heading 'Cron job runs twice after daylight "
                               "saving': its anchor becomes "
                               "#cron-job-runs-twice-after-daylight-saving_1"),
        (TYPOS, 21, "warning", "symptoms of 'Cron job runs twice after daylight saving' "
                               "and 'Cron job runs twice after daylight saving' "
                               f"({TYPOS}:3) are 100% alike: a paste of one would match "
                               "both; quote the exact, distinct error text"),
        (TYPOS, 29, "warning", "entry 'Backfill hangs' has no symptoms: add a **Symptoms:** "
                             "list with the exact error text"),
        (TYPOS, 31, "error", "unknown label 'Symptons': did you mean 'Symptoms'? "
                             "(or add it to [labels] in known-issue.toml)"),
        (TYPOS, 37, "error", "code fence is never closed: everything after it is read "
                             "as code"),
    ]


def test_a_label_the_team_configured_is_no_typo():
    settings = Settings(label_synonyms={"Symptons": "symptoms", "Root casue": "cause"})

    messages = [d.message for d in check_paths([TYPOS], settings)]

    assert not [m for m in messages if "did you mean" in m]
    assert not [m for m in messages if "'Backfill hangs' has no symptoms" in m]


@pytest.mark.parametrize(
    "entry, problems",
    [
        (Entry("a", "A", "x.md", 1, symptoms=["boom"], fix="restart"), []),
        (Entry("a", "A", "x.md", 1, symptoms=["boom"], sections={"Workaround": "wait"}),
         []),
        (Entry("a", "A", "x.md", 1, fix="restart"), ["no symptoms"]),
        (Entry("a", "A", "x.md", 1, symptoms=["boom"]), ["no fix"]),
    ],
)
def test_missing_parts(entry, problems):
    found = [d.message for d in missing_parts([entry])]

    assert [p for p in problems if not any(p in m for m in found)] == []
    assert len(found) == len(problems)


@pytest.mark.parametrize(
    "first, second, flagged",
    [
        ("connection refused to db-1:5432 by server",
         "Connection refused to db-1:5432 by server!", True),
        ("connection refused to db-1:5432 by server",
         "by server connection refused to db-1:5432", True),
        ("connection refused to postgres on 5432",
         "permission denied for table events", False),
        ("timeout", "timeout", False),  # too short to mean anything
    ],
)
def test_ambiguous_symptoms(first, second, flagged):
    entries = [Entry("a", "A", "x.md", 1, symptoms=[first]),
               Entry("b", "B", "x.md", 9, symptoms=[second])]

    assert bool(ambiguous_symptoms(entries)) is flagged


def test_exit_code_is_one_on_errors_and_zero_on_warnings(tmp_path, capsys):
    warn_only = tmp_path / "ok.md"
    warn_only.write_text("## Disk full\n\n**Symptoms:**\n\n- `ENOSPC`\n\n**Fix:** prune\n\n"
                         "**Prevention:**\n")

    assert run_check([str(warn_only)]) == 0
    assert run_check([TYPOS]) == 1
    out = capsys.readouterr()
    line = f"{warn_only}:9: warning: section 'Prevention' of 'Disk full' is empty"
    assert line in out.out
    assert out.err.splitlines()[-1] == "4 errors, 4 warnings"


def test_json_output(capsys):
    run_check([TYPOS], as_json=True)

    report = json.loads(capsys.readouterr().out)
    assert (report["errors"], report["warnings"]) == (4, 4)
    assert report["findings"][0] == {
        "path": TYPOS, "line": 9, "level": "error",
        "message": "unknown label 'Root casue': did you mean 'Root cause'? (or add it "
                   "to [labels] in known-issue.toml)"}


def test_check_command_on_the_layout_fixtures():
    paths = [str(FIXTURES / name) for name in ("log", "headings", "pages", "faq")]

    result = run_cli("check", *paths)

    assert result.returncode == 0, result.stdout
    assert result.stderr.strip() == "0 errors, 0 warnings"


def test_corpus_has_no_errors():
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus is not next to the project")

    findings = check_paths([str(CORPUS / "nextjs-errors"), str(CORPUS / "angular-errors")])

    assert [str(d) for d in findings if d.level == "error"] == []


def test_an_entry_answered_by_its_explanation_is_a_warning_not_an_error(tmp_path):
    page = tmp_path / "kb.md"
    page.write_text("## Cache\n\n### Stale answers after a prompt update\n\n"
                    "**Explanation:** cannot happen: the cache key holds the prompt "
                    "version.\n")

    findings = check_paths([str(page)])

    assert {d.level for d in findings} == {"warning"}
    assert run_check([str(page)]) == 0
