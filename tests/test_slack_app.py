import dataclasses
import json
import logging
from pathlib import Path

import pytest
import yaml
from fake_slack import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    command_body,
    event_body,
    signed_post,
)
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot import render
from bot.config import Settings
from bot.knowledge_base import open_knowledge
from bot.slack_app import COMMAND, build_app, build_client, query_text

# The fake Slack and the waitress-served bot (fixtures fake_slack and serve_bot).
pytest_plugins = ["fake_slack"]

KNOWLEDGE = Path(__file__).parent / "fixtures" / "slack_knowledge.md"
DOCS = "https://docs.example.com/known-issues"

WATCHED = "C0INCIDENT"
WATCHED_BY_NAME = "C0NAMED"
UNWATCHED = "C0RANDOM"

PASTE = (
    'psycopg2.OperationalError: connection to server at "db.internal" (10.0.0.5), '
    "port 5432 failed: Connection refused"
)
CHATTER = "anyone up for lunch?"


class LowConfidence:
    """The real knowledge base with every match downgraded to low, so tests of how
    the app treats low matches do not hang on where the matcher draws its lines."""

    def __init__(self, kb):
        self.kb = kb

    def lookup(self, text, limit=3):
        matches = self.kb.lookup(text, limit)
        return [dataclasses.replace(m, confidence="low") for m in matches]


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    db = tmp_path_factory.mktemp("slack") / "kb.db"
    return open_knowledge(Settings(knowledge=[str(KNOWLEDGE)], db_path=str(db), docs_url=DOCS))


@pytest.fixture
def settings(fake_slack):
    fake_slack.channel_names[WATCHED_BY_NAME] = "incidents"
    return Settings(
        channels=frozenset({WATCHED, "incidents"}),
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=fake_slack.api_url,
    )


@pytest.fixture
def start_bot(settings, serve_bot):
    def start(kb, settings=settings):
        # Synchronous listeners: every post has happened when the response arrives.
        app = build_app(settings, kb, process_before_response=True)
        return serve_bot(app) + "/slack/events"

    return start


@pytest.fixture
def events_url(start_bot, kb):
    return start_bot(kb)


@pytest.fixture
def low_events_url(start_bot, kb):
    return start_bot(LowConfidence(kb))


def message(text, channel=WATCHED, ts="1700000000.000100", **extra):
    return {
        "type": "message",
        "channel": channel,
        "user": "U0PERSON",
        "text": text,
        "ts": ts,
        "channel_type": "channel",
        **extra,
    }


def post_event(url, event, event_id="Ev0001", headers=None):
    status, _ = signed_post(url, event_body(event, event_id), headers=headers)
    assert status == 200


def blocks_of(call):
    blocks = call["params"]["blocks"]
    return json.dumps(blocks if isinstance(blocks, list) else json.loads(blocks))


def test_matching_paste_gets_one_reply_in_its_thread(events_url, fake_slack):
    post_event(events_url, message(PASTE))

    [post] = fake_slack.calls_to("chat.postMessage")
    params = post["params"]
    assert params["channel"] == WATCHED
    assert params["thread_ts"] == "1700000000.000100"
    assert params["unfurl_links"] is False and params["unfurl_media"] is False
    assert params["text"] == "Known issue: Postgres connection refused after a failover"
    assert "PgBouncer resolved the database host once" in blocks_of(post)
    assert "sudo systemctl restart pgbouncer" in blocks_of(post)


def test_paste_in_a_thread_is_answered_in_that_thread(events_url, fake_slack):
    post_event(events_url, message(PASTE, thread_ts="1700000000.000001"))

    [post] = fake_slack.calls_to("chat.postMessage")
    assert post["params"]["thread_ts"] == "1700000000.000001"


def test_chatter_gets_no_reply(events_url, fake_slack):
    post_event(events_url, message(CHATTER))

    assert fake_slack.calls_to("chat.postMessage") == []


