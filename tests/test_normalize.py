"""What a paste looks like once Slack, terminals and log prefixes are taken off."""

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.normalize import (clean, fingerprint, is_frame, mask, paste_lines, undo_slack,
                           weighted_tokens)


@pytest.mark.parametrize("slack, typed", [
    ("a &lt;b&gt; &amp;lt;", "a <b> &lt;"),
    ("see <https://x.example/a|the docs>", "see the docs"),
    ("see <https://x.example/a>", "see https://x.example/a"),
    ("<@U123ABC> help <!here>", "  help  "),
    ("<#C0123|incidents> is noisy", "  is noisy"),
])
def test_slack_markup_is_undone_exactly_once(slack, typed):
    assert undo_slack(slack) == typed


def test_code_fences_and_ansi_colours_are_dropped():
    text = clean("```\n\x1b[31mError: boom\x1b[0m\n```")

    assert "```" not in text
    assert "Error: boom" in text
    assert "\x1b" not in text


@pytest.mark.parametrize("line, expected", [
    ("web  | Error: EACCES: permission denied", "Error: EACCES: permission denied"),
    ("[0] Error: boom", "Error: boom"),
    ("2026-02-24T10:11:12.123Z Error: boom", "Error: boom"),
    ("│ Error: Error acquiring the state lock", "Error: Error acquiring the state lock"),
    ("2026/02/24 10:11:12 [emerg] 1#1: unknown directive", "[emerg] 1#1: unknown directive"),
    ("0|web  | 2026-06-02T11:40:13: A body was ignored", "A body was ignored"),
    ("#11 115.8  ⚠ Restarted static page generation", "⚠ Restarted static page generation"),
])
def test_log_prefixes_are_stripped(line, expected):
    assert paste_lines(line) == [expected]


@pytest.mark.parametrize("line", [
    "    at async getCourses (webpack-internal:///(rsc)/./lib/api.ts:31:17)",
    '  File "/app/scripts/migrate.py", line 3, in <module>',
    "  18 |   const x = 1",
    "18            [(ngModel)]=\"user.password\"",
    '<input type="text" [ERROR ->][(ngModel)] ="data"/>',
    "</div>",
    "./app/(marketing)/page.tsx:3:1",
    "./node_modules/@protobufjs/inquire/index.js",
    "<li><cmp-nine></cmp-nine></li>",
    "/blog/[slug]: /blog/modern-javascript",
    "/changelog",
])
def test_stack_and_code_frames_are_recognised(line):
    assert is_frame(line)


@pytest.mark.parametrize("line", [
    "TypeError: Failed to parse URL from /api/v1/api/v1/courses/",
    "500  Internal Server Error",
    "/api/users returned 500",
    "<my-app> is not a known element",
])
def test_an_error_line_is_not_a_frame(line):
    assert not is_frame(line)


@pytest.mark.parametrize("volatile, placeholder", [
    ("i-0f1e2d3c4b5a69788", "<awsid>"),
    ("arn:aws:sts::111122223333:assumed-role/web-role/i-0f1e2d3c4b5a69788", "<arn>"),
    ("10.0.0.5", "<ip>"),
    ("ec2-18-220-31-7.us-east-2.compute.amazonaws.com", "<host>"),
    ("3f2a9c1e-0b7d-4a55-9e61-2c8d5f0a1b77", "<uuid>"),
    ("2026-02-24T10:11:12Z", "<date>"),
    ("deadbeef1234", "<hex>"),
    ("https://example.com/a/b?c=d", "<url>"),
])
def test_volatile_parts_become_placeholders(volatile, placeholder):
    assert placeholder in mask(f"failed for {volatile} today")
    assert volatile not in mask(f"failed for {volatile} today")


def test_a_path_loses_its_home_directory_but_keeps_what_it_names():
    assert mask("mkdir '/home/dev/app/.next/cache'") == "mkdir '<path>/app/.next/cache'"
    assert mask(r"open C:\Users\bob\app\src\x.ts") == "open <path>/app/src/x.ts"


def test_a_very_deep_path_keeps_its_last_parts():
    assert mask("/srv/a/b/c/d/e/lib/api.ts") == "<path>/d/e/lib/api.ts"


_TEMPLATE = "ssh: connect to host {host} port {port}: Connection timed out at {ts} on {iid}"


@settings(max_examples=60, deadline=None)
@given(
    st.ip_addresses(v=4).map(str), st.ip_addresses(v=4).map(str),
    st.integers(1, 65535), st.integers(1, 65535),
    st.datetimes(min_value=datetime(1970, 1, 1)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S")),
    st.text("0123456789abcdef", min_size=17, max_size=17),
)
def test_pastes_differing_only_in_volatile_parts_share_a_fingerprint(
        host1, host2, port1, port2, ts, iid):
    one = _TEMPLATE.format(host=host1, port=port1, ts=ts, iid="i-" + iid)
    two = _TEMPLATE.format(host=host2, port=port2, ts="2020-01-01T00:00:00",
                           iid="i-0123456789abcdef0")

    assert fingerprint(one) == fingerprint(two)


def test_different_errors_get_different_fingerprints():
    assert fingerprint("unknown directive gzip_level") != fingerprint(
        "unknown directive gzip_comp")


@pytest.mark.parametrize("printed, documented", [
    ("Cannot instantiate cyclic", "Circular"),
    ("cycles would need to be created", "circular"),
    ("failed to initialise", "initialize"),
    ("Unrecognised", "unknown"),
    ("did not match", "mismatches"),
    ("could not be found", "cannot find"),
])
def test_a_tool_and_its_docs_that_word_one_thing_differently_share_words(
        printed, documented):
    assert set(weighted_tokens(mask(printed))) & set(weighted_tokens(mask(documented)))


@pytest.mark.parametrize("printed, documented", [
    ("did not match any elements", "the selector mismatches the tag"),
    ("The pipe could not be found", "cannot find the pipe"),
    ("isn't a known property", "unknown property"),
])
def test_a_denial_is_a_word_of_its_own(printed, documented):
    denied = {w for w in weighted_tokens(mask(printed)) if w.startswith("not_")}

    assert denied
    assert denied <= set(weighted_tokens(mask(documented)))


def test_saying_a_thing_is_not_denying_it():
    assert not any(w.startswith("not_") for w in weighted_tokens(mask("module found")))


def test_a_code_frames_line_number_is_not_taken_for_a_compose_prefix():
    lines = paste_lines("Type error: Property 'title' does not exist\n"
                        "  12 |   return <h1>{props.title}</h1>")

    assert [is_frame(line) for line in lines] == [False, True]


def test_an_http_status_is_kept_as_a_word_of_its_own():
    assert mask("HTTP probe failed with statuscode: 500") == \
        "HTTP probe failed with statuscode: http500"
    assert fingerprint("Request failed with status code 502") != fingerprint(
        "Request failed with status code 404")
    assert fingerprint("Request 17 failed with status code 502") == fingerprint(
        "Request 18 failed with status code 502")


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"[a-z][a-z0-9_.]{0,20}", fullmatch=True),
       st.from_regex(r"[a-z][a-z0-9_.]{0,20}", fullmatch=True))
def test_pastes_differing_only_in_quoted_values_share_a_fingerprint(user, database):
    one = f'FATAL:  password authentication failed for user "{user}" on "{database}"'
    two = 'FATAL:  password authentication failed for user "app" on "orders"'

    assert fingerprint(one) == fingerprint(two)
