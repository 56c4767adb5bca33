"""Reloading while serving: only changed files are read, nothing good is ever lost."""

import threading

import pytest

from bot import knowledge_base, store
from bot.config import Settings
from bot.knowledge_base import KnowledgeBase, open_knowledge
from bot.reload import ReloadReport, allowed_to_reload
from bot.model import Diagnostic
from bot.watch import KnowledgeFilter, start_watching, watch_roots

REDIS = """# Redis

## OOM command not allowed

**Symptoms:**

- `OOM command not allowed when used memory > 'maxmemory'`

**Fix:** Set an eviction policy.
"""
DISK = """# ENOSPC: no space left on device

The build host ran out of disk.

## Possible Ways to Fix It

Prune the build cache.
"""
NEW_ENTRY = """
## Replica lag alarms

**Symptoms:**

- `replica lag is 45 seconds, above the 30 second limit`

**Fix:**

```sh
redis-cli replicaof no one
"""


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "redis.md").write_text(REDIS)
    (folder / "disk.md").write_text(DISK)
    return folder


@pytest.fixture
def settings(folder, tmp_path):
    return Settings(knowledge=[str(folder)], db_path=str(tmp_path / "db" / "k.db"))


@pytest.fixture
def kb(settings):
    return open_knowledge(settings)


def top(kb, text):
    matches = kb.lookup(text, limit=1)
    return matches[0].entry.id if matches else None


def test_nothing_changed(kb):
    report = kb.reload()

    assert (report.added, report.changed, report.removed, report.parsed) == ([], [], [], [])
    assert report.summary() == ("The knowledge is up to date: no entry changed. Now "
                                "serving 2 entries from 2 files.")


def test_added_changed_and_removed_are_reported(kb, folder):
    (folder / "redis.md").write_text(REDIS.replace("eviction policy", "eviction policy "
                                                   "such as allkeys-lru"))
    (folder / "disk.md").unlink()
    (folder / "tls.md").write_text("# x509: certificate has expired\n\nRenew it.\n")

    report = kb.reload()

    assert (report.added, report.changed, report.removed) == (
        ["tls"], ["oom-command-not-allowed"], ["disk"])
    assert sorted(report.parsed) == [str(folder / "redis.md"), str(folder / "tls.md")]
    assert report.summary() == (
        "Reloaded the knowledge: 1 added (tls); 1 changed (oom-command-not-allowed); "
        "1 removed (disk). Now serving 2 entries from 2 files.")
    assert kb.entry("disk") is None
    assert "allkeys-lru" in kb.entry("oom-command-not-allowed").fix


def test_entries_that_only_moved_are_not_reported_as_changed(kb, folder):
    (folder / "redis.md").write_text(REDIS.replace("# Redis\n", "# Redis\n" + NEW_ENTRY
                                                   + "```\n"))

    report = kb.reload()

    assert len(report.added) == 1 and report.changed == []
    # Its link names its new line.
    oom = next(e for e in kb.entries if e.title == "OOM command not allowed")
    assert oom.line > 10


def test_only_the_changed_file_is_parsed_after_a_restart(settings, folder):
    open_knowledge(settings)
    kb = open_knowledge(settings)  # from the database this time, nothing parsed
    (folder / "disk.md").write_text(DISK + "\nThen rerun the job.\n")

    report = kb.reload()

    assert report.parsed == [str(folder / "disk.md")]
    assert report.changed == ["disk"]


def test_a_broken_save_keeps_the_last_good_version(kb, folder):
    redis = folder / "redis.md"
    redis.write_text(REDIS + NEW_ENTRY)

    report = kb.reload()

    assert report.ok and not report.has_changes
    assert [(d.path, d.line, d.message) for d in report.warnings] == [
        (str(redis), 19, "code fence is never closed: everything after it is read as code"),
        (str(redis), 19, "still serving the last good version of this file (1 entry) "
                         "until the error is fixed"),
    ]
    assert f"{redis}:19: error: code fence is never closed" in report.summary()
    assert top(kb, "OOM command not allowed when used memory > 'maxmemory'") == \
        "oom-command-not-allowed"

    redis.write_text(REDIS + NEW_ENTRY + "```\n")
    fixed = kb.reload()

    assert fixed.added == ["replica-lag-alarms"]
    assert fixed.warnings == []
    assert top(kb, "replica lag is 45 seconds, above the 30 second limit") == \
        "replica-lag-alarms"


def test_a_failed_build_keeps_the_previous_knowledge_serving(kb, folder, monkeypatch):
    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "update", full_disk)
    monkeypatch.setattr(store, "build", full_disk)
    (folder / "disk.md").unlink()

    report = kb.reload()

    assert report.summary() == ("Reload failed: [Errno 28] No space left on device. Still "
                                "answering from the previous knowledge (2 entries).")
    assert kb.entry("disk") is not None

    monkeypatch.undo()
    assert kb.reload().removed == ["disk"]


def test_a_missing_knowledge_folder_fails_the_reload(kb, folder):
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()

    report = kb.reload()

    assert report.error == f"{folder}: knowledge path not found: check the path (on the " \
                           "command line, in known-issue.toml or in KNOWN_ISSUE_KNOWLEDGE)"
    assert len(kb.entries) == 2


