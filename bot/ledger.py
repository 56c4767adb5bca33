"""Which Slack messages the bot has answered, so each gets exactly one reply.

Slack delivers one message several ways: redeliveries of an event it thinks we
missed (the last about five minutes later), an `app_mention` beside the
`message` for a tagged message, and the same event to every process of a
scaled-out bot. A row per message, keyed by (channel, ts) and by event id, is
claimed inside one transaction before anything is posted; only the claimer
posts, then records the reply's ts. A claim that failed, or whose process died
(older than LEASE_SECONDS), may be taken over by the next delivery.

The same rows answer the questions that keep a thread quiet (which entries it
already has, how many answers) and a channel calm (when an entry was last
answered there, the next free posting slot). Errors nobody could answer are
kept here too. Message text is never stored: only a fingerprint of it and, for
an error the channel got no answer to, its error line with ids, hosts, paths
and quoted values masked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .state import StateDB

# A claim older than this belongs to a process that died mid-answer. Longer
# than any answer takes (a rate-limited post waits at most a few seconds),
# shorter than Slack's last redelivery, about five minutes after the first.
LEASE_SECONDS = 120.0

# States of a row.
CLAIMED = "claimed"  # being answered now
POSTED = "posted"  # answered; reply_ts says where
OFFERED = "offered"  # a private "possible match" went to the poster
DISMISSED = "dismissed"  # the poster said "Not it"
FAILED = "failed"  # answering raised; the next delivery may retry

# What claim() says when the caller must not post.
DUPLICATE = "duplicate"  # this message is answered, or being answered
REPEAT = "repeat"  # the thread already has this entry
CAPPED = "capped"  # the thread has all the answers it may get
BOT_LIMIT = "bot-limit"  # other apps' posts got their share of answers lately

# Kinds of reply: the ones that name an entry count for REPEAT and CAPPED.
ANSWER = "answer"
SAME = "same"  # the short "same as the earlier thread" answer
OFFER = "offer"
MISS = "miss"  # a mention with no match: the hint
USAGE = "usage"
ENTRY_KINDS = (ANSWER, SAME)

_SCHEMA = {
    "replies": {
        "channel": str,
        "ts": str,
        "event_id": str,
        "thread_ts": str,
        "state": str,
        "kind": str,
        "entry_id": str,
        "score": float,
        "fingerprint": str,
        "from_bot": int,
        "reply_ts": str,
        "updated": float,
    },
    "unanswered": {"channel": str, "ts": str, "fingerprint": str, "at": float,
                   "sample": str, "offered": str},
    "pace": {"channel": str, "next_at": float},
}


@dataclass(frozen=True)
class Reply:
    """One row: a message and what the bot did about it."""

    channel: str
    ts: str
    thread_ts: str
    state: str
    kind: str
    entry_id: str | None
    score: float
    fingerprint: str
    from_bot: bool
    reply_ts: str | None
    event_id: str | None = None
    updated: float = 0.0


class Ledger:
    """The replies table of the state database, and the rules it enforces."""

    def __init__(self, state: StateDB, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.clock = clock
        db = state.db
        db["replies"].create(
            _SCHEMA["replies"], pk=("channel", "ts"), if_not_exists=True
        )
        # NULLs never collide, so rows without an event id (button clicks) fit.
        db["replies"].create_index(["event_id"], unique=True, if_not_exists=True)
        db["replies"].create_index(["channel", "thread_ts"], if_not_exists=True)
        db["replies"].create_index(["channel", "reply_ts"], if_not_exists=True)
        db["replies"].create_index(["channel", "entry_id"], if_not_exists=True)
        db["unanswered"].create(
            _SCHEMA["unanswered"], pk=("channel", "ts"), if_not_exists=True
        )
        db["pace"].create(_SCHEMA["pace"], pk="channel", if_not_exists=True)

    def claim(
        self,
        channel: str,
        ts: str,
        *,
        thread_ts: str,
        kind: str,
        event_id: str | None = None,
        entry_id: str | None = None,
        score: float = 0.0,
        fingerprint: str = "",
        from_bot: bool = False,
        thread_limit: int | None = None,
        bot_limit: tuple[float, int] | None = None,
    ) -> str:
        """CLAIMED when this caller, and no one else, is to answer the message.

        bot_limit: (since, most) answers to other apps' posts in the channel; it
        is counted inside the claim's transaction, so a burst cannot outrun it.
        """
        now = self.clock()
        with self.state.transaction() as db:
            mine = _one(
                db, "select * from replies where channel = ? and ts = ?", (channel, ts)
            )
            if mine is not None and not self._abandoned(mine, now):
                return DUPLICATE
            if event_id and _one_dict(
                db,
                "select ts from replies where event_id = ? "
                "and not (channel = ? and ts = ?)",
                (event_id, channel, ts),
            ):
                return DUPLICATE

            verdict = self._thread_verdict(
                db, channel, ts, thread_ts, kind, entry_id, thread_limit
            )
            if verdict:
                return verdict
            if from_bot and bot_limit is not None:
                since, most = bot_limit
                if _bot_answers(db, channel, since) >= most:
                    return BOT_LIMIT
            db["replies"].upsert(
                {
                    "channel": channel,
                    "ts": ts,
                    "event_id": event_id or None,
                    "thread_ts": thread_ts,
                    "state": CLAIMED,
                    "kind": kind,
                    "entry_id": entry_id,
                    "score": score,
                    "fingerprint": fingerprint,
                    "from_bot": int(from_bot),
                    "reply_ts": None,
                    "updated": now,
                },
                pk=("channel", "ts"),
            )
        return CLAIMED

    def posted(self, channel: str, ts: str, reply_ts: str | None, kind: str) -> None:
        """Record where the reply went; the message is answered for good."""
        self._set(channel, ts, state=POSTED, reply_ts=reply_ts, kind=kind)

    def offered(self, channel: str, ts: str, reply_ts: str | None) -> None:
        self._set(channel, ts, state=OFFERED, reply_ts=reply_ts)

    def failed(self, channel: str, ts: str) -> None:
        """Give the claim up, so the next delivery of the message tries again."""
        self._set(channel, ts, state=FAILED)

    def dismissed(self, channel: str, ts: str) -> None:
        self._set(channel, ts, state=DISMISSED)

    def reanswered(self, channel: str, ts: str, entry_id: str, score: float) -> None:
        """The reply was edited to another entry, after its message was."""
        self._set(channel, ts, entry_id=entry_id, score=score)

    def take_offer(
        self, channel: str, ts: str, thread_limit: int | None
    ) -> Reply | str:
        """Turn a private offer into a claim to post it, once; else why not."""
        now = self.clock()
        with self.state.transaction() as db:
            row = _one(
                db, "select * from replies where channel = ? and ts = ?", (channel, ts)
            )
            if row is None or row.state != OFFERED:
                return DUPLICATE
            verdict = self._thread_verdict(
                db, channel, ts, row.thread_ts, ANSWER, row.entry_id, thread_limit
            )
            if verdict:
                return verdict
            db.execute(
                "update replies set state = ?, kind = ?, updated = ? "
                "where channel = ? and ts = ?",
                (CLAIMED, ANSWER, now, channel, ts),
            )
        return row

    def get(self, channel: str, ts: str) -> Reply | None:
        rows = self.state.query(
            "select * from replies where channel = ? and ts = ?", (channel, ts)
        )
        return _reply(rows[0]) if rows else None

    def by_reply(self, channel: str, reply_ts: str) -> Reply | None:
        """The row whose reply is the given message (a button was clicked on it)."""
        rows = self.state.query(
            "select * from replies where channel = ? and reply_ts = ?",
            (channel, reply_ts),
        )
        return _reply(rows[0]) if rows else None

    def in_thread(self, channel: str, thread_ts: str, entry_id: str) -> Reply | None:
        """The reply that gave this entry in this thread, if one did."""
        rows = self.state.query(
            "select * from replies where channel = ? and thread_ts = ? "
            "and entry_id = ? and state = ? and kind in (?, ?) "
            "and reply_ts is not null limit 1",
            (channel, thread_ts, entry_id, POSTED, *ENTRY_KINDS),
        )
        return _reply(rows[0]) if rows else None

    def earlier_answer(
        self, channel: str, entry_id: str, since: float, thread_ts: str
    ) -> Reply | None:
        """The latest full answer with this entry in the channel, in another thread."""
        rows = self.state.query(
            "select * from replies where channel = ? and entry_id = ? and kind = ? "
            "and state = ? and updated >= ? and thread_ts != ? "
            "and reply_ts is not null order by updated desc limit 1",
            (channel, entry_id, ANSWER, POSTED, since, thread_ts),
        )
        return _reply(rows[0]) if rows else None

    def bot_answers_since(self, channel: str, since: float) -> int:
        """Answers given to other apps' posts in the channel, for the loop breaker."""
        with self.state.transaction() as db:
            return _bot_answers(db, channel, since)

    def unanswered(self, channel: str, ts: str, fingerprint: str, sample: str = "",
                   offered: str = "") -> None:
        """Remember an error the channel got no answer to (once per message).

        sample: the error line, masked, for `known-issue unanswered` to show;
        offered: the entry suggested privately to the poster, if one was.
        """
        with self.state.transaction() as db:
            db["unanswered"].insert(
                {
                    "channel": channel,
                    "ts": ts,
                    "fingerprint": fingerprint,
                    "at": self.clock(),
                    "sample": sample,
                    "offered": offered,
                },
                pk=("channel", "ts"),
                ignore=True,
                # State files written before samples were kept gain the column.
                alter=True,
            )

    def next_slot(self, channel: str, interval: float) -> float:
        """Seconds to wait before posting in the channel, keeping posts interval apart.

        The slot is reserved on the way, so concurrent posters (and processes)
        queue up instead of all waiting for the same moment.
        """
        now = self.clock()
        with self.state.transaction() as db:
            row = _one_dict(
                db, "select next_at from pace where channel = ?", (channel,)
            )
            slot = max(now, row["next_at"] if row else 0.0)
            db["pace"].upsert(
                {"channel": channel, "next_at": slot + interval}, pk="channel"
            )
        return slot - now

    def _abandoned(self, row: Reply, now: float) -> bool:
        return row.state == FAILED or (
            row.state == CLAIMED and now - row.updated > LEASE_SECONDS
        )

    def _thread_verdict(
        self,
        db,
        channel: str,
        ts: str,
        thread_ts: str,
        kind: str,
        entry_id: str | None,
        thread_limit: int | None,
    ) -> str | None:
        """REPEAT or CAPPED when the thread must not get this entry; else None."""
        if not entry_id or kind not in (*ENTRY_KINDS, OFFER):
            return None
        given = [
            r["entry_id"]
            for r in db.query(
                "select entry_id from replies where channel = ? and thread_ts = ? "
                "and ts != ? and state in (?, ?) and kind in (?, ?)",
                (channel, thread_ts, ts, CLAIMED, POSTED, *ENTRY_KINDS),
            )
        ]
        if entry_id in given:
            return REPEAT
        # An offer is private, so it never counts against the thread's answers.
        if kind != OFFER and thread_limit is not None and len(given) >= thread_limit:
            return CAPPED
        return None

    def _set(self, channel: str, ts: str, **values: object) -> None:
        values["updated"] = self.clock()
        columns = ", ".join(f"{name} = ?" for name in values)
        with self.state.transaction() as db:
            db.execute(
                f"update replies set {columns} where channel = ? and ts = ?",
                (*values.values(), channel, ts),
            )


def _one_dict(db, sql: str, params: tuple) -> dict | None:
    rows = list(db.query(sql, params))
    return rows[0] if rows else None


def _one(db, sql: str, params: tuple) -> Reply | None:
    row = _one_dict(db, sql, params)
    return _reply(row) if row else None


def _reply(row: dict) -> Reply:
    return Reply(
        channel=row["channel"],
        ts=row["ts"],
        thread_ts=row["thread_ts"],
        state=row["state"],
        kind=row["kind"],
        entry_id=row["entry_id"],
        score=row["score"] or 0.0,
        fingerprint=row["fingerprint"] or "",
        from_bot=bool(row["from_bot"]),
        reply_ts=row["reply_ts"],
        event_id=row["event_id"],
        updated=row["updated"] or 0.0,
    )


def _bot_answers(db, channel: str, since: float) -> int:
    row = _one_dict(
        db,
        "select count(*) as n from replies where channel = ? and from_bot = 1 "
        "and state in (?, ?) and updated >= ?",
        (channel, CLAIMED, POSTED, since),
    )
    return int(row["n"]) if row else 0
