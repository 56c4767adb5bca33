"""Every sentence the bot says: Block Kit for Slack, plain text for the terminal.

Wording lives here and nowhere else, so one review covers the bot's tone and tests
can pin the exact strings. Every Slack reply is built by one of the functions
returning a Reply, and each keeps within Slack's limits (blocks, section and
total size) by construction. Untrusted text (the knowledge, the paste, file
names) goes through mrkdwn.py, which escapes it exactly once, and every mrkdwn
object is marked verbatim so Slack does not turn words into mentions or links.
Terminal output is left as written. Nothing here talks to Slack.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .feedback import FIXED
from .model import CONFIDENCE_HIGH, CONFIDENCE_LOW, Match
from .mrkdwn import MAX_SECTION_TEXT, MAX_URL, clipped, code_span, escape, link, short
from .mrkdwn import mrkdwn as mrkdwn

# Block Kit limits: https://docs.slack.dev/reference/block-kit/blocks
MAX_BLOCKS = 50
MAX_CONTEXT_ELEMENTS = 10
MAX_HEADER = 150
# Slack's own ceilings are higher (a message's text runs to 40,000 characters),
# but a reply this long is already more than anyone reads in an incident.
MAX_TOTAL = 10_000
# Runner-ups are a hint, not a list to read through.
MAX_LINKS = 3
# Titles are cut to a header's length so a reply stays scannable.
MAX_TITLE = MAX_HEADER
# How much of a paste or a file name a reply quotes back.
MAX_QUOTE = 80
# Each of the root cause and fix in the plain reply posted when blocks fail.
PLAIN_PART = 400
# Each of the root cause and fix in a "same as the earlier thread" reply.
SAME_AS_TEXT = 600

# Interactive elements, by the action_id Slack sends back when one is clicked.
ACTION_FIXED = "known_issue_fixed"
ACTION_NOT_THIS = "known_issue_not_this"
ACTION_SHARE = "known_issue_share"
ACTION_DISMISS = "known_issue_dismiss"
FEEDBACK_BLOCK = "known_issue_feedback"
FIXED_COUNT_BLOCK = "known_issue_fixed_count"

HINT = (
    "Try pasting the exact error line, such as the first line of the stack trace, "
    "rather than a description of it."
)


@dataclass(frozen=True)
class Reply:
    """One Slack message: blocks, the text notifications show, and a fallback."""

    text: str
    blocks: list[dict]
    # The one short reply to post instead when Slack refuses the blocks.
    plain: str


def counted(n: int, one: str, many: str) -> str:
    """'1 entry', '3 entries'."""
    return f"{n} {one if n == 1 else many}"


def answer(matches: list[Match], *, fixed: int = 0, file_name: str = "") -> Reply:
    """The threaded answer: the best entry in full, runner-ups, the paste line it
    matched, and feedback buttons."""
    best = _answers(matches)[0]
    limit = MAX_SECTION_TEXT
    while True:
        blocks = render_blocks(matches, limit)
        blocks += _provenance(best, file_name)
        blocks += _feedback(best, fixed)
        if _size(blocks) <= MAX_TOTAL or limit < 200:
            break
        # Over budget only when every part is near its own limit: trim the
        # two long sections until the whole fits.
        limit = limit * 3 // 4
    return Reply(render_fallback(matches), _fit(blocks), plain_answer(best))


def same_as(match: Match, earlier: str, *, fixed: int = 0) -> Reply:
    """The short answer for an entry the channel got lately, linking that thread."""
    text = f"Same as {link(earlier, 'the earlier thread')}: {_title_link(match)}"
    # Short, but enough to act on without opening the other thread.
    more = _more_note(match)
    blocks = [_section(text)]
    if match.entry.root_cause:
        blocks.append(_section(clipped("Root cause", match.entry.root_cause, more,
                                       SAME_AS_TEXT)))
    if _fix(match):
        blocks.append(_section(clipped(escape(_fix_heading(match)), _fix(match), more,
                                       SAME_AS_TEXT)))
    blocks += _feedback(match, fixed)
    fallback = escape(
        f"Same as the earlier thread: {short(match.entry.title, MAX_TITLE)}"
    )
    return Reply(fallback, _fit(blocks), plain_answer(match))


def miss(matches: list[Match]) -> Reply:
    """The answer to a mention that matched nothing: how to ask better."""
    return Reply(render_fallback(matches), _fit(render_blocks(matches)), _miss_line())


def offer(match: Match, value: str) -> Reply:
    """The private "possible match" for the poster, who may share it or dismiss it."""
    blocks = [
        _section(f"*Possible match (only you can see this):* {_title_link(match)}"),
        _context([escape(_facts(match))]),
        {
            "type": "actions",
            "elements": [
                _button("Share in thread", ACTION_SHARE, value, primary=True),
                _button("Not it", ACTION_DISMISS, value),
            ],
        },
    ]
    fallback = escape(f"Possible match: {short(match.entry.title, MAX_TITLE)}")
    return Reply(fallback, _fit(blocks), plain_answer(match))


def plain_answer(match: Match) -> str:
    """The title, link, root cause and fix in brief, as plain text: what survives
    when Slack refuses the blocks."""
    title = short(match.entry.title, MAX_TITLE)
    url = match.url if len(escape(match.url)) <= MAX_URL else short(match.url, 100)
    lines = [escape(f"{_verdict(match)}: {title} ({url})")]
    if match.entry.root_cause:
        lines.append("Root cause: " + _one_line(match.entry.root_cause))
    if _fix(match):
        lines.append(f"{escape(_fix_heading(match))}: " + _one_line(_fix(match)))
    return "\n".join(lines)


def _one_line(markdown: str) -> str:
    """Markdown squeezed into one short, escaped line (code fences dropped)."""
    # Plain: no links or mentions can form, bold is Slack's single asterisk.
    text = escape(" ".join(ln.strip() for ln in markdown.splitlines()
                           if ln.strip() and not ln.strip().startswith(("```", "~~~"))))
    text = text.replace("**", "*")
    if len(text) <= PLAIN_PART:
        return text
    cut = text[: PLAIN_PART - 1]
    entity = cut.rfind("&")
    if entity > len(cut) - 5 and ";" not in cut[entity:]:
        cut = cut[:entity]  # never half an &lt;
    return cut + "…"


def render_blocks(matches: list[Match], limit: int = MAX_SECTION_TEXT) -> list[dict]:
    """The reply as Block Kit: the best answer in full, the others as links."""
    answers = _answers(matches)
    if not answers:
        return _miss_blocks(matches)
    best = answers[0]
    more = _more_note(best)

    blocks = [
        _section(f"*{_verdict(best)}:* {_title_link(best)}"),
        _context([escape(_facts(best))]),
    ]
    parts = []
    if best.entry.root_cause:
        parts.append(_section(clipped("Root cause", best.entry.root_cause, more, limit)))
    fix = _fix(best)
    if fix:
        parts.append(_section(clipped(escape(_fix_heading(best)), fix, more, limit)))
    blocks += _in_order(best, parts)

    if answers[1:]:
        blocks.append(_context([_links("Also possibly: ", answers[1 : 1 + MAX_LINKS])]))
    return blocks[:MAX_BLOCKS]


def render_fallback(matches: list[Match]) -> str:
    """The short `text` Slack shows in notifications and where blocks cannot render."""
    answers = _answers(matches)
    if not answers:
        return _miss_line()
    best = answers[0]
    return escape(f"{_verdict(best)}: {short(best.entry.title, MAX_TITLE)}")


def with_fixed_count(blocks: list[dict], count: int) -> list[dict]:
    """An answer's blocks (as Slack sent them back) showing a new "fixed it" count."""
    kept = [b for b in blocks if b.get("block_id") != FIXED_COUNT_BLOCK]
    at = next(
        (i for i, b in enumerate(kept) if b.get("block_id") == FEEDBACK_BLOCK),
        len(kept),
    )
    return _fit(kept[:at] + _fixed_count(count) + kept[at:])


