"""How sure a match is: high (reply unprompted), low (show when asked), none.

A score alone is not enough in an incident channel. Besides a threshold and a
lead over the runner-up, an unprompted answer needs a paste long enough to mean
something, that reports a problem, that matched on more than a name several
entries mention, on the failure rather than a warning printed beside it, and
whose quoted values do not contradict the entry's ("unknown directive
"proxy_buffer"" is not the "gzip_level" entry, however alike).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from rapidfuzz import fuzz, utils

from . import thresholds
from .model import CONFIDENCE_HIGH, CONFIDENCE_LOW, CONFIDENCE_NONE
from .normalize import QUOTED_VALUE, mask, weighted_tokens, word_sequence

# Cloud API actions and the like: logs:CreateLogStream, s3:PutObject.
_ACTION = re.compile(r"\b[a-z][a-z0-9-]*:[A-Z][A-Za-z]+\b")
_HTTP_STATUS = re.compile(r"\bhttp[1-5]\d\d\b")
_SCHEME = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*)://")
# A file's path, not an image or a URL: '/app/.next/cache', './pages', '~/.npm'.
_FILE = re.compile(r"(?:[A-Za-z]:)?[\\/.~][^:]*/")
# Where a message happened, and what varies in it: not what it says.
_PLACES = re.compile(r"<path>\S*|<\w+>")
# A file path named without quotes: "mkdir /home/node/.npm".
_PATH = re.compile(r"(?<![\w.:/])/[\w.@+~-]+(?:/[\w.@+~-]+)+")


def band(score: float, runner_score: float | None, siblings: bool) -> str:
    """The confidence a score earns against the runner-up's score.

    siblings: the two entries matched on the same text (the log files one
    symptom under both); the reply lists both, so the lead is not needed.
    """
    if score >= thresholds.HIGH:
        if runner_score is None or siblings or score - runner_score >= thresholds.MARGIN:
            return CONFIDENCE_HIGH
        return CONFIDENCE_LOW
    if score >= thresholds.LOW:
        return CONFIDENCE_LOW
    return CONFIDENCE_NONE


def same_text(a: str, b: str) -> bool:
    return fuzz.ratio(a, b, processor=utils.default_process) >= 90


def values(text: str) -> set[str]:
    """The names an error line carries: quoted strings and API actions, as tokens."""
    found: set[str] = set()
    for match in QUOTED_VALUE.finditer(text):
        found.update(_whole_words(mask(match.group(2))))
    for action in _ACTION.findall(text):
        # logs:PutLogEvents is not logs:CreateLogStream, though both are logs.
        found.add(action.lower())
    # An HTTP status (mask() keeps it as a word): statuscode 500 is not 400.
    found.update(_HTTP_STATUS.findall(mask(text)))
    # What a URL points at, when it is not a web page: amqp:// is not redis://.
    found.update(scheme.lower() for scheme in _SCHEME.findall(text)
                 if scheme.lower() not in ("http", "https"))
    return found


def paths(text: str) -> set[str]:
    """The words of the file paths a line names outside quotes (masked: the
    home folder and deep prefixes go, the last parts stay)."""
    found: set[str] = set()
    for path in _PATH.findall(QUOTED_VALUE.sub(" ", text)):
        found.update(_whole_words(mask(path)))
    return found


def _whole_words(text: str) -> set[str]:
    # gzip_comp_level and gzip_level share parts, not names.
    return {w for w, factor in weighted_tokens(text).items() if factor == 1.0}


def conflicting_values(query_line: str, entry_line: str, title: str = "") -> bool:
    """Both lines name something, nothing they name is the same, and the entry's
    title does not name it either ("'sharp' is required" is the page titled
    Sharp Missing In Production, though its line quotes "standalone")."""
    named = _whole_words(mask(title))
    ours, theirs = values(query_line), values(entry_line)
    # Names alone, then names and unquoted paths together.
    for said, stated in ((ours, theirs), (ours | paths(query_line), theirs | paths(entry_line))):
        if said and stated and not (said & stated) and not (said & named):
            return True
    return _other_place(query_line, entry_line)


def _other_place(query_line: str, entry_line: str) -> bool:
    """Both lines quote a path, and the paste's is not the entry's place:
    '/app/node_modules/.cache' is not '/app/.next/cache', which a path under it
    ('/srv/web/.next/cache/images') still is. The last two parts of the entry's
    path say what the place is; the root they sit in varies."""
    ours = [m.group(2) for m in QUOTED_VALUE.finditer(query_line) if _FILE.match(m.group(2))]
    theirs = [m.group(2) for m in QUOTED_VALUE.finditer(entry_line) if _FILE.match(m.group(2))]
    if not ours or not theirs:
        return False
    tails = ["/".join([part for part in path.split("/") if part][-2:]) for path in theirs]
    return not any(tail and tail in path for tail in tails for path in ours)


# "TypeError: fetch failed": an error type and the message it prints.
_TYPED_MESSAGE = re.compile(r"\b([A-Z][A-Za-z0-9]*(?:Error|Exception)):\s+(\S.*)")


def another_message(query_line: str, entry_line: str) -> bool:
    """Both lines print the same error type with messages that differ.

    "TypeError: fetch failed" is not "TypeError: Failed to parse URL from ...":
    one type carries many errors, and its message is what tells them apart.
    """
    ours, theirs = _TYPED_MESSAGE.search(query_line), _TYPED_MESSAGE.search(entry_line)
    if not ours or not theirs or ours.group(1) != theirs.group(1):
        return False
    return not _same_message(ours.group(2), theirs.group(2))


def _same_message(said: str, stated: str) -> bool:
    """Two messages alike in their words, not in where they happened (paths) or
    what varies (placeholders)."""
    said, stated = (_PLACES.sub(" ", mask(text)) for text in (said, stated))
    alike = fuzz.token_sort_ratio(said, stated, processor=utils.default_process)
    return alike >= thresholds.SAME_MESSAGE


# A failure report's head and what it says: "Readiness probe failed: <what>",
# "nginx: [emerg] <what>".
_HEADED = re.compile(
    r"^\W*([A-Za-z][^:]{2,60}?\b(?:failed|error|exception)|[\w.-]{2,30}:\s*\[(?:emerg|alert|"
    r"crit|error)\])\s*:?\s+(\S.*)", re.I)


def another_report(query_line: str, entry_lines: list[str]) -> bool:
    """The entry prints this failure's head with other details, and never these:
    "Readiness probe failed: ... connection refused" against the entry's
    "Readiness probe failed: HTTP probe failed with statuscode: 400"."""
    ours = _HEADED.search(query_line)
    if not ours:
        return False
    head = ours.group(1).lower()
    rests = [m.group(2) for line in entry_lines
             if (m := _HEADED.search(line)) and m.group(1).lower() == head]
    return bool(rests) and not any(_same_message(ours.group(2), rest) for rest in rests)


def one_word_apart(query_line: str, entry_line: str) -> bool:
    """The paste says the entry's error word for word but one word, swapped for
    another: "Error releasing the state lock" is not "Error acquiring the state
    lock". Values (numbers, sizes, names with digits, underscores or dots) vary
    between occurrences of one error and do not count."""
    said, stated = word_sequence(mask(query_line)), word_sequence(mask(entry_line))
    if len(stated) < 3:
        return False
    opcodes = SequenceMatcher(None, said, stated, autojunk=False).get_opcodes()
    swaps = [op for op in opcodes if op[0] != "equal"]
    kept = sum(i2 - i1 for tag, i1, i2, _, _ in opcodes if tag == "equal")
    if not (len(swaps) == 1 and swaps[0][0] == "replace"
            and swaps[0][2] - swaps[0][1] == 1 and swaps[0][4] - swaps[0][3] == 1
            and kept >= len(stated) - 1):
        return False
    a, b = said[swaps[0][1]], stated[swaps[0][3]]
    dotted = any(re.search(rf"\b{w}\w*\.\w", line, re.I)
                 for w, line in ((a, query_line), (b, entry_line)))
    return not dotted and all(w.isalpha() and len(w) >= 4 for w in (a, b))


def _says_no_more(query_line: str, entry_line: str) -> bool:
    """The paste line is the entry's code and nothing else: someone pasting their
    code (`const searchParams = useSearchParams()`), not the output of a check."""
    return _whole_words(mask(query_line)) <= _whole_words(mask(entry_line))


def doubt(*, paste_words: int, problem: bool, foreign_code: bool, foreign_tool: bool,
          elsewhere: bool, other_error: bool,
          score: float, query_line: str, entry_line: str, entry_kind: str,
          name_only: bool, title: str = "") -> str | None:
    """Why a match that scores high must not be answered unprompted, or None."""
    if paste_words < thresholds.MIN_PASTE_WORDS:
        return "paste too short to be sure"
    if not problem and (score < thresholds.STRONG or entry_kind == "fix"
                        or (entry_kind == "code" and _says_no_more(query_line, entry_line))
                        or len(entry_line.split()) < thresholds.STATEMENT_WORDS):
        # Without a word of trouble, only a statement the entry makes about the
        # problem counts ("Lots of rows have `hit_count = 0`"): not a name it
        # mentions (`/api/v1/` is in healthy access logs too), nor the command
        # its fix says to run.
        return "paste reports no problem"
    if foreign_code:
        return "paste names an undocumented code"
    if foreign_tool:
        return "the line comes from a tool the knowledge does not cover"
    if other_error:
        return "paste names another error than the entry's"
    if elsewhere:
        return "the paste's failure is on another line than this warning"
    if conflicting_values(query_line, entry_line, title):
        return "paste names something else"
    if another_message(query_line, entry_line):
        return "paste prints another message of the same error type"
    if one_word_apart(query_line, entry_line):
        return "paste says another word where the entry's error has its own"
    if name_only:
        return "only a name shared by several entries matched"
    return None
