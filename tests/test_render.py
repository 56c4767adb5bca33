import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import render
from bot.model import Entry, Match

URL = "https://docs.example.com/known-issues#pg-refused"


def make_match(
    title="Postgres connection refused after a failover",
    confidence="high",
    score=92.4,
    url=URL,
    snippet="Restart PgBouncer:\n\n```bash\nsudo systemctl restart pgbouncer\n```",
    **fields,
):
    fields = {
        "severity": "High",
        "date": "2025-01-10",
        "root_cause": "PgBouncer kept the **old** primary's address.",
        **fields,
    }
    entry = Entry(id="pg-refused", title=title, source="known.md", line=7, **fields)
    return Match(
        entry=entry, score=score, confidence=confidence, snippet=snippet, url=url
    )


def all_text(blocks):
    """Every string Slack will render from the blocks, in one string."""
    texts = []
    for block in blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [element["text"] for element in block.get("elements", [])]
    return "\n".join(texts)


def sections(blocks):
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def test_render_text_reads_as_a_reply():
    other = make_match(
        title="PgBouncer pool exhausted", url="known.md:40", confidence="low"
    )

    assert render.render_text([make_match(), other]) == (
        "Known issue: Postgres connection refused after a failover\n"
        f"{URL}\n"
        "Severity: High · Date: 2025-01-10 · Score: 92 (high confidence)\n"
        "\n"
        "Root cause:\n"
        "PgBouncer kept the **old** primary's address.\n"
        "\n"
        "Fix:\n"
        "Restart PgBouncer:\n"
        "\n"
        "```bash\n"
        "sudo systemctl restart pgbouncer\n"
        "```\n"
        "\n"
        "Also possibly:\n"
        "- PgBouncer pool exhausted (known.md:40)"
    )


def test_render_text_for_a_miss_quotes_the_paste_and_lists_closest():
    closest = make_match(confidence="none", score=14)

    assert render.render_text([closest], query="boom: it broke\nat line 2") == (
        'No known issue matches "boom: it broke".\n'
        f"{render.HINT}\n"
        "\n"
        "Closest entries:\n"
        f"- Postgres connection refused after a failover ({URL})"
    )


def test_render_text_without_matches_or_query():
    assert render.render_text([]) == f"No known issue matches that.\n{render.HINT}"


def test_render_blocks_for_a_match():
    blocks = render.render_blocks([make_match()])

    assert [b["type"] for b in blocks] == ["section", "context", "section", "section"]
    assert sections(blocks) == [
        f"*Known issue:* <{URL}|Postgres connection refused after a failover>",
        "*Root cause*\nPgBouncer kept the *old* primary's address.",
        "*Fix*\nRestart PgBouncer:\n\n```\nsudo systemctl restart pgbouncer\n```",
    ]
    assert blocks[1]["elements"][0]["text"] == (
        "Severity: High · Date: 2025-01-10 · Score: 92 (high confidence)"
    )


def test_low_confidence_is_labelled_as_a_possible_match():
    match = make_match(confidence="low")

    assert sections(render.render_blocks([match]))[0].startswith(
        "*Possible match (low confidence):*"
    )
    assert render.render_fallback([match]).startswith(
        "Possible match (low confidence):"
    )


def test_runner_ups_are_links_in_a_context_block():
    others = [
        make_match(title=f"Other {n}", url=f"{URL}-{n}", confidence="low")
        for n in (1, 2)
    ]
    blocks = render.render_blocks([make_match(), *others])

    assert blocks[-1] == {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": f"Also possibly: <{URL}-1|Other 1> · <{URL}-2|Other 2>",
                "verbatim": True,
            }
        ],
    }


def test_entry_without_a_web_link_shows_its_source():
    blocks = render.render_blocks([make_match(url="knowledge/known.md:7")])

    assert sections(blocks)[0] == (
        "*Known issue:* Postgres connection refused after a failover "
        "(knowledge/known.md:7)"
    )


def test_miss_blocks_give_the_hint_and_closest_entries():
    blocks = render.render_blocks([make_match(confidence="none")])

    assert sections(blocks) == [f"No known issue matches that. {render.HINT}"]
    assert blocks[1]["elements"][0]["text"] == (
        f"Closest entries: <{URL}|Postgres connection refused after a failover>"
    )
    assert render.render_fallback([]) == f"No known issue matches that. {render.HINT}"


def test_usage_names_the_command():
    assert render.usage_text().startswith("*Usage:* `/known-issue PASTED ERROR`")


