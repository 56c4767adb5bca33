"""Does a paste report a problem at all, and which of its lines carry the error?

Incident channels are mostly people talking. A message with no sign of a
problem ("can someone review the admin analytics page?") may share every noun
with an entry and still must not get an unprompted answer.
"""

from __future__ import annotations

import functools
import re

# Words a tool prints when something went wrong.
ERROR_WORDS = re.compile(
    r"error|exception|\bfail(?:s|ed|ing|ure|ures)?\b|fatal|denied|refused|timed? ?out|"
    r"timeout|unknown|invalid|"
    r"cannot|can't|unable|not found|unsupported|unauthori[sz]ed|forbidden|panic|"
    # Codes are upper-case as printed: "every" and "endpoint" are not EVERY.
    r"warn|emerg|crash|abort|must be|forces|traceback|(?-i:\bNG\d{3,5}\b|\bE[A-Z]{3,}\b)|"
    r"\b[45]\d\d\b",
    re.I,
)

# What compilers and frameworks print instead of "error".
_TOOL_TROUBLE = (
    r"collision|conflict\w*|circular|mismatch\w*|malformed|exceed\w*|duplicate\w*|"
    r"detected|disallowed|not allowed|disabled|out of date|outdated|non-?standard|"
    r"unexpected|expected\b[^.]{0,60}\b(?:to|but|got|instead)|"
    # a performance warning: "This is an expensive operation"
    r"expensive")
_TOOL_PHRASES = re.compile(
    r"\b(?:" + _TOOL_TROUBLE + r"|could not|couldn't|is required|no suitable|"
    r"(?:not |in)compatible|should be|is missing)\b", re.I)

# Words people use when describing a fault in their own words.
TROUBLE_WORDS = re.compile(
    r"\b(?:slow|stuck|hang|hangs|hanging|hung|down|broken|break|breaks|lost|lose|"
    r"drop|drops|dropped|dropping|stale|wrong|missing|empty|never|always|keeps?|"
    r"restart\w*|loop\w*|spik\w*|huge|grow\w*|leak\w*|unreachable|unresponsive|"
    r"isn't|doesn't|don't|didn't|won't|can't|aren't|wasn't|not|no longer|"
    r"instead of|why|again|still|forever|seconds|minutes|overlay|blank|"
    r"destroy\w*|replace\w*|recreat\w*|disappear\w*|wip\w*|"
    r"slower|refus\w*|discourag\w*|complain\w*|throw(?:s|ing|n)?|dies|dying|blows? up|"
    # What compilers and frameworks say instead of "error".
    + _TOOL_TROUBLE + r")\b",
    re.I,
)

_INFORMATIONAL = re.compile(
    r"^\W*(info|note|hint|debug|event|ready|wait|compiled)\b"
    # build steps that went well: "✓ Collecting page data"
    r"|^\s*[✓✔]"
    # banners printed on every start, whatever happens next
    r"|^\W*(?:Angular is running in \w+ mode|Creating an optimized production build|"
    # Next.js's banner, and its error overlay's footer "Next.js (13.4.1) is outdated"
    r"Next\.js \(?v?\d+\.\d+)", re.I)

# People talking about an incident rather than reporting one: it is over, it
# was something else, or it is on the calendar.
_TALK = re.compile(
    r"^\W*(?:resolved|merged|fixed|closed|(?:PR|MR|pull request) ?#?\d+)\b|🎉|:tada:|"
    r"\b(?:(?:is|was|now|been|got) resolved|unrelated|hotfix(?:ed)?|"
    r"rolled back|post-?mortem|retro(?:spective)?|all clear|is back up|back to normal|"
    r"reminder|psa|til|not urgent|ignore|lunch ?& ?learn|brown[- ]?bag|"
    r"blog ?post|write-?up|next sprint|should document|mute|"
    # the fix is in, or on its way: "we fixed the X", "PR #412: fix X"
    r"(?:we|i|has been|have been|was|got|just) fixed|fixed (?:it|this|that)|"
    r"status: ?(?:done|closed|resolved|fixed)|"
    r"(?:runbook|docs?|wiki|readme|playbook) (?:is |has been )?updated|"
    # it has stopped: "NG0100 is gone now", "no longer showing after the revert",
    # "errors stopped after the rollback", "NG0201 fixed", "mismatch sorted"
    r"(?:is|are|all) gone|gone now|no longer (?:see\w*|show\w*|happen\w*|get\w*|"
    r"occur\w*|there)|stopped (?:after|since|once|when)|closing (?:this|it) out|"
    r"that was it|(?<!not )(?<!n't )(?:fixed|sorted(?: out)?)\s*[.!]*$|"
    # it was never a fault: "that's expected, just wait", "hitting fine now"
    r"(?:that|it|this) ?'?s (?:expected|normal|by design)|just wait|"
    r"(?<!not )(?:fine|works?|working|ok|green|stable) (?:again )?now|"
    # asking who takes it on
    r"who wants (?:it|this)|any takers|still pending|"
    # announcing what will happen: "migration 0092 will lock the orders table tonight"
    r"will\b[^.!?]{0,80}\b(?:tonight|tomorrow|later today|this (?:evening|afternoon|weekend)|"
    r"next week)|"
    r"(?:incident|ticket) (?:is )?closed|"
    r"closing (?:[a-z][a-z0-9]*-\d+|inc-?\d+|the (?:incident|ticket|issue)))\b",
    re.I)
