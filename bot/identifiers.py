"""Exact identifiers: error codes, docs links and exception names that name an entry.

Codes compare exactly (NG02801 is not NG02802). A docs link only counts on a
line that reports a problem: Next.js prints informational lines with links to
pages that are not the error ("info - Using webpack 5 ... /messages/webpack5").
An exception name counts when it is specific (three or more words run
together: ExpressionChangedAfterItHasBeenCheckedError, not TypeError) and only
one entry mentions it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .model import Entry, Line
from .signals import (error_strength, is_error_line, is_informational, is_warning,
                      reports_problem)

_CODE = re.compile(r"\b([A-Z]{2,5}-?\d{3,6}|E[A-Z]{4,}|ERR_[A-Z_]{3,})\b")
# A code as a person types it when asking: "what is ng0100?"
_TYPED_CODE = re.compile(r"\b([a-z]{2,5}\d{3,6})\b")
_FAMILY = re.compile(r"^[A-Z]+")
_URL = re.compile(r"https?://[^\s'\"<>)|\]]+", re.I)
# Line kinds in which an entry states the error it is about.
_STATES_ERROR = ("title", "error", "symptom")
# What a tool prints right before its docs link: "Read more:", "See:", "(learn more)".
_DOCS_LEAD = ("see:", "see", "read more:", "read more", "read more at:", "learn more:",
              "learn more", "(learn more)", "more info:", "more information:",
              "for more information, see", "for more information see", "docs:",
              "documentation:")
_EXCEPTION = re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*){2,}(?:Error|Exception)\b")


def entry_codes(entries: Iterable[Entry]) -> dict[str, str]:
    """Lower-cased identifier -> entry id, for every way a paste may name an entry."""
    codes: dict[str, str] = {}
    for entry in entries:
        names = [entry.id, *entry.codes]
        names += _CODE.findall(entry.title)
        for name in names:
            codes.setdefault(name.lower(), entry.id)
    return codes


def code_families(entries: Iterable[Entry]) -> frozenset[str]:
    """Prefixes of the numbered codes the knowledge documents ("NG" for NG0100)."""
    families = set()
    for entry in entries:
        for name in [entry.id, *entry.codes]:
            if _CODE.fullmatch(name) and any(c.isdigit() for c in name):
                families.add(_FAMILY.match(name).group(0))  # type: ignore[union-attr]
    return frozenset(families)


def foreign_codes(lines: Iterable[str], known: dict[str, str],
                  families: frozenset[str]) -> list[str]:
    """Codes on error lines from a documented family that no entry documents.

    NG0909 in a paste, when the knowledge documents NG codes but not this one,
    means the error is one the knowledge does not cover, however alike the words.
    """
    found = []
    for line in lines:
        if not is_error_line(line):
            continue
        for code in _CODE.findall(line):
            family = _FAMILY.match(code)
            if family and family.group(0) in families and code.lower() not in known:
                found.append(code)
    return found


def paste_identifiers(lines: Iterable[str]) -> Iterator[tuple[str, str, bool]]:
    """(identifier, line, decisive) for the codes and docs links of a paste.

    Informational lines count only when nothing else in the paste reports an
    error: an info line's link then is the message, otherwise it is noise. An
    identifier that is not decisive still finds its entry (someone asking
    "what is NG0100?") but cannot make an unprompted answer: a code named in a
    sentence, or a link in a message that reports no problem ("thanks, <link>
    fixed it").
    """
    lines = list(lines)
    has_error = any(is_error_line(ln) for ln in lines)
    failed = any(error_strength(ln) == 2 for ln in lines)
    named_failure = any(error_strength(ln) == 2 and names_its_error(ln) for ln in lines)
    reported = reports_problem([_URL.sub(" ", ln) for ln in lines])
    for i, line in enumerate(lines):
        if has_error and is_informational(line):
            continue
        # A build that failed also prints warnings with links ("⚠ No build
        # cache found ... /messages/no-cache"); the failure is the error. A
        # warning's own code gives way only to an error with a name of its own
        # ("ERROR HttpErrorResponse"), not to "Error occurs in the template of
        # component X", which is the same diagnostic's context.
        beside = failed and _warns(lines, i)
        for match in _CODE.finditer(line):
            printed = _as_printed(line, match.start(), match.end()) or _seen_now(line)
            yield match.group(1), line, printed and not (beside and named_failure)
        for code in _TYPED_CODE.findall(line):
            yield code, line, False
        if beside:
            continue
        for url in _URL.findall(line):
            url = url.rstrip(".,;:")
            fragment = url.partition("#")[2]
            decisive = reported or _points_to_docs(line, url)
            if fragment:
                yield fragment, line, decisive
            last = url.partition("#")[0].rstrip("/").rsplit("/", 1)[-1]
            if last:
                yield last, line, decisive


def _points_to_docs(line: str, url: str) -> bool:
    """The link follows the words a tool prints before its docs link.

    A lint rule or a framework hint may report its problem without a word of
    trouble ("Use the `next/script` component ... See: <link>"); the "See:"
    is the tool's. People name links in sentences ("<link> is a good read").
    """
    before = line[:line.find(url)].rstrip().lower()
    return before.endswith(_DOCS_LEAD)


# A person saying what they see now: "the build keeps printing NG8107 warnings".
_SEEN_NOW = re.compile(
    r"\b(?:keeps? (?:printing|throwing|showing|failing|logging)|throws?|throwing|"
    r"fails? with|failing with|blows? up|crash(?:es|ing)?|I(?:'m)? get(?:ting)?|"
    r"we(?:'re)? get(?:ting)?)\b", re.I)


def _seen_now(line: str) -> bool:
    """A person reports the code as happening now (not asking about it)."""
    return bool(_SEEN_NOW.search(line)) and not line.rstrip().endswith("?")


def _as_printed(line: str, start: int, end: int) -> bool:
    """The code stands as a tool prints it: "NG0100: ...", "[NG0100]", "code EACCES",
    "Error: NG0201 (...)", or first on its line.

    People name codes in sentences too ("a circular dependency (NG0200) shipped
    in 4.12.0, hotfixed since"): that is talk about an error, not the error.
    """
    if line[end:end + 1] in ("", ":", "]", "'", '"', ","):
        return True
    before = line[:start].rstrip().lower()
    return not before or before.endswith(("error:", "error", "exception:", "["))


def _warns(lines: list[str], i: int) -> bool:
    """The line is a warning, or the "See more info" line under one."""
    if is_warning(lines[i]):
        return True
    return i > 0 and error_strength(lines[i]) == 0 and is_warning(lines[i - 1])


def exception_names(lines: Iterable[Line]) -> dict[str, dict[str, Line]]:
    """Specific exception name -> entry id -> the entry's line that quotes it.

    Only titles and quoted error strings count: an entry about some other
    problem that mentions `ModuleNotFoundError` in its fix is not named by it.
    """
    names: dict[str, dict[str, Line]] = {}
    for line in lines:
        if line.kind not in _STATES_ERROR:
            continue
        if "Error" in line.text or "Exception" in line.text:
            for name in _EXCEPTION.findall(line.text):
                names.setdefault(name, {}).setdefault(line.entry_id, line)
    return names


# An error type as printed before its message: "AxiosError:", "ERROR HttpErrorResponse".
_ERROR_TYPE = re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*(?:Error|Exception)\w*\b")


# Codes with a one-letter prefix: Prisma's "P1001", compilers' "C2065".
_SHORT_CODE = re.compile(r"\b[A-Z]\d{4}\b")


def names_its_error(line: str) -> bool:
    """The line carries an error's identity: a code or an error type of its own.

    "Error: connect ECONNREFUSED 127.0.0.1:5432" and "AxiosError: Request
    failed" are errors in their own right; "Error: Aborted because ... is not
    accepted" only tells more about the warning above it.
    """
    return bool(_CODE.search(line) or _ERROR_TYPE.search(line) or _SHORT_CODE.search(line))


# A class named with its module, as Python prints an exception:
# "celery.exceptions.SoftTimeLimitExceeded: ...".
_QUALIFIED_TYPE = re.compile(r"\b(?:[a-z_][a-z0-9_]*\.)+([A-Z][A-Za-z0-9]+)(?=:|\()")


def error_types(text: str) -> set[str]:
    """The error types a text prints: `TypeError`, `AccessDeniedException`,
    `celery.exceptions.SoftTimeLimitExceeded`."""
    return set(_ERROR_TYPE.findall(text)) | set(_QUALIFIED_TYPE.findall(text))


def entry_error_types(lines: Iterable[Line]) -> dict[str, set[str]]:
    """Entry id -> the error types its titles and quoted errors print."""
    types: dict[str, set[str]] = {}
    for line in lines:
        if line.kind in _STATES_ERROR and (found := error_types(line.text)):
            types.setdefault(line.entry_id, set()).update(found)
    return types


def paste_exception_names(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(exception name, line) pairs in paste order."""
    for line in lines:
        for name in _EXCEPTION.findall(line):
            yield name, line
