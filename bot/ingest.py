"""Find the knowledge files under the configured paths and parse each one.

A bad file (not UTF-8, binary, too large, a symlink loop) becomes a diagnostic
naming the file, and every other file is still read: one broken page must
never take the rest of the knowledge down. Each file is parsed on its own into
a Knowledge of its own, so a reload can keep the ones that did not change;
combine() then joins them and settles ids that two files both claim.
"""

from __future__ import annotations

import dataclasses
import gc
import glob
import logging
import os
import stat as stat_module
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .model import Diagnostic, Entry, Line
from .parse import parse_document
from .sources import Source

logger = logging.getLogger(__name__)

SUFFIXES = (".md", ".mdx", ".markdown")
# A knowledge page is prose; anything this large is a mistake (a log, a dump).
MAX_FILE_BYTES = 2 * 1024 * 1024


class Stamp(NamedTuple):
    """What a file looked like when read: changed size or mtime means read it again."""

    mtime_ns: int
    size: int


@dataclass
class Knowledge:
    """Everything read from the knowledge paths, or from one file of them."""

    entries: list[Entry] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: dict[str, Stamp] = field(default_factory=dict)
    # One file's knowledge only: it is broken as a whole (see ParseResult.damaged).
    damaged: bool = False
    # One file's knowledge only: the file holds nothing but whitespace.
    blank: bool = False
    # Combined knowledge only: each file's own Knowledge, by path, in read order,
    # and the problems found while looking for files (a path that is missing).
    parts: dict[str, Knowledge] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)


class Found(NamedTuple):
    """A knowledge file, the source it was found through, and its stamp when found."""

    path: str
    source: Source
    stamp: Stamp


def find_files(paths: Sequence[str | Source]) -> tuple[list[Found], list[Diagnostic]]:
    """Markdown files under the given files, folders and globs, in a stable order."""
    found: dict[str, Found] = {}
    problems: list[Diagnostic] = []
    for spec in paths:
        source = spec if isinstance(spec, Source) else Source(spec)
        where = source.path
        matches = [where]
        if glob.has_magic(where):
            matches = sorted(glob.glob(where, recursive=True))
        if not matches or not any(os.path.lexists(m) for m in matches):
            problems.append(Diagnostic(where, 1, "error",
                                       "knowledge path not found: check the path (on "
                                       "the command line, in known-issue.toml or in "
                                       "KNOWN_ISSUE_KNOWLEDGE)"))
            continue
        for match in matches:
            for path, when in _walk(match, problems):
                if path not in found:
                    found[path] = Found(path, source, when)
    return [found[k] for k in sorted(found)], problems


def _walk(path: str, problems: list[Diagnostic]) -> list[tuple[str, Stamp]]:
    """(path, stamp) of the markdown under path; scandir, as a reload stats them all."""
    if os.path.isfile(path):
        return [(path, stamp(path))] if _is_markdown(path) else []
    if not os.path.isdir(path):
        if os.path.islink(path):
            problems.append(Diagnostic(path, 1, "warning",
                                       "broken or looping symlink: skipped"))
        return []

    out: list[tuple[str, Stamp]] = []
    seen: set[str] = set()

    def visit(folder: str) -> None:
        # Links are followed with a realpath guard: a loop is reported, not followed.
        real = os.path.realpath(folder)
        if real in seen:
            problems.append(Diagnostic(folder, 1, "warning",
                                       "symlink loop: folder already read, skipped"))
            return
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(Diagnostic(folder, 1, "warning",
                                       f"cannot list folder: {exc.strerror}"))
            return
        for entry in entries:
            try:
                is_folder = entry.is_dir()
                info = None if is_folder else entry.stat()
            except OSError as exc:  # a link to itself, or to a link loop
                if _is_markdown(entry.name):
                    problems.append(Diagnostic(entry.path, 1, "warning",
                                               f"cannot read ({exc.strerror}): skipped"))
                continue
            if is_folder:
                if not entry.name.startswith("."):
                    visit(entry.path)
            elif _is_markdown(entry.name) and info is not None:
                if not stat_module.S_ISREG(info.st_mode):
                    # A pipe or device named .md would block the read forever.
                    problems.append(Diagnostic(entry.path, 1, "warning",
                                               "not a regular file: skipped"))
                    continue
                out.append((entry.path, Stamp(info.st_mtime_ns, info.st_size)))

    visit(path)
    return out


