import pytest

from bot.messages import Identity, query_text, read_edit, read_paste, text_files

ME = Identity(user_id="U0BOT", bot_id="B0BOT")


def message(**extra):
    return {
        "type": "message",
        "channel": "C1",
        "user": "U1",
        "text": "boom",
        "ts": "2.0",
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "is_paste"),
    [
        ({}, True),
        ({"subtype": "file_share"}, True),
        ({"subtype": "thread_broadcast", "thread_ts": "1.0"}, True),
        ({"subtype": "bot_message", "bot_id": "B0OTHER", "user": None}, True),
        ({"bot_id": "B0BOT"}, False),
        ({"user": "U0BOT"}, False),
        ({"user": "USLACKBOT"}, False),
        ({"subtype": "message_deleted"}, False),
        ({"subtype": "channel_join"}, False),
        ({"subtype": "channel_topic"}, False),
        ({"subtype": "message_changed"}, False),
        ({"text": "<@U0BOT> boom"}, False),
        ({"text": "   "}, False),
    ],
)
def test_which_messages_are_pastes(extra, is_paste):
    assert (read_paste(message(**extra), ME) is not None) is is_paste


def test_other_apps_are_marked():
    assert read_paste(message(bot_id="B0OTHER"), ME).from_bot is True


def test_broadcast_is_answered_under_its_root():
    paste = read_paste(message(subtype="thread_broadcast", thread_ts="1.0"), ME)

    assert (paste.ts, paste.thread_ts, paste.in_thread) == ("2.0", "1.0", True)


def changed(new, old):
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": "C1",
        "message": new,
        "previous_message": old,
    }


def test_edit_is_read_with_the_original_ts():
    edit = read_edit(changed(message(text="new"), message(text="old")), ME)

    assert (edit.channel, edit.ts, edit.text) == ("C1", "2.0", "new")


@pytest.mark.parametrize(
    "new",
    [
        message(attachments=[{}]),
        message(text="new", bot_id="B0BOT"),
        message(text="new", bot_id="B0OTHER"),
    ],
    ids=["unfurl", "own", "other-app"],
)
def test_unfurls_and_bot_edits_are_not_edits(new):
    assert read_edit(changed(new, message()), ME) is None


def test_snippets_and_text_files_are_read():
    files = [
        {"id": "F1", "mode": "snippet"},
        {"id": "F2", "mimetype": "text/plain"},
        {"id": "F3", "mimetype": "image/png"},
        {"name": "no id", "mode": "snippet"},
    ]

    assert [f["id"] for f in text_files({"files": files})] == ["F1", "F2"]


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
