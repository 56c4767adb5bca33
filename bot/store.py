"""The SQLite file that holds the parsed knowledge, written with sqlite-utils.

A build always goes to a new file that replaces the old one in a single
os.replace, so a reader never sees half a database and a failed build leaves
the last good one in place.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import sqlite_utils

from .ingest import Knowledge
from .model import Diagnostic, Entry, Line

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "3"


def build(knowledge: Knowledge, db_path: str, sources: list[str]) -> None:
    """Write the knowledge to db_path, atomically replacing any earlier file."""
    target = Path(db_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        _write(sqlite_utils.Database(tmp), knowledge, sources)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info("built %s: %d entries, %d lines", db_path, len(knowledge.entries),
                len(knowledge.lines))


def _create_tables(db: sqlite_utils.Database) -> None:
    text, integer = str, int
    db["entries"].create(
        {"id": text, "title": text, "category": text, "date": text, "severity": text,
         "symptoms": text, "root_cause": text, "fix": text, "prevention": text,
         "sections": text, "codes": text, "url": text, "source": text, "line": integer},
        pk="id",
    )
    db["lines"].create({"entry_id": text, "kind": text, "text": text, "line": integer,
                        "section": text})
    db["files"].create({"path": text, "mtime": float}, pk="path")
    db["diagnostics"].create({"path": text, "line": integer, "level": text,
                              "message": text})
    db["meta"].create({"key": text, "value": text}, pk="key")


def _write(db: sqlite_utils.Database, knowledge: Knowledge, sources: list[str]) -> None:
    _create_tables(db)
    with db.conn:
        db["entries"].insert_all(
            (_entry_row(e) for e in knowledge.entries), pk="id", replace=True
        )
        db["lines"].insert_all(
            ({"entry_id": ln.entry_id, "kind": ln.kind, "text": ln.text,
              "line": ln.line, "section": ln.section} for ln in knowledge.lines),
        )
        db["files"].insert_all(
            ({"path": p, "mtime": m} for p, m in knowledge.files.items()), pk="path"
        )
        db["diagnostics"].insert_all(d.to_dict() for d in knowledge.diagnostics)
        db["meta"].insert_all(
            [{"key": "schema", "value": SCHEMA_VERSION},
             {"key": "sources", "value": json.dumps(sources)}],
            pk="key",
        )
    db["lines"].create_index(["entry_id"])
    db.conn.close()


def _entry_row(entry: Entry) -> dict[str, object]:
    return {
        "id": entry.id, "title": entry.title, "category": entry.category,
        "date": entry.date, "severity": entry.severity,
        "symptoms": json.dumps(entry.symptoms), "root_cause": entry.root_cause,
        "fix": entry.fix, "prevention": entry.prevention,
        "sections": json.dumps(entry.sections), "codes": json.dumps(entry.codes),
        "url": entry.url, "source": entry.source, "line": entry.line,
    }


def is_current(db_path: str, files: dict[str, float], sources: list[str]) -> bool:
    """Whether db_path was built from exactly these files, unchanged since."""
    if not os.path.exists(db_path):
        return False
    db = sqlite_utils.Database(db_path)
    try:
        meta = {r["key"]: r["value"] for r in db["meta"].rows}
        stored = {r["path"]: r["mtime"] for r in db["files"].rows}
    except Exception:  # an old or foreign file: rebuild it
        return False
    finally:
        db.conn.close()
    return (meta.get("schema") == SCHEMA_VERSION
            and meta.get("sources") == json.dumps(sources)
            and stored == files)


def load(db_path: str) -> Knowledge:
    """Read a built database back into memory for the matcher."""
    db = sqlite_utils.Database(db_path)
    try:
        entries = [_entry_from_row(r) for r in db["entries"].rows]
        lines = [Line(r["entry_id"], r["kind"], r["text"], r["line"], r["section"])
                 for r in db["lines"].rows_where(order_by="rowid")]
        files = {r["path"]: r["mtime"] for r in db["files"].rows}
        diagnostics = [Diagnostic(r["path"], r["line"], r["level"], r["message"])
                       for r in db["diagnostics"].rows]
    finally:
        db.conn.close()
    return Knowledge(entries=entries, lines=lines, diagnostics=diagnostics, files=files)


def _entry_from_row(row: dict) -> Entry:
    return Entry(
        id=row["id"], title=row["title"], source=row["source"], line=row["line"],
        category=row["category"], date=row["date"], severity=row["severity"],
        symptoms=json.loads(row["symptoms"]), root_cause=row["root_cause"],
        fix=row["fix"], prevention=row["prevention"],
        sections=json.loads(row["sections"]), codes=json.loads(row["codes"]),
        url=row["url"],
    )
