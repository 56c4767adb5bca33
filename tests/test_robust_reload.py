"""A reload never leaves the bot serving nothing: emptied and deleted knowledge."""

import pytest

from bot.config import Settings
from bot.knowledge_base import open_knowledge

LOG = """# Ops

## OOM command not allowed

**Symptoms:**

- `OOM command not allowed when used memory > 'maxmemory'`

**Fix:** Set an eviction policy.

## Replica lag alarms

**Symptoms:**

- `replica lag is 45 seconds, above the 30 second limit`

**Fix:** Promote the replica.
"""
OTHER = """# x509: certificate has expired

Renew the certificate.
"""
OOM = "OOM command not allowed when used memory > 'maxmemory'"


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "kn"
    folder.mkdir()
    (folder / "troubleshooting.md").write_text(LOG)
    return folder


def _kb(folder, tmp_path):
    return open_knowledge(Settings(knowledge=[str(folder)],
                                   db_path=str(tmp_path / "k.db")))


def _top(kb, text):
    matches = kb.lookup(text, limit=1)
    return matches[0].entry.id if matches else None


@pytest.mark.parametrize("emptied", ["", "\n  \n\t\n"])
def test_an_emptied_file_is_a_problem_and_keeps_its_entries(folder, tmp_path, emptied):
    (folder / "other.md").write_text(OTHER)
    kb = _kb(folder, tmp_path)
    log = folder / "troubleshooting.md"
    log.write_text(emptied)

    report = kb.reload()

    assert report.ok and report.removed == []
    assert [(d.path, d.line, d.level, d.message) for d in report.warnings] == [
        (str(log), 1, "error", "file is empty, though it held 2 entries: restore its "
                               "content, or delete the file to remove them"),
        (str(log), 1, "warning", "still serving the last good version of this file "
                                 "(2 entries) until the error is fixed"),
    ]
    assert _top(kb, OOM) == "oom-command-not-allowed"

    log.write_text(LOG)
    assert kb.reload().warnings == []


def test_emptying_the_only_file_keeps_serving_its_entries(folder, tmp_path):
    kb = _kb(folder, tmp_path)
    (folder / "troubleshooting.md").write_text("")

    report = kb.reload()

    assert report.entries == 2
    assert "file is empty" in report.summary()
    assert _top(kb, OOM) == "oom-command-not-allowed"


def test_deleting_the_only_file_fails_the_reload_and_keeps_the_knowledge(folder,
                                                                          tmp_path):
    kb = _kb(folder, tmp_path)
    (folder / "troubleshooting.md").unlink()

    report = kb.reload()

    assert report.error == (f"no knowledge files (.md, .mdx, .markdown) left in {folder}: restore "
                            "the troubleshooting markdown, or point KNOWN_ISSUE_KNOWLEDGE "
                            "at it")
    assert report.summary().startswith("Reload failed: no knowledge files")
    assert report.summary().endswith("Still answering from the previous knowledge "
                                     "(2 entries).")
    assert _top(kb, OOM) == "oom-command-not-allowed"


def test_a_reload_to_no_entries_at_all_fails(folder, tmp_path, caplog):
    kb = _kb(folder, tmp_path)
    (folder / "troubleshooting.md").write_text("Nothing here yet, entries to come.\n")

    report = kb.reload()

    assert not report.ok
    assert report.error.startswith("no entries left in the 1 knowledge file(s)")
    assert len(kb.entries) == 2
    assert "reload failed, still serving the previous knowledge: no entries left" \
        in caplog.text
    assert "Traceback" not in caplog.text


def test_removing_one_file_of_several_still_removes_its_entries(folder, tmp_path):
    (folder / "other.md").write_text(OTHER)
    kb = _kb(folder, tmp_path)
    (folder / "other.md").unlink()

    report = kb.reload()

    assert report.ok and report.removed == ["other"]