# A question about how things work or what might happen, not a report: "could
# that deadlock?", "can someone explain what stop-writes-on-bgsave-error does?".
# Reports ask questions too ("is that possible?", "who's running apply?",
# "how do I fix this?").
_QUESTION = re.compile(
    r"(?:\b(?:could|would|might|can) (?:that|this|it) \w+|\bexplain\b|"
    r"\bwhat (?:does|do|is|are)\b|^\W*(?:could|would|might) (?:the|a|an)\b)"
    r"[^?]{0,200}\?\s*$", re.I)
# Talk is a few lines; a long log may say "rolled back" in passing.
TALK_MAX_LINES = 3


def is_talk(lines: list[str]) -> bool:
    """A short message about an incident that is over, unrelated or scheduled.

    An error printed on a line of its own under "PR #412 build failed:" is a
    report, whatever the line above it says.
    """
    if len(lines) > TALK_MAX_LINES:
        return False
    talk = [ln for ln in lines if _TALK.search(ln) or _QUESTION.search(ln)]
    return bool(talk) and not any(error_strength(ln) == 2 for ln in lines if ln not in talk)


def is_informational(line: str) -> bool:
    """A progress or info line a tool prints when nothing is wrong."""
    return bool(_INFORMATIONAL.match(line))


@functools.lru_cache(maxsize=8192)
def is_error_line(line: str) -> bool:
    """A line that reports an error, not an informational one."""
    return bool(ERROR_WORDS.search(line)) and not is_informational(line)


_STRONG_ERROR = re.compile(
    r"error|exception|\bfail(?:s|ed|ing|ure|ures)?\b|fatal|denied|refused|panic|emerg|"
    r"crash|traceback|abort|"
    r"cannot|can't|unable|invalid|unknown|not found|unsupported", re.I)
_WARNING = re.compile(r"\bwarn(ing)?\b|deprecat|⚠", re.I)


# "[Vue warn]: ...", "[vite] ...": the tool that printed the line, when it says.
_SOURCE_TAG = re.compile(r"^\s*\[([A-Za-z][\w .-]{0,30})\]")
_LEVELS = frozenset(
    "error err warn warning info debug fatal log trace notice cause crit critical "
    "emerg alert".split())


def source_names(line: str) -> list[str]:
    """The words of the tag a line opens with, less log levels ("[Vue warn]" -> vue)."""
    tag = _SOURCE_TAG.match(line)
    if not tag:
        return []
    return [w for w in re.findall(r"[a-z][a-z0-9]*", tag.group(1).lower()) if w not in _LEVELS]


def is_warning(line: str) -> bool:
    """A line a tool prints as a warning ("warn -", "Warning:", "⚠")."""
    return bool(_WARNING.search(line))


# Cached: one lookup asks about the same lines while choosing which to score,
# which links count, and whether the paste fails elsewhere.
@functools.lru_cache(maxsize=8192)
def error_strength(line: str) -> int:
    """2 for a line that reports an error, 1 for a warning, 0 for anything else."""
    if is_informational(line):
        return 0
    if _STRONG_ERROR.search(line) and not _WARNING.search(line):
        return 2
    return 1 if ERROR_WORDS.search(line) else 0


# A person speaking: "It works, however I get this error message in the console:".
_PERSONAL = re.compile(r"\bI(?:'m|'ve)?\b(?![/.])|\b(?i:we|we're|we've|my|our)\b")


def is_personal(line: str) -> bool:
    """A line in which someone speaks for themselves, not one a tool printed."""
    return bool(_PERSONAL.search(line))


def sounds_printed(line: str) -> bool:
    """A line worded the way a tool reports trouble, not the way people talk about it."""
    return error_strength(line) > 0 or bool(_TOOL_PHRASES.search(line))


def printed_in(line: str, lines: list[str]) -> bool:
    """Worded as a tool words trouble, or the next line of a message that is.

    Tools wrap a message over lines: "ERROR in No suitable injection token for
    parameter 'el' of class 'X'." goes on with "no type or decorator".
    """
    if sounds_printed(line):
        return True
    at = lines.index(line) if line in lines else 0
    return at > 0 and error_strength(lines[at - 1]) == 2 \
        and not is_personal(lines[at - 1]) and not is_personal(line)


def reports_problem(lines: list[str]) -> bool:
    """Whether any line says something is wrong, as a tool or as a person."""
    return any(ERROR_WORDS.search(ln) or TROUBLE_WORDS.search(ln) or _WARNING.search(ln)
               or _TOOL_PHRASES.search(ln) for ln in lines)
