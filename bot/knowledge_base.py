"""The loaded knowledge: the SQLite file, kept current, and a matcher over it.

Opening is cheap when nothing changed: the files are only stat'ed and compared
with what the database was built from. When any file is newer the database is
rebuilt (atomically, see store.py) before it is read.

While the bot serves, reload() brings edits in: it parses only the changed
files (reload.py), writes the database, builds a whole new Matcher and only
then swaps it in with one assignment, so a lookup running meanwhile answers
from the old knowledge and a reload that fails leaves it serving.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass

from . import labels, store
from .config import Settings
from .errors import KnowledgeError
from .ingest import SUFFIXES, Knowledge, Stamp, find_files, gc_paused, read_all, stamp
from .match import Matcher
from .model import Diagnostic, Entry, Match
from .reload import ReloadReport, compare, refresh, report_warnings, touched_files
from .sources import Source, sources_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Served:
    """What lookups read; replaced as a whole, never changed in place."""

    knowledge: Knowledge
    matcher: Matcher


class KnowledgeBase:
    """Entries plus the matcher built over them."""

    def __init__(self, knowledge: Knowledge, docs_url: str | None = None,
                 settings: Settings | None = None) -> None:
        self.docs_url = docs_url
        self.settings = settings
        self._served = _Served(knowledge, Matcher(knowledge.entries, knowledge.lines,
                                                  self.link))
        self._reloading = threading.Lock()
        # The database file as this knowledge base last wrote or read it: while
        # it is unchanged a reload patches it, else (another process rebuilt
        # it) the reload writes it afresh.
        self._db_stamp: Stamp | None = None
        self._retired: _Served | None = None

    @property
    def knowledge(self) -> Knowledge:
        return self._served.knowledge

    @property
    def matcher(self) -> Matcher:
        return self._served.matcher

    @property
    def entries(self) -> list[Entry]:
        return self._served.knowledge.entries

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self._served.knowledge.diagnostics

    def lookup(self, text: str, limit: int = 3) -> list[Match]:
        return self._served.matcher.lookup(text, limit)

    def entry(self, entry_id: str) -> Entry | None:
        return self._served.matcher.entries.get(entry_id)

    def link(self, entry: Entry) -> str:
        """Where the entry is read: its docs page anchor, else its file and line."""
        if entry.url:
            return entry.url
        if self.docs_url:
            return f"{self.docs_url.rstrip('#')}#{entry.id}"
        return f"{entry.source}:{entry.line}"

    def reload(self) -> ReloadReport:
        """Read changed files again and swap the result in; never raises.

        Safe to call from any thread; concurrent calls run one after the other.
        """
        with self._reloading:
            started = time.perf_counter()
            report = self._reload()
            report.seconds = time.perf_counter() - started
            # Freeing the old matcher takes a while at 10,000 entries; lookups
            # already use the new one, so it is left out of the reload's time.
            self._retired = None
        logger.info("reload: %d added, %d changed, %d removed, %d problems, %.0f ms "
                    "(matcher %.0f ms)%s", len(report.added), len(report.changed),
                    len(report.removed), len(report.warnings), report.seconds * 1000,
                    report.matcher_seconds * 1000,
                    f", failed: {report.error}" if report.error else "")
        # Each problem on its own line, where an operator grepping for
        # warnings will see the file and line to fix.
        for problem in report.warnings:
            logger.warning("knowledge: %s", problem)
        if report.error:
            logger.error("reload failed, still serving the previous knowledge: %s",
                         report.error)
        return report

    def _reload(self) -> ReloadReport:
        old = self._served.knowledge
        if self.settings is None:
            return _failed(old, "this knowledge base was not opened from settings, so "
                                "it does not know where its files are")
        sources, synonyms = _reading(self.settings)
        try:
            # The matcher holds millions of objects, and a collection now would
            # rescan them all. Building the new matcher, which takes long, runs
            # with the collector on.
            with gc_paused():
                new, parsed = refresh(old, sources, synonyms)
                _require_files(new)
                added, changed, removed, moved = compare(old, new)
                gone = set(old.parts) - set(new.parts)
                if not (parsed or gone or added or changed or removed or moved):
                    return _report(new, [], [], [], [], [])
                _require_entries(new, self.settings.knowledge)

                touched = touched_files(old, new, parsed,
                                        {*added, *changed, *removed, *moved})
                self._write(new, touched, _config_key(sources, synonyms))
            building = time.perf_counter()
            touched = {*added, *changed, *removed, *moved}
            delta = _small_change(self._served.matcher, touched, len(new.entries))
            if delta:
                matcher = self._served.matcher.with_changes(new.entries, new.lines,
                                                            touched)
            else:
                matcher = Matcher(new.entries, new.lines, self.link)
            built = time.perf_counter()
        except KnowledgeError as exc:  # the files are wrong, not the code: no traceback
            return _failed(old, str(exc))
        except Exception as exc:  # whatever broke, the old knowledge keeps serving
            logger.exception("reload failed; still serving the previous knowledge")
            return _failed(old, str(exc) or type(exc).__name__)

        self._retired, self._served = self._served, _Served(new, matcher)
        report = _report(new, added, changed, removed, parsed,
                         report_warnings(new, parsed))
        report.matcher_seconds = built - building
        return report

    def _write(self, new: Knowledge, touched: set[str], config_key: str) -> None:
        """Patch the database when it is still the one we know, else build it afresh."""
        assert self.settings is not None
        db_path = self.settings.db_path
        if self._db_stamp is not None and stamp(db_path) == self._db_stamp:
            store.update(new, db_path, touched)
        else:
            store.build(new, db_path, config_key)
        self._db_stamp = stamp(db_path)


# A reload that touches more entries than this share, or a matcher with more
# dead lines than this share, builds the matcher from scratch instead. Below
# them, new words are weighed as if one entry used them until the next full
# build (or restart): a small drift, for a reload in milliseconds, not seconds.
DELTA_MAX_TOUCHED = 0.2
DELTA_MAX_STALE = 0.3


def _small_change(matcher: Matcher, touched: set[str], entries: int) -> bool:
    return (len(touched) <= DELTA_MAX_TOUCHED * max(entries, 1)
            and matcher.stale <= DELTA_MAX_STALE)


def _report(new: Knowledge, added: list[str], changed: list[str], removed: list[str],
            parsed: list[str], warnings: list[Diagnostic]) -> ReloadReport:
    return ReloadReport(added=added, changed=changed, removed=removed,
                        warnings=warnings, parsed=parsed, entries=len(new.entries),
                        files=len(new.files))


def _failed(old: Knowledge, why: str) -> ReloadReport:
    return ReloadReport(error=why, entries=len(old.entries), files=len(old.files))


def _require_files(knowledge: Knowledge) -> None:
    """No file at all while a path is missing is a mistake, not empty knowledge."""
    fatal = [p for p in knowledge.problems if p.level == "error"]
    if fatal and not knowledge.files:
        raise KnowledgeError(f"{fatal[0].path}: {fatal[0].message}")


def _require_entries(knowledge: Knowledge, paths: list[str]) -> None:
    """A reload to no entries at all is a deploy gone wrong: keep the old ones.

    Start-up refuses a folder with no knowledge; a reload must not serve one
    and fall silent while /healthz still says ok.
    """
    if knowledge.entries:
        return
    if not knowledge.files:
        raise KnowledgeError(f"no knowledge files ({', '.join(SUFFIXES)}) left in "
                             f"{', '.join(paths)}: restore the troubleshooting "
                             "markdown, or point KNOWN_ISSUE_KNOWLEDGE at it")
    problems = knowledge.diagnostics
    problem = next((d for d in problems if d.level == "error"),
                   problems[0] if problems else None)
    why = f" ({problem})" if problem else ""
    raise KnowledgeError(f"no entries left in the {len(knowledge.files)} knowledge "
                         f"file(s){why}: restore the entries; an empty knowledge is "
                         "never served")


def _reading(settings: Settings) -> tuple[list[Source], dict[str, str]]:
    """The sources to read and the label table, from settings."""
    return (sources_for(settings.knowledge, settings.sources),
            labels.make_synonyms(settings.label_synonyms))


def _config_key(sources: list[Source], synonyms: dict[str, str]) -> str:
    """What, besides the files, the database depends on: rebuild when it changes."""
    return json.dumps({"sources": [asdict(s) for s in sources],
                       "labels": sorted(synonyms.items())})


def build_database(settings: Settings, force: bool = False) -> tuple[Knowledge, bool]:
    """Make settings.db_path current; return the knowledge and if it was rebuilt."""
    sources, synonyms = _reading(settings)
    files, problems = find_files(sources)
    fatal = [p for p in problems if p.level == "error"]
    if fatal and not files:
        raise KnowledgeError(f"{fatal[0].path}: {fatal[0].message}")
    if not files:
        where = ", ".join(settings.knowledge)
        raise KnowledgeError(f"no knowledge files ({', '.join(SUFFIXES)}) in {where}: "
                             "name the troubleshooting markdown on the command line, or "
                             "point KNOWN_ISSUE_KNOWLEDGE at it")

    # Before anything reads it: a device or a pipe given as --db would hang the read.
    store.check_replaceable(settings.db_path)
    key = _config_key(sources, synonyms)
    stamps = {f.path: f.stamp for f in files}
    if not force and store.is_current(settings.db_path, stamps, key):
        return store.load(settings.db_path), False

    knowledge = read_all(files, problems, synonyms)
    store.build(knowledge, settings.db_path, key)
    return knowledge, True


def open_knowledge(settings: Settings) -> KnowledgeBase:
    """The knowledge base for these settings, rebuilding the database if stale."""
    knowledge, rebuilt = build_database(settings)
    logger.info("knowledge %s: %d entries from %d files (%s)", settings.db_path,
                len(knowledge.entries), len(knowledge.files),
                "rebuilt" if rebuilt else "up to date")
    kb = KnowledgeBase(knowledge, settings.docs_url, settings)
    kb._db_stamp = stamp(settings.db_path)
    return kb
