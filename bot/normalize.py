"""Make a pasted error comparable with the stored lines.

Slack's markup is undone once, terminal and log decoration is dropped, and the
parts of an error that change between occurrences (ids, ARNs, hosts, IPs,
numbers, timestamps, hex, UUIDs, paths) are replaced by placeholders so that
they never decide a match. Scoring itself lives in match.py.
"""

from __future__ import annotations

import functools
import hashlib
import re

# --- Slack markup ---------------------------------------------------------------

_SLACK_LINK = re.compile(r"<((?:https?|mailto|ftp):[^|>\s]*)(?:\|([^>]*))?>")
_SLACK_MENTION = re.compile(r"<[@#!][^>]*>")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def undo_slack(text: str) -> str:
    """Text as the user typed it: links to their label, mentions gone, entities once."""
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _SLACK_MENTION.sub(" ", text)
    # Slack escapes only these three; html.unescape would also eat '&copy' etc.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def clean(text: str) -> str:
    """Undo Slack markup, ANSI colours and code fences; keep the lines."""
    text = undo_slack(text)
    text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"```[a-zA-Z0-9_+-]*", "\n", text)
    return text


# --- log decoration ----------------------------------------------------------------

_PREFIXES = [
    re.compile(r"^\s*[│┃|╭╰╮╯─━┌└┐┘├┤]+\s?"),  # box drawing (terraform, vite)
    re.compile(r"^\s*\[\d+\]\s+"),  # concurrently / turbo: [0]
    re.compile(r"^\s*\d+\|[\w.-]{1,30}\s*\|\s?"),  # pm2 logs: "0|web  | "
    re.compile(r"^\s*#\d+\s+\d+\.\d+\s+"),  # docker buildx progress: "#11 115.8 "
    # docker compose: "web  | "; not a code frame's line number ("12 | const x")
    re.compile(r"^\s*(?!\d+\s+\|)[\w.-]{1,30}\s+\|\s"),
    re.compile(r"^\s*[\w.:@/-]{1,40}:(?:build|dev|start|test|lint):\s"),  # turbo
    re.compile(
        r"^\s*\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?:?\s*"
    ),
    re.compile(r"^\s*\[?\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\]?\s+"),
    re.compile(r"^\s*\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\s+"),  # nginx error log
    re.compile(r"^\s*(?:[⨯✖✗×❯›>$#]|\s)+(?=\S)"),
]
# All of them at once: a log line carries one or two, and this runs on every line.
_ANY_PREFIX = re.compile("|".join(f"(?:{p.pattern})" for p in _PREFIXES))

_FRAME = re.compile(
    r"""^\s*(?:
        at\s+\S.*                      # JavaScript / Java frames
      | File\s+".*",\s+line\s+\d+.*    # Python frames
      | \d+\s*\|.*                     # code frames: "12 | const x"
      | (?:\.{0,2}/)?[\w@.()\[\]~+-]+(?:/[\w@.()\[\]~+-]+)+(?::\d+){0,2}
                                     # a file and position alone: "./app/page.tsx:3:1"
      | \d+\s{2,}(?![A-Za-z]+\s)\S.*     # Angular template frames: "18     [(ngModel)]"
      | </?[a-zA-Z][^>]*>                # a template's markup: "</div>", "<br>"
      | <[a-zA-Z][^>]*>.*</[a-zA-Z][^>]*>  # a line of it: "<li><app-card></app-card></li>"
      | /[\w@.()\[\]~+-]*(?:/[\w@.()\[\]~+-]+)*(?::\s*/\S*)?
                                     # a route listed alone: "/blog/[slug]: /blog/a"
      | .*\[ERROR\s->\].*                # Angular's template parse marker
      | [|>]\s+\d+\s*\|.*
      | \^+\s*$
      | \.\.\.\s*\d+\s+more.*
      | node:internal/.*
      | [\w.$<>]*@\S+:\d+(?::\d+)?      # Firefox / Safari: fn@http://host/app.js:1:2
      | \S+\s@\s\S+:\d+(?::\d+)?       # Chrome console: Zone.run @ zone.js:138
    )$""",
    re.X,
)


def strip_decoration(line: str) -> str:
    """Drop timestamps, compose/turbo prefixes and box drawing from a log line."""
    previous = None
    while previous != line:
        previous = line
        line = _ANY_PREFIX.sub("", line, count=1)
    return line.strip()


def is_frame(line: str) -> bool:
    """A stack or code frame: where the error happened, not what it was."""
    return bool(_FRAME.match(line))


