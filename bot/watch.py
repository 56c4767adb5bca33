"""Reload the knowledge when its files change, from a background thread.

watchfiles does the watching (inotify where there is one, polling else) and
groups a burst of saves into one batch; each batch becomes one
KnowledgeBase.reload(). The serve path starts it and stops it on shutdown:

    stop = start_watching(kb, settings)
    ...
    stop()

Only markdown files and folders count as changes, so the database written
next to the knowledge never wakes the watcher up.
"""

from __future__ import annotations

import glob
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import watchfiles

from .config import Settings
from .ingest import SUFFIXES
from .knowledge_base import KnowledgeBase
from .reload import ReloadReport

logger = logging.getLogger(__name__)

# Editors save in bursts (write, rename, chmod); wait this long for quiet.
DEBOUNCE_MS = 400


class KnowledgeFilter(watchfiles.DefaultFilter):
    """watchfiles' default ignores (.git, swap files), then markdown or folders only."""

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
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
) -> Callable[[], None]:
    """Watch the knowledge paths in a daemon thread; return the function that stops it.

    on_reload, if given, receives every ReloadReport (to post it somewhere).
    """
    roots = watch_roots(list(settings.knowledge))
    stop = threading.Event()
    thread = threading.Thread(target=_watch, name="known-issue-watch", daemon=True,
                              args=(kb, roots, stop, on_reload, debounce_ms))
    thread.start()
    logger.info("watching %s for knowledge changes", ", ".join(roots))

    def stop_watching() -> None:
        stop.set()
        thread.join(timeout=5)

    return stop_watching


def _watch(kb: KnowledgeBase, roots: list[str], stop: threading.Event,
           on_reload: Callable[[ReloadReport], None] | None, debounce_ms: int) -> None:
    try:
        for changes in watchfiles.watch(*roots, watch_filter=KnowledgeFilter(),
                                        debounce=debounce_ms, step=50, stop_event=stop,
                                        raise_interrupt=False):
            logger.debug("knowledge changed: %s", sorted(path for _, path in changes))
            report = kb.reload()
            logger.info("%s", report.summary())
            if on_reload is not None:
                on_reload(report)
    except Exception:  # the bot keeps answering; only automatic reloads stop
        logger.exception("stopped watching the knowledge; "
                         "/known-issue reload still works")
