"""Exactly one reply per message, however Slack delivers it, and failures handled.

Slack redelivers events it thinks were missed (HTTP retry headers, or Socket
Mode's retry fields), sends an app_mention beside the message for a tagged
message, and may reach two bot processes; Slack itself rate-limits and refuses
blocks. Each test counts what the fake Web API accepted.
"""

import json
import logging
import threading
import time

import pytest
from fake_slack import (
    BOT_USER_ID,
    command_body,
    command_payload,
    event_envelope,
)
from fake_socket_mode import FakeSocketMode
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_rig import (
    PASTE,
    PERSON,
    WATCHED,
    Delegate,
    LowConfidence,
    all_text,
    blocks_of,
    mention,
    message,
    post_event,
    post_form,
)
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot import render
from bot.slack_app import build_app

pytest_plugins = ["fake_slack", "slack_rig"]

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def test_retries_of_a_handled_event_post_nothing(events_url, fake_slack):
    post_event(events_url, message(PASTE), "Ev1")
    for attempt in ("1", "2", "3"):
        headers = {"X-Slack-Retry-Num": attempt, "X-Slack-Retry-Reason": "http_timeout"}
        assert post_event(events_url, message(PASTE), "Ev1", headers=headers) == 200

    assert len(fake_slack.posts()) == 1


def test_retry_of_an_event_whose_first_delivery_was_lost_is_answered(
    events_url, fake_slack
):
    post_event(events_url, message(PASTE), "Ev1", headers=RETRY)

    assert len(fake_slack.posts()) == 1


def test_retry_after_a_failed_first_attempt_is_answered(events_url, fake_slack):
    fake_slack.fail("chat.postMessage", error="internal_error")
    post_event(events_url, message(PASTE), "Ev1")
    post_event(events_url, message(PASTE), "Ev1", headers=RETRY)
    post_event(events_url, message(PASTE), "Ev1", headers={"X-Slack-Retry-Num": "2"})

    assert len(fake_slack.posts()) == 1


@pytest.mark.parametrize(
    "mention_first", [True, False], ids=["mention-first", "message-first"]
)
def test_mention_and_message_give_one_reply(events_url, fake_slack, mention_first):
    text = f"<@{BOT_USER_ID}> {PASTE}"
    events = [(mention(text), "Ev1"), (message(text), "Ev2")]
    for event, event_id in events if mention_first else events[::-1]:
        post_event(events_url, event, event_id)

    assert len(fake_slack.posts()) == 1


def test_restart_against_the_same_database_posts_once(start_bot, fake_slack):
    post_event(start_bot(), message(PASTE), "Ev1")
    restarted = start_bot()
    post_event(restarted, message(PASTE), "Ev1", headers=RETRY)

    assert len(fake_slack.posts()) == 1


def test_two_processes_sharing_a_database_post_once(start_bot, fake_slack):
    # A slow post keeps the first claim open while the second process arrives.
    fake_slack.delays["chat.postMessage"] = 0.2
    urls = [start_bot(), start_bot()]
    threads = [
        threading.Thread(target=post_event, args=(url, message(PASTE), "Ev1"))
        for url in urls
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)

    assert len(fake_slack.posts()) == 1


@pytest.fixture
def socket_mode(settings, slack_kb, fake_slack):
    """The bot linked to a fake Socket Mode endpoint, acking after it has answered."""
    endpoint = FakeSocketMode()
    fake_slack.socket_url = endpoint.url
    handler = SocketModeHandler(
        build_app(settings, slack_kb, process_before_response=True), "xapp-test"
    )
    handler.connect()
    assert endpoint.wait_connected()
    yield endpoint
    endpoint.stop()
    # slack_sdk's client takes a second to close; the test need not wait for it.
    threading.Thread(target=handler.close, daemon=True).start()


def test_socket_mode_event_is_answered_and_acked(socket_mode, fake_slack):
    envelope = socket_mode.send("events_api", event_envelope(message(PASTE), "Ev1"))

    assert socket_mode.wait_ack(envelope) == {"envelope_id": envelope}
    [post] = fake_slack.posts()
    assert post["params"]["thread_ts"] == "1700000000.000100"


def test_socket_mode_redelivery_is_acked_and_posts_nothing(socket_mode, fake_slack):
    first = socket_mode.send("events_api", event_envelope(message(PASTE), "Ev1"))
    socket_mode.wait_ack(first)
    again = socket_mode.send(
        "events_api",
        event_envelope(message(PASTE), "Ev1"),
        retry_attempt=1,
        retry_reason="timeout",
    )

    assert socket_mode.wait_ack(again) is not None
    assert len(fake_slack.posts()) == 1


def test_socket_mode_retry_of_a_lost_event_is_answered(socket_mode, fake_slack):
    envelope = socket_mode.send(
        "events_api",
        event_envelope(message(PASTE), "Ev1"),
        retry_attempt=2,
        retry_reason="timeout",
    )

    assert socket_mode.wait_ack(envelope) is not None
    assert len(fake_slack.posts()) == 1


def test_socket_mode_command_is_acked_then_answered(socket_mode, fake_slack):
    payload = command_payload(PASTE, fake_slack.response_url())
    envelope = socket_mode.send("slash_commands", payload)

    assert socket_mode.wait_ack(envelope) == {"envelope_id": envelope}
    [response] = fake_slack.wait_for("response_url")
    assert "PgBouncer" in json.dumps(response["params"])


