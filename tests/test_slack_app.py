"""Which messages the bot answers, where, and how: end to end through signed HTTP."""

import dataclasses
import json
import logging
import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from fake_slack import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    command_body,
    event_body,
    signed_post,
)
from slack_bolt.request import BoltRequest
from slack_rig import (
    CHATTER,
    NGINX,
    PASTE,
    PASTE_ENTRY,
    PERSON,
    REDIS,
    TLS,
    UNKNOWN_ERROR,
    UNWATCHED,
    WATCHED,
    WATCHED_BY_NAME,
    LowConfidence,
    all_text,
    blocks_of,
    decoded_blocks,
    mention,
    message,
    post_event,
    post_form,
)

from bot import render
from bot.channels import channel_rules
from bot.config import Settings
from bot.slack_app import build_app

pytest_plugins = ["fake_slack", "slack_rig"]

ROOT = Path(__file__).parent.parent


def test_matching_paste_gets_one_reply_in_its_thread(events_url, fake_slack):
    post_event(events_url, message(PASTE))

    [post] = fake_slack.posts()
    params = post["params"]
    assert params["channel"] == WATCHED
    assert params["thread_ts"] == "1700000000.000100"
    assert params["reply_broadcast"] is False
    assert params["unfurl_links"] is False and params["unfurl_media"] is False
    assert params["link_names"] is False
    assert params["text"] == "Known issue: Postgres connection refused after a failover"
    assert "PgBouncer resolved the database host once" in blocks_of(post)
    assert "sudo systemctl restart pgbouncer" in blocks_of(post)


def test_every_answer_carries_feedback_buttons(events_url, fake_slack):
    post_event(events_url, message(PASTE))

    [post] = fake_slack.posts()
    [actions] = [b for b in decoded_blocks(post) if b["type"] == "actions"]
    labels = [e["text"]["text"] for e in actions["elements"]]
    assert labels == ["Fixed it", "Not this"]


def test_paste_in_a_thread_is_answered_in_that_thread(events_url, fake_slack):
    post_event(events_url, message(PASTE, ts="5.0", thread_ts="1.0"))

    [post] = fake_slack.posts()
    assert post["params"]["thread_ts"] == "1.0"


def test_thread_broadcast_is_answered_once_under_its_root(events_url, fake_slack):
    broadcast = message(PASTE, ts="5.0", thread_ts="1.0", subtype="thread_broadcast")
    post_event(events_url, broadcast, "Ev1")
    post_event(events_url, broadcast, "Ev1", headers={"X-Slack-Retry-Num": "1"})

    [post] = fake_slack.posts()
    assert post["params"]["thread_ts"] == "1.0"
    assert post["params"]["reply_broadcast"] is False


def test_chatter_gets_no_reply(events_url, fake_slack):
    post_event(events_url, message(CHATTER))

    assert fake_slack.posts() == []


def test_unanswerable_error_is_recorded_quietly(events_url, fake_slack, settings):
    post_event(events_url, message(UNKNOWN_ERROR, ts="7.0"))
    post_event(events_url, message(CHATTER, ts="8.0"))

    assert fake_slack.posts() == [] and fake_slack.calls_to("chat.postEphemeral") == []
    rows = (
        sqlite3.connect(settings.state_db)
        .execute("select channel, ts, length(fingerprint), sample from unanswered")
        .fetchall()
    )
    assert rows == [(WATCHED, "7.0", 16,
                     "FrobnicatorException: the widget cache exploded at shard <n>")]


def test_low_match_is_offered_only_to_the_poster(start_bot, slack_kb, fake_slack):
    url = start_bot(LowConfidence(slack_kb))
    post_event(url, message(PASTE))

    assert fake_slack.posts() == []
    [offer] = fake_slack.calls_to("chat.postEphemeral")
    assert offer["params"]["user"] == PERSON
    assert "Possible match (only you can see this)" in blocks_of(offer)
    [actions] = [b for b in decoded_blocks(offer) if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions["elements"]] == [
        "Share in thread",
        "Not it",
    ]


