"""The part of an entry that answers a paste.

A paste that matched a symptom wants the fix; one that matched a line inside
a fix-like section ("Additional fixes applied", "Workarounds") wants that line,
not the entry's whole fix.
"""

from __future__ import annotations

from . import labels
from .model import Entry, Line


def snippet_for(entry: Entry, line: Line | None) -> str:
    """Markdown answering the paste: the matched fix line, else the entry's fix."""
    if line is not None and line.section and line.section != "Fix":
        if labels.FIX_LIKE.search(line.section) and line.kind in ("fix", "code"):
            return line.text
    return main_fix(entry)


def main_fix(entry: Entry) -> str:
    """The entry's fix, or the first section that plays that part; never the root
    cause, which a reply shows under its own heading."""
    if entry.fix:
        return entry.fix
    for name, text in entry.sections.items():
        if labels.FIX_LIKE.search(name):
            return text
    return entry.sections.get("Explanation", "")