def test_lookups_answer_from_the_old_matcher_until_the_swap(kb, folder, monkeypatch):
    seen = []

    class SlowMatcher(knowledge_base.Matcher):
        def __init__(self, *args, **kwargs):
            # Mid-reload: the new knowledge is read, the new matcher not built yet.
            seen.append(kb.entry("disk") is not None)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(knowledge_base, "Matcher", SlowMatcher)
    (folder / "disk.md").unlink()

    kb.reload()

    assert seen == [True]
    assert kb.entry("disk") is None


def test_concurrent_reloads_run_one_at_a_time(kb, folder):
    (folder / "tls.md").write_text("# x509: certificate has expired\n\nRenew it.\n")
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(kb.reload()))
               for _ in range(4)]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(len(r.added) for r in reports) == [0, 0, 0, 1]


def test_a_knowledge_base_without_settings_cannot_reload(kb):
    report = KnowledgeBase(kb.knowledge).reload()

    assert not report.ok
    assert "not opened from settings" in report.summary()


@pytest.mark.parametrize(
    "users, user, allowed",
    [(frozenset(), "U1", True), (frozenset({"U1"}), "U1", True),
     (frozenset({"U1"}), "U2", False)],
)
def test_who_may_reload(users, user, allowed):
    assert allowed_to_reload(Settings(reload_users=users), user) is allowed


def test_summary_names_a_few_ids_and_counts_the_rest():
    report = ReloadReport(added=[f"e{n}" for n in range(7)], entries=9, files=1,
                          warnings=[Diagnostic("a.md", 3, "warning", "x")])

    assert report.summary() == (
        "Reloaded the knowledge: 7 added (e0, e1, e2, e3, e4 and 2 more). Now serving "
        "9 entries from 1 file. 1 problem to fix: a.md:3: warning: x.")


@pytest.mark.parametrize(
    "path, wanted",
    [("/k/a.md", True), ("/k/b.MDX", True), ("/k/sub", True), ("/k/k.db", False),
     ("/k/k.db.x1.tmp", False), ("/k/.a.md.swp", False), ("/k/.git/HEAD", False)],
)
def test_watch_filter_wakes_only_for_markdown(path, wanted):
    from watchfiles import Change

    assert KnowledgeFilter()(Change.modified, path) is wanted


def test_watch_roots(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# a\n")

    docs = tmp_path / "docs"
    roots = watch_roots([str(docs / "a.md"), str(docs / "**" / "*.md"),
                         str(tmp_path / "missing" / "kb")])

    assert roots == [str(tmp_path.resolve()), str((tmp_path / "docs").resolve())]


def test_watching_brings_a_saved_file_in(kb, settings, folder):
    done = threading.Event()
    reports = []

    def on_reload(report):
        reports.append(report)
        if report.added:
            done.set()

    stop = start_watching(kb, settings, on_reload=on_reload, debounce_ms=50)
    try:
        (folder / "tls.md").write_text("# x509: certificate has expired\n\nRenew it.\n")
        assert done.wait(10), reports
    finally:
        stop()

    assert kb.entry("tls") is not None


def _team_copy(tmp_path):
    import shutil

    from conftest import KNOWLEDGE

    folder = tmp_path / "team"
    shutil.copytree(KNOWLEDGE, folder)
    return folder, Settings(knowledge=[str(folder)], db_path=str(tmp_path / "t.db"))


def _bump(path):
    import os

    stat = os.stat(path)
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))


def test_after_a_small_reload_lookups_answer_like_a_fresh_build(
        tmp_path):
    folder, team = _team_copy(tmp_path)
    kb = open_knowledge(team)
    page = folder / "troubleshooting.md"
    page.write_text(page.read_text().replace(
        "gzip_level", "gzip_ratio").replace("gzip_comp_level", "gzip_comp_level"))
    _bump(page)

    report = kb.reload()
    fresh = open_knowledge(Settings(knowledge=[str(folder)],
                                    db_path=str(tmp_path / "fresh.db")))

    assert report.changed == ["nginx-crash-loop-unknown-directive-gzip_ratio"] or \
        "nginx-crash-loop-unknown-directive-gzip_ratio" in report.added
    paste = 'nginx: [emerg] unknown directive "gzip_ratio" in /etc/nginx/nginx.conf:9'
    for matcher in (kb, fresh):
        best = matcher.lookup(paste)[0]
        assert best.entry.id == "nginx-crash-loop-unknown-directive-gzip_ratio"
        assert best.confidence == "high"
    for query in ("Error: EACCES: permission denied, mkdir '/app/.next/cache'",
                  "terraform plan wants to replace aws_instance.app: ami forces "
                  "replacement", "who is on call this week?"):
        assert top(kb, query) == top(fresh, query)


def test_a_stray_fence_that_swallows_entries_keeps_the_last_good_version(tmp_path):
    folder, team = _team_copy(tmp_path)
    kb = open_knowledge(team)
    page = folder / "troubleshooting.md"
    page.write_text(page.read_text().replace(
        "## Frontend Performance\n", "## Frontend Performance\n\n```sh\nnpm run build\n", 1))
    _bump(page)

    report = kb.reload()

    assert len(kb.entries) == 13
    assert report.removed == []
    assert any("swallows markdown" in w.message for w in report.warnings)
    assert top(kb, "Error response from daemon: unknown log opt "
                   "'awslogs-stream-prefix' for awslogs log driver") == \
        "docker-awslogs-stream-prefix-not-supported"