def _is_markdown(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in SUFFIXES


def stamp(path: str | os.PathLike[str]) -> Stamp:
    try:
        info = os.stat(path)
    except OSError:
        return Stamp(0, -1)
    return Stamp(info.st_mtime_ns, info.st_size)


def read_text(path: Path) -> tuple[str | None, Diagnostic | None]:
    """The file's text, and what is wrong with it; no text when it is unusable.

    A file that is not valid UTF-8 is still read, the bad bytes replaced, so
    that one stray byte does not take every entry of the file with it.
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, Diagnostic(str(path), 1, "error",
                                    f"file is {size // 1024} KiB, over the "
                                    f"{MAX_FILE_BYTES // 1024} KiB limit: skipped")
        data = path.read_bytes()
    except OSError as exc:
        return None, Diagnostic(str(path), 1, "error",
                                f"cannot read file: {exc.strerror}")

    if b"\x00" in data[:8192]:
        return None, Diagnostic(str(path), 1, "error",
                                "binary file, not markdown: skipped")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return data.decode("utf-8-sig", errors="replace"), Diagnostic(
            str(path), line, "error",
            f"not valid UTF-8 (column {column}): read with the bad bytes replaced; "
            "save the file as UTF-8")


def parse_file(
    path: str | os.PathLike[str],
    synonyms: dict[str, str] | None = None,
    source: Source | None = None,
    when: Stamp | None = None,
) -> Knowledge:
    """Parse one file; problems become diagnostics, never exceptions.

    when is the file's stamp if the caller already took it; it must be taken
    before reading, so that a save during the read is seen by the next reload.
    """
    path = Path(path)
    knowledge = Knowledge(files={str(path): when or stamp(path)})
    text, problem = read_text(path)
    if text is None and problem is not None:
        knowledge.diagnostics.append(problem)
        knowledge.damaged = True
        return knowledge

    if not (text or "").strip():
        # Not damaged: an empty page is allowed. reload.py decides whether an
        # emptied file that held entries keeps them.
        knowledge.blank = True
        knowledge.diagnostics.append(Diagnostic(str(path), 1, "warning",
                                                "file is empty: no entries to read"))
        return knowledge

    layout = source.layout if source else None
    try:
        result = parse_document(text or "", str(path), synonyms, layout=layout)
    except Exception as exc:  # a parser bug must cost one file, not the knowledge
        logger.exception("cannot parse %s", path)
        knowledge.diagnostics.append(Diagnostic(
            str(path), 1, "error", f"cannot parse this file ({type(exc).__name__}: "
                                   f"{exc}); please report it with the file attached"))
        knowledge.damaged = True
        return knowledge
    if source is not None and source.link:
        for entry in result.entries:
            entry.url = source.url_for(entry.id)
    knowledge.entries = result.entries
    knowledge.lines = result.lines
    knowledge.diagnostics = ([problem] if problem else []) + result.diagnostics
    # Damaged: a reload keeps serving the file's last good version, if any.
    knowledge.damaged = result.damaged or problem is not None
    return knowledge


def combine(
    parts: Iterable[Knowledge], problems: Sequence[Diagnostic] = ()
) -> Knowledge:
    """Join per-file knowledge; an id already taken gets a suffix and an error.

    The parts are not changed (a reload reuses them): a renamed entry and its
    lines are copies.
    """
    total = Knowledge(diagnostics=list(problems), problems=list(problems))
    taken: dict[str, Entry] = {}
    for part in parts:
        renames: dict[str, str] = {}
        for entry in part.entries:
            if entry.id in taken:
                first = taken[entry.id]
                new_id = _free_id(entry.id, taken)
                total.diagnostics.append(Diagnostic(
                    entry.source, entry.line, "error",
                    f"duplicate id {entry.id!r} (first at {first.source}:"
                    f"{first.line}): renamed to {new_id!r}; rename one of them"))
                renames[entry.id] = new_id
                entry = dataclasses.replace(entry, id=new_id)
            taken[entry.id] = entry
            total.entries.append(entry)

        if renames:
            total.lines.extend(
                dataclasses.replace(ln, entry_id=renames[ln.entry_id])
                if ln.entry_id in renames else ln for ln in part.lines)
        else:
            total.lines.extend(part.lines)
        total.diagnostics.extend(part.diagnostics)
        total.files.update(part.files)
        for path in part.files:
            total.parts[path] = part
    return total


def _free_id(entry_id: str, taken: dict[str, Entry]) -> str:
    n = 2
    while f"{entry_id}-{n}" in taken:
        n += 1
    return f"{entry_id}-{n}"


def read_all(
    files: Sequence[Found], problems: Sequence[Diagnostic],
    synonyms: dict[str, str] | None = None,
) -> Knowledge:
    """Parse every one of these files into one Knowledge."""
    with gc_paused():
        parts = (parse_file(f.path, synonyms, f.source, f.stamp) for f in files)
        total = combine(parts, problems)
    logger.debug("read %d entries from %d files", len(total.entries), len(files))
    return total


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold the cycle collector off while parsing.

    Parsing makes millions of short-lived tokens and no reference cycles, so a
    collection in the middle only rescans the knowledge already held, which is
    all long-lived: a sixth of a full ingest, and up to half of a reload.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_knowledge(
    paths: Sequence[str | Source], synonyms: dict[str, str] | None = None
) -> Knowledge:
    """Parse every knowledge file under the paths into one Knowledge."""
    files, problems = find_files(paths)
    return read_all(files, problems, synonyms)