def test_escape_escapes_each_control_character_once():
    assert render.escape("a & <b> &amp;") == "a &amp; &lt;b&gt; &amp;amp;"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**bold** and *em*", "*bold* and _em_"),
        (
            "see [the runbook](https://x.io/a?b=1&c=2)",
            "see <https://x.io/a?b=1&amp;c=2|the runbook>",
        ),
        ("see <https://x.io/a>", "see <https://x.io/a|https://x.io/a>"),
        ("run `a < b && c`", "run `a &lt; b &amp;&amp; c`"),
        ("```bash\necho <x>\n```", "```\necho &lt;x&gt;\n```"),
        ("1. step\n   ```sh\n   make\n   ```", "1. step\n```\nmake\n```"),
        ("```\nunclosed", "```\nunclosed\n```"),
        ("### Heading", "*Heading*"),
        ("- item **one**", "• item *one*"),
        ("[ping](!channel)", "ping (!channel)"),
        ("a|b [x|y](https://x.io/p|q)", "a|b <https://x.io/p%7Cq|x¦y>"),
    ],
    ids=[
        "emphasis",
        "link",
        "autolink",
        "inline-code",
        "fence",
        "indented-fence",
        "unclosed-fence",
        "heading",
        "bullet",
        "unsafe-link",
        "bars",
    ],
)
def test_mrkdwn_converts_markdown(markdown, expected):
    assert render.mrkdwn(markdown) == expected


def test_slack_commands_in_knowledge_stay_text():
    match = make_match(
        title="<!channel> outage",
        root_cause="The bot posted <!here> & tagged <@U0ADMIN> in <#C0OPS>.",
        snippet="`<!channel>`\n\n```\necho '<!everyone>'\n```\n[x](<!channel>)",
    )
    blocks = render.render_blocks([match])
    text = all_text(blocks) + render.render_fallback([match])

    assert not re.search(r"<[!@#]", text)
    assert "&lt;!channel&gt; outage" in text
    assert "&lt;!here&gt; &amp; tagged &lt;@U0ADMIN&gt; in &lt;#C0OPS&gt;." in text


@given(st.text(), st.text(), st.text())
def test_no_string_can_become_slack_markup(title, root_cause, snippet):
    blocks = render.render_blocks(
        [make_match(title=title or "t", root_cause=root_cause, snippet=snippet)]
    )

    # The only <...> left are links we made, to web addresses.
    for markup in re.findall(r"<([^>]*)>", all_text(blocks)):
        assert markup.startswith(("http://", "https://")), markup


@given(st.text(alphabet="ab&<>;lgtamp", max_size=40))
def test_text_is_escaped_exactly_once(text):
    [section] = sections(render.render_blocks([make_match(title=text or "t")]))[:1]
    label = section.split("|", 1)[1].rstrip(">")

    unescaped = label.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped == " ".join((text or "t").split())


def test_long_fix_fits_slack_limits_with_a_link_to_the_rest():
    command = "kubectl rollout restart deploy/api-{} && echo <ok>"
    commands = "\n".join(command.format(n) for n in range(120))
    snippet = f"Restart every API deployment:\n\n```bash\n{commands}\n```"
    assert len(snippet) > 5000

    blocks = render.render_blocks([make_match(snippet=snippet, root_cause="x" * 5000)])

    assert len(blocks) <= render.MAX_BLOCKS
    for text in sections(blocks):
        assert len(text) <= render.MAX_SECTION_TEXT
        assert text.count("```") % 2 == 0
    fix = sections(blocks)[-1]
    assert fix.startswith(
        "*Fix*\nRestart every API deployment:\n\n```\nkubectl rollout"
    )
    assert fix.endswith(f"```\n_Cut short here: <{URL}|read the full entry>._")


def test_long_title_is_shortened():
    blocks = render.render_blocks([make_match(title="word " * 100)])

    label = sections(blocks)[0].split("|", 1)[1].rstrip(">")
    assert len(label) == render.MAX_TITLE
    assert label.endswith("…")


def test_blocks_serialise_to_json():
    assert json.loads(json.dumps(render.render_blocks([make_match()])))


