"""The bot's buttons: Share in thread and Not it on a private offer, Fixed it and
Not this on every answer. Clicks arrive signed at /slack/events like Slack's."""

import json
import sqlite3

import pytest
from fake_slack import action_body
from slack_rig import (
    PASTE,
    PASTE_ENTRY,
    PERSON,
    WATCHED,
    WATCHED_BY_NAME,
    LowConfidence,
    all_text,
    decoded_blocks,
    message,
    post_event,
    post_form,
)

from bot import render

pytest_plugins = ["fake_slack", "slack_rig"]

OFFER = f"{WATCHED} 1700000000.000100"


@pytest.fixture
def offered(start_bot, slack_kb, fake_slack):
    """A bot that offered PASTE's match privately; returns its events URL."""
    url = start_bot(LowConfidence(slack_kb))
    post_event(url, message(PASTE))
    assert len(fake_slack.calls_to("chat.postEphemeral")) == 1
    return url


def click(url, fake_slack, action_id, value=OFFER, user=PERSON, **where):
    where = {"channel": WATCHED, "message_ts": "1800000000.000001", **where}
    body = action_body(
        action_id,
        value,
        user=user,
        ephemeral=action_id in (render.ACTION_SHARE, render.ACTION_DISMISS),
        response_url=fake_slack.response_url(f"click-{user}"),
        **where,
    )
    status, _ = post_form(url, body)
    assert status == 200


def test_share_posts_the_match_in_the_thread_once(offered, fake_slack):
    click(offered, fake_slack, render.ACTION_SHARE)
    click(offered, fake_slack, render.ACTION_SHARE)

    [post] = fake_slack.posts()
    assert post["params"]["thread_ts"] == "1700000000.000100"
    assert post["params"]["reply_broadcast"] is False
    assert "Possible match (low confidence)" in post["params"]["text"]
    first, second = fake_slack.calls_to("response_url")
    assert first["params"]["delete_original"] is True
    assert second["params"]["text"] == render.offer_taken()


def test_not_it_dismisses_the_offer(offered, fake_slack):
    click(offered, fake_slack, render.ACTION_DISMISS)
    click(offered, fake_slack, render.ACTION_SHARE)

    assert fake_slack.posts() == []
    dismissed, refused = fake_slack.calls_to("response_url")
    assert dismissed["params"]["delete_original"] is True
    assert refused["params"]["text"] == render.offer_taken()


def test_forged_offer_value_does_nothing(offered, fake_slack):
    click(offered, fake_slack, render.ACTION_SHARE, value="<!channel> 1.0")

    assert fake_slack.posts() == [] and fake_slack.calls_to("response_url") == []


@pytest.fixture
def answered(events_url, fake_slack):
    """A bot that answered PASTE in its thread; returns (url, the answer's message)."""
    post_event(events_url, message(PASTE))
    [post] = fake_slack.posts()
    return events_url, {
        "ts": "1800000000.000001",
        "text": post["params"]["text"],
        "blocks": decoded_blocks(post),
    }


def vote(url, fake_slack, answer, action_id, user):
    click(url, fake_slack, action_id, value=PASTE_ENTRY, user=user, message=answer)


def test_fixed_it_counts_one_vote_per_person(answered, fake_slack, settings):
    url, answer = answered
    vote(url, fake_slack, answer, render.ACTION_FIXED, "U0ANN")
    vote(url, fake_slack, answer, render.ACTION_FIXED, "U0ANN")
    vote(url, fake_slack, answer, render.ACTION_FIXED, "U0BOB")

    thanks = [c["params"]["text"] for c in fake_slack.calls_to("response_url")]
    assert thanks == [
        "Thanks, counted: this answer fixed it for you.",
        "Your vote on this answer is already counted.",
        "Thanks, counted: this answer fixed it for you.",
    ]
    first, last = fake_slack.calls_to("chat.update")
    assert render.fixed_count_text(1) in json.dumps(first["params"])
    assert render.fixed_count_text(2) in json.dumps(last["params"])
    assert last["params"]["ts"] == "1800000000.000001"
    votes = (
        sqlite3.connect(settings.state_db)
        .execute("select user, entry_id, vote from votes order by user")
        .fetchall()
    )
    assert votes == [("U0ANN", PASTE_ENTRY, "fixed"), ("U0BOB", PASTE_ENTRY, "fixed")]


def test_answers_show_how_many_it_fixed(answered, fake_slack):
    url, answer = answered
    vote(url, fake_slack, answer, render.ACTION_FIXED, "U0ANN")
    post_event(url, message(PASTE, channel=WATCHED_BY_NAME, ts="5.0"), "Ev2")

    later = fake_slack.posts()[-1]
    assert render.fixed_count_text(1) in all_text(later)


def test_not_this_stops_the_entry_for_that_error_in_that_channel(answered, fake_slack):
    url, answer = answered
    vote(url, fake_slack, answer, render.ACTION_NOT_THIS, "U0ANN")
    # The same error again (its volatile parts differ): not offered here...
    again = PASTE.replace("10.0.0.5", "10.0.0.9")
    post_event(url, message(again, ts="2.0"), "Ev2")
    # ...but still answered elsewhere.
    post_event(url, message(again, channel=WATCHED_BY_NAME, ts="3.0"), "Ev3")

    posts = fake_slack.posts()
    assert [p["params"]["channel"] for p in posts] == [WATCHED, WATCHED_BY_NAME]
    [thanks] = fake_slack.calls_to("response_url")
    assert thanks["params"]["text"] == (
        'Thanks. I won\'t offer "Postgres connection refused after a failover" '
        "for this error in this channel for 7 days."
    )


def test_not_this_expires(start_bot, fake_slack):
    url = start_bot(not_this_ttl=0.0)
    post_event(url, message(PASTE))
    [post] = fake_slack.posts()
    answer = {"ts": "1800000000.000001", "blocks": decoded_blocks(post)}
    vote(url, fake_slack, answer, render.ACTION_NOT_THIS, "U0ANN")
    post_event(url, message(PASTE, ts="2.0"), "Ev2")

    assert len(fake_slack.posts()) == 2


def test_vote_on_an_unknown_message_is_not_counted(answered, fake_slack):
    url, answer = answered
    click(
        url,
        fake_slack,
        render.ACTION_FIXED,
        value=PASTE_ENTRY,
        user="U0ANN",
        message_ts="9.9",
        message=answer,
    )

    [reply] = fake_slack.calls_to("response_url")
    assert reply["params"]["text"] == render.vote_unknown()
    assert fake_slack.calls_to("chat.update") == []