def test_an_error_only_offered_privately_is_listed_as_unanswered(start_bot, slack_kb,
                                                                fake_slack, settings):
    from bot.unanswered import unanswered_errors

    url = start_bot(LowConfidence(slack_kb))
    post_event(url, message(PASTE, ts="9.0"))

    [row] = unanswered_errors(settings.state_db)
    assert row.offered == slack_kb.lookup(PASTE)[0].entry.id
    assert row.times == 1 and row.sample


def test_talk_that_reports_no_problem_gets_no_private_offer(start_bot, slack_kb,
                                                             fake_slack):
    url = start_bot(LowConfidence(slack_kb))
    post_event(url, message("anyone know who owns pgbouncer and the postgres "
                            "primary failover?"))

    assert fake_slack.posts() == []
    assert fake_slack.calls_to("chat.postEphemeral") == []


def test_channel_can_turn_the_low_band_off(start_bot, slack_kb, fake_slack):
    rules = channel_rules({"bands": ["high"]})
    post_event(start_bot(LowConfidence(slack_kb), channel_rules=rules), message(PASTE))

    assert fake_slack.calls_to("chat.postEphemeral") == [] and fake_slack.posts() == []


def test_unlisted_channel_answers_only_when_asked(events_url, fake_slack):
    post_event(events_url, message(PASTE, channel=UNWATCHED), "Ev1")
    assert fake_slack.posts() == []

    post_event(
        events_url, mention(f"<@{BOT_USER_ID}> {PASTE}", channel=UNWATCHED), "Ev2"
    )
    assert len(fake_slack.posts()) == 1


def test_unwatched_channel_ignores_even_mentions(start_bot, fake_slack):
    url = start_bot(channel_rules=channel_rules({WATCHED: {"watched": False}}))
    post_event(url, mention(f"<@{BOT_USER_ID}> {PASTE}"))

    assert fake_slack.calls == [
        c for c in fake_slack.calls if c["method"] == "auth.test"
    ]


def test_mention_only_channel_ignores_pastes(start_bot, fake_slack):
    url = start_bot(channel_rules=channel_rules({WATCHED: {"mention_only": True}}))
    post_event(url, message(PASTE), "Ev1")

    assert fake_slack.posts() == []


def test_channel_watched_by_name_is_resolved_once(events_url, fake_slack):
    post_event(events_url, message(PASTE, channel=WATCHED_BY_NAME), "Ev1")
    post_event(events_url, message(TLS, channel=WATCHED_BY_NAME, ts="2.0"), "Ev2")

    assert len(fake_slack.posts()) == 2
    assert len(fake_slack.calls_to("conversations.info")) == 1


def test_empty_watchlist_watches_every_channel(start_bot, fake_slack):
    post_event(start_bot(channels=frozenset()), message(PASTE, channel=UNWATCHED))

    assert len(fake_slack.posts()) == 1


@pytest.mark.parametrize(
    "extra",
    [
        {"user": BOT_USER_ID, "bot_id": BOT_ID},
        {"user": None, "bot_id": BOT_ID, "subtype": "bot_message"},
        {"user": "USLACKBOT"},
        {"subtype": "message_deleted"},
        {"subtype": "channel_join"},
        {"subtype": "channel_topic"},
        {"subtype": "channel_purpose"},
        {"subtype": "pinned_item"},
        {"subtype": "bot_message", "bot_id": "B0OTHER"},
        {"bot_id": "B0OTHER"},
    ],
    ids=[
        "own-user",
        "own-bot",
        "slackbot",
        "deleted",
        "join",
        "topic",
        "purpose",
        "pin",
        "other-app",
        "other-app-bot-id",
    ],
)
def test_messages_that_are_not_pastes_get_no_reply(events_url, fake_slack, extra):
    post_event(events_url, message(PASTE, **extra))

    assert fake_slack.posts() == [] and fake_slack.calls_to("chat.postEphemeral") == []