def test_answer_adds_the_matched_line_and_feedback_buttons():
    match = make_match()
    match.query_line = "psql: <!here> & boom"
    reply = render.answer([match], fixed=2, file_name="<@U0X>.log")

    types = [b["type"] for b in reply.blocks]
    assert types == [
        "section",
        "context",
        "section",
        "section",
        "context",
        "context",
        "actions",
    ]
    assert reply.blocks[4]["elements"][0]["text"] == (
        "Matched `psql: &lt;!here&gt; &amp; boom` from the file `&lt;@U0X&gt;.log`."
    )
    assert reply.blocks[5]["elements"][0]["text"] == "Fixed it for 2 people."
    assert [e["action_id"] for e in reply.blocks[6]["elements"]] == [
        render.ACTION_FIXED,
        render.ACTION_NOT_THIS,
    ]
    assert reply.text == "Known issue: Postgres connection refused after a failover"
    assert reply.plain == (
        f"Known issue: Postgres connection refused after a failover ({URL})\n"
        "Root cause: PgBouncer kept the *old* primary's address.\n"
        "Fix: Restart PgBouncer: sudo systemctl restart pgbouncer"
    )


def test_same_as_links_the_earlier_thread():
    reply = render.same_as(make_match(), "https://x.slack.com/archives/C1/p1?a=1&b=2")

    assert reply.blocks[0]["text"]["text"] == (
        "Same as <https://x.slack.com/archives/C1/p1?a=1&amp;b=2|the earlier thread>: "
        f"<{URL}|Postgres connection refused after a failover>"
    )
    assert reply.blocks[-1]["type"] == "actions"


def test_offer_carries_share_and_dismiss_with_the_message():
    reply = render.offer(make_match(confidence="low"), "C1 1.0")

    [actions] = [b for b in reply.blocks if b["type"] == "actions"]
    assert [
        (e["text"]["text"], e["action_id"], e["value"]) for e in actions["elements"]
    ] == [
        ("Share in thread", render.ACTION_SHARE, "C1 1.0"),
        ("Not it", render.ACTION_DISMISS, "C1 1.0"),
    ]


def test_fixed_count_replaces_the_earlier_count():
    blocks = render.answer([make_match()], fixed=1).blocks
    updated = render.with_fixed_count(blocks, 3)

    counts = [b for b in updated if b.get("block_id") == render.FIXED_COUNT_BLOCK]
    assert [c["elements"][0]["text"] for c in counts] == ["Fixed it for 3 people."]
    assert updated[-1]["block_id"] == render.FEEDBACK_BLOCK


@pytest.mark.parametrize(
    ("vote", "changed", "days", "text"),
    [
        ("fixed", True, 7, "Thanks, counted: this answer fixed it for you."),
        ("fixed", False, 7, "Your vote on this answer is already counted."),
        (
            "not_this",
            True,
            7,
            'Thanks. I won\'t offer "A &lt;b&gt;" for this error in this channel '
            "for 7 days.",
        ),
        (
            "not_this",
            True,
            1 / 24,
            'Thanks. I won\'t offer "A &lt;b&gt;" for this error '
            "in this channel for 1 hour.",
        ),
    ],
)
def test_vote_thanks(vote, changed, days, text):
    assert render.vote_thanks(vote, changed=changed, title="A <b>", days=days) == text


# Hostile text: Slack's control characters, mention syntax, entities and fences.
PIECES = list("ab <>&|!@#^`*_~\n") + [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S1>",
    "<@U0X>",
    "<#C0X>",
    "&lt;",
    "&amp;",
    "```",
    "~~~",
    "é",
    "\u200b",
    "[x](https://x.io)",
    "**b**",
]
HOSTILE = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
LONG = st.builds(lambda part, n: part * n, HOSTILE, st.integers(0, 200))
URLS = st.one_of(
    st.sampled_from(
        [
            URL,
            "knowledge/known.md:7",
            "javascript:alert(1)",
            "https://x.io/" + "a" * 900,
            "https://x.io/<!channel>|x",
        ]
    ),
    st.builds(lambda path, n: "https://x.io/" + path * n, HOSTILE, st.integers(1, 40)),
)


def _texts(blocks):
    for block in blocks:
        if "text" in block:
            yield block["text"]
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                yield element


def _check_limits(blocks):
    assert len(blocks) <= render.MAX_BLOCKS
    assert len(json.dumps(blocks, ensure_ascii=False)) <= render.MAX_TOTAL
    for text in _texts(blocks):
        assert len(text["text"]) <= render.MAX_SECTION_TEXT
        assert text["text"].count("```") % 2 == 0, text["text"]
        if text["type"] == "mrkdwn":
            assert text["verbatim"] is True
        # The only <...> left are links we made, to web addresses.
        for markup in re.findall(r"<([^>]*)>", text["text"]):
            assert markup.startswith(("http://", "https://")), markup
        assert not re.search(r"<[!@#]", text["text"])


