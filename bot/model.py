"""The records everything else passes around: entries, their matchable lines, matches.

Kept free of parsing, storage and Slack so that every other module can import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONFIDENCE_HIGH = "high"
CONFIDENCE_LOW = "low"
CONFIDENCE_NONE = "none"


@dataclass
class Entry:
    """One known issue, as read from the knowledge markdown."""

    id: str
    title: str
    source: str
    line: int
    category: str | None = None
    date: str | None = None
    severity: str | None = None
    symptoms: list[str] = field(default_factory=list)
    root_cause: str = ""
    fix: str = ""
    prevention: str = ""
    # Every other labelled section, by its label as written ("Workarounds", ...).
    sections: dict[str, str] = field(default_factory=dict)
    # Exact identifiers (error codes such as NG0100) that name this entry.
    codes: list[str] = field(default_factory=list)
    # Link to the entry in the docs site, when the source configures one.
    url: str | None = None


@dataclass
class Line:
    """One matchable line of an entry: a symptom bullet, an error string, a title..."""

    entry_id: str
    kind: str
    text: str
    line: int
    # The section the line came from, so a match can show the part that answers it.
    section: str = ""


@dataclass
class Match:
    """One entry that answers a paste, with why it was chosen."""

    entry: Entry
    score: float
    confidence: str
    snippet: str
    url: str
    # The line of the paste and the line of the entry that matched best.
    query_line: str = ""
    entry_line: str = ""
    shared: list[str] = field(default_factory=list)
    # The section the snippet comes from, when it is not the entry's Fix.
    snippet_from: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.entry.id,
            "title": self.entry.title,
            "score": round(self.score, 2),
            "confidence": self.confidence,
            "url": self.url,
            "snippet": self.snippet,
            "severity": self.entry.severity,
            "date": self.entry.date,
            "query_line": self.query_line,
            "entry_line": self.entry_line,
            "shared": self.shared,
        }


@dataclass(frozen=True)
class Diagnostic:
    """A problem found in a knowledge file, located so an editor can jump to it."""

    path: str
    line: int
    level: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.level}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "level": self.level,
                "message": self.message}
