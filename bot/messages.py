"""What a Slack message event is: a paste to look up, an edit of one, or noise.

Most message events in a channel are not questions. Slack reports deletions,
joins, topic changes and pins as messages; it sends `message_changed` both when
someone edits a message and when it unfurls a link in one; it echoes the bot's
own posts back. This module sorts them without calling Slack, and turns a
message's markup back into the text the person pasted. Snippet files need the
Web API, so answers.py fetches their content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SLACKBOT = "USLACKBOT"

# Subtypes that carry something someone wrote; every other subtype (deletes,
# joins, topic and purpose changes, pins, ...) is Slack talking about the channel.
PERSON_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "me_message"})
BOT_SUBTYPE = "bot_message"
EDIT_SUBTYPE = "message_changed"

# Files whose text is worth matching: snippets, and plain-text uploads.
TEXT_FILETYPES = frozenset(
    {
        "text",
        "log",
        "shell",
        "python",
        "javascript",
        "json",
        "yaml",
        "java",
        "go",
        "ruby",
        "sql",
        "markdown",
        "diff",
    }
)

_SLACK_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


@dataclass(frozen=True)
class Identity:
    """Who the bot is in this workspace, from auth.test."""

    user_id: str | None
    bot_id: str | None


@dataclass(frozen=True)
class Paste:
    """A message worth looking up, and where its answer goes."""

    channel: str
    ts: str  # the message itself: the ledger's key
    thread_ts: str  # the thread root, where any answer goes
    user: str | None
    text: str  # with Slack's markup undone
    from_bot: bool = False
    files: tuple[dict, ...] = ()  # text files to fetch and match too

    @property
    def in_thread(self) -> bool:
        return self.thread_ts != self.ts


def read_paste(event: dict, me: Identity) -> Paste | None:
    """The paste in a new message, or None when the message is not one.

    A message that mentions the bot also arrives as an app_mention; that one
    is answered, so this one is not.
    """
    if is_own(event, me) or event.get("user") == SLACKBOT:
        return None
    subtype = event.get("subtype")
    if subtype not in PERSON_SUBTYPES and subtype != BOT_SUBTYPE:
        return None
    from_bot = subtype == BOT_SUBTYPE or bool(event.get("bot_id"))

    raw = event.get("text") or ""
    if me.user_id and f"<@{me.user_id}" in raw:
        return None
    files = text_files(event)
    text = query_text(raw)
    if not text and not files:
        return None
    return _paste(event, text, from_bot, files)


def read_edit(event: dict, me: Identity) -> Paste | None:
    """The edited message of a message_changed event, if a person changed its text.

    Link unfurls and attachment updates also arrive as message_changed, with
    the text as it was; those are not edits.
    """
    if event.get("subtype") != EDIT_SUBTYPE:
        return None
    new = event.get("message") or {}
    old = event.get("previous_message") or {}
    if new.get("bot_id") or new.get("subtype") == BOT_SUBTYPE or is_own(new, me):
        return None
    if (new.get("text") or "") == (old.get("text") or ""):
        return None
    text = query_text(new.get("text") or "")
    if not text or not new.get("ts"):
        return None
    return _paste({**new, "channel": event.get("channel", "")}, text, False, ())


def is_own(event: dict, me: Identity) -> bool:
    """The bot's own post, by its bot id or its user (Bolt drops most of these
    already, but not the copies nested inside message_changed)."""
    return bool(
        (me.bot_id and event.get("bot_id") == me.bot_id)
        or (me.user_id and event.get("user") == me.user_id)
    )


def mention_text(event: dict) -> str:
    """An app_mention's text without the mention: what was asked about."""
    return query_text(event.get("text") or "")


def text_files(event: dict) -> tuple[dict, ...]:
    """The text snippets and plain-text files a message carries."""
    return tuple(
        f
        for f in event.get("files") or []
        if isinstance(f, dict)
        and f.get("id")
        and (
            f.get("mode") == "snippet"
            or f.get("filetype") in TEXT_FILETYPES
            or str(f.get("mimetype", "")).startswith("text/")
        )
    )


def query_text(slack_text: str) -> str:
    """Undo Slack's markup on a message, so lookup sees what the person pasted."""
    text = _SLACK_MARKUP.sub(_plain, slack_text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    # Fences only say "this is code", which every paste is.
    return text.replace("```", "\n").strip()


def _paste(event: dict, text: str, from_bot: bool, files: tuple[dict, ...]) -> Paste:
    ts = event.get("ts", "")
    return Paste(
        channel=event.get("channel", ""),
        ts=ts,
        # A thread_broadcast carries its thread's root like any reply does.
        thread_ts=event.get("thread_ts") or ts,
        user=event.get("user"),
        text=text,
        from_bot=from_bot,
        files=files,
    )


def _plain(markup: re.Match[str]) -> str:
    target, label = markup.group(1), markup.group(2)
    if target.startswith(("@", "!")):
        return ""  # mentions of people and of @here say nothing about the error
    if target.startswith("#"):
        return f"#{label}" if label else ""
    return label or target.removeprefix("mailto:")