def fixed_count_text(count: int) -> str:
    return f"Fixed it for {count} {'person' if count == 1 else 'people'}."


def vote_thanks(vote: str, *, changed: bool, title: str, days: float) -> str:
    """The private note to someone who clicked Fixed it or Not this."""
    if not changed:
        return "Your vote on this answer is already counted."
    if vote == FIXED:
        return "Thanks, counted: this answer fixed it for you."
    name = escape(short(title, MAX_TITLE))
    return (
        f'Thanks. I won\'t offer "{name}" for this error in this channel '
        f"for {_days(days)}."
    )


def already_answered(earlier: str) -> str:
    """To someone who asks about a thread that already has that answer."""
    return f"This thread already has that answer: {link(earlier, 'see it here')}."


def offer_taken() -> str:
    return "This match was already shared, or the thread already has it."


def offer_gone() -> str:
    return "That entry is no longer in the knowledge, so there is nothing to share."


def vote_unknown() -> str:
    return "I no longer know which answer this was, so the vote was not counted."


def usage() -> Reply:
    """The help, as a reply to a mention that asked nothing."""
    return Reply(usage_text(), [], usage_text())


def usage_text() -> str:
    """Help for the slash command, in Slack mrkdwn."""
    return (
        "*Usage:* `/known-issue PASTED ERROR`\n"
        "Paste an error and I reply, only to you, with the known issue it matches: "
        "its root cause and its fix.\n"
        "In a watched channel I answer a pasted error in its thread by myself, "
        "but only when the match is certain.\n"
        "Mention me in a thread with no text to look up the message that started it."
    )


