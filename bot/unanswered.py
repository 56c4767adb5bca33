"""The errors the bot could not answer, grouped, for whoever writes the next entry.

Every paste in a watched channel that looked like an error and got no answer in
the channel (it matched nothing, or only well enough for a private suggestion)
is kept in the state database (ledger.py) with its fingerprint, so the same
error seen in three channels over a week is one row here, counted three times.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import KnownIssueError
from .state import StateDB

DAY = 86_400.0


@dataclass(frozen=True)
class Unanswered:
    """One error (by fingerprint) nobody could answer, and how often it came."""

    fingerprint: str
    times: int
    channels: int
    first_seen: float
    last_seen: float
    sample: str
    # An entry suggested privately to the poster, when one was: no channel answer.
    offered: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def unanswered_errors(state_db: str, days: float | None = None,
                      now: float | None = None) -> list[Unanswered]:
    """Most frequent first; only those seen in the last `days` if given."""
    if not Path(state_db).exists():
        return []  # the bot has not run here yet: nothing went unanswered
    since = (now if now is not None else time.time()) - days * DAY if days else 0.0
    try:
        rows = _grouped(state_db, since)
    except sqlite3.DatabaseError as exc:
        raise KnownIssueError(f"cannot read the state database {state_db} ({exc}): "
                              "set KNOWN_ISSUE_STATE_DB to the bot's state file") from exc
    return [Unanswered(r["fingerprint"], r["times"], r["channels"], r["first_seen"],
                       r["last_seen"], r["sample"] or "", r["offered"] or "") for r in rows]


def _grouped(state_db: str, since: float) -> list[dict]:
    state = StateDB(state_db)
    try:
        table = state.db["unanswered"]
        if not table.exists():
            return []
        # State files written before samples were kept have no such columns.
        columns = table.columns_dict
        sample = "max(sample)" if "sample" in columns else "''"
        offered = "max(offered)" if "offered" in columns else "''"
        return state.query(
            "select fingerprint, count(*) as times, count(distinct channel) as channels, "
            f"min(at) as first_seen, max(at) as last_seen, {sample} as sample, "
            f"{offered} as offered "
            "from unanswered where at >= ? group by fingerprint "
            "order by times desc, last_seen desc", (since,))
    finally:
        state.close()
