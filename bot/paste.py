"""Which lines of a paste to score, and which of their words matter most.

An error line is often a chain: "Error response from daemon: failed to create
task: unknown log opt 'x'". Its last wordy clause is the message; the clauses
before it say where it happened and are shared by many different errors.
"""

from __future__ import annotations

import itertools
import re

from . import thresholds
from .normalize import is_frame, mask, mask_values, paste_lines, weighted_tokens
from .signals import error_strength, is_error_line, is_informational

# Pastes are bounded before any work: Slack's own message limit is 40,000 chars.
MAX_PASTE_CHARS = 40_000
# Past this many lines only the strongest error lines are scored: each costs a
# pass over the index, and a 40 KB log must stay under 100 ms at 10,000 entries
# (30 lines took 146 ms there; no labelled set changes between 20 and 40).
MAX_SEGMENTS = 20

_CLAUSE = re.compile(r":\s+")
# The function a stack frame names: "at new ShadowDomRenderer (...)", Firefox's
# "selectRootElement@http://...", Chrome's "Zone.run @ zone.js:138".
_FRAME_FUNCTION = re.compile(
    r"^\s*at\s+(?:new\s+|async\s+)?([\w$.<>]+)|^([\w$.<>]+)@|^(\S+)\s@\s")
# Frames nearest the throw name what failed; further down it is the framework's loop.
FRAME_NAMES = 6
_DIGITS = re.compile(r"\d+")


def bounded(text: str) -> str:
    """At most MAX_PASTE_CHARS: the head and, since logs end with the error, the tail."""
    if len(text) <= MAX_PASTE_CHARS:
        return text
    half = MAX_PASTE_CHARS // 2
    return text[:half] + "\n" + text[-half:]


def segments(lines: list[str]) -> list[str]:
    """The lines worth scoring: no stack frames, the strongest error lines if many."""
    body = _distinct([ln for ln in lines if not is_frame(ln)])
    if any(is_error_line(ln) for ln in body):
        # "✓ Collecting page data" is progress, not the error the paste is about.
        body = [ln for ln in body if not is_informational(ln)]
    if len(body) <= MAX_SEGMENTS:
        return body
    # The strongest lines, in paste order: a real error after thirty deprecation
    # warnings is kept. Among equals, those nearest the start (the first error
    # is often the cause) and the end (where a log stops) come first.
    last = len(body) - 1
    ranked = sorted(range(len(body)),
                    key=lambda i: (-error_strength(body[i]), min(i, last - i)))
    return [body[i] for i in sorted(ranked[:MAX_SEGMENTS])]


def _distinct(lines: list[str]) -> list[str]:
    """One line per message: thirty "request 17 failed" lines are one error."""
    seen: set[str] = set()
    out = []
    for line in lines:
        key = _DIGITS.sub("0", line)
        if key not in seen:
            seen.add(key)
            out.append(line)
    return out


def paste_segments(text: str) -> tuple[list[str], list[str]]:
    """(all meaningful lines, the ones to score) of a raw paste."""
    lines = paste_lines(bounded(text))
    return lines, segments(lines)


def headline(text: str, width: int = 200) -> str:
    """The line a person would quote from the paste: its strongest error line,
    with ids, hosts, paths and quoted values masked (it is kept, and shown to
    others)."""
    _, scored = paste_segments(text)
    if not scored:
        return ""
    # Shown in a terminal later: no control characters from the paste.
    strongest = mask_values(max(scored, key=error_strength))
    line = "".join(ch for ch in strongest if ch.isprintable())
    return line if len(line) <= width else line[: width - 1] + "…"


def _clauses(masked: str) -> tuple[list[dict[str, float]], dict[str, float] | None]:
    clauses = [weighted_tokens(c) for c in _CLAUSE.split(masked)]
    # "Current value: 'true'" ends in a value: a message has a few whole words.
    wordy = [c for c in clauses if sum(1 for f in c.values() if f == 1.0) >= 3]
    return clauses, (wordy[-1] if wordy else None)


def message_words(line: str) -> set[str]:
    """Whole words of a line's message clause, when clauses come before it."""
    clauses, message = _clauses(mask(line))
    if message is None or len(clauses) < 2 or message is clauses[0]:
        return set()
    return {w for w, f in message.items() if f == 1.0}


def line_tokens(line: str) -> dict[str, float]:
    """Token factors of a paste line, words only in leading clauses counting less."""
    masked = mask(line)
    clauses, message = _clauses(masked)
    if message is None or len(clauses) < 2:
        return weighted_tokens(masked)

    out: dict[str, float] = {}
    for clause in clauses:
        factor = 1.0 if clause is message else thresholds.CONTEXT_FACTOR
        for word, weight in clause.items():
            out[word] = max(out.get(word, 0.0), weight * factor)
    return out


def frame_words(lines: list[str]) -> set[str]:
    """Words of the functions the first stack frames name, and their parts.

    Frames are not scored (they are where, not what), but the thrower's name
    often says what went wrong: `throwCyclicDependencyError`,
    `DefaultDomRenderer2.selectRootElement`.
    """
    words: set[str] = set()
    names = (m for line in lines if (m := _FRAME_FUNCTION.match(line)))
    for found in itertools.islice(names, FRAME_NAMES):
        function = next(g for g in found.groups() if g).rsplit(".", 1)[-1]
        words.update(w for w in weighted_tokens(function) if len(w) > 2)
    return words


def whole_words(lines: list[str]) -> set[str]:
    """The different whole words the lines use (parts of names not counted)."""
    return {w for line in lines for w, f in weighted_tokens(mask(line)).items() if f == 1.0}
