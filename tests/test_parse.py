"""Every layout parse.py reads, from fixtures we wrote, plus the team's own log."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import labels
from bot.blocks import read_document
from bot.parse import detect_layout, parse_document
from conftest import KNOWLEDGE

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "knowledge"

TEAM_IDS = [
    "admin-pages-slow-to-load-despite-fast-backend-responses",
    "ec2-instance-unresponsive-ssh-and-http-timeout-during-docker-builds",
    "aws_region-mismatch-containers-fail-to-start-with-cloudwatch-logs",
    "docker-awslogs-stream-prefix-not-supported",
    "terraform-wants-to-destroy-and-recreate-ec2-instance-ami-drift",
    "ecs-agent-container-auto-starting-and-consuming-resources",
    "cache-not-hitting-every-request-calls-the-llm",
    "cache-serving-stalewrong-responses-after-prompt-update",
    "llm_response_cache-table-growing-too-large",
    "nginx-crash-loop-unknown-directive-gzip_level",
    "frontend-double-api-prefix-apiv1apiv1",
    "ssh-timeouts-during-docker-compose-up-build",
    "instance-force-stop-takes-3-5-minutes-when-under-heavy-load",
]


def parse_file(path, **kwargs):
    return parse_document(Path(path).read_text(), str(path), **kwargs)


def by_id(result):
    return {e.id: e for e in result.entries}


@pytest.fixture(scope="module")
def team():
    return parse_file(KNOWLEDGE / "troubleshooting.md")


def test_team_log_keeps_its_thirteen_entries(team):
    assert [e.id for e in team.entries] == TEAM_IDS
    assert team.diagnostics == []


def test_team_log_intro_and_template_are_not_entries(team):
    titles = {e.title for e in team.entries}

    assert "How to Use This Document" not in titles
    assert "Template for New Entries" not in titles
    assert "Short description of the error or symptom" not in titles


@pytest.mark.parametrize(
    "entry_id, date, severity, symptoms, category",
    [
        ("ec2-instance-unresponsive-ssh-and-http-timeout-during-docker-builds",
         "2026-02-24", "High", 4, "Infrastructure & EC2"),
        ("nginx-crash-loop-unknown-directive-gzip_level", "2026-04-01", "High", 4,
         "LLM Response Cache"),
        ("frontend-double-api-prefix-apiv1apiv1", "2026-02-24 (observed, pre-existing)",
         "Medium", 2, "Application"),
        ("ssh-timeouts-during-docker-compose-up-build", "2026-02-19, 2026-02-24", "Medium",
         2, "Deployment"),
    ],
)
def test_team_log_entry_fields(team, entry_id, date, severity, symptoms, category):
    entry = by_id(team)[entry_id]

    assert entry.date == date
    assert entry.severity.startswith(severity)
    assert len(entry.symptoms) == symptoms
    assert entry.category == category


def test_team_log_fix_keeps_its_code_fence(team):
    entry_id = "ec2-instance-unresponsive-ssh-and-http-timeout-during-docker-builds"
    fix = by_id(team)[entry_id].fix

    assert fix.startswith("Add swap to the instance:")
    assert "```bash\n# Add 2GB swap (one-time setup)" in fix
    assert fix.rstrip().endswith("```")


def test_log_layout_with_bold_labels():
    result = parse_file(FIXTURES / "log" / "ops-log.md")
    entry = by_id(result)["billing-worker-stuck-on-a-poisoned-message"]

    assert [e.category for e in result.entries] == ["Queues", "Storage"]
    assert entry.date == "2025-03-14"
    assert entry.severity == "High — invoices stop going out"
    assert entry.symptoms[0] == ("`MessageDecodeError: unexpected end of JSON input at "
                                 "offset 0`")
    assert entry.root_cause.startswith("A producer on the old SDK")
    assert "systemctl restart billing-worker\n```" in entry.fix
    assert entry.prevention == "Cap retries at five and dead-letter after that."
    assert entry.line == 7


def test_log_layout_with_label_headings():
    result = parse_file(FIXTURES / "headings" / "runbook.md")
    webhook, tokens = result.entries

    assert webhook.title == "Webhook signature mismatch"
    assert len(webhook.symptoms) == 2
    assert webhook.root_cause.startswith("The signing secret was rotated")
    # A deeper heading that is not a label belongs to the section above it.
    assert "##### Checking the fix" in webhook.fix
    assert webhook.prevention == "Rotate secrets through the vault only."
    assert tokens.root_cause.startswith("Checkout pages")  # "Cause"
    assert tokens.fix.startswith("Ask for a fresh token")  # "Solution"


def test_page_with_front_matter_title():
    (entry,) = parse_file(FIXTURES / "pages" / "disk-full.md").entries

    assert entry.id == "disk-full"
    assert entry.title == "ENOSPC: no space left on device"
    assert entry.symptoms == ["ENOSPC: no space left on device",
                              "The build host ran out of disk while writing artifacts."]
    assert entry.root_cause.startswith("Old build caches are never pruned")
    assert "cache-tool prune --older-than 7d" in entry.fix


def test_page_with_heading_title_folds_sub_headings_into_the_fix():
    result = parse_file(FIXTURES / "pages" / "stale-lockfile.md")
    (entry,) = result.entries

    assert entry.title == "Lockfile is out of date with package.json"
    assert entry.symptoms[1].startswith("The install step stops with")
    assert "##### Update the lockfile" in entry.fix
    assert "Drop `--frozen-lockfile`" in entry.fix
    assert "Useful Links" in entry.sections
    assert result.diagnostics == []


@pytest.fixture(scope="module")
def mdx():
    return parse_file(FIXTURES / "pages" / "render-timeout.mdx")


def test_mdx_page_keeps_text_inside_jsx_wrappers(mdx):
    (entry,) = mdx.entries

    assert entry.title == "Render exceeded the time limit"
    assert "RenderTimeoutError: exceeded 60000ms" in entry.symptoms[1]
    assert entry.root_cause == ("A server component awaited a slow upstream call without "
                                "a timeout.\n\n`getServerSideProps` waited on a slow "
                                "upstream call.")
    assert entry.fix.startswith("Give the upstream call a deadline in the server "
                                "component and render a fallback")


@pytest.mark.parametrize("residue", ["<AppOnly", "</AppOnly", "<PagesOnly", "<Video",
                                     "<docs-video", "import "])
def test_mdx_tags_and_imports_never_reach_an_entry(mdx, residue):
    (entry,) = mdx.entries
    stored = [entry.title, entry.root_cause, entry.fix, *entry.symptoms,
              *entry.sections.values(), *(ln.text for ln in mdx.lines)]

    assert not [text for text in stored if residue in text]


def test_docs_code_element_becomes_a_code_fence():
    text = ("# Provider missing\n\nNo provider for `Logger`.\n\n## Debugging the error\n\n"
            "Register it:\n\n<docs-code language=\"typescript\">\n\n"
            "@Injectable({ providedIn: 'root' })\n\n</docs-code>\n")
    result = parse_document(text, "NG9999.md")
    (entry,) = result.entries

    assert "~~~~typescript\n\n@Injectable({ providedIn: 'root' })\n\n~~~~" in entry.fix
    assert [ln.kind for ln in result.lines if "Injectable" in ln.text] == ["code"]


def test_faq_layout_heading_is_the_error_and_body_the_fix():
    result = parse_file(FIXTURES / "faq" / "faq.md")
    entries = by_id(result)
    inuse = entries["error-listen-eaddrinuse-address-already-in-use-3000"]
    tz = entries["tests-fail-with-tz-is-not-set"]

    assert len(result.entries) == 4
    assert inuse.title == "Error: listen EADDRINUSE: address already in use :::3000"
    assert inuse.symptoms == [inuse.title]
    assert inuse.fix.startswith("Another dev server is still running.")
    assert inuse.category == "Local setup"
    sharp = entries["cannot-find-module-sharp-after-switching-laptops"]
    assert "npm rebuild sharp" in sharp.fix
    assert tz.title == "Tests fail with TZ is not set"  # "Q:" dropped
    assert tz.category == "CI"


@pytest.mark.parametrize(
    "text, layout",
    [
        ("# Log\n\n## Cat\n\n### Thing broke\n\n**Fix:** restart\n", "log"),
        ("## Thing broke\n\n#### Symptoms\n\n- boom\n\n#### Fix\n\nrestart\n", "log"),
        ("## Thing broke\n\n**Root casue:** typo still counts\n", "log"),
        ("# FAQ\n\n## Error: disk full\n\nclean up\n\n## Cannot connect\n\nretry\n", "faq"),
        ("## `ECONNRESET` on upload\n\nretry\n\n## NG0100 in dev\n\nfix it\n", "faq"),
        ("# Title\n\nIntro.\n\n## Why This Error Occurred\n\nx\n\n## Fix\n\ny\n", "page"),
        ("# Guide\n\n## Install\n\nx\n\n## Configure\n\ny\n", "page"),
        ("# Errors\n\n## Error one\n\nx\n\n## Fix\n\ny\n", "page"),  # a label: not FAQ
        ("# Title only\n", "page"),
    ],
)
def test_layout_detection(text, layout):
    assert detect_layout(read_document(text), labels.make_synonyms()) == layout


def test_front_matter_layout_wins_over_detection():
    text = "---\nlayout: faq\n---\n\n## Deploys are slow\n\nUse the cache.\n"

    (entry,) = parse_document(text, "notes.md").entries

    assert entry.id == "deploys-are-slow"
    assert entry.fix == "Use the cache."


def test_a_layout_given_by_the_source_wins():
    text = "# Disk full\n\n## Error: ENOSPC\n\nx\n\n## Error: EIO\n\ny\n"

    result = parse_document(text, "disk.md", layout="page")

    assert [e.id for e in result.entries] == ["disk"]


def test_team_labels_come_from_configuration():
    text = "## Upload fails\n\n**What broke:** `413`\n\n**Remedy:** raise the limit\n"
    synonyms = labels.make_synonyms({"What broke": "symptoms", "Remedy": "fix"})

    (entry,) = parse_document(text, "x.md", synonyms).entries

    assert entry.symptoms == ["`413`"]
    assert entry.fix == "raise the limit"


def test_labels_written_as_bare_bold_or_plain_text():
    text = ("## Queue stuck\n\n**Symptoms**\n\n- `ConsumerTimeout: no ack in 30s`\n\n"
            "**Root cause**: a slow handler.\n\nFix:\n\nRestart the consumer.\n")

    (entry,) = parse_document(text, "x.md").entries

    assert entry.symptoms == ["`ConsumerTimeout: no ack in 30s`"]
    assert entry.root_cause == "a slow handler."
    assert entry.fix == "Restart the consumer."


def test_date_and_severity_in_one_paragraph():
    text = "## Outage\n\n**Date:** 2025-01-01 **Severity:** High\n\n**Fix:** wait\n"

    (entry,) = parse_document(text, "x.md").entries

    assert (entry.date, entry.severity) == ("2025-01-01", "High")


def test_page_without_a_fix_section_answers_with_its_body():
    text = "# Invalid multi provider\n\nThrown when `multi: true` is missing.\n\n" \
           "Provide it as an array instead.\n"

    (entry,) = parse_document(text, "NG0209.md").entries

    assert entry.symptoms == ["Invalid multi provider",
                              "Thrown when `multi: true` is missing."]
    assert entry.fix == "Provide it as an array instead."


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("## A\n\n**Symptoms:** x\n\n**Root casue:** y\n", 5,
         "unknown label 'Root casue': did you mean 'Root cause'? (or add it to [labels] "
         "in known-issue.toml)"),
        ("### Lag\n\n#### Symptons\n\n- x\n\n#### Fix\n\ny\n", 3,
         "unknown heading 'Symptons': did you mean 'Symptoms'? (or add it to [labels] "
         "in known-issue.toml)"),
        ("# T\n\ntext\n\n## Possible Ways to Fx It\n\ny\n", 5,
         "unknown heading 'Possible Ways to Fx It': did you mean 'Possible ways to fix "
         "it'? (or add it to [labels] in known-issue.toml)"),
        ("## A\n\n**Fix:**\n\n```sh\nrm -rf cache\n", 5,
         "code fence is never closed: everything after it is read as code"),
        ("---\ntitle: x\n\n# Body\n", 1,
         "front matter is never closed: add a '---' line after its last key"),
        ("---\n- a\n- b\n---\n# T\n", 1,
         "front matter must be a YAML mapping (key: value lines)"),
        ("## A\n\n**Symptoms:**\n\n**Fix:** x\n", 3, "section 'Symptoms' of 'A' is empty"),
        ("## A\n\n**Fix:** x\n\n## B\n\n## A\n\n**Fix:** y\n", 7,
         "duplicate heading 'A': its anchor becomes #a_1"),
        ("## A\n\n**Fix:** x\n\n## Empty\n\n## C\n\n**Fix:** y\n", 5,
         "heading 'Empty' has no body: it is not an entry"),
        ("# FAQ\n\n## Error: one\n\nx\n\n## Error: two\n", 7,
         "question 'Error: two' has no answer below it: skipped"),
    ],
)
def test_problems_are_reported_with_their_line(text, line, message):
    result = parse_document(text, "doc.md")

    assert (line, message) in [(d.line, d.message) for d in result.diagnostics]


def test_unclosed_fence_keeps_the_entries_before_it():
    text = "## A\n\n**Fix:** x\n\n## B\n\n**Fix:**\n\n```sh\nrm\n\n## C\n\n**Fix:** z\n"

    result = parse_document(text, "doc.md")

    assert [e.id for e in result.entries] == ["a", "b"]
    assert result.damaged


PIECES = ["**Fix:**", "**Root casue:**", "## ", "#### Symptoms", "```", "~~~",
          "<AppOnly>", "</AppOnly>", "<docs-code>", "---", "title: x", "- ", "> ",
          "`code`", "é", "\x00", "Error: boom", "   ", "\t", "text"]
MARKDOWNISH = st.lists(st.sampled_from(PIECES + ["\n", "\n\n"]), max_size=60).map("".join)


@settings(max_examples=150, deadline=None)
@given(text=MARKDOWNISH, name=st.sampled_from(["doc.md", "page.mdx"]))
def test_any_text_parses_without_raising(text, name):
    result = parse_document(text, name)

    assert all(d.line >= 1 for d in result.diagnostics)
    assert len({e.id for e in result.entries}) == len(result.entries)


def test_mdx_components_with_javascript_and_comments_never_reach_an_entry():
    text = ("---\ntitle: Hydration mismatch\n---\nimport { Tabs } from 'nextra'\n\n"
            "{/* keep in sync with the runbook */}\n\n"
            "Error: Text content does not match server-rendered HTML.\n\n"
            "## Possible Ways to Fix It\n\n<Tabs items={['effect', 'suppress']}>\n"
            "<Tabs.Tab>Use `useEffect` for `<Clock />` values.</Tabs.Tab>\n</Tabs>\n\n"
            "```jsx\n<Tabs items={['x']}>code stays</Tabs>\n```\n")
    (entry,) = parse_document(text, "hydration-mismatch.mdx").entries
    prose = [entry.fix.split("```")[0], *entry.symptoms, *entry.sections.values()]

    assert not [t for t in prose if "<Tabs" in t or "{/*" in t or "runbook" in t]
    assert "Use `useEffect` for `<Clock />` values." in entry.fix
    assert "<Tabs items={['x']}>code stays</Tabs>" in entry.fix


def test_an_entry_written_as_prose_is_reported_not_dropped_silently():
    text = ("## Workers\n\n### Celery worker lost\n\n**Symptoms:**\n\n"
            "- `WorkerLostError: signal 9`\n\n**Fix:** raise the memory limit.\n\n"
            "### Beat overlaps\n\nThe worker dies when beat overlaps; restart beat.\n")

    result = parse_document(text, "workers.md")

    assert [e.title for e in result.entries] == ["Celery worker lost"]
    assert [(d.line, d.level) for d in result.diagnostics] == [(11, "warning")]
    assert "has text but no labels" in result.diagnostics[0].message


def test_a_page_with_an_error_heading_hints_at_the_faq_layout():
    text = ("# Support FAQ\n\n## How do I reset my password?\n\nUse the account page.\n\n"
            "## TypeError: Cannot read properties of undefined (reading 'map')\n\n"
            "Update the client to 2.3.\n")

    result = parse_document(text, "support.md")
    declared = parse_document("---\nlayout: faq\n---\n" + text, "support.md")

    assert [(d.line, d.level) for d in result.diagnostics] == [(7, "warning")]
    assert "layout: faq" in result.diagnostics[0].message
    assert "TypeError: Cannot read properties of undefined (reading 'map')" in [
        e.title for e in declared.entries]
