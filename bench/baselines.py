"""The two obvious alternatives to our matcher, built over the same parsed entries.

BM25 is what SQLite's FTS5 gives for free; token_set_ratio is the one-line
rapidfuzz answer. Both see each entry as one block of text (title, symptoms,
root cause, fix and every other section) and the paste as it was pasted: no
log-noise stripping, no line-by-line scoring. That is the point: they show what
the matcher's extra work buys, and what it costs.
"""

from __future__ import annotations

import re

import sqlite_utils
from bot.model import Entry
from rapidfuzz import fuzz, process, utils

from measure import Ranked

# Any run of letters, digits or underscores: what FTS5's unicode61 tokenizer
# would also split on, so every quoted word is one the index can hold.
_WORD = re.compile(r"\w+")


def entry_text(entry: Entry) -> str:
    """The whole entry as one text, in the order a reader meets it."""
    parts = [entry.title, *entry.symptoms, entry.root_cause, entry.fix,
             entry.prevention, *entry.sections.values()]
    return "\n".join(p for p in parts if p)


def fts_query(text: str) -> str:
    """An FTS5 query that matches any of the paste's words.

    Pastes are full of FTS5 syntax (quotes, `*`, `:`, `-`, parentheses, the
    words AND/OR/NEAR), so every word is quoted; OR, not FTS5's implicit AND,
    because a paste carries far more words than any one entry.
    """
    words = dict.fromkeys(w.lower() for w in _WORD.findall(text))
    return " OR ".join(f'"{w}"' for w in words)


class Bm25Index:
    """SQLite FTS5 over whole entries, ranked by bm25()."""

    def __init__(self, entries: list[Entry]) -> None:
        self.db = sqlite_utils.Database(memory=True)
        table = self.db.table("entries")
        table.insert_all(
            ({"id": e.id, "title": e.title, "body": entry_text(e)} for e in entries),
            pk="id",
        )
        # No triggers: the index is built once from a table nobody writes to.
        table.enable_fts(["title", "body"], create_triggers=False, tokenize="porter")

    def search(self, text: str, limit: int = 5) -> Ranked:
        query = fts_query(text)
        if not query:
            return []
        rows = self.db.execute(
            "select entries.id, bm25(entries_fts) from entries_fts "
            "join entries on entries.rowid = entries_fts.rowid "
            "where entries_fts match ? order by bm25(entries_fts) limit ?",
            [query, limit],
        ).fetchall()
        # bm25() is lower-is-better and negative; flip it so higher is better.
        return [(entry_id, -rank) for entry_id, rank in rows]


class TokenSetIndex:
    """rapidfuzz token_set_ratio of the paste against every whole entry."""

    def __init__(self, entries: list[Entry]) -> None:
        self.ids = [e.id for e in entries]
        # utils.default_process on both sides, as processor= would do; the
        # entries are processed once here rather than again on every lookup.
        self.texts = [utils.default_process(entry_text(e)) for e in entries]

    def search(self, text: str, limit: int = 5) -> Ranked:
        found = process.extract(utils.default_process(text), self.texts,
                                scorer=fuzz.token_set_ratio, processor=None,
                                limit=limit)
        return [(self.ids[index], score) for _, score, index in found]
