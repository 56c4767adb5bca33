"""Exact identifiers: error codes and docs links that name an entry outright.

Codes compare exactly (NG02801 is not NG02802). A docs link only counts on a
line that reports a problem: Next.js prints informational lines with links to
pages that are not the error ("info - Using webpack 5 ... /messages/webpack5").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .model import Entry
from .signals import is_error_line, is_informational

_CODE = re.compile(r"\b([A-Z]{2,5}-?\d{3,6}|E[A-Z]{4,}|ERR_[A-Z_]{3,})\b")
_FAMILY = re.compile(r"^[A-Z]+")
_URL = re.compile(r"https?://[^\s'\"<>)|\]]+", re.I)


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


def paste_identifiers(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(identifier, line) pairs from the lines that report a problem.

    Informational lines count only when nothing else in the paste reports an
    error: an info line's link then is the message, otherwise it is noise.
    """
    lines = list(lines)
    has_error = any(is_error_line(ln) for ln in lines)
    for line in lines:
        if has_error and is_informational(line):
            continue
        for code in _CODE.findall(line):
            yield code, line
        for url in _URL.findall(line):
            url = url.rstrip(".,;:")
            fragment = url.partition("#")[2]
            if fragment:
                yield fragment, line
            last = url.partition("#")[0].rstrip("/").rsplit("/", 1)[-1]
            if last:
                yield last, line