def test_other_apps_are_answered_where_allowed(start_bot, fake_slack):
    rules = channel_rules({WATCHED: {"answer_bots": True}})
    url = start_bot(channel_rules=rules)
    alert = message(PASTE, subtype="bot_message", bot_id="B0ALERTS", user=None)
    post_event(url, alert, "Ev1")
    # An app replying in a thread is how two bots talk forever: never answered.
    post_event(url, {**alert, "ts": "2.0", "thread_ts": "1.0", "text": TLS}, "Ev2")

    [post] = fake_slack.posts()
    assert post["params"]["thread_ts"] == "1700000000.000100"


def test_answers_to_other_apps_are_capped_per_channel(start_bot, fake_slack):
    url = start_bot(
        channel_rules=channel_rules({WATCHED: {"answer_bots": True}}), cooldown=0
    )
    for n in range(7):
        alert = message(
            PASTE, ts=f"{n + 1}.0", subtype="bot_message", bot_id="B0ALERTS"
        )
        post_event(url, alert, f"Ev{n}")

    assert len(fake_slack.posts()) == 5


def test_edit_of_an_unanswered_message_posts_nothing(events_url, fake_slack):
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": WATCHED,
        "ts": "9.0",
        "message": message(PASTE, ts="1.0", edited={"ts": "9.0"}),
        "previous_message": message(CHATTER, ts="1.0"),
    }
    post_event(events_url, edit)

    assert fake_slack.posts() == [] and fake_slack.calls_to("chat.update") == []


def test_unfurl_is_not_an_edit(events_url, fake_slack):
    post_event(events_url, message(PASTE, ts="1.0"), "Ev1")
    unfurl = {
        "type": "message",
        "subtype": "message_changed",
        "channel": WATCHED,
        "ts": "9.0",
        "message": {**message(PASTE, ts="1.0"), "attachments": [{}]},
        "previous_message": message(PASTE, ts="1.0"),
    }
    post_event(events_url, unfurl, "Ev2")

    assert len(fake_slack.posts()) == 1 and fake_slack.calls_to("chat.update") == []


def test_edit_to_another_error_updates_the_reply(events_url, fake_slack):
    post_event(events_url, message(PASTE, ts="1.0"), "Ev1")
    [first] = fake_slack.posts()
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": WATCHED,
        "ts": "9.0",
        "message": message(REDIS, ts="1.0", edited={"ts": "9.0"}),
        "previous_message": message(PASTE, ts="1.0"),
    }
    post_event(events_url, edit, "Ev2")

    assert len(fake_slack.posts()) == 1
    [update] = fake_slack.calls_to("chat.update")
    assert update["params"]["ts"] == "1800000000.000001"
    assert "Redis refuses writes" in update["params"]["text"]
    assert first["params"]["thread_ts"] == "1.0"


def test_text_snippet_is_matched_on_its_content(events_url, fake_slack):
    fake_slack.files["F0LOG"] = {"content": f"deploy log\n{PASTE}\n", "name": "db.log"}
    upload = message(
        "",
        subtype="file_share",
        files=[
            {
                "id": "F0LOG",
                "name": "<!here> db.log",
                "mode": "snippet",
                "filetype": "text",
            }
        ],
    )
    post_event(events_url, upload)

    [info] = fake_slack.calls_to("files.info")
    assert info["params"]["file"] == "F0LOG"
    [post] = fake_slack.posts()
    assert "sudo systemctl restart pgbouncer" in blocks_of(post)
    assert "from the file `&lt;!here&gt; db.log`" in all_text(post)


def test_mention_with_a_paste_is_answered_once(events_url, fake_slack):
    text = f"<@{BOT_USER_ID}> {PASTE}"
    post_event(events_url, message(text), "Ev1")
    post_event(events_url, mention(text), "Ev2")

    [post] = fake_slack.posts()
    assert "sudo systemctl restart pgbouncer" in blocks_of(post)