def test_low_confidence_match_stays_silent(low_events_url, fake_slack):
    post_event(low_events_url, message(PASTE))

    assert fake_slack.calls_to("chat.postMessage") == []


def test_unwatched_channel_gets_no_reply(events_url, fake_slack):
    post_event(events_url, message(PASTE, channel=UNWATCHED))

    assert fake_slack.calls_to("chat.postMessage") == []


def test_channel_watched_by_name_is_resolved_once(events_url, fake_slack):
    post_event(events_url, message(PASTE, channel=WATCHED_BY_NAME), "Ev1")
    post_event(events_url, message(PASTE, channel=WATCHED_BY_NAME, ts="2.0"), "Ev2")

    assert len(fake_slack.calls_to("chat.postMessage")) == 2
    assert len(fake_slack.calls_to("conversations.info")) == 1


def test_empty_watchlist_watches_every_channel(start_bot, kb, settings, fake_slack):
    url = start_bot(kb, dataclasses.replace(settings, channels=frozenset()))
    post_event(url, message(PASTE, channel=UNWATCHED))

    assert len(fake_slack.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize(
    "extra",
    [
        {"subtype": "bot_message", "bot_id": "B0OTHER"},
        {"bot_id": "B0OTHER"},
        {"user": BOT_USER_ID, "bot_id": BOT_ID},
        {"subtype": "message_changed"},
        {"subtype": "channel_join"},
    ],
    ids=["bot_message", "bot_id", "own", "edit", "join"],
)
def test_messages_that_are_not_pastes_get_no_reply(events_url, fake_slack, extra):
    post_event(events_url, message(PASTE, **extra))

    assert fake_slack.calls_to("chat.postMessage") == []


def test_slack_retry_of_a_handled_event_posts_once(events_url, fake_slack):
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    post_event(events_url, message(PASTE), "Ev0001")
    post_event(events_url, message(PASTE), "Ev0001", headers=retry)

    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_same_error_again_in_a_thread_is_answered_once(events_url, fake_slack):
    post_event(events_url, message(PASTE, ts="1.0"), "Ev1")
    post_event(events_url, message(PASTE, ts="2.0", thread_ts="1.0"), "Ev2")

    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_mention_with_a_paste_is_answered_once(events_url, fake_slack):
    text = f"<@{BOT_USER_ID}> {PASTE}"
    post_event(events_url, message(text), "Ev1")
    post_event(events_url, {**message(text), "type": "app_mention"}, "Ev2")

    [post] = fake_slack.calls_to("chat.postMessage")
    assert "sudo systemctl restart pgbouncer" in blocks_of(post)


def test_bare_mention_in_a_thread_looks_up_the_thread_root(events_url, fake_slack):
    fake_slack.thread_roots["1.0"] = PASTE
    mention = {**message(f"<@{BOT_USER_ID}>", ts="3.0", thread_ts="1.0")}
    post_event(events_url, {**mention, "type": "app_mention"})

    [replies] = fake_slack.calls_to("conversations.replies")
    assert replies["params"]["ts"] == "1.0"
    [post] = fake_slack.calls_to("chat.postMessage")
    assert post["params"]["thread_ts"] == "1.0"
    assert "PgBouncer" in blocks_of(post)


def test_mention_without_a_match_says_so(events_url, fake_slack):
    post_event(events_url, {**message(f"<@{BOT_USER_ID}> {CHATTER}"), "type": "app_mention"})

    [post] = fake_slack.calls_to("chat.postMessage")
    assert render.HINT in post["params"]["text"]


def test_each_lookup_logs_one_line_without_the_text(events_url, fake_slack, caplog):
    caplog.set_level(logging.INFO, logger="bot.slack_app")
    post_event(events_url, message(PASTE))

    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.slack_app"]
    assert line.startswith(
        "lookup channel=C0INCIDENT entry=postgres-connection-refused-after-a-failover "
    )
    assert "confidence=high" in line and "latency_ms=" in line and "reply=thread" in line
    assert "10.0.0.5" not in caplog.text


@pytest.mark.parametrize(
    ("url", "text", "expected"),
    [
        ("events_url", PASTE, "*Known issue:* <https://docs.example.com/known-issues#"),
        ("low_events_url", PASTE, "*Possible match (low confidence):*"),
        ("events_url", CHATTER, render.HINT),
    ],
    ids=["high", "low", "none"],
)
def test_command_responds_only_to_the_asker(request, fake_slack, url, text, expected):
    body = command_body(text, fake_slack.response_url())
    status, _ = signed_post(
        request.getfixturevalue(url),
        body,
        content_type="application/x-www-form-urlencoded",
    )

    assert status == 200
    [response] = fake_slack.wait_for("response_url")
    assert response["params"]["response_type"] == "ephemeral"
    assert expected in json.dumps(response["params"])


@pytest.mark.parametrize("text", ["help", "", "  HELP "])
def test_command_help_shows_usage_in_the_ack(events_url, fake_slack, text):
    body = command_body(text, fake_slack.response_url())
    status, reply = signed_post(
        events_url, body, content_type="application/x-www-form-urlencoded"
    )

    assert status == 200
    assert json.loads(reply) == {"text": render.usage_text(), "response_type": "ephemeral"}


def test_unsigned_request_is_rejected(events_url, fake_slack):
    status, _ = signed_post(events_url, event_body(message(PASTE)), secret="wrong")

    assert status == 401
    assert fake_slack.calls_to("chat.postMessage") == []


def test_url_verification_echoes_the_challenge(events_url):
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})
    status, reply = signed_post(events_url, body)

    assert status == 200
    assert json.loads(reply) == {"challenge": "c-123"}