@given(
    title=HOSTILE,
    root_cause=LONG,
    fix=LONG,
    severity=HOSTILE,
    url=URLS,
    quote=HOSTILE,
    file_name=HOSTILE,
)
def test_answers_stay_safe_and_within_limits(
    title, root_cause, fix, severity, url, quote, file_name
):
    match = make_match(
        title=title or "t",
        root_cause=root_cause,
        snippet=fix,
        severity=severity,
        url=url,
    )
    match.query_line = quote
    reply = render.answer(
        [match, make_match(title=title, url=url, confidence="low")],
        file_name=file_name,
        fixed=3,
    )

    _check_limits(reply.blocks)
    for text in (reply.text, reply.plain):
        assert "<" not in text and ">" not in text
        assert len(text) <= 1500


@given(text=HOSTILE)
def test_every_untrusted_string_is_escaped_exactly_once(text):
    match = make_match(title=text or "t")
    match.query_line = text
    reply = render.answer([match], file_name=text)

    label = reply.blocks[0]["text"]["text"].split("|", 1)[1][:-1]
    title = render.short(text or "t", render.MAX_TITLE)
    assert _unescape(label) == _unfenced(title).replace("|", "¦")
    provenance = reply.blocks[-2]["elements"][0]["text"] if text.strip() else ""
    for quoted in re.findall(r"`([^`]*)`", provenance):
        assert _unescape(quoted) == render.short(
            text.replace("`", "ˋ"), render.MAX_QUOTE
        )


def _unescape(text):
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _unfenced(text):
    return re.sub(r"`{3,}", lambda run: "ˋ" * len(run.group()), text)


@given(title=HOSTILE, url=URLS)
def test_other_replies_stay_safe(title, url):
    match = make_match(title=title or "t", url=url)
    for reply in (
        render.same_as(match, url),
        render.offer(match, "C1 1.0"),
        render.miss([match]),
    ):
        _check_limits(reply.blocks)


def test_a_quoted_line_is_headed_by_its_own_section_and_the_heading_is_escaped():
    match = make_match(snippet="Corrected the `.next/cache` permissions")
    match.snippet_from = "Additional fixes <!channel> applied"

    blocks = render.render_blocks([match])
    plain = render.plain_answer(match)

    assert "*Additional fixes &lt;!channel&gt; applied*" in all_text(blocks)
    assert "<!channel>" not in all_text(blocks) + plain
    assert "Additional fixes" in render.render_text([match])


def test_a_fix_quoted_from_its_own_section_comes_before_the_root_cause():
    match = make_match(snippet="Fixed the cache folder permissions (`EACCES`)",
                       fix="Replace LoadingLink with Link.")
    match.snippet_from = "Additional fixes applied"

    text = render.render_text([match])
    blocks = sections(render.render_blocks([match]))

    assert text.index("Additional fixes applied:") < text.index("Root cause:")
    assert "Additional fixes applied" in blocks[1]
    assert "Root cause" in blocks[2]


def test_the_entrys_own_fix_comes_after_its_root_cause():
    match = make_match(fix="Restart PgBouncer.", snippet="Restart PgBouncer.")

    text = render.render_text([match])

    assert text.index("Root cause:") < text.index("Fix:")


def test_a_page_without_a_fix_is_not_answered_with_its_cause_twice(tmp_path):
    from bot.check import run_check
    from bot.config import Settings
    from bot.knowledge_base import open_knowledge

    page = tmp_path / "errors" / "beat-duplicates.md"
    page.parent.mkdir()
    page.write_text("# Celery beat duplicate schedules\n\n## Error\n\n```\n"
                    "beat: Scheduler: Sending due task cleanup (orders.tasks.cleanup)\n```\n\n"
                    "## Why This Error Occurred\n\nTwo beat pods run the same schedule.\n")
    kb = open_knowledge(Settings(knowledge=[str(page.parent)],
                                 db_path=str(tmp_path / "k.db")))

    text = render.render_text(kb.lookup(
        "beat: Scheduler: Sending due task cleanup (orders.tasks.cleanup)"))

    assert text.count("Two beat pods run the same schedule.") == 1
    assert "Fix" not in text
    assert run_check([str(page.parent)], as_json=False) == 0  # a warning, not an error