def test_mention_in_a_thread_answers_about_its_root(events_url, fake_slack):
    fake_slack.thread_roots["1.0"] = PASTE
    post_event(
        events_url,
        mention(f"<@{BOT_USER_ID}> what is this?", ts="3.0", thread_ts="1.0"),
    )

    [replies] = fake_slack.calls_to("conversations.replies")
    assert replies["params"]["ts"] == "1.0"
    [post] = fake_slack.posts()
    assert post["params"]["thread_ts"] == "1.0"
    assert "PgBouncer" in blocks_of(post)


def test_thread_never_gets_the_same_entry_twice(events_url, fake_slack):
    post_event(events_url, message(PASTE, ts="1.0"), "Ev1")
    post_event(events_url, message(PASTE, ts="2.0", thread_ts="1.0"), "Ev2")

    assert len(fake_slack.posts()) == 1


def test_mention_about_an_answered_thread_points_to_the_answer(events_url, fake_slack):
    fake_slack.thread_roots["1.0"] = PASTE
    post_event(events_url, message(PASTE, ts="1.0"), "Ev1")
    post_event(
        events_url, mention(f"<@{BOT_USER_ID}>", ts="3.0", thread_ts="1.0"), "Ev2"
    )

    assert len(fake_slack.posts()) == 1
    [note] = fake_slack.calls_to("chat.postEphemeral")
    assert note["params"]["text"] == render.already_answered(
        f"https://fake.slack.com/archives/{WATCHED}/p1800000000000001"
    )


def test_thread_follow_ups_are_capped(start_bot, fake_slack):
    url = start_bot(thread_followups=1)
    post_event(url, message(PASTE, ts="1.0"), "Ev1")
    post_event(url, message(REDIS, ts="2.0", thread_ts="1.0"), "Ev2")
    post_event(url, message(NGINX, ts="3.0", thread_ts="1.0"), "Ev3")

    titles = [post["params"]["text"] for post in fake_slack.posts()]
    assert titles == [
        "Known issue: Postgres connection refused after a failover",
        "Known issue: Redis refuses writes with OOM command not allowed",
    ]


def test_same_entry_again_soon_gets_a_pointer(events_url, fake_slack):
    post_event(events_url, message(PASTE, ts="1.0"), "Ev1")
    post_event(events_url, message(PASTE, ts="2.0"), "Ev2")

    first, second = fake_slack.posts()
    assert second["params"]["thread_ts"] == "2.0"
    section, *rest = [b for b in decoded_blocks(second) if b["type"] == "section"]
    permalink = f"https://fake.slack.com/archives/{WATCHED}/p1800000000000001"
    assert section["text"]["text"].startswith(
        f"Same as <{permalink}|the earlier thread>: "
    )
    # Short: the root cause and fix in brief, not the whole answer again.
    assert "Root cause" in blocks_of(second)
    assert all(len(b["text"]["text"]) <= 700 for b in rest)


def test_same_as_links_the_thread_when_slack_gives_no_permalink(
    events_url, fake_slack
):
    post_event(events_url, message(PASTE, ts="1.0"), "Ev1")
    fake_slack.answers["chat.getPermalink"] = {"ok": True}
    post_event(events_url, message(PASTE, ts="2.0"), "Ev2")

    assert fake_slack.calls_to("chat.postEphemeral") == []  # no apology
    first, second = fake_slack.posts()
    # Built the way Slack builds them; mrkdwn escapes the & in a link.
    link = (
        f"https://slack.com/archives/{WATCHED}/p1800000000000001"
        f"?thread_ts=1.0&amp;cid={WATCHED}"
    )
    section = decoded_blocks(second)[0]["text"]["text"]
    assert section.startswith(f"Same as <{link}|the earlier thread>: ")


def test_posts_in_one_channel_are_spaced(start_bot, fake_slack):
    # Slack's pace is one message a second per channel; a shorter one keeps this quick.
    assert Settings().post_interval == 1.0
    url = start_bot(post_interval=1.0)
    post_event(url, message(PASTE, ts="1.0"), "Ev1")
    post_event(url, message(REDIS, ts="2.0"), "Ev2")
    post_event(url, message(TLS, ts="3.0", channel=WATCHED_BY_NAME), "Ev3")

    first, second, elsewhere = fake_slack.posts()
    assert second["at"] - first["at"] >= 0.95
    # Another channel has its own pace: queued behind the first channel's two
    # posts it would come at least two intervals after the first.
    assert elsewhere["at"] - first["at"] < 1.9


