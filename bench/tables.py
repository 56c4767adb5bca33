"""Plain aligned text tables for the bench scripts' output.

Small on purpose: the bench prints to a terminal and into bench/README.md, so
numbers line up on their right edge and names on their left. Callers format
their own numbers (a share and a latency want different precision).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# What a formatted number looks like: 0.860, 29.3, 12x, 1.9x, n/a.
_NUMBER = re.compile(r"^(?:[-+]?\d[\d,]*(?:\.\d+)?[x%]?|n/a)$")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Headers, a rule, then one line per row; numeric columns right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(_NUMBER.match(r[i]) for r in rows)
               for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        cells = [v.rjust(w) if num else v.ljust(w)
                 for v, w, num in zip(values, widths, numeric, strict=True)]
        return " | ".join(cells).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def share(value: float | None) -> str:
    """A share of cases, to three places."""
    return "n/a" if value is None else f"{value:.3f}"


def ms(value: float | None) -> str:
    """Milliseconds: two places below 10, one above, so columns stay narrow."""
    if value is None:
        return "n/a"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def ratio(value: float | None) -> str:
    """How many times a baseline a number is."""
    if value is None:
        return "n/a"
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"