def reload_denied() -> str:
    return "Only the people listed in reload_users in known-issue.toml can reload."


def error_text() -> str:
    """The apology for something that failed on our side; details go to the log."""
    return "Sorry, that lookup failed on my side and has been logged. Try again soon."


def render_text(matches: list[Match], query: str | None = None) -> str:
    """The reply as plain text, for the terminal and for logs of what was said."""
    answers = _answers(matches)
    if not answers:
        return _miss_text(matches, query)
    best = answers[0]

    lines = [f"{_verdict(best)}: {best.entry.title}", best.url, _facts(best)]
    if _why(best):
        lines.append(_why(best))
    parts = []
    if best.entry.root_cause:
        parts.append(["", "Root cause:", best.entry.root_cause.strip()])
    fix = _fix(best)
    if fix:
        parts.append(["", f"{_fix_heading(best)}:", fix.strip()])
    for part in _in_order(best, parts):
        lines += part

    if answers[1:]:
        lines += ["", "Also possibly:"]
        lines += [f"- {m.entry.title} ({m.url})" for m in answers[1 : 1 + MAX_LINKS]]
    return "\n".join(lines)


def _miss_text(matches: list[Match], query: str | None) -> str:
    # The paste is echoed to a terminal: no escape sequences or control bytes.
    text = re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07?", "", query or "")
    text = "".join(c if c.isprintable() or c == "\n" else " " for c in text)
    first_line = text.strip().splitlines()[:1]
    if first_line:
        lines = [f'No known issue matches "{short(first_line[0], MAX_QUOTE)}".']
    else:
        lines = ["No known issue matches that."]
    lines.append(HINT)

    if matches:
        lines += ["", "Closest entries:"]
        lines += [f"- {m.entry.title} ({m.url})" for m in matches[:MAX_LINKS]]
    return "\n".join(lines)


def _answers(matches: list[Match]) -> list[Match]:
    return [m for m in matches if m.confidence in (CONFIDENCE_HIGH, CONFIDENCE_LOW)]


def _verdict(match: Match) -> str:
    if match.confidence == CONFIDENCE_HIGH:
        return "Known issue"
    return "Possible match (low confidence)"


def _facts(match: Match) -> str:
    entry = match.entry
    parts = [
        f"Severity: {short(entry.severity, MAX_TITLE)}" if entry.severity else "",
        f"Date: {short(entry.date, MAX_TITLE)}" if entry.date else "",
        f"Score: {match.score:.0f} ({match.confidence} confidence)",
    ]
    return " · ".join(part for part in parts if part)


def _why(match: Match) -> str:
    """The entry's line that matched, so a reader can judge the match at a glance."""
    line = " ".join(match.entry_line.split())
    if not line or line == match.entry.title:
        return ""
    return f'Matched: "{short(line, MAX_QUOTE)}"'


