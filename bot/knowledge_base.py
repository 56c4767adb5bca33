"""The loaded knowledge: the SQLite file, kept current, and a matcher over it.

Opening is cheap when nothing changed: the files are only stat'ed and compared
with what the database was built from. When any file is newer the database is
rebuilt (atomically, see store.py) before it is read.
"""

from __future__ import annotations

import logging
import os

from . import store
from .config import Settings
from .errors import KnowledgeError
from .ingest import Knowledge, find_files, read_knowledge
from .match import Matcher
from .model import Diagnostic, Entry, Match

logger = logging.getLogger(__name__)


class KnowledgeBase:
    """Entries plus the matcher built over them."""

    def __init__(self, knowledge: Knowledge, docs_url: str | None = None) -> None:
        self.knowledge = knowledge
        self.docs_url = docs_url
        self.matcher = Matcher(knowledge.entries, knowledge.lines, self.link)

    @property
    def entries(self) -> list[Entry]:
        return self.knowledge.entries

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.knowledge.diagnostics

    def lookup(self, text: str, limit: int = 3) -> list[Match]:
        return self.matcher.lookup(text, limit)

    def entry(self, entry_id: str) -> Entry | None:
        return self.matcher.entries.get(entry_id)

    def link(self, entry: Entry) -> str:
        """Where the entry is read: its docs page anchor, else its file and line."""
        if entry.url:
            return entry.url
        if self.docs_url:
            return f"{self.docs_url.rstrip('#')}#{entry.id}"
        return f"{entry.source}:{entry.line}"


def build_database(settings: Settings, force: bool = False) -> tuple[Knowledge, bool]:
    """Make settings.db_path current; return the knowledge and whether it was rebuilt."""
    files, problems = find_files(settings.knowledge)
    fatal = [p for p in problems if p.level == "error"]
    if fatal and not files:
        raise KnowledgeError(f"{fatal[0].path}: {fatal[0].message}")

    mtimes = {str(p): _mtime(p) for p in files}
    if not force and store.is_current(settings.db_path, mtimes, settings.knowledge):
        return store.load(settings.db_path), False

    knowledge = read_knowledge(settings.knowledge)
    store.build(knowledge, settings.db_path, settings.knowledge)
    return knowledge, True


def _mtime(path: os.PathLike[str]) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def open_knowledge(settings: Settings) -> KnowledgeBase:
    """The knowledge base for these settings, rebuilding the database if stale."""
    knowledge, rebuilt = build_database(settings)
    logger.info("knowledge %s: %d entries from %d files (%s)", settings.db_path,
                len(knowledge.entries), len(knowledge.files),
                "rebuilt" if rebuilt else "up to date")
    return KnowledgeBase(knowledge, settings.docs_url)
