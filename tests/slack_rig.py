"""The bot under test: fixtures that build the real Bolt app against FakeSlack.

Each test gets its own state database and its own app served on waitress with
process_before_response=True, so every post has happened by the time the
signed request returns. A test module loads these with
`pytest_plugins = ["fake_slack", "slack_rig"]`.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from fake_slack import BOT_TOKEN, SIGNING_SECRET, event_body, signed_post

from bot.config import Settings
from bot.knowledge_base import open_knowledge
from bot.slack_app import build_app

KNOWLEDGE = Path(__file__).parent / "fixtures" / "slack_knowledge.md"
DOCS = "https://docs.example.com/known-issues"

WATCHED = "C0INCIDENT"
WATCHED_BY_NAME = "C0NAMED"
UNWATCHED = "C0RANDOM"
PERSON = "U0PERSON"

PASTE = (
    'psycopg2.OperationalError: connection to server at "db.internal" (10.0.0.5), '
    "port 5432 failed: Connection refused"
)
PASTE_ENTRY = "postgres-connection-refused-after-a-failover"
REDIS = "OOM command not allowed when used memory > 'maxmemory'"
NGINX = "connect() failed (111: Connection refused) while connecting to upstream"
TLS = "SSL: CERTIFICATE_VERIFY_FAILED certificate has expired"
CHATTER = "anyone up for lunch?"
UNKNOWN_ERROR = "FrobnicatorException: the widget cache exploded at shard 7"


class Delegate:
    """A knowledge base stand-in that passes everything to the real one."""

    def __init__(self, kb):
        self.kb = kb

    def lookup(self, text, limit=3):
        return self.kb.lookup(text, limit)

    def entry(self, entry_id):
        return self.kb.entry(entry_id)

    def link(self, entry):
        return self.kb.link(entry)


class LowConfidence(Delegate):
    """Every match downgraded to low, so tests of how the app treats low matches
    do not hang on where the matcher draws its lines."""

    def lookup(self, text, limit=3):
        matches = self.kb.lookup(text, limit)
        return [dataclasses.replace(m, confidence="low") for m in matches]


@pytest.fixture(scope="session")
def slack_kb(tmp_path_factory):
    db = tmp_path_factory.mktemp("slack") / "kb.db"
    settings = Settings(knowledge=[str(KNOWLEDGE)], db_path=str(db), docs_url=DOCS)
    return open_knowledge(settings)


@pytest.fixture
def settings(fake_slack, tmp_path):
    fake_slack.channel_names[WATCHED_BY_NAME] = "incidents"
    return Settings(
        channels=frozenset({WATCHED, "incidents"}),
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=fake_slack.api_url,
        state_db=str(tmp_path / "state.db"),
        # Most tests post often into one channel; pacing has its own test.
        post_interval=0.0,
    )


@pytest.fixture
def start_bot(settings, serve_bot, slack_kb):
    def start(kb=None, settings=settings, **changes):
        # Synchronous listeners: every post has happened when the response arrives.
        settings = dataclasses.replace(settings, **changes)
        app = build_app(settings, kb or slack_kb, process_before_response=True)
        return serve_bot(app) + "/slack/events"

    return start


@pytest.fixture
def events_url(start_bot):
    return start_bot()


def message(text, channel=WATCHED, ts="1700000000.000100", **extra):
    return {
        "type": "message",
        "channel": channel,
        "user": PERSON,
        "text": text,
        "ts": ts,
        "channel_type": "channel",
        **extra,
    }


def mention(text, **extra):
    return {**message(text, **extra), "type": "app_mention"}


def post_event(url, event, event_id="Ev0001", headers=None):
    status, _ = signed_post(url, event_body(event, event_id), headers=headers)
    return status


def post_form(url, body):
    return signed_post(url, body, content_type="application/x-www-form-urlencoded")


def blocks_of(call):
    blocks = call["params"].get("blocks") or []
    return json.dumps(blocks if isinstance(blocks, list) else json.loads(blocks))


def decoded_blocks(call):
    blocks = call["params"].get("blocks") or []
    return blocks if isinstance(blocks, list) else json.loads(blocks)


def all_text(call):
    """Every string Slack renders from a post: its text and every block text."""
    texts = [call["params"].get("text") or ""]
    for block in decoded_blocks(call):
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [
            e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"
        ]
    return "\n".join(texts)
