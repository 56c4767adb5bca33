"""The Bolt app: which Slack events the bot answers, and where the answer goes.

A paste in a watched channel gets a threaded reply only when the match is certain;
anything less stays silent, because a wrong guess in an incident channel costs more
than no guess. /known-issue and @mentions are explicit questions, so they always get
an answer. Wording lives in render.py, matching in the knowledge base, and serving
(HTTP or Socket Mode) in server.py. Nothing here runs at import time.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from . import render
from .config import Settings
from .model import CONFIDENCE_HIGH, Match

# Our own logger rather than the one Bolt hands listeners: Bolt copies the root
# level into that one when a listener is registered, so its INFO lines vanish
# whenever logging is configured after build_app().
log = logging.getLogger(__name__)

COMMAND = "/known-issue"

# Message subtypes that carry something a person typed; the rest (edits, deletes,
# joins, topic changes) are Slack talking about the channel.
PASTE_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})

# Enough to cover Slack's retry window (three retries over about five minutes) at
# any plausible channel volume, small enough to never matter for memory.
RECENT_SIZE = 2000

# Channel ids look like C0123ABCD (public) or G0123ABCD (older private channels).
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
_SLACK_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


class Lookup(Protocol):
    """What the app needs from the knowledge base (KnowledgeBase, or a test's fake)."""

    def lookup(self, text: str, limit: int = 3) -> list[Match]: ...


def build_client(settings: Settings) -> WebClient:
    """A WebClient for settings.api_url (or Slack's), retrying rate limits and drops."""
    return WebClient(
        token=settings.bot_token,
        base_url=settings.api_url or WebClient.BASE_URL,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_app(
    settings: Settings,
    kb: Lookup,
    *,
    client: WebClient | None = None,
    process_before_response: bool = False,
) -> App:
    """Build the Bolt app that answers from kb; calls auth.test once, here."""
    client = client or build_client(settings)
    app = App(
        name="known-issue",
        client=client,
        # Passed explicitly (even when empty, for Socket Mode) so that Bolt does
        # not fall back to reading the environment itself.
        signing_secret=settings.signing_secret or "",
        process_before_response=process_before_response,
    )
    watchlist = Watchlist(settings.channels, client)
    seen_events = Recent(RECENT_SIZE)
    answered = Recent(RECENT_SIZE)

    @app.middleware
    def skip_redeliveries(body: dict, next: Callable[[], None]) -> BoltResponse | None:
        # Slack redelivers an event (X-Slack-Retry-Num, or retry_attempt in Socket
        # Mode) when our ack was slow; the first delivery is already being handled.
        event_id = body.get("event_id")
        if event_id and not seen_events.add(event_id):
            return BoltResponse(status=200, body="")
        next()
        return None

    @app.event("message")
    def on_message(event: dict, context: BoltContext, client: WebClient) -> None:
        if not _is_paste(event, context.bot_user_id):
            return
        if not watchlist.watches(event["channel"]):
            return
        started = time.monotonic()
        matches = kb.lookup(query_text(event["text"]))
        best = matches[0] if matches else None

        thread_ts = event.get("thread_ts") or event["ts"]
        certain = best is not None and best.confidence == CONFIDENCE_HIGH
        # One answer per entry per thread: a pasted error often gets pasted again.
        channel = event["channel"]
        if certain and answered.add(f"{channel}:{thread_ts}:{best.entry.id}"):
            _post(client, channel, thread_ts, matches)
            _log_answer(channel, matches, started, "thread")
        else:
            _log_answer(channel, matches, started, "repeat" if certain else "silent")

    @app.event("app_mention")
    def on_mention(event: dict, client: WebClient) -> None:
        started = time.monotonic()
        channel, thread_ts = event["channel"], event.get("thread_ts") or event["ts"]
        text = query_text(event.get("text", ""))
        if not text and thread_ts != event["ts"]:
            # "@known-issue" alone in a thread asks about the message that started it.
            text = _thread_root_text(client, channel, thread_ts)
        if not text:
            client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=render.usage_text()
            )
            return

        matches = kb.lookup(text)
        _post(client, channel, thread_ts, matches)
        _log_answer(channel, matches, started, "thread")

    def ack_command(ack: Ack, command: dict) -> None:
        # Help needs no lookup, so it can ride on the acknowledgement itself.
        if _is_help(command.get("text", "")):
            ack(text=render.usage_text(), response_type="ephemeral")
        else:
            ack()

    def answer_command(command: dict, respond: Respond) -> None:
        text = query_text(command.get("text", ""))
        if _is_help(text):
            return
        started = time.monotonic()
        # Bolt logs a failed lazy listener without a traceback and tells nobody,
        # so the person who asked gets an apology here.
        try:
            matches = kb.lookup(text)
        except Exception:
            log.exception("lookup failed for %s", COMMAND)
            respond(text=render.error_text(), response_type="ephemeral")
            return
        respond(
            text=render.render_fallback(matches),
            blocks=render.render_blocks(matches),
            response_type="ephemeral",
        )
        _log_answer(command.get("channel_id", ""), matches, started, "ephemeral")

    # Lazy, so the lookup runs after Slack has its acknowledgement even when
    # process_before_response holds the HTTP response until listeners finish.
    app.command(COMMAND)(ack=ack_command, lazy=[answer_command])

    @app.error
    def log_error(error: Exception, body: dict) -> None:
        what = body.get("event", {}).get("type") or body.get("command")
        event_id = body.get("event_id", "-")
        log.error("failed to handle %s (event %s)", what, event_id, exc_info=error)

    return app


class Watchlist:
    """The channels the bot answers pastes in, named by id or by name.

    Names are resolved with conversations.info on first sight of a channel and
    cached for the life of the process. An empty watchlist watches every channel
    the bot is in, which the bot's channel membership already limits.
    """

    def __init__(self, channels: frozenset[str], client: WebClient) -> None:
        self._ids = {c for c in channels if _CHANNEL_ID.match(c)}
        self._names = set(channels) - self._ids
        self._client = client
        self._name_by_id: dict[str, str | None] = {}

    def watches(self, channel_id: str) -> bool:
        if not self._ids and not self._names:
            return True
        if channel_id in self._ids:
            return True
        return bool(self._names) and self._name_of(channel_id) in self._names

    def _name_of(self, channel_id: str) -> str | None:
        if channel_id not in self._name_by_id:
            try:
                info = self._client.conversations_info(channel=channel_id)
                self._name_by_id[channel_id] = info["channel"]["name"]
            except SlackApiError as error:
                # Cached too: a missing scope will not fix itself per message.
                log.warning(
                    "cannot resolve the name of channel %s (%s): add the channels:read"
                    " and groups:read scopes, or list channel ids in"
                    " KNOWN_ISSUE_CHANNELS",
                    channel_id,
                    error.response.get("error"),
                )
                self._name_by_id[channel_id] = None
        return self._name_by_id[channel_id]


class Recent:
    """A bounded, thread-safe set of keys, oldest forgotten first."""

    def __init__(self, size: int) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, key: str) -> bool:
        """Remember key; False when it was already remembered."""
        with self._lock:
            if key in self._keys:
                return False
            self._keys[key] = None
            if len(self._keys) > self._size:
                self._keys.popitem(last=False)
            return True


