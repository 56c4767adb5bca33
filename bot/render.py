"""Every sentence the bot says: Block Kit for Slack, plain text for the terminal.

Wording lives here and nowhere else, so one review covers the bot's tone and tests
can pin the exact strings. Slack output escapes every string that came from a paste
or from the knowledge files, once, so nothing in them can become a mention
(<!channel>, <@U…>) or a link, and it stays inside Block Kit's size limits. Terminal
output is left as written. Nothing here talks to Slack or reads the knowledge base.
"""

from __future__ import annotations

import re

from .model import CONFIDENCE_HIGH, CONFIDENCE_LOW, Match

# Block Kit limits: https://docs.slack.dev/reference/block-kit/blocks
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_ELEMENTS = 10
# Runner-ups are a hint, not a list to read through.
MAX_LINKS = 5
# Titles are cut well below the section limit so a reply stays scannable.
MAX_TITLE = 150
# How much of a paste a miss quotes back.
MAX_QUOTE = 80

HINT = (
    "Try pasting the exact error line, such as the first line of the stack trace, "
    "rather than a description of it."
)

_FENCE = re.compile(r"^(\s*)(```|~~~)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_INLINE = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<href>[^)\s]+)\)"
    r"|<(?P<auto>(?:https?|mailto):[^>\s]+)>"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|__(?P<bold2>.+?)__"
    r"|(?<![\w*])\*(?P<em>[^*\s](?:[^*\n]*[^*\s])?)\*(?![\w*])"
)
# Only these become links; anything else (say "!channel") would be a Slack command.
_SAFE_URL = re.compile(r"^(?:https?://|mailto:)", re.IGNORECASE)


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control syntax in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(markdown: str) -> str:
    """Convert the markdown of a knowledge entry to Slack mrkdwn, escaping its text."""
    out: list[str] = []
    fence_indent: int | None = None
    for line in markdown.strip("\n").splitlines():
        fence = _FENCE.match(line)
        if fence:
            # Slack ignores a fence's language, so ```bash becomes a bare ```.
            out.append("```")
            fence_indent = None if fence_indent is not None else len(fence.group(1))
        elif fence_indent is not None:
            out.append(escape(_dedent(line, fence_indent)))
        else:
            out.append(_prose_line(line))

    # An unclosed fence would swallow everything posted after it.
    if fence_indent is not None:
        out.append("```")
    return "\n".join(out)


def render_text(matches: list[Match], query: str | None = None) -> str:
    """The reply as plain text, for the terminal and for logs of what was said."""
    answers = _answers(matches)
    if not answers:
        return _miss_text(matches, query)
    best = answers[0]

    lines = [f"{_verdict(best)}: {best.entry.title}", best.url, _facts(best)]
    if best.entry.root_cause:
        lines += ["", "Root cause:", best.entry.root_cause.strip()]
    fix = _fix(best)
    if fix:
        lines += ["", "Fix:", fix.strip()]

    if answers[1:]:
        lines += ["", "Also possibly:"]
        lines += [f"- {m.entry.title} ({m.url})" for m in answers[1 : 1 + MAX_LINKS]]
    return "\n".join(lines)


def render_blocks(matches: list[Match]) -> list[dict]:
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
    if best.entry.root_cause:
        blocks.append(_section(_clipped("Root cause", best.entry.root_cause, more)))
    fix = _fix(best)
    if fix:
        blocks.append(_section(_clipped("Fix", fix, more)))

    if answers[1:]:
        links = " · ".join(_title_link(m) for m in answers[1 : 1 + MAX_LINKS])
        blocks.append(_context([f"Also possibly: {links}"]))
    return blocks[:MAX_BLOCKS]


def render_fallback(matches: list[Match]) -> str:
    """The short `text` Slack shows in notifications and where blocks cannot render."""
    answers = _answers(matches)
    if not answers:
        return f"No known issue matches that. {HINT}"
    best = answers[0]
    return escape(f"{_verdict(best)}: {_short(best.entry.title, MAX_TITLE)}")


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


def error_text() -> str:
    """The apology for a lookup that failed on our side; details go to the log."""
    return "Sorry, that lookup failed on my side and has been logged. Try again soon."


def _answers(matches: list[Match]) -> list[Match]:
    return [m for m in matches if m.confidence in (CONFIDENCE_HIGH, CONFIDENCE_LOW)]


def _verdict(match: Match) -> str:
    if match.confidence == CONFIDENCE_HIGH:
        return "Known issue"
    return "Possible match (low confidence)"


