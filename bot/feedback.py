"""What people said about the answers: "Fixed it" and "Not this" votes.

Anyone in the channel may vote, once per answer; voting again replaces the
earlier vote. "Fixed it" votes are counted per entry and shown on its answers,
so a reader sees that the fix worked for others. A "Not this" vote keeps that
entry from being offered again for the same error (by fingerprint) in the same
channel for a while; other channels and other errors are not affected, since
one wrong match says little about them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .state import StateDB

FIXED = "fixed"
NOT_THIS = "not_this"
VOTES = (FIXED, NOT_THIS)


class Feedback:
    """The votes table of the state database."""

    def __init__(self, state: StateDB, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.clock = clock
        columns = {
            "channel": str,
            "message_ts": str,
            "user": str,
            "entry_id": str,
            "fingerprint": str,
            "vote": str,
            "at": float,
        }
        state.db["votes"].create(
            columns, pk=("channel", "message_ts", "user"), if_not_exists=True
        )
        state.db["votes"].create_index(["entry_id", "vote"], if_not_exists=True)
        state.db["votes"].create_index(["channel", "fingerprint"], if_not_exists=True)

    def vote(
        self,
        channel: str,
        message_ts: str,
        user: str,
        *,
        entry_id: str,
        fingerprint: str,
        vote: str,
    ) -> bool:
        """Record a person's vote on one message; False when it was already so."""
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}, not {vote!r}")
        with self.state.transaction() as db:
            earlier = list(
                db.query(
                    "select vote from votes "
                    "where channel = ? and message_ts = ? and user = ?",
                    (channel, message_ts, user),
                )
            )
            if earlier and earlier[0]["vote"] == vote:
                return False
            db["votes"].upsert(
                {
                    "channel": channel,
                    "message_ts": message_ts,
                    "user": user,
                    "entry_id": entry_id,
                    "fingerprint": fingerprint,
                    "vote": vote,
                    "at": self.clock(),
                },
                pk=("channel", "message_ts", "user"),
            )
        return True

    def fixed_count(self, entry_id: str) -> int:
        """How many people said the entry fixed it, anywhere."""
        rows = self.state.query(
            "select count(distinct user) as n from votes "
            "where entry_id = ? and vote = ?",
            (entry_id, FIXED),
        )
        return int(rows[0]["n"])

    def rejected(self, channel: str, fingerprint: str, since: float) -> set[str]:
        """Entries someone called "Not this" for this error in this channel lately."""
        if not fingerprint:
            return set()
        rows = self.state.query(
            "select distinct entry_id from votes where channel = ? and fingerprint = ? "
            "and vote = ? and at >= ?",
            (channel, fingerprint, NOT_THIS, since),
        )
        return {row["entry_id"] for row in rows}