def query_text(slack_text: str) -> str:
    """Undo Slack's markup on a message, so lookup sees what the person pasted."""
    text = _SLACK_MARKUP.sub(_plain, slack_text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    # Fences only say "this is code", which every paste is.
    return text.replace("```", "\n").strip()


def _plain(markup: re.Match[str]) -> str:
    target, label = markup.group(1), markup.group(2)
    if target.startswith(("@", "!")):
        return ""  # mentions of people and of @here say nothing about the error
    if target.startswith("#"):
        return f"#{label}" if label else ""
    return label or target.removeprefix("mailto:")


def _is_paste(event: dict, bot_user_id: str | None) -> bool:
    if event.get("subtype") not in PASTE_SUBTYPES or event.get("bot_id"):
        return False
    text = event.get("text") or ""
    # A message that mentions the bot also arrives as app_mention; answer it once.
    return bool(text.strip()) and not (bot_user_id and f"<@{bot_user_id}" in text)


def _is_help(text: str) -> bool:
    return text.strip().lower() in ("", "help")


def _thread_root_text(client: WebClient, channel: str, thread_ts: str) -> str:
    replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=1)
    messages = replies.get("messages") or [{}]
    return query_text(messages[0].get("text", ""))


def _post(
    client: WebClient, channel: str, thread_ts: str, matches: list[Match]
) -> None:
    client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        text=render.render_fallback(matches),
        blocks=render.render_blocks(matches),
        unfurl_links=False,
        unfurl_media=False,
    )


def _log_answer(channel: str, matches: list[Match], started: float, reply: str) -> None:
    # Facts only: never the message text, which may hold secrets from a log.
    best = matches[0] if matches else None
    log.info(
        "lookup channel=%s entry=%s score=%.1f confidence=%s latency_ms=%d reply=%s",
        channel,
        best.entry.id if best else "-",
        best.score if best else 0.0,
        best.confidence if best else "none",
        (time.monotonic() - started) * 1000,
        reply,
    )