def test_client_uses_api_url_and_retries(settings, fake_slack):
    client = build_client(settings)

    assert client.base_url == fake_slack.api_url
    kinds = {type(handler) for handler in client.retry_handlers}
    assert kinds == {ConnectionErrorRetryHandler, RateLimitErrorRetryHandler}


def test_client_defaults_to_slack():
    assert build_client(Settings()).base_url == "https://slack.com/api/"


@pytest.mark.parametrize(
    ("slack_text", "pasted"),
    [
        ("a &lt;b&gt; &amp;&amp; c", "a <b> && c"),
        ("see <https://x.io/a|x.io/a> now", "see x.io/a now"),
        ("<@U0BOT> boom", "boom"),
        ("<!here> boom in <#C0INCIDENT|incidents>", "boom in #incidents"),
        ("```Traceback: boom```", "Traceback: boom"),
    ],
)
def test_query_text_undoes_slack_markup(slack_text, pasted):
    assert query_text(slack_text) == pasted


class BrokenKnowledge:
    def lookup(self, text, limit=3):
        raise RuntimeError("database is locked")


def test_command_apologises_when_lookup_fails(start_bot, fake_slack, caplog):
    url = start_bot(BrokenKnowledge())
    body = command_body(PASTE, fake_slack.response_url())
    signed_post(url, body, content_type="application/x-www-form-urlencoded")

    [response] = fake_slack.wait_for("response_url")
    assert response["params"]["text"] == render.error_text()
    assert "database is locked" not in json.dumps(response["params"])


def test_bare_mention_outside_a_thread_gets_usage(events_url, fake_slack):
    post_event(events_url, {**message(f"<@{BOT_USER_ID}>"), "type": "app_mention"})

    [post] = fake_slack.calls_to("chat.postMessage")
    assert post["params"]["text"] == render.usage_text()
    assert post["params"]["thread_ts"] == "1700000000.000100"


def test_default_app_answers_after_acknowledging(settings, kb, serve_bot, fake_slack):
    url = serve_bot(build_app(settings, kb)) + "/slack/events"
    post_event(url, message(PASTE))

    assert len(fake_slack.wait_for("chat.postMessage")) == 1


def test_manifest_declares_what_the_listeners_need():
    manifest = yaml.safe_load((Path(__file__).parent.parent / "manifest.yml").read_text())

    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == ["app_mention", "message.channels", "message.groups"]
