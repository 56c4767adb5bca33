"""Reload the knowledge when its files change, from a background thread.

watchfiles does the watching (inotify where there is one, polling else) and
groups a burst of saves into one batch; each batch becomes one
KnowledgeBase.reload(). The serve path starts it and stops it on shutdown:

    stop = start_watching(kb, settings)
    ...
    stop()

Only markdown files and folders count as changes, so the database written
next to the knowledge never wakes the watcher up.

inotify watches a folder, not a path: once the knowledge folder is deleted
(a deploy that replaces it does exactly that) its watch sees nothing more,
even when a folder of the same name comes back. So the watcher checks every
RECHECK_MS that its roots are still the folders on disk, and starts over on
the new ones (with a reload) when they are not.
"""

from __future__ import annotations

import glob
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import watchfiles

from .config import Settings
from .ingest import SUFFIXES
from .knowledge_base import KnowledgeBase
from .reload import ReloadReport

logger = logging.getLogger(__name__)

# Editors save in bursts (write, rename, chmod); wait this long for quiet.
DEBOUNCE_MS = 400
# How often to check that the watched folders were not replaced: a second
# at most of a replaced folder's edits waits, for a stat per folder.
RECHECK_MS = 1000
# After the watcher itself failed, wait this long before watching again.
RETRY_SECONDS = 5.0


class KnowledgeFilter(watchfiles.DefaultFilter):
    """watchfiles' default ignores (.git, swap files), then markdown or folders only.

    The watched roots themselves always count, whatever their names: their
    deletion is what tells the watcher to start over.
    """

    def __init__(self, roots: Iterable[str] = ()) -> None:
        super().__init__()
        self.roots = frozenset(roots)

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if path in self.roots:
            return True
        if not super().__call__(change, path):
            return False
        suffix = os.path.splitext(path)[1].lower()
        hidden = os.path.basename(path).startswith(".")
        return suffix in SUFFIXES or (not suffix and not hidden)


def watch_roots(paths: list[str]) -> list[str]:
    """The folders to watch for these knowledge paths (files, folders, globs)."""
    roots: set[str] = set()
    for spec in paths:
        if glob.has_magic(spec):
            spec = _static_prefix(spec)
        path = Path(spec)
        if path.is_file():
            path = path.parent
        # A folder that does not exist yet is watched from its nearest parent,
        # so creating it is a change like any other.
        while not path.is_dir() and path != path.parent:
            path = path.parent
        roots.add(str(path.resolve()))
    return sorted(roots)


def _static_prefix(pattern: str) -> str:
    """'docs/**/errors/*.md' -> 'docs': the part of a glob before its first wildcard."""
    static: list[str] = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        static.append(part)
    return str(Path(*static)) if static else "."


def start_watching(
    kb: KnowledgeBase,
    settings: Settings,
    *,
    on_reload: Callable[[ReloadReport], None] | None = None,
    debounce_ms: int = DEBOUNCE_MS,
    recheck_ms: int = RECHECK_MS,
) -> Callable[[], None]:
    """Watch the knowledge paths in a daemon thread; return the function that stops it.

    on_reload, if given, receives every ReloadReport (to post it somewhere).
    """
    paths = list(settings.knowledge)
    stop = threading.Event()
    thread = threading.Thread(
        target=_watch, name="known-issue-watch", daemon=True,
        args=(kb, paths, stop, on_reload, debounce_ms, recheck_ms))
    thread.start()
    logger.info("watching %s for knowledge changes", ", ".join(watch_roots(paths)))

    def stop_watching() -> None:
        stop.set()
        thread.join(timeout=5)

    return stop_watching


# A watched folder as it is on disk: (path, device, inode), inode None if missing.
Identity = tuple[str, int | None, int | None]


def _identities(roots: list[str]) -> list[Identity]:
    found: list[Identity] = []
    for root in roots:
        try:
            info = os.stat(root)
        except OSError:
            found.append((root, None, None))
        else:
            found.append((root, info.st_dev, info.st_ino))
    return found


def _watch(kb: KnowledgeBase, paths: list[str], stop: threading.Event,
           on_reload: Callable[[ReloadReport], None] | None, debounce_ms: int,
           recheck_ms: int) -> None:
    """Watch until stopped, starting over whenever a watched folder is replaced."""
    while not stop.is_set():
        try:
            replaced = _watch_roots(kb, paths, stop, on_reload, debounce_ms, recheck_ms)
        except Exception:  # the bot keeps answering; watching starts again
            logger.exception("watching the knowledge failed; trying again in %.0f s "
                             "(/known-issue reload works meanwhile)", RETRY_SECONDS)
            stop.wait(RETRY_SECONDS)
            continue
        if replaced:
            logger.info("knowledge folder replaced: watching %s again",
                        ", ".join(watch_roots(paths)))


def _watch_roots(kb: KnowledgeBase, paths: list[str], stop: threading.Event,
                 on_reload: Callable[[ReloadReport], None] | None, debounce_ms: int,
                 recheck_ms: int) -> bool:
    """Reload on each batch of changes; True when the roots must be watched anew."""
    roots = watch_roots(paths)
    watched = _identities(roots)
    caught_up = False
    # yield_on_timeout wakes the loop with no changes every recheck_ms, so a
    # replaced folder is noticed even though its old watch is silent.
    for changes in watchfiles.watch(*roots, watch_filter=KnowledgeFilter(roots),
                                    debounce=debounce_ms, step=50, stop_event=stop,
                                    rust_timeout=recheck_ms, yield_on_timeout=True,
                                    raise_interrupt=False):
        if changes:
            logger.debug("knowledge changed: %s", sorted(path for _, path in changes))
            _reload(kb, on_reload)
        elif not caught_up:
            # The watch is in place now; files saved before it (since the
            # knowledge was loaded, or into a folder made anew) had no watch.
            _reload(kb, on_reload, quiet=True)
        caught_up = True
        # A root's own event (deleted, moved) or another folder at its path: the
        # inode alone misses a folder made again at once, which may reuse it.
        if any(path in roots for _, path in changes) \
                or _identities(watch_roots(paths)) != watched:
            return True
    return False


def _reload(kb: KnowledgeBase, on_reload: Callable[[ReloadReport], None] | None,
            quiet: bool = False) -> None:
    """Reload and tell; quiet: tell only of a reload that read, changed or failed."""
    report = kb.reload()
    if quiet and report.ok and not (report.parsed or report.has_changes):
        return
    logger.info("%s", report.summary())
    if on_reload is not None:
        on_reload(report)