def paste_lines(text: str, limit: int = 2000) -> list[str]:
    """The paste's meaningful lines: decoration stripped, blanks and repeats dropped.

    Past `limit` lines, the first and the last half of them: a log ends with
    the error that stopped it.
    """
    seen: set[str] = set()
    out: list[str] = []
    for raw in clean(text).split("\n"):
        line = strip_decoration(raw)
        if not line or line in seen:
            continue
        seen.add(line)
        out.append(line)
    if len(out) > limit:
        out = out[: limit // 2] + out[-(limit - limit // 2):]
    return out


# --- placeholders -----------------------------------------------------------------

# (pattern, placeholder, a substring the pattern cannot match without). The
# substring test skips most patterns on most lines: masking runs on every
# stored line at load time.
_DIGIT = "0123456789"
_MASKS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>)]+", re.I), "<url>", "://"),
    (re.compile(r"\barn:aws[\w-]*:[\w-]*:[\w-]*:(?:\d{12}|\.\.\.)?:[^\s'\"]+"), "<arn>",
     "arn:"),
    (re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b"), "<email>", "@"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
     "<uuid>", "-"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
                r"(?:Z|[+-]\d{2}:?\d{2})?)?\b"), "<date>", "-"),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"), "<time>", ":"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"), "<ip>", "."),
    (re.compile(r"\b(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}\b", re.I), "<ip>", ":"),
    (re.compile(r"\b(?:i|ami|sg|subnet|vpc|vol|snap|eni|igw|rtb|acl)-[0-9a-f]{8,17}\b"),
     "<awsid>", "-"),
    (re.compile(r"\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|dev|app|internal|local|cloud)"
                r"(?::\d+)?\b", re.I), "<host>", "."),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b", re.I), "<hex>", ""),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<hex>", "0x"),
    # An HTTP status is the error, not a number that varies: "statuscode: 500"
    # is not "statuscode: 400". It becomes a word of its own (http500).
    (re.compile(r"\b(status[ _-]?code|status|HTTP/\d(?:\.\d)?)(\s*[:=]?\s*)([1-5]\d\d)\b",
                re.I), r"\1\2http\3", ""),
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds|m|min|mins|minutes|h|hours)\b"),
     "<duration>", ""),
    (re.compile(r"(?::\d+){1,2}\b"), "", ":"),  # file.ts:31:17 -> file.ts
    (re.compile(r"(?<![\w])(?:[A-Za-z]:)?(?:[\\/][\w.@()+~-]+){3,}[\\/]?"), "<path>", ""),
    (re.compile(r"\b\d+(?:\.\d+)*\b"), "<n>", ""),
]
_NEEDS_DIGIT = {"<time>", "<ip>", "<hex>", "<duration>", "", "<n>", "<date>", "<uuid>",
                "<awsid>"}


@functools.lru_cache(maxsize=4096)
def mask(line: str) -> str:
    """Replace the parts that change between occurrences with placeholders.

    Cached: one lookup asks for the same paste line's mask several times
    (tokens, message clause, alignment text).
    """
    has_digit = any(c in line for c in _DIGIT)
    has_slash = "/" in line or "\\" in line
    for pattern, placeholder, needle in _MASKS:
        if needle and needle not in line:
            continue
        if placeholder in _NEEDS_DIGIT and not has_digit:
            continue
        if placeholder == "<path>":
            if has_slash:
                line = pattern.sub(_short_path, line)
        else:
            line = pattern.sub(placeholder, line)
    return line


MAX_PATH_PARTS = 4
_HOME = re.compile(r"^(?:[A-Za-z]:)?[\\/](?:home|Users|users)[\\/][^\\/]+|^/root(?=/)")


def _short_path(match: re.Match[str]) -> str:
    # The home directory differs per machine and says nothing; the rest of a
    # path often is the error ("/api/v1/api/v1/courses", ".next/cache"). Very
    # deep paths keep their last parts, where the project's own files are.
    path = _HOME.sub("", match.group(0))
    parts = [p for p in re.split(r"[\\/]", path) if p]
    return "<path>/" + "/".join(parts[-MAX_PATH_PARTS:])


# --- tokens -------------------------------------------------------------------------

STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from into onto as is
    are was were be been being it its this that these those there here i you we they he
    she me my our your their them us do does did doing done have has had having not no
    so too very can could would should will shall may might must just also only than
    which who whom whose what when where why how all any some each every more most
    such own same other about after before again further once up down out off over
    under while during until because both few nor s t don didn doesn isn wasn aren
    won wouldn shouldn couldn hasn haven hadn im ive its let lets get got getting""".split()
)

# What mask() puts in; placeholders say "something varied here" and match nothing.
_PLACEHOLDERS = re.compile(r"<(?:url|arn|email|uuid|date|time|ip|awsid|host|hex|duration|value|"
                           r"path|n)>")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_']*|\d+[A-Za-z][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def stem(word: str) -> str:
    """A light suffix strip, so 'returns', 'returned' and 'returning' meet."""
    word = _BRITISH.sub(r"iz\1", word)
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "slz":
        word = word[:-1]  # stopping -> stopp -> stop
    return SAME_MEANING.get(word, word)


# Tools and the pages about them word one thing differently: Angular printed
# "Cannot instantiate cyclic dependency!" for the page titled "Circular
# Dependency in DI". Stemmed word -> the word it is counted as.
SAME_MEANING = {
    "cyclic": "circular", "cycle": "circular", "cycl": "circular",
    "unrecogniz": "unknown", "unrecognized": "unknown",
    "found": "find",
}
# initialise / initialize, serialisation / serialization.
_BRITISH = re.compile(r"(?<=\w{3})is(e|ed|es|ing|ation|ations|er|ers)$")

# Parts of a compound identifier count for less than the identifier itself:
# `llm_response_cache` is evidence, 'response' alone barely is.
PART_FACTOR = 0.5


def weighted_tokens(text: str) -> dict[str, float]:
    """Token -> factor for already-masked text.

    Compound identifiers keep their whole form (factor 1) and add their parts
    (PART_FACTOR), so `llm_response_cache` matches itself exactly and
    'response cache' partly; likewise camelCase names.
    """
    out: dict[str, float] = {}
    if "<" in text:
        text = _PLACEHOLDERS.sub(" ", text)
    raws = _WORD.findall(text)
    for raw in raws:
        for word, factor in _word_forms(raw):
            if factor > out.get(word, 0.0):
                out[word] = factor
    for word in _negations(raws):
        out[word] = max(out.get(word, 0.0), PART_FACTOR)
    return out


# The token of a denied word: "did not match" -> not_match.
NEGATED = "not_"
# Words that deny what follows ("did not match", "can't find", "isn't a known").
_NEGATORS = frozenset("""not no never cannot cant couldnt didnt doesnt isnt wasnt arent
    wont unable""".split())
# Words that may stand between the denial and what it denies.
_BETWEEN = frozenset("be been a an the any to able yet have has is was".split())
# Words that carry their own denial: a mismatch is a "not match".
_DENYING = {"mismatch": "match", "unknown": "known"}


def _negations(raws: list[str]) -> list[str]:
    """A token for each denied word: "did not match", "mismatches" -> not_match.

    Tools and their docs deny the same thing in different words ("The selector
    did not match any elements" / "the selector mismatches the tag"); the bare
    words alone would make "not found" and "found" the same.
    """
    out = []
    lowered = [r.lower().replace("'", "") for r in raws]
    for i, word in enumerate(lowered):
        forms = _word_forms(raws[i])
        if forms and forms[0][0] in _DENYING:
            out.append(NEGATED + _DENYING[forms[0][0]])
        if word not in _NEGATORS:
            continue
        for j in range(i + 1, min(i + 4, len(raws))):
            if lowered[j] in _BETWEEN:
                continue
            denied = _word_forms(raws[j])
            if denied and lowered[j] not in _NEGATORS:
                out.append(NEGATED + denied[0][0])
            break
    return out


def word_sequence(text: str) -> list[str]:
    """The whole words of already-masked text, in order, repeats kept."""
    if "<" in text:
        text = _PLACEHOLDERS.sub(" ", text)
    return [word for raw in _WORD.findall(text)
            for word, factor in _word_forms(raw) if factor == 1.0]


@functools.lru_cache(maxsize=200_000)
def _word_forms(raw: str) -> tuple[tuple[str, float], ...]:
    """The tokens one raw word gives: itself, and its parts when it is compound."""
    raw = raw.strip("'")
    parts = [p for p in raw.split("_") if p]
    if len(parts) == 1 and not raw.islower() and not raw.isupper():
        parts = _CAMEL.findall(raw)
    words = [(raw, 1.0)]
    if len(parts) > 1:
        words += [(p, PART_FACTOR) for p in parts]

    out = []
    for word, factor in words:
        word = word.lower().replace("'", "")
        if len(word) >= 2 and word not in STOPWORDS:
            out.append((stem(word), factor))
    return tuple(out)


# A quoted value has no spaces: a user, a key, a file ("tutor", 'gzip_level',
# '/app/.next/cache'); backticks and quoted sentences are code and prose.
# Matching compares values (another value may be another error, confidence.py);
# a fingerprint does not.
QUOTED_VALUE = re.compile(r"""(?<![\w])(['"])([^'"\s]{1,120})\1""")


def mask_values(line: str) -> str:
    """mask(), and quoted values as placeholders too: the line as it may be
    kept or compared across occurrences."""
    return QUOTED_VALUE.sub("<value>", mask(line))


def fingerprint(text: str) -> str:
    """Same value for two pastes that differ only in the volatile parts,
    quoted values included."""
    lines = [mask_values(line) for line in paste_lines(text) if not is_frame(line)]
    canonical = "\n".join(" ".join(weighted_tokens(line)) for line in lines)
    return hashlib.sha1(canonical.encode()).hexdigest()[:16]
