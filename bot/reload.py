"""Reading the knowledge again while the bot serves, and saying what changed.

Only files whose size or mtime changed are parsed again; every other file's
knowledge is reused as it is. A file that comes back broken as a whole (not
UTF-8, a fence or front matter left open, emptied) keeps serving its last good
version until it is fixed, so one bad save never takes entries away; a reload
that would leave no entry at all fails (knowledge_base.py). Swapping the
result in, and the database, is knowledge_base.py's job.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .config import Settings
from .ingest import Knowledge, combine, find_files, parse_file
from .model import Diagnostic
from .render import counted
from .sources import Source

logger = logging.getLogger(__name__)

# How many ids a summary names before it says "and N more".
SUMMARY_IDS = 5


@dataclass
class ReloadReport:
    """What one reload did: entries added, changed and removed, and the problems."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    parsed: list[str] = field(default_factory=list)  # files read again
    entries: int = 0  # entries served after the reload
    files: int = 0
    seconds: float = 0.0  # until the new knowledge answered lookups
    matcher_seconds: float = 0.0  # of `seconds`, building the new matcher
    # Set when the reload failed: the previous knowledge is still serving.
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        """One paragraph for people: what changed, what is wrong, what serves now."""
        if self.error:
            return (f"Reload failed: {self.error}. Still answering from the previous "
                    f"knowledge ({counted(self.entries, 'entry', 'entries')}).")

        if self.has_changes:
            parts = [_named(self.added, "added"), _named(self.changed, "changed"),
                     _named(self.removed, "removed")]
            text = "Reloaded the knowledge: " + "; ".join(p for p in parts if p) + "."
        else:
            text = "The knowledge is up to date: no entry changed."
        text += (f" Now serving {counted(self.entries, 'entry', 'entries')} from "
                 f"{counted(self.files, 'file', 'files')}.")

        if self.warnings:
            shown = "; ".join(str(d) for d in self.warnings[:SUMMARY_IDS])
            more = len(self.warnings) - SUMMARY_IDS
            text += (f" {counted(len(self.warnings), 'problem', 'problems')} to fix: "
                     f"{shown}" + (f"; and {more} more" if more > 0 else "") + ".")
        return text


def _named(ids: list[str], verb: str) -> str:
    if not ids:
        return ""
    shown = ", ".join(ids[:SUMMARY_IDS])
    more = len(ids) - SUMMARY_IDS
    return f"{len(ids)} {verb} ({shown}{f' and {more} more' if more > 0 else ''})"


def refresh(
    old: Knowledge, sources: Sequence[Source], synonyms: dict[str, str]
) -> tuple[Knowledge, list[str]]:
    """The knowledge as the files are now, and which files had to be parsed."""
    files, problems = find_files(sources)
    parts: list[Knowledge] = []
    parsed: list[str] = []
    for found in files:
        previous = old.parts.get(found.path)
        if previous is not None and previous.files.get(found.path) == found.stamp:
            parts.append(previous)
            continue

        part = parse_file(found.path, synonyms, found.source, found.stamp)
        parsed.append(found.path)
        if part.blank and previous is not None and previous.entries:
            part = _emptied(part, found.path, len(previous.entries))
        if part.damaged and previous is not None:
            part = _last_good(previous, part, found.path)
        parts.append(part)
    return combine(parts, problems), parsed


def _emptied(blank: Knowledge, path: str, held: int) -> Knowledge:
    """A file saved empty that held entries: broken, so that it keeps them.

    Truncating a file is a slip (a failed copy, an editor crash) far more often
    than a way to remove entries; deleting the file, or its entries, removes them.
    """
    return Knowledge(
        diagnostics=[Diagnostic(path, 1, "error",
                                f"file is empty, though it held "
                                f"{counted(held, 'entry', 'entries')}: restore its "
                                "content, or delete the file to remove them")],
        files=blank.files, damaged=True, blank=True)


def _last_good(previous: Knowledge, broken: Knowledge, path: str) -> Knowledge:
    """The previous entries of a file, with the problems of its broken new version."""
    kept = len(previous.entries)
    note = Diagnostic(path, broken.diagnostics[0].line if broken.diagnostics else 1,
                      "warning", f"still serving the last good version of this file "
                                 f"({counted(kept, 'entry', 'entries')}) until the "
                                 "error is fixed")
    return Knowledge(entries=previous.entries, lines=previous.lines,
                     diagnostics=[*broken.diagnostics, note], files=broken.files,
                     damaged=True)


def compare(old: Knowledge, new: Knowledge
            ) -> tuple[list[str], list[str], list[str], list[str]]:
    """Ids added, changed, removed and only moved between two knowledges, in
    reading order. An entry below an insertion moves without changing: it is
    rewritten (its links name its line) but not reported as changed."""
    before = {e.id: e for e in old.entries}
    after = {e.id: e for e in new.entries}
    added = [i for i in after if i not in before]
    removed = [i for i in before if i not in after]
    differ = [i for i, e in after.items()
              if i in before and before[i] is not e and before[i] != e]
    moved = [i for i in differ if replace(before[i], line=after[i].line)
             == after[i]]
    changed = [i for i in differ if i not in moved]
    return added, changed, removed, moved


def touched_files(old: Knowledge, new: Knowledge, parsed: list[str],
                  ids: set[str]) -> set[str]:
    """Files whose database rows must be rewritten after this reload."""
    paths = set(parsed) | (set(old.parts) - set(new.parts))
    paths |= {e.source for e in old.entries if e.id in ids}
    paths |= {e.source for e in new.entries if e.id in ids}
    return paths & (set(old.parts) | set(new.parts))


def report_warnings(new: Knowledge, parsed: list[str]) -> list[Diagnostic]:
    """The problems worth telling about: in files read again, and across files."""
    file_level = {id(d) for part in new.parts.values() for d in part.diagnostics}
    fresh = [d for path in parsed if path in new.parts
             for d in new.parts[path].diagnostics]
    return fresh + [d for d in new.diagnostics if id(d) not in file_level]


def allowed_to_reload(settings: Settings, user_id: str) -> bool:
    """Whether this Slack user may run /known-issue reload (anyone, if none listed)."""
    return not settings.reload_users or user_id in settings.reload_users