def test_hostile_paste_cannot_mention_anyone(events_url, fake_slack):
    hostile = (
        f"<!channel> <!here> <!subteam^S0OPS> <@U0ADMIN> <#C0OPS> &lt;!everyone&gt; "
        f"{PASTE} &amp; <!everyone>"
    )
    post_event(events_url, message(hostile))

    [post] = fake_slack.posts()
    assert not re.search(r"<[!@#]", all_text(post))
    for block in decoded_blocks(post):
        for text in [block.get("text")] + block.get("elements", []):
            if text and text.get("type") == "mrkdwn":
                assert text["verbatim"] is True


def test_knowledge_that_mentions_stays_text(events_url, fake_slack):
    post_event(events_url, message(REDIS))

    [post] = fake_slack.posts()
    text = all_text(post)
    assert (
        "The alert template posted `&lt;!channel&gt;` on every retry &amp; pinged"
        in text
    )
    assert not re.search(r"<[!@#]", text)


class LongFix:
    """One entry whose fix runs to 5,000 characters, in a fence."""

    def __init__(self, kb):
        self.kb = kb

    def lookup(self, text, limit=3):
        [best] = self.kb.lookup(PASTE, 1)
        commands = "\n".join(
            f"kubectl rollout restart deploy/api-{n} && echo <ok>" for n in range(120)
        )
        snippet = f"Restart everything:\n\n```bash\n{commands}\n```"
        return [dataclasses.replace(best, snippet=snippet)]

    def entry(self, entry_id):
        return self.kb.entry(entry_id)

    def link(self, entry):
        return self.kb.link(entry)


def test_long_fix_is_cut_with_fences_closed_and_a_link(start_bot, slack_kb, fake_slack):
    post_event(start_bot(LongFix(slack_kb)), message(PASTE))

    [post] = fake_slack.posts()
    blocks = decoded_blocks(post)
    assert len(blocks) <= render.MAX_BLOCKS
    assert len(json.dumps(blocks, ensure_ascii=False)) <= render.MAX_TOTAL
    fix = [b["text"]["text"] for b in blocks if b["type"] == "section"][-1]
    assert len(fix) <= 3000 and fix.count("```") % 2 == 0
    assert fix.endswith(
        f"_Cut short here: <https://docs.example.com/known-issues#"
        f"{PASTE_ENTRY}|read the full entry>._"
    )


def test_each_lookup_logs_one_line_without_the_text(events_url, fake_slack, caplog):
    caplog.set_level(logging.INFO)
    post_event(events_url, message(PASTE))

    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.answers"]
    assert line.startswith(
        f"lookup channel=C0INCIDENT entry={PASTE_ENTRY} score=100.0 "
        "band=high latency_ms="
    )
    assert line.endswith(" reply=answer")
    assert "10.0.0.5" not in caplog.text and BOT_TOKEN not in caplog.text


@pytest.mark.parametrize(
    ("kb", "text", "expected"),
    [
        (None, PASTE, "*Known issue:* <https://docs.example.com/known-issues#"),
        ("low", PASTE, "*Possible match (low confidence):*"),
        (None, CHATTER, render.HINT),
    ],
    ids=["high", "low", "none"],
)
def test_command_responds_only_to_the_asker(
    start_bot, slack_kb, fake_slack, kb, text, expected
):
    url = start_bot(LowConfidence(slack_kb) if kb else None)
    status, _ = post_form(url, command_body(text, fake_slack.response_url()))

    assert status == 200
    [response] = fake_slack.wait_for("response_url")
    assert response["params"]["response_type"] == "ephemeral"
    assert expected in json.dumps(response["params"])


@pytest.mark.parametrize("text", ["help", "", "  HELP "])
def test_command_help_shows_usage_in_the_ack(events_url, fake_slack, text):
    status, reply = post_form(events_url, command_body(text, fake_slack.response_url()))

    assert status == 200
    assert json.loads(reply) == {
        "text": render.usage_text(),
        "response_type": "ephemeral",
    }


