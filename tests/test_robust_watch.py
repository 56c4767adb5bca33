"""The watcher keeps watching a knowledge folder that is deleted and made again."""

import shutil
import time

import pytest

from bot.config import Settings
from bot.knowledge_base import open_knowledge
from bot.watch import start_watching

ENTRY = """## {title}

**Symptoms:**

- `{error}`

**Fix:** {fix}
"""
REDIS = ENTRY.format(title="OOM command not allowed", fix="Set an eviction policy.",
                     error="OOM command not allowed when used memory > 'maxmemory'")


def _wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def watched(tmp_path):
    folder = tmp_path / "kn"
    folder.mkdir()
    (folder / "troubleshooting.md").write_text(REDIS)
    settings = Settings(knowledge=[str(folder)], db_path=str(tmp_path / "k.db"))
    kb = open_knowledge(settings)
    reports = []
    stop = start_watching(kb, settings, on_reload=reports.append, debounce_ms=50)
    time.sleep(0.5)  # let the watch take hold before the first deploy
    yield folder, kb, reports
    stop()


def _redeploy(folder):
    """What a deploy that replaces the folder does: rm -rf, mkdir, cp."""
    shutil.rmtree(folder)
    folder.mkdir()
    (folder / "troubleshooting.md").write_text(REDIS)


def _edit(folder, title):
    error = f"{title.lower()} exceeded the configured limit"
    (folder / "troubleshooting.md").write_text(
        REDIS + "\n" + ENTRY.format(title=title, error=error, fix="Raise the limit."))


def test_edits_after_the_folder_is_replaced_twice_are_reloaded(watched):
    folder, kb, _ = watched

    for n, title in enumerate(["Replica lag alarms", "Socket quota alarms"]):
        _redeploy(folder)
        time.sleep(0.3)
        _edit(folder, title)
        entry_id = title.lower().replace(" ", "-")

        assert _wait_for(lambda: kb.entry(entry_id) is not None), f"deploy {n + 1}"


def test_a_folder_gone_for_a_while_is_watched_again_when_it_returns(watched):
    folder, kb, reports = watched

    shutil.rmtree(folder)
    assert _wait_for(lambda: any(not r.ok for r in reports))
    folder.mkdir()
    _edit(folder, "Replica lag alarms")

    assert _wait_for(lambda: kb.entry("replica-lag-alarms") is not None)
    assert kb.entry("oom-command-not-allowed") is not None