def test_rate_limited_post_is_retried_and_posted_once(events_url, fake_slack):
    fake_slack.fail(
        "chat.postMessage",
        status=429,
        error="ratelimited",
        headers={"Retry-After": "0"},
    )
    post_event(events_url, message(PASTE))

    assert len(fake_slack.calls_to("chat.postMessage")) == 2
    assert len(fake_slack.posts()) == 1


def test_invalid_blocks_fall_back_to_one_plain_reply(events_url, fake_slack):
    fake_slack.fail("chat.postMessage", error="invalid_blocks")
    post_event(events_url, message(PASTE))

    [post] = fake_slack.posts()
    assert "blocks" not in post["params"]
    assert post["params"]["thread_ts"] == "1700000000.000100"
    assert post["params"]["text"] == (
        "Known issue: Postgres connection refused after a failover "
        "(https://docs.example.com/known-issues#postgres-connection-refused-after-a-failover)"
        "\nRoot cause: PgBouncer resolved the database host once at start and kept the "
        "old primary's address after the failover, so every new connection went to a "
        "node that no longer accepts them.\n"
        "Fix: Restart PgBouncer so it resolves the new primary: sudo systemctl restart "
        "pgbouncer"
    )


class Gated(Delegate):
    """A lookup that waits until the test lets it finish."""

    def __init__(self, kb):
        super().__init__(kb)
        self.go = threading.Event()

    def lookup(self, text, limit=3):
        self.go.wait(5)
        return super().lookup(text, limit)


def test_command_acks_before_a_slow_lookup_finishes(start_bot, slack_kb, fake_slack):
    kb = Gated(slack_kb)
    url = start_bot(kb)
    started = time.monotonic()
    status, _ = post_form(url, command_body(PASTE, fake_slack.response_url()))

    # The lookup is still held, so this ack cannot have waited for it; and it came
    # well within the three seconds Slack allows.
    assert status == 200 and time.monotonic() - started < 3.0
    assert fake_slack.calls_to("response_url") == []
    kb.go.set()
    [response] = fake_slack.wait_for("response_url")
    assert "PgBouncer" in json.dumps(response["params"])


class Broken(Delegate):
    def lookup(self, text, limit=3):
        raise RuntimeError("database is locked")


def test_failing_listener_is_logged_and_the_poster_gets_an_apology(
    start_bot, slack_kb, fake_slack, caplog
):
    caplog.set_level(logging.ERROR)
    post_event(start_bot(Broken(slack_kb)), message(PASTE), "Ev9")

    assert "failed to handle message (event Ev9)" in caplog.text
    [apology] = fake_slack.calls_to("chat.postEphemeral")
    assert (
        apology["params"]["user"] == PERSON and apology["params"]["channel"] == WATCHED
    )
    assert apology["params"]["text"] == render.error_text()
    assert fake_slack.posts() == []


def test_failing_command_apologises_without_the_error(start_bot, slack_kb, fake_slack):
    post_form(
        start_bot(Broken(slack_kb)), command_body(PASTE, fake_slack.response_url())
    )

    [response] = fake_slack.wait_for("response_url")
    assert response["params"]["text"] == render.error_text()
    assert "database is locked" not in json.dumps(response["params"])


def test_listeners_use_a_client_that_retries(settings, slack_kb, fake_slack):
    app = build_app(settings, slack_kb)

    assert app.client.base_url == fake_slack.api_url
    kinds = {type(handler) for handler in app.client.retry_handlers}
    assert kinds == {ConnectionErrorRetryHandler, RateLimitErrorRetryHandler}


def test_building_the_app_logs_no_warning(settings, slack_kb, caplog, monkeypatch):
    # `serve` runs with the token in the environment, where Bolt looks too.
    monkeypatch.setenv("SLACK_BOT_TOKEN", settings.bot_token)
    caplog.set_level(logging.WARNING)
    build_app(settings, slack_kb)

    assert caplog.records == []


def test_token_slack_refuses_stops_the_build(settings, slack_kb, fake_slack):
    fake_slack.fail("auth.test", error="invalid_auth")

    with pytest.raises(SlackApiError, match="invalid_auth"):
        build_app(settings, slack_kb)
    assert len(fake_slack.calls_to("auth.test")) == 1


def test_answer_names_the_paste_line_it_matched(events_url, fake_slack):
    post_event(events_url, message(f"deploying\n{PASTE}"))

    [post] = fake_slack.posts()
    assert "Matched `psycopg2.OperationalError: connection to server at" in all_text(
        post
    )
    assert "sudo systemctl restart pgbouncer" in blocks_of(post)


def test_invalid_blocks_in_an_offer_fall_back_to_plain(start_bot, slack_kb, fake_slack):
    fake_slack.fail("chat.postEphemeral", error="invalid_blocks")
    post_event(start_bot(LowConfidence(slack_kb)), message(PASTE))

    refused, plain = fake_slack.calls_to("chat.postEphemeral")
    assert "blocks" in refused["params"] and "blocks" not in plain["params"]
    assert plain["params"]["text"].startswith("Possible match (low confidence): ")
