"""Knowledge markdown turned into Slack mrkdwn, escaped and cut to size.

Everything here treats its input as untrusted: a knowledge file, a paste or a
file name may hold `<!channel>`, `<@U…>` or `&lt;`, and all of it must show as
written, never act. escape() is the only way text reaches Slack, and it runs
exactly once per string: conversion escapes the text between the marks it
recognises, never the marks it produces. Cutting happens on the markdown
before conversion, so a cut never splits an escape or a link, and an open
code fence is closed. The sentences around this text live in render.py.
"""

from __future__ import annotations

import re

# Slack's limit for the text of a section block (and of any mrkdwn text object).
MAX_SECTION_TEXT = 3000
# Longer addresses are shown, not linked: a link's URL counts against the
# section and a page address this long is a mistake in the knowledge anyway.
MAX_URL = 500

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
_BACKTICKS = re.compile(r"`{3,}")
# Only these become links; anything else (say "!channel") would be a Slack command.
SAFE_URL = re.compile(r"^(?:https?://|mailto:)", re.IGNORECASE)


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control syntax in mrkdwn.

    Runs of three backticks are swapped for look-alikes too: Slack would read
    them as a code fence, and one left unpaired swallows the rest of a reply.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _no_fences(text)


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
            out.append(_no_fences(escape(_dedent(line, fence_indent))))
        else:
            out.append(_no_fences(_prose_line(line)))

    # An unclosed fence would swallow everything posted after it.
    if fence_indent is not None:
        out.append("```")
    return "\n".join(out)


def clipped(
    heading: str, markdown: str, more: str, limit: int = MAX_SECTION_TEXT
) -> str:
    """A headed section of converted markdown no longer than limit, ending in more
    when it had to be cut."""
    text = f"*{heading}*\n{mrkdwn(markdown)}"
    budget = len(markdown)
    while len(text) > limit and budget > 0:
        # Escaping makes the text grow, so shrink the source in proportion.
        budget = min(budget - 1, budget * limit // len(text) - len(more))
        text = f"*{heading}*\n{mrkdwn(cut(markdown, budget))}\n{more}"
    return text


def cut(text: str, budget: int) -> str:
    """Cut at a line end, or at a space when that would lose too much."""
    if budget <= 0:
        return ""
    head = text[:budget]
    for mark in ("\n", " "):
        at = head.rfind(mark)
        if at > budget // 2:
            return head[:at]
    return head


def short(text: str, limit: int) -> str:
    """Text on one line, cut to limit characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def link(url: str, label: str) -> str:
    """A Slack link when the URL is a web or mail address, else the label and URL."""
    # A bar would end the URL early or split the label.
    href = escape(url).replace("|", "%7C")
    if not SAFE_URL.match(url) or len(href) > MAX_URL:
        return escape(f"{label} ({short(url, MAX_URL // 5)})")
    return f"<{href}|{escape(label).replace('|', '¦')}>"


def code_span(text: str, limit: int) -> str:
    """Untrusted text shown as inline code on one line; backticks would end it."""
    return f"`{escape(short(text.replace('`', 'ˋ'), limit))}`"


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
            out.append(link(token["href"], token["label"]))
        elif token["auto"]:
            out.append(link(token["auto"], token["auto"]))
        elif token["bold"] or token["bold2"]:
            out.append(f"*{_inline(token['bold'] or token['bold2'])}*")
        else:
            out.append(f"_{_inline(token['em'])}_")

    out.append(escape(text[end:]))
    return "".join(out)


def _no_fences(line: str) -> str:
    """Backtick runs inside a line look alike, so that every ``` left is a fence
    line of ours and fences stay paired."""
    return _BACKTICKS.sub(lambda run: "ˋ" * len(run.group()), line)


def _dedent(line: str, indent: int) -> str:
    # Fences nested in a list item are indented; their code should not be.
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent) :]
