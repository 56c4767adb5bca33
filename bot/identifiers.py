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

_CODE = re.compile(r"\b(NG0*\d{3,5}|TS\d{4,5}|E[A-Z]{4,}|ERR_[A-Z_]{3,})\b")
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
