"""From a message to at most one reply in its thread: decide, claim, pace, post.

Every path that speaks in a channel goes through Answers.answer(), which claims
the message in the ledger before posting and records the reply after, so no
redelivery, twin event or second process can post it twice. What is said, and
whether anything is, follows the channel's policy and the match's band: a
certain match gets the thread answer; a likely one gets a private offer to the
poster; none gets silence and a row in the unanswered table. Listeners and
their wiring live in slack_app.py, button clicks in clicks.py.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from . import ledger, render
from .channels import ChannelPolicy
from .config import Settings
from .feedback import Feedback
from .messages import Paste, query_text, text_files
from .model import CONFIDENCE_HIGH, CONFIDENCE_LOW, CONFIDENCE_NONE, Entry, Match
from .normalize import fingerprint
from .paste import headline
from .signals import is_error_line, reports_problem

log = logging.getLogger(__name__)

# Other apps' posts: at most this many answers per channel per window, and
# never inside a thread, so two bots cannot keep answering each other.
BOT_ANSWERS_PER_WINDOW = 5
BOT_WINDOW_SECONDS = 600.0

# Slack's answers to blocks it cannot render; a plain reply goes instead.
BLOCK_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long"})

# A snippet is read up to this much; an error is near the top of what is pasted.
MAX_FILE_CHARS = 20_000
MAX_FILES = 3


class Lookup(Protocol):
    """What the bot needs from the knowledge base (KnowledgeBase, or a test's fake)."""

    def lookup(self, text: str, limit: int = 3) -> list[Match]: ...

    def entry(self, entry_id: str) -> Entry | None: ...

    def link(self, entry: Entry) -> str: ...


class Policies(Protocol):
    def policy(self, channel_id: str) -> ChannelPolicy: ...


@dataclass(frozen=True)
class Asked:
    """A message and what it asks: the text looked up, and what matched."""

    paste: Paste
    matches: list[Match]
    fingerprint: str
    file_name: str = ""

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @property
    def band(self) -> str:
        return self.best.confidence if self.best else CONFIDENCE_NONE


class Answers:
    """The bot's behaviour in channels, shared by every listener thread."""

    def __init__(
        self,
        settings: Settings,
        kb: Lookup,
        replies: ledger.Ledger,
        feedback: Feedback,
        channels: Policies,
    ) -> None:
        self.settings = settings
        self.kb = kb
        self.ledger = replies
        self.feedback = feedback
        self.channels = channels

    def paste(self, client: WebClient, paste: Paste, event_id: str | None) -> str:
        """An unprompted message: answer, offer or stay silent; returns the outcome."""
        policy = self.channels.policy(paste.channel)
        if not policy.watched or policy.mention_only:
            return "unwatched"
        if paste.from_bot and not self._may_answer_bot(paste, policy):
            return "bot"

        started = time.monotonic()
        asked = self.ask(client, paste)
        if asked.band == CONFIDENCE_HIGH and CONFIDENCE_HIGH in policy.bands:
            outcome = self.answer(client, asked, event_id)
        elif (asked.band == CONFIDENCE_LOW and CONFIDENCE_LOW in policy.bands
              and reports_problem(asked.paste.text.splitlines())):
            # A private offer is still a message: talk that reports no problem
            # gets none.
            outcome = self.offer(client, asked, event_id)
            if _looks_like_error(asked.paste.text):
                # The channel got no answer: the error still wants an entry of
                # its own, or a better wording of the one offered.
                self.ledger.unanswered(paste.channel, paste.ts, asked.fingerprint,
                                       headline(asked.paste.text), offered=asked.best.entry.id)
        elif asked.band == CONFIDENCE_NONE and _looks_like_error(asked.paste.text):
            self.ledger.unanswered(paste.channel, paste.ts, asked.fingerprint,
                                   headline(asked.paste.text))
            outcome = "unanswered"
        else:
            outcome = "silent"
        self.log_lookup(paste.channel, asked.matches, started, outcome)
        return outcome

    def mention(self, client: WebClient, paste: Paste, event_id: str | None) -> str:
        """An explicit question: always answered, about the thread's root if need be."""
        if not self.channels.policy(paste.channel).watched:
            return "unwatched"
        started = time.monotonic()
        asked = self.ask(client, paste) if paste.text or paste.files else None
        if (asked is None or asked.band == CONFIDENCE_NONE) and paste.in_thread:
            root = self._thread_root(client, paste)
            asked = self.ask(client, root) if root else asked

        if asked is None:
            outcome = self._say(client, paste, event_id, ledger.USAGE, render.usage())
        elif asked.band == CONFIDENCE_NONE:
            outcome = self._say(
                client, paste, event_id, ledger.MISS, render.miss(asked.matches)
            )
        else:
            outcome = self.answer(
                client, replace(asked, paste=paste), event_id, explicit=True
            )
        self.log_lookup(paste.channel, asked.matches if asked else [], started, outcome)
        return outcome

    def ask(self, client: WebClient, paste: Paste) -> Asked:
        """Look the paste (and its text files) up, minus entries voted "Not this"."""
        text, file_name = paste.text, ""
        if paste.files:
            content, file_name = self._file_text(client, paste.files)
            text = f"{text}\n{content}".strip()
        key = fingerprint(text)
        since = time.time() - self.settings.not_this_ttl
        rejected = self.feedback.rejected(paste.channel, key, since)
        matches = [m for m in self.kb.lookup(text) if m.entry.id not in rejected]
        return Asked(replace(paste, text=text), matches, key, file_name)

    def answer(
        self,
        client: WebClient,
        asked: Asked,
        event_id: str | None,
        explicit: bool = False,
    ) -> str:
        """Post the entry in the thread, once, unless the thread has it already
        or has all its answers (a question asked outright is not capped)."""
        paste, best = asked.paste, asked.best
        assert best is not None
        limit = None if explicit else 1 + self.settings.thread_followups
        verdict = self._claim(paste, event_id, ledger.ANSWER, asked, limit)
        if verdict == ledger.REPEAT and explicit:
            self._point_to_earlier(client, paste, best.entry.id)
        if verdict != ledger.CLAIMED:
            return verdict

        try:
            kind, reply = self._compose(client, asked, explicit)
        except BaseException:
            self.ledger.failed(paste.channel, paste.ts)
            raise
        return self._post_claimed(client, paste, reply, kind)

    def offer(self, client: WebClient, asked: Asked, event_id: str | None) -> str:
        """Show a likely match to the poster alone, with Share and Not it buttons."""
        paste, best = asked.paste, asked.best
        if best is None or not paste.user or paste.from_bot:
            return "silent"
        if self._claim(paste, event_id, ledger.OFFER, asked, None) != ledger.CLAIMED:
            return "duplicate"
        try:
            reply = render.offer(best, f"{paste.channel} {paste.ts}")
            # In a thread the offer shows there; else in the channel.
            thread_ts = paste.thread_ts if paste.in_thread else None
            response = self._ephemeral(client, paste, thread_ts, reply)
        except BaseException:
            self.ledger.failed(paste.channel, paste.ts)
            raise
        self.ledger.offered(paste.channel, paste.ts, response.get("message_ts"))
        return ledger.OFFER

    def edit(self, client: WebClient, paste: Paste) -> str:
        """An edited message whose reply now names another entry gets that reply
        updated; an edit never makes a new post."""
        row = self.ledger.get(paste.channel, paste.ts)
        if (
            row is None
            or row.state != ledger.POSTED
            or row.kind not in ledger.ENTRY_KINDS
        ):
            return "edit-ignored"
        started = time.monotonic()
        asked = self.ask(client, paste)
        best = asked.best
        outcome = "edit-unchanged"
        if (
            best
            and best.confidence == CONFIDENCE_HIGH
            and best.entry.id != row.entry_id
        ):
            reply = render.answer(
                asked.matches, fixed=self.feedback.fixed_count(best.entry.id)
            )
            client.chat_update(
                channel=paste.channel,
                ts=row.reply_ts,
                text=reply.text,
                blocks=reply.blocks,
            )
            self.ledger.reanswered(paste.channel, paste.ts, best.entry.id, best.score)
            outcome = "updated"
        self.log_lookup(paste.channel, asked.matches, started, outcome)
        return outcome

    def log_lookup(
        self, channel: str, matches: list[Match], started: float, outcome: str
    ) -> None:
        """The one INFO line per handled message: facts only, never the message
        text, which may hold secrets from a log."""
        best = matches[0] if matches else None
        log.info(
            "lookup channel=%s entry=%s score=%.1f band=%s latency_ms=%d reply=%s",
            channel,
            best.entry.id if best else "-",
            best.score if best else 0.0,
            best.confidence if best else CONFIDENCE_NONE,
            (time.monotonic() - started) * 1000,
            outcome,
        )

    def post(
        self, client: WebClient, channel: str, thread_ts: str, reply: render.Reply
    ) -> str | None:
        """Post in the thread (never to the channel), paced, blocks or plain."""
        wait = self.ledger.next_slot(channel, self.settings.post_interval)
        if wait > 0:
            time.sleep(wait)
        common = {
            "channel": channel,
            "thread_ts": thread_ts,
            "reply_broadcast": False,
            "unfurl_links": False,
            "unfurl_media": False,
            "link_names": False,
            "parse": "none",
        }
        try:
            response = client.chat_postMessage(
                text=reply.text, blocks=reply.blocks or None, **common
            )
        except SlackApiError as error:
            if error.response.get("error") not in BLOCK_ERRORS or not reply.blocks:
                raise
            log.warning(
                "Slack refused the blocks in %s (%s); posting plain text",
                channel,
                error.response.get("error"),
            )
            response = client.chat_postMessage(text=reply.plain, **common)
        return response.get("ts")

    def _ephemeral(
        self,
        client: WebClient,
        paste: Paste,
        thread_ts: str | None,
        reply: render.Reply,
    ) -> SlackResponse:
        common = {"channel": paste.channel, "user": paste.user, "thread_ts": thread_ts}
        try:
            return client.chat_postEphemeral(
                text=reply.text, blocks=reply.blocks, **common
            )
        except SlackApiError as error:
            if error.response.get("error") not in BLOCK_ERRORS:
                raise
            return client.chat_postEphemeral(text=reply.plain, **common)

    def permalink(self, client: WebClient, row: ledger.Reply) -> str:
        """A link to an earlier reply, from Slack or built like Slack builds them."""
        try:
            # slack_sdk answers a missing key with None, not KeyError.
            link = client.chat_getPermalink(
                channel=row.channel, message_ts=row.reply_ts
            ).get("permalink")
        except SlackApiError:
            link = None
        if link:
            return link
        ts = (row.reply_ts or row.thread_ts).replace(".", "")
        return (
            f"https://slack.com/archives/{row.channel}/p{ts}"
            f"?thread_ts={row.thread_ts}&cid={row.channel}"
        )

    def _compose(
        self, client: WebClient, asked: Asked, explicit: bool
    ) -> tuple[str, render.Reply]:
        """The full answer, or the short pointer when the channel had it lately."""
        best = asked.best
        assert best is not None
        fixed = self.feedback.fixed_count(best.entry.id)

        # Someone who asks gets the answer itself, wherever it was given before.
        if not explicit:
            since = time.time() - self.settings.cooldown
            earlier = self.ledger.earlier_answer(
                asked.paste.channel, best.entry.id, since, asked.paste.thread_ts
            )
            if earlier is not None:
                link = self.permalink(client, earlier)
                return ledger.SAME, render.same_as(best, link, fixed=fixed)

        reply = render.answer(asked.matches, fixed=fixed, file_name=asked.file_name)
        return ledger.ANSWER, reply

    def _claim(
        self,
        paste: Paste,
        event_id: str | None,
        kind: str,
        asked: Asked | None,
        thread_limit: int | None,
    ) -> str:
        best = asked.best if asked else None
        return self.ledger.claim(
            paste.channel,
            paste.ts,
            thread_ts=paste.thread_ts,
            kind=kind,
            event_id=event_id,
            entry_id=best.entry.id if best else None,
            score=best.score if best else 0.0,
            fingerprint=asked.fingerprint if asked else "",
            from_bot=paste.from_bot,
            thread_limit=thread_limit,
            bot_limit=(time.time() - BOT_WINDOW_SECONDS, BOT_ANSWERS_PER_WINDOW),
        )

    def _say(
        self,
        client: WebClient,
        paste: Paste,
        event_id: str | None,
        kind: str,
        reply: render.Reply,
    ) -> str:
        """Post a reply that names no entry (usage, a miss), once per message."""
        if self._claim(paste, event_id, kind, None, None) != ledger.CLAIMED:
            return ledger.DUPLICATE
        return self._post_claimed(client, paste, reply, kind)

    def _post_claimed(self, client: WebClient, paste: Paste, reply: render.Reply,
                      kind: str) -> str:
        """Post the reply to a message this process claimed, and record how it went.

        A failed post releases the claim, so that Slack's redelivery retries it.
        """
        try:
            reply_ts = self.post(client, paste.channel, paste.thread_ts, reply)
        except BaseException:
            self.ledger.failed(paste.channel, paste.ts)
            raise
        self.ledger.posted(paste.channel, paste.ts, reply_ts, kind)
        return kind

    def _point_to_earlier(self, client: WebClient, paste: Paste, entry_id: str) -> None:
        earlier = self.ledger.in_thread(paste.channel, paste.thread_ts, entry_id)
        if earlier is None or not paste.user:
            return
        client.chat_postEphemeral(
            channel=paste.channel,
            user=paste.user,
            thread_ts=paste.thread_ts,
            text=render.already_answered(self.permalink(client, earlier)),
        )

    def _may_answer_bot(self, paste: Paste, policy: ChannelPolicy) -> bool:
        if not policy.answer_bots or paste.in_thread:
            return False
        since = time.time() - BOT_WINDOW_SECONDS
        return (
            self.ledger.bot_answers_since(paste.channel, since) < BOT_ANSWERS_PER_WINDOW
        )

    def _thread_root(self, client: WebClient, paste: Paste) -> Paste | None:
        replies = client.conversations_replies(
            channel=paste.channel, ts=paste.thread_ts, limit=1
        )
        root = (replies.get("messages") or [{}])[0]
        text, files = query_text(root.get("text") or ""), text_files(root)
        if not text and not files:
            return None
        return replace(paste, text=text, files=files)

    def _file_text(self, client: WebClient, files: tuple[dict, ...]) -> tuple[str, str]:
        """The text of a message's snippets, and the first one's name."""
        texts = []
        for shared in files[:MAX_FILES]:
            try:
                info = client.files_info(file=shared["id"])
                found = info.get("file") or {}
                content = info.get("content") or found.get("plain_text") or ""
                texts.append(content or found.get("preview") or "")
            except SlackApiError as error:
                # The event's preview is the first lines; better than nothing.
                log.warning(
                    "cannot read file %s (%s): the app needs files:read",
                    shared["id"],
                    error.response.get("error"),
                )
                texts.append(shared.get("preview") or "")
        name = files[0].get("name") or files[0].get("title") or ""
        return "\n".join(texts)[:MAX_FILE_CHARS], name


def _looks_like_error(text: str) -> bool:
    """Worth keeping as an unanswered error (chatter is not)."""
    return any(is_error_line(line) for line in text.splitlines())