def test_command_reload_is_refused_to_others(start_bot, fake_slack):
    url = start_bot(reload_users=frozenset({"U0ADMIN"}))
    status, reply = post_form(url, command_body("reload", fake_slack.response_url()))

    assert json.loads(reply) == {
        "text": render.reload_denied(),
        "response_type": "ephemeral",
    }


class Reloadable(LowConfidence):
    class Report:
        def summary(self):
            return "The knowledge is up to date: no entry changed."

    def reload(self):
        return self.Report()


def test_command_reload_answers_with_the_summary(start_bot, slack_kb, fake_slack):
    url = start_bot(Reloadable(slack_kb), reload_users=frozenset({PERSON}))
    post_form(url, command_body("reload", fake_slack.response_url()))

    [response] = fake_slack.wait_for("response_url")
    assert (
        response["params"]["text"] == "The knowledge is up to date: no entry changed."
    )


def test_unsigned_request_is_rejected(events_url, fake_slack):
    status, _ = signed_post(events_url, json.dumps(message(PASTE)), secret="wrong")

    assert status == 401
    assert fake_slack.posts() == []


def _dispatch_unverified(app, body, content_type):
    """Hand Bolt a request whose timestamp makes its signature check raise,
    bypassing the HTTP layer that refuses such requests first."""
    return app.dispatch(
        BoltRequest(
            body=body,
            headers={
                "content-type": content_type,
                "x-slack-request-timestamp": "abc",
                "x-slack-signature": "v0=00",
            },
        )
    )


@pytest.mark.parametrize("kind", ["event", "command"])
def test_error_before_verification_makes_no_call(
    settings, slack_kb, fake_slack, caplog, kind
):
    app = build_app(settings, slack_kb, process_before_response=True)
    calls_before = len(fake_slack.calls)
    if kind == "event":
        forged = message(PASTE, channel="C_ANY", user="U_ANY")
        response = _dispatch_unverified(app, event_body(forged), "application/json")
    else:
        forged = command_body(PASTE, fake_slack.response_url("forged"))
        response = _dispatch_unverified(
            app, forged, "application/x-www-form-urlencoded"
        )

    assert response.status == 401
    assert fake_slack.calls[calls_before:] == []
    assert "refused a request that failed before it was verified (ValueError)" in (
        caplog.text
    )
    assert "Traceback" not in caplog.text


def test_url_verification_echoes_the_challenge(events_url):
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})
    status, reply = signed_post(events_url, body)

    assert status == 200
    assert json.loads(reply) == {"challenge": "c-123"}


# Each Web API method the app calls, and the bot scopes that allow it (any one).
SCOPES_BY_METHOD = {
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_getPermalink": set(),
    "conversations_info": {"channels:read", "groups:read"},
    "conversations_replies": {"channels:history", "groups:history"},
    "files_info": {"files:read"},
}
EVENT_NEEDS = {
    "message": (
        {"message.channels", "message.groups"},
        {"channels:history", "groups:history"},
    ),
    "app_mention": ({"app_mention"}, {"app_mentions:read"}),
}


def _app_source():
    return "\n".join(p.read_text() for p in (ROOT / "bot").glob("*.py"))


def test_manifest_covers_every_listener_and_call():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    source = _app_source()

    for event in re.findall(r'@app\.event\("(\w+)"\)', source):
        needed_events, needed_scopes = EVENT_NEEDS[event]
        assert needed_events <= events and needed_scopes <= scopes, event
    for method in set(
        re.findall(r"client\.((?:chat|conversations|files|users)_\w+)\(", source)
    ):
        allowed = SCOPES_BY_METHOD[method]
        assert not allowed or allowed & scopes, method
    assert {"channels:history", "groups:history"} <= scopes  # private channels too
    if re.search(r"app\.action\(", source):
        assert manifest["settings"]["interactivity"]["is_enabled"] is True
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/known-issue" and "commands" in scopes
