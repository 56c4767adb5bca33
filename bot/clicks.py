"""What the bot's buttons do: Share in thread, Not it, Fixed it and Not this.

Clicks arrive as Slack interactivity requests on the same endpoint as events.
The private offer's buttons carry the offered message ("<channel> <ts>") in
their value; the answer's buttons are found by the message they sit on. Every
decision that must happen once (sharing an offer, counting a vote) is taken in
the state database, so double clicks and two processes agree.
"""

from __future__ import annotations

import logging
import re

from slack_bolt import Respond
from slack_sdk import WebClient

from . import ledger, render
from .answers import Answers
from .feedback import FIXED, NOT_THIS
from .model import CONFIDENCE_LOW, Match

log = logging.getLogger(__name__)

_OFFER_VALUE = re.compile(r"^([CG][A-Z0-9]+) (\d+\.\d+)$")


class Clicks:
    """Button handlers over the same ledger and votes as the answers."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        self.ledger = answers.ledger
        self.feedback = answers.feedback

    def share(self, body: dict, client: WebClient, respond: Respond) -> str:
        """Post a privately offered match in the thread, once, then remove the offer."""
        where = _offered(body)
        if where is None:
            return "invalid"
        channel, ts = where
        limit = 1 + self.answers.settings.thread_followups
        taken = self.ledger.take_offer(channel, ts, limit)
        if isinstance(taken, str):
            respond(text=render.offer_taken(), replace_original=True)
            return taken

        entry = self.answers.kb.entry(taken.entry_id or "")
        if entry is None:
            self.ledger.dismissed(channel, ts)
            respond(text=render.offer_gone(), replace_original=True)
            return "gone"
        match = Match(
            entry, taken.score, CONFIDENCE_LOW, entry.fix, self.answers.kb.link(entry)
        )
        try:
            reply = render.answer([match], fixed=self.feedback.fixed_count(entry.id))
            reply_ts = self.answers.post(client, channel, taken.thread_ts, reply)
        except BaseException:
            # Back to an offer, so the button works again once Slack does.
            self.ledger.offered(channel, ts, taken.reply_ts)
            raise
        self.ledger.posted(channel, ts, reply_ts, ledger.ANSWER)
        respond(delete_original=True)
        return "shared"

    def dismiss(self, body: dict, respond: Respond) -> str:
        """Remove the offer; it counts as "Not this" from the poster."""
        where = _offered(body)
        if where is not None:
            channel, ts = where
            row = self.ledger.get(channel, ts)
            if row is not None and row.state == ledger.OFFERED and row.entry_id:
                self.ledger.dismissed(channel, ts)
                self.feedback.vote(
                    channel,
                    ts,
                    _user(body),
                    entry_id=row.entry_id,
                    fingerprint=row.fingerprint,
                    vote=NOT_THIS,
                )
        respond(delete_original=True)
        return "dismissed"

    def vote(self, body: dict, client: WebClient, respond: Respond, vote: str) -> str:
        """Count a Fixed it or Not this on an answer; one vote per person."""
        container = body.get("container") or {}
        channel, reply_ts = container.get("channel_id"), container.get("message_ts")
        row = self.ledger.by_reply(channel, reply_ts) if channel and reply_ts else None
        if row is None or not row.entry_id:
            respond(
                text=render.vote_unknown(),
                response_type="ephemeral",
                replace_original=False,
            )
            return "unknown"

        changed = self.feedback.vote(
            channel,
            reply_ts,
            _user(body),
            entry_id=row.entry_id,
            fingerprint=row.fingerprint,
            vote=vote,
        )
        entry = self.answers.kb.entry(row.entry_id)
        days = self.answers.settings.not_this_ttl / 86400
        respond(
            text=render.vote_thanks(
                vote,
                changed=changed,
                days=days,
                title=entry.title if entry else row.entry_id,
            ),
            response_type="ephemeral",
            replace_original=False,
        )
        if changed:
            self._show_fixed_count(client, body, channel, reply_ts, row.entry_id)
        log.info(
            "vote channel=%s entry=%s vote=%s counted=%s",
            channel,
            row.entry_id,
            vote,
            changed,
        )
        return vote if changed else "repeat-vote"

    def _show_fixed_count(
        self, client: WebClient, body: dict, channel: str, reply_ts: str, entry_id: str
    ) -> None:
        message = body.get("message") or {}
        if not message.get("blocks"):
            return
        count = self.feedback.fixed_count(entry_id)
        client.chat_update(
            channel=channel,
            ts=reply_ts,
            text=message.get("text") or render.fixed_count_text(count),
            blocks=render.with_fixed_count(message["blocks"], count),
        )


def _offered(body: dict) -> tuple[str, str] | None:
    actions = body.get("actions") or [{}]
    found = _OFFER_VALUE.match(str(actions[0].get("value", "")))
    return (found.group(1), found.group(2)) if found else None


def _user(body: dict) -> str:
    return str((body.get("user") or {}).get("id", ""))


VOTE_ACTIONS = {render.ACTION_FIXED: FIXED, render.ACTION_NOT_THIS: NOT_THIS}
