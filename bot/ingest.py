"""Find the knowledge files under the configured paths and parse each one.

A bad file (not UTF-8, binary, too large, a symlink loop) becomes a diagnostic
naming the file, and every other file is still read: one broken page must
never take the rest of the knowledge down.
"""

from __future__ import annotations

import glob
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from .model import Diagnostic, Entry, Line
from .parse import parse_document

logger = logging.getLogger(__name__)

SUFFIXES = (".md", ".mdx", ".markdown")
# A knowledge page is prose; anything this large is a mistake (a log, a dump).
MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass
class Knowledge:
    """Everything read from the knowledge paths."""

    entries: list[Entry] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: dict[str, float] = field(default_factory=dict)  # path -> mtime

    def merge(self, other: Knowledge) -> None:
        """Add one file's knowledge; an id already taken gets a suffix and an error."""
        taken = {e.id: e for e in self.entries}
        renames: dict[str, str] = {}
        for entry in other.entries:
            if entry.id in taken:
                new_id = _free_id(entry.id, taken)
                first = taken[entry.id]
                self.diagnostics.append(Diagnostic(
                    entry.source, entry.line, "error",
                    f"duplicate id {entry.id!r} (first at {first.source}:{first.line}): "
                    f"renamed to {new_id!r}; rename one of them"))
                renames[entry.id] = new_id
                entry.id = new_id
            taken[entry.id] = entry

        for line in other.lines:
            line.entry_id = renames.get(line.entry_id, line.entry_id)
        self.entries.extend(other.entries)
        self.lines.extend(other.lines)
        self.diagnostics.extend(other.diagnostics)
        self.files.update(other.files)


def _free_id(entry_id: str, taken: dict[str, Entry]) -> str:
    n = 2
    while f"{entry_id}-{n}" in taken:
        n += 1
    return f"{entry_id}-{n}"


def find_files(paths: list[str]) -> tuple[list[Path], list[Diagnostic]]:
    """Markdown files under the given files, folders and globs, in a stable order."""
    found: dict[str, Path] = {}
    problems: list[Diagnostic] = []
    for spec in paths:
        matches = sorted(glob.glob(spec, recursive=True)) if glob.has_magic(spec) else [spec]
        if not matches or not any(os.path.lexists(m) for m in matches):
            problems.append(Diagnostic(spec, 0, "error",
                                       "knowledge path not found: check the path or "
                                       "KNOWN_ISSUE_KNOWLEDGE"))
            continue
        for match in matches:
            for path in _walk(Path(match), problems):
                found.setdefault(str(path), path)
    return [found[k] for k in sorted(found)], problems


def _walk(path: Path, problems: list[Diagnostic]) -> list[Path]:
    if path.is_file():
        return [path] if path.suffix.lower() in SUFFIXES else []
    if not path.is_dir():
        if path.is_symlink():
            problems.append(Diagnostic(str(path), 0, "warning",
                                       "broken or looping symlink: skipped"))
        return []

    out: list[Path] = []
    seen: set[str] = set()
    # followlinks=True with a realpath guard: a link loop is reported, not followed.
    for root, dirs, files in os.walk(path, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            problems.append(Diagnostic(root, 0, "warning",
                                       "symlink loop: folder already read, skipped"))
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            file = Path(root) / name
            if file.suffix.lower() in SUFFIXES:
                if file.is_symlink() and not file.exists():
                    problems.append(Diagnostic(str(file), 0, "warning",
                                               "broken or looping symlink: skipped"))
                    continue
                out.append(file)
    return out


def read_text(path: Path) -> tuple[str | None, Diagnostic | None]:
    """The file's text, or why it cannot be used as knowledge."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, Diagnostic(str(path), 0, "error",
                                    f"file is {size // 1024} KiB, over the "
                                    f"{MAX_FILE_BYTES // 1024} KiB limit: skipped")
        data = path.read_bytes()
    except OSError as exc:
        return None, Diagnostic(str(path), 0, "error", f"cannot read file: {exc.strerror}")

    if b"\x00" in data[:8192]:
        return None, Diagnostic(str(path), 0, "error", "binary file, not markdown: skipped")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, Diagnostic(str(path), line, "error",
                                f"not valid UTF-8 (byte {exc.start}): save the file "
                                "as UTF-8; file skipped")


def parse_file(path: Path, synonyms: dict[str, str] | None = None) -> Knowledge:
    """Parse one file; problems become diagnostics, never exceptions."""
    knowledge = Knowledge()
    try:
        knowledge.files[str(path)] = path.stat().st_mtime
    except OSError:
        pass

    text, problem = read_text(path)
    if problem is not None:
        knowledge.diagnostics.append(problem)
        return knowledge

    result = parse_document(text or "", str(path), synonyms)
    knowledge.entries = result.entries
    knowledge.lines = result.lines
    knowledge.diagnostics = result.diagnostics
    return knowledge


def read_knowledge(paths: list[str], synonyms: dict[str, str] | None = None) -> Knowledge:
    """Parse every knowledge file under the paths into one Knowledge."""
    files, problems = find_files(paths)
    total = Knowledge(diagnostics=problems)
    for path in files:
        total.merge(parse_file(path, synonyms))
    logger.debug("read %d entries from %d files", len(total.entries), len(files))
    return total
