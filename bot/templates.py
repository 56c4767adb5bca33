"""Messages the knowledge quotes with placeholders: `No provider for ${this}!`.

Such a line says exactly what the tool prints, with a hole where a name goes.
Found in a paste with any name in the hole, it names its entry almost as
surely as an error code does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import thresholds
from .model import Line

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{\{[^}]*\}\}|\{[A-Za-z_][\w.]*\}|<[A-Za-z_]+>")
# In code outside the symptoms, `{title}` is JSX or a format string, not a hole,
# and a line with closing tags is markup: there only `${this}`, `{{ name }}` and
# `<session_id>` count.
_CODE_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{\{[^}]*\}\}|<[A-Za-z_]+>")
_MARKUP = re.compile(r"</|/>")
# The code prefix and a trailing ellipsis are optional in what tools print.
_OPTIONAL = re.compile(r"^[A-Z]+\d+:\s*|\s*(\.\.\.|…)\s*$")


@dataclass(frozen=True)
class Template:
    pattern: re.Pattern[str]
    literal: str  # the words around the holes
    anchor: str  # the longest literal piece, lower-cased, for a cheap first test
    line: Line

    @property
    def strength(self) -> float:
        words = len(self.literal.split())
        return thresholds.TEMPLATE_SCORE * min(1.0, words / thresholds.TEMPLATE_FULL_WORDS)


def make_template(line: Line) -> Template | None:
    """A template for a line with placeholders and enough literal text, else None.

    `{{ PLACEHOLDER }}` alone would match anything, so it does not qualify.
    """
    text = _OPTIONAL.sub("", line.text.strip())
    if line.kind == "code" and _MARKUP.search(text):
        return None
    parts = (_CODE_PLACEHOLDER if line.kind == "code" else _PLACEHOLDER).split(text)
    if len(parts) < 2:
        return None

    literal = " ".join(p.strip() for p in parts if p.strip())
    if len(literal) < thresholds.TEMPLATE_MIN_CHARS or len(literal.split()) < 2:
        return None
    pattern = re.compile(".{1,80}?".join(re.escape(p) for p in parts).strip(), re.I)
    return Template(pattern, literal, max(parts, key=len).strip().lower(), line)


def find_templates(templates: list[Template], paste_line: str) -> dict[str, Template]:
    """Entry id -> the first of its templates that the paste line fills in."""
    found: dict[str, Template] = {}
    lowered = paste_line.lower()
    for template in templates:
        entry_id = template.line.entry_id
        if entry_id in found or template.anchor not in lowered:
            continue
        if template.pattern.search(paste_line):
            found[entry_id] = template
    return found