def _facts(match: Match) -> str:
    entry = match.entry
    parts = [
        f"Severity: {_short(entry.severity, MAX_TITLE)}" if entry.severity else "",
        f"Date: {_short(entry.date, MAX_TITLE)}" if entry.date else "",
        f"Score: {match.score:.0f} ({match.confidence} confidence)",
    ]
    return " · ".join(part for part in parts if part)


def _fix(match: Match) -> str:
    # The snippet is the part of the entry that answers the paste; older entries
    # without one still have their fix.
    return match.snippet or match.entry.fix


def _miss_text(matches: list[Match], query: str | None) -> str:
    first_line = (query or "").strip().splitlines()[:1]
    if first_line:
        lines = [f'No known issue matches "{_short(first_line[0], MAX_QUOTE)}".']
    else:
        lines = ["No known issue matches that."]
    lines.append(HINT)

    if matches:
        lines += ["", "Closest entries:"]
        lines += [f"- {m.entry.title} ({m.url})" for m in matches[:MAX_LINKS]]
    return "\n".join(lines)


def _miss_blocks(matches: list[Match]) -> list[dict]:
    blocks = [_section(f"No known issue matches that. {HINT}")]
    if matches:
        links = " · ".join(_title_link(m) for m in matches[:MAX_LINKS])
        blocks.append(_context([f"Closest entries: {links}"]))
    return blocks


def _title_link(match: Match) -> str:
    return _link(match.url, _short(match.entry.title, MAX_TITLE))


def _more_note(match: Match) -> str:
    if _SAFE_URL.match(match.url):
        return f"_Cut short here: {_link(match.url, 'read the full entry')}._"
    return f"_Cut short here: the full entry is at {escape(match.url)}._"


def _clipped(heading: str, markdown: str, more: str) -> str:
    """A headed section of converted markdown that fits Slack's section limit.

    The markdown is cut before conversion, so the cut can never split an escape
    or a link, and mrkdwn() closes any fence the cut left open.
    """
    text = f"*{heading}*\n{mrkdwn(markdown)}"
    budget = len(markdown)
    while len(text) > MAX_SECTION_TEXT and budget > 0:
        # Escaping makes the text grow, so shrink the source in proportion.
        budget = min(budget - 1, budget * MAX_SECTION_TEXT // len(text) - len(more))
        text = f"*{heading}*\n{mrkdwn(_cut(markdown, budget))}\n{more}"
    return text


def _cut(text: str, budget: int) -> str:
    """Cut at a line end, or at a space when that would lose too much."""
    if budget <= 0:
        return ""
    head = text[:budget]
    for mark in ("\n", " "):
        at = head.rfind(mark)
        if at > budget // 2:
            return head[:at]
    return head


def _prose_line(line: str) -> str:
    heading = _HEADING.match(line)
    if heading:
        return f"*{_inline(heading.group(1))}*"
    bullet = _BULLET.match(line)
    if bullet:
        return f"{bullet.group(1)}• {_inline(bullet.group(2))}"
    return _inline(line)


def _inline(text: str) -> str:
    """Convert inline markdown to mrkdwn, escaping everything between the marks."""
    out: list[str] = []
    end = 0
    for token in _INLINE.finditer(text):
        out.append(escape(text[end : token.start()]))
        end = token.end()

        if token["code"]:
            out.append(escape(token["code"]))
        elif token["label"]:
            out.append(_link(token["href"], token["label"]))
        elif token["auto"]:
            out.append(_link(token["auto"], token["auto"]))
        elif token["bold"] or token["bold2"]:
            out.append(f"*{_inline(token['bold'] or token['bold2'])}*")
        else:
            out.append(f"_{_inline(token['em'])}_")

    out.append(escape(text[end:]))
    return "".join(out)


def _link(url: str, label: str) -> str:
    """A Slack link when the URL is a web or mail address, else the label and URL."""
    if not _SAFE_URL.match(url):
        return escape(f"{label} ({url})")
    # A bar would end the URL early or split the label.
    href = escape(url).replace("|", "%7C")
    return f"<{href}|{escape(label).replace('|', '¦')}>"


def _dedent(line: str, indent: int) -> str:
    # Fences nested in a list item are indented; their code should not be.
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent) :]


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(texts: list[str]) -> dict:
    elements = [{"type": "mrkdwn", "text": text} for text in texts]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}
