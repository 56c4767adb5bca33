"""The SQLite file that holds the parsed knowledge, written with sqlite-utils.

A build always goes to a new file that replaces the old one in a single
os.replace, so a reader never sees half a database and a failed build leaves
the last good one in place. A reload after a few edits copies the current
file and rewrites only the rows of the files that changed before the swap.

Rows are kept per file (every entry and line carries its source and its
position in it, every entry the id its own file gave it), so loading can hand
each file's knowledge back to a reload without parsing anything again.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from .errors import KnowledgeError
from .ingest import Knowledge, Stamp, combine
from .model import Diagnostic, Entry, Line

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "6"
# The first 16 bytes of every SQLite file (https://www.sqlite.org/fileformat.html).
SQLITE_HEADER = b"SQLite format 3\x00"
# Where a diagnostic came from: one file's parse, the path search, or combining.
SCOPE_FILE, SCOPE_PATHS, SCOPE_COMBINE = "file", "paths", "combine"


def build(knowledge: Knowledge, db_path: str, config_key: str) -> None:
    """Write the knowledge to db_path, atomically replacing any earlier file."""
    check_replaceable(db_path)
    with _swap(db_path, copy=False) as db:
        _create_tables(db)
        with db.conn:
            _write_files(db, knowledge, knowledge.parts)
            _write_diagnostics(db, knowledge)
            db["meta"].insert_all(
                [{"key": "schema", "value": SCHEMA_VERSION},
                 {"key": "config", "value": config_key}], pk="key")
        # Indexed once the rows are in: cheaper than keeping them sorted while
        # inserting. Updates find a file's rows by source through them.
        db["entries"].create_index(["source"])
        db["lines"].create_index(["source"])
    logger.info("built %s: %d entries, %d lines", db_path, len(knowledge.entries),
                len(knowledge.lines))


def update(knowledge: Knowledge, db_path: str, paths: set[str]) -> None:
    """Rewrite only the rows of these files (changed, added or gone), atomically."""
    with _swap(db_path, copy=True) as db:
        with db.conn:
            for path in paths:
                db["entries"].delete_where("source = ?", [path])
                db["lines"].delete_where("source = ?", [path])
                db["files"].delete_where("path = ?", [path])
            db["diagnostics"].delete_where()
            changed = {p: part for p, part in knowledge.parts.items() if p in paths}
            _write_files(db, knowledge, changed)
            _write_diagnostics(db, knowledge)
    logger.info("updated %s: %d files rewritten", db_path, len(paths))


def check_replaceable(db_path: str) -> None:
    """Refuse to build over anything but a knowledge database (or nothing).

    A build replaces the file outright, so a mistyped --db would otherwise turn
    a markdown file, a device such as /dev/null, or the bot's state database
    into a knowledge database without a word.
    """
    try:
        info = os.stat(db_path)
    except OSError:
        return  # nothing there yet; a folder that cannot be made fails later
    if not stat.S_ISREG(info.st_mode):
        raise KnowledgeError(_not_ours(db_path, "is not a regular file"))
    if info.st_size == 0:
        return
    with open(db_path, "rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise KnowledgeError(_not_ours(db_path, "is not an SQLite database"))
    tables = _table_names(db_path)
    # Every knowledge database since the first has had a meta table.
    if tables is None or (tables and "meta" not in tables):
        raise KnowledgeError(_not_ours(db_path, "is an SQLite database that "
                                               "known-issue did not build"))


def _table_names(db_path: str) -> set[str] | None:
    """The tables of an SQLite file, read without changing it; None if unreadable."""
    try:
        conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        rows = conn.execute("select name from sqlite_master where type = 'table'")
        return {name for (name,) in rows}
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _not_ours(db_path: str, what: str) -> str:
    return (f"the knowledge database {db_path} {what}, and building it would replace "
            "it: set KNOWN_ISSUE_DB (or --db) to a new file path, such as "
            ".known-issue/knowledge.db")


@contextmanager
def _swap(db_path: str, copy: bool) -> Iterator[sqlite_utils.Database]:
    """A database in a temporary file next to db_path, moved over it on success."""
    target = Path(db_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{target.name}.", suffix=".tmp",
                               dir=target.parent)
    os.close(fd)
    try:
        if copy:
            shutil.copyfile(target, tmp)
        db = sqlite_utils.Database(tmp)
        # Nobody reads the temporary file, and a crash before the swap just
        # leaves the old file: waiting for the disk on every write buys nothing.
        db.conn.execute("PRAGMA synchronous = OFF")
        db.conn.execute("PRAGMA journal_mode = MEMORY")
        try:
            yield db
        finally:
            db.conn.close()
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# Column names and types, in the order rows are written.
ENTRY_COLUMNS = {
    "id": str, "parsed_id": str, "source": str, "ord": int, "line": int, "title": str,
    "category": str, "date": str, "severity": str, "symptoms": str, "root_cause": str,
    "fix": str, "prevention": str, "sections": str, "codes": str, "url": str,
}
LINE_COLUMNS = {"source": str, "ord": int, "entry_id": str, "kind": str, "text": str,
                "line": int, "section": str}
FILE_COLUMNS = {"path": str, "mtime_ns": int, "size": int, "damaged": int}
DIAGNOSTIC_COLUMNS = {"path": str, "line": int, "level": str, "message": str,
                      "scope": str}


def _create_tables(db: sqlite_utils.Database) -> None:
    db["entries"].create(ENTRY_COLUMNS, pk="id")
    db["lines"].create(LINE_COLUMNS)
    db["files"].create(FILE_COLUMNS, pk="path")
    db["diagnostics"].create(DIAGNOSTIC_COLUMNS)
    db["meta"].create({"key": str, "value": str}, pk="key")


def _write_files(db: sqlite_utils.Database, knowledge: Knowledge,
                 parts: dict[str, Knowledge]) -> None:
    """Rows for these files, each entry under the id it has after combining."""
    combined: dict[str, list[Entry]] = {}
    for entry in knowledge.entries:
        if entry.source in parts:
            combined.setdefault(entry.source, []).append(entry)

    entry_rows: list[tuple] = []
    line_rows: list[tuple] = []
    for path, part in parts.items():
        final = {p.id: c.id for p, c in zip(part.entries, combined.get(path, []))}
        entry_rows.extend(_entry_row(e, final.get(e.id, e.id), n)
                          for n, e in enumerate(part.entries))
        line_rows.extend(
            (path, n, final.get(ln.entry_id, ln.entry_id), ln.kind, ln.text, ln.line,
             ln.section)
            for n, ln in enumerate(part.lines))

    _insert(db, "entries", ENTRY_COLUMNS, entry_rows)
    _insert(db, "lines", LINE_COLUMNS, line_rows)
    _insert(db, "files", FILE_COLUMNS,
            [(path, part.files[path].mtime_ns, part.files[path].size, int(part.damaged))
             for path, part in parts.items()])


def _insert(db: sqlite_utils.Database, table: str, columns: dict[str, type],
            rows: list[tuple]) -> None:
    """Insert rows whose values are already SQLite types, in column order.

    sqlite-utils' insert_all inspects every value to convert it; on 100,000 lines
    that alone costs more than parsing them, and our values need no conversion.
    """
    names = ", ".join(f"[{c}]" for c in columns)
    marks = ", ".join("?" for _ in columns)
    db.conn.executemany(f"INSERT OR REPLACE INTO [{table}] ({names}) VALUES ({marks})",
                        rows)


def _write_diagnostics(db: sqlite_utils.Database, knowledge: Knowledge) -> None:
    file_level = {id(d) for part in knowledge.parts.values() for d in part.diagnostics}
    path_level = {id(d) for d in knowledge.problems}
    rows = []
    for d in knowledge.diagnostics:
        scope = (SCOPE_FILE if id(d) in file_level
                 else SCOPE_PATHS if id(d) in path_level else SCOPE_COMBINE)
        rows.append((d.path, d.line, d.level, d.message, scope))
    _insert(db, "diagnostics", DIAGNOSTIC_COLUMNS, rows)


def _entry_row(entry: Entry, final_id: str, ord_: int) -> tuple:
    return (
        final_id, entry.id, entry.source, ord_, entry.line, entry.title, entry.category,
        entry.date, entry.severity, json.dumps(entry.symptoms), entry.root_cause,
        entry.fix, entry.prevention, json.dumps(entry.sections),
        json.dumps(entry.codes), entry.url,
    )


def is_current(db_path: str, files: dict[str, Stamp], config_key: str) -> bool:
    """Whether db_path was built from exactly these files, unchanged since."""
    if not os.path.exists(db_path):
        return False
    db = sqlite_utils.Database(db_path)
    try:
        meta = {r["key"]: r["value"] for r in db["meta"].rows}
        if meta.get("schema") != SCHEMA_VERSION or meta.get("config") != config_key:
            return False
        stored = {r["path"]: Stamp(r["mtime_ns"], r["size"]) for r in db["files"].rows}
    except Exception:  # an old or foreign file: rebuild it
        return False
    finally:
        db.conn.close()
    return stored == files


def load(db_path: str) -> Knowledge:
    """Read a built database back into per-file knowledge, combined as when built."""
    db = sqlite_utils.Database(db_path)
    try:
        parts = {
            r["path"]: Knowledge(files={r["path"]: Stamp(r["mtime_ns"], r["size"])},
                                 damaged=bool(r["damaged"]))
            for r in db["files"].rows_where(order_by="path")
        }
        parsed_ids: dict[tuple[str, str], str] = {}
        for row in db["entries"].rows_where(order_by="source, ord"):
            parsed_ids[(row["source"], row["id"])] = row["parsed_id"]
            parts[row["source"]].entries.append(_entry_from_row(row))
        for row in db["lines"].rows_where(order_by="source, ord"):
            entry_id = parsed_ids.get((row["source"], row["entry_id"]), row["entry_id"])
            parts[row["source"]].lines.append(
                Line(entry_id, row["kind"], row["text"], row["line"], row["section"]))

        problems = []
        for row in db["diagnostics"].rows_where(order_by="rowid"):
            d = Diagnostic(row["path"], row["line"], row["level"], row["message"])
            if row["scope"] == SCOPE_FILE:
                parts[row["path"]].diagnostics.append(d)
            elif row["scope"] == SCOPE_PATHS:
                problems.append(d)
    finally:
        db.conn.close()
    return combine(parts.values(), problems)


def _entry_from_row(row: dict) -> Entry:
    return Entry(
        id=row["parsed_id"], title=row["title"], source=row["source"], line=row["line"],
        category=row["category"], date=row["date"], severity=row["severity"],
        symptoms=json.loads(row["symptoms"]), root_cause=row["root_cause"],
        fix=row["fix"], prevention=row["prevention"],
        sections=json.loads(row["sections"]), codes=json.loads(row["codes"]),
        url=row["url"],
    )
