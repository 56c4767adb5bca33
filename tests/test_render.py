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
    return Match(entry=entry, score=score, confidence=confidence, snippet=snippet, url=url)


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
    other = make_match(title="PgBouncer pool exhausted", url="known.md:40", confidence="low")

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
    assert render.render_fallback([match]).startswith("Possible match (low confidence):")


def test_runner_ups_are_links_in_a_context_block():
    others = [
        make_match(title=f"Other {n}", url=f"{URL}-{n}", confidence="low") for n in (1, 2)
    ]
    blocks = render.render_blocks([make_match(), *others])

    assert blocks[-1] == {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": f"Also possibly: <{URL}-1|Other 1> · <{URL}-2|Other 2>",
            }
        ],
    }


def test_entry_without_a_web_link_shows_its_source():
    blocks = render.render_blocks([make_match(url="knowledge/known.md:7")])

    assert sections(blocks)[0] == (
        "*Known issue:* Postgres connection refused after a failover (knowledge/known.md:7)"
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
    assert fix.startswith("*Fix*\nRestart every API deployment:\n\n```\nkubectl rollout")
    assert fix.endswith(f"```\n_Cut short here: <{URL}|read the full entry>._")


def test_long_title_is_shortened():
    blocks = render.render_blocks([make_match(title="word " * 100)])

    label = sections(blocks)[0].split("|", 1)[1].rstrip(">")
    assert len(label) == render.MAX_TITLE
    assert label.endswith("…")


def test_blocks_serialise_to_json():
    assert json.loads(json.dumps(render.render_blocks([make_match()])))