def _in_order(match: Match, parts: list) -> list:
    """[root cause, fix] as given, or the fix first when it is a line quoted from
    its own section: it answers the paste itself ("Additional fixes applied:
    ... EACCES ..."), while the entry's root cause may be about more than it."""
    if len(parts) == 2 and match.snippet_from and match.snippet == _fix(match) \
            and match.snippet != match.entry.fix:
        return parts[::-1]
    return parts


def _fix_heading(match: Match) -> str:
    """The fix's heading: the quoted line's own section, else plain Fix."""
    return short(match.snippet_from, MAX_TITLE) if match.snippet_from else "Fix"


def _fix(match: Match) -> str:
    # The snippet is the part of the entry that answers the paste; older entries
    # without one still have their fix.
    return match.snippet or match.entry.fix


def _miss_line() -> str:
    return f"No known issue matches that. {HINT}"


def _miss_blocks(matches: list[Match]) -> list[dict]:
    blocks = [_section(_miss_line())]
    if matches:
        blocks.append(_context([_links("Closest entries: ", matches[:MAX_LINKS])]))
    return blocks


def _provenance(match: Match, file_name: str) -> list[dict]:
    """Which line of the paste matched which line of the entry, and from which
    file: so a reader can judge the match at a glance."""
    parts = []
    quote = match.query_line
    if quote.strip():
        parts.append(f"Matched {code_span(quote, MAX_QUOTE)}")
    entry_line = " ".join(match.entry_line.split())
    if entry_line and entry_line != match.entry.title and parts:
        parts.append(escape(f'with "{short(entry_line, MAX_QUOTE)}"'))
    if file_name.strip():
        parts.append(f"from the file {code_span(file_name, MAX_QUOTE)}")
    return [_context([" ".join(parts) + "."])] if parts else []


def _feedback(match: Match, fixed: int) -> list[dict]:
    value = match.entry.id[:2000]
    return [
        *_fixed_count(fixed),
        {
            "type": "actions",
            "block_id": FEEDBACK_BLOCK,
            "elements": [
                _button("Fixed it", ACTION_FIXED, value),
                _button("Not this", ACTION_NOT_THIS, value),
            ],
        },
    ]


def _fixed_count(count: int) -> list[dict]:
    if count <= 0:
        return []
    return [{**_context([fixed_count_text(count)]), "block_id": FIXED_COUNT_BLOCK}]


def _links(lead: str, matches: list[Match]) -> str:
    """Title links after lead, as many as fit in one text object: a link cut
    in half would show its raw markup."""
    text = lead + _title_link(matches[0])
    for match in matches[1:]:
        more = f" · {_title_link(match)}"
        if len(text) + len(more) > MAX_SECTION_TEXT:
            break
        text += more
    return text


def _title_link(match: Match) -> str:
    return link(match.url, short(match.entry.title, MAX_TITLE))


def _more_note(match: Match) -> str:
    return f"_Cut short here: {link(match.url, 'read the full entry')}._"


def _days(days: float) -> str:
    if days >= 1:
        whole = round(days)
        return f"{whole} day" if whole == 1 else f"{whole} days"
    hours = max(1, round(days * 24))
    return f"{hours} hour" if hours == 1 else f"{hours} hours"


def _button(label: str, action_id: str, value: str, primary: bool = False) -> dict:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": False},
        "action_id": action_id,
        "value": value,
    }
    return {**button, "style": "primary"} if primary else button


def _section(text: str) -> dict:
    return {"type": "section", "text": _text(text)}


def _context(texts: list[str]) -> dict:
    elements = [_text(text) for text in texts]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def _text(text: str) -> dict:
    # verbatim: Slack leaves the words alone (no automatic mentions or channel
    # links); our own <url|label> links still work.
    return {"type": "mrkdwn", "text": text[:MAX_SECTION_TEXT], "verbatim": True}


def _fit(blocks: list[dict]) -> list[dict]:
    return blocks[:MAX_BLOCKS]


def _size(blocks: list[dict]) -> int:
    return len(json.dumps(blocks, ensure_ascii=False))
