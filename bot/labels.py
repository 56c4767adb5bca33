"""Which section labels mean symptoms, cause, fix and prevention.

Teams word these differently ("Root cause", "Why This Error Occurred", "Possible
Ways to Fix It"). The table is data: a team extends it from known-issue.toml
([labels] in sources.py) instead of changing code, and anything not in it is
kept as a named section. Close misspellings of a known label are reported,
because a misspelt "Root cause" silently stops being the cause.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping

SYMPTOMS = "symptoms"
ROOT_CAUSE = "root_cause"
FIX = "fix"
PREVENTION = "prevention"
DATE = "date"
SEVERITY = "severity"
# A known label that fills no field: kept as a named section, never a typo.
SECTION = ""

FIELDS = (SYMPTOMS, ROOT_CAUSE, FIX, PREVENTION, DATE, SEVERITY)

DEFAULT_SYNONYMS: dict[str, str] = {
    "date": DATE,
    "dates": DATE,
    "severity": SEVERITY,
    "impact": SEVERITY,
    "symptoms": SYMPTOMS,
    "symptom": SYMPTOMS,
    "error": SYMPTOMS,
    "error message": SYMPTOMS,
    "errors": SYMPTOMS,
    "what you see": SYMPTOMS,
    "root cause": ROOT_CAUSE,
    "cause": ROOT_CAUSE,
    "causes": ROOT_CAUSE,
    "why this error occurred": ROOT_CAUSE,
    "why this warning occurred": ROOT_CAUSE,
    "why this happens": ROOT_CAUSE,
    "why this message occurred": ROOT_CAUSE,
    "fix": FIX,
    "fixes": FIX,
    "solution": FIX,
    "resolution": FIX,
    "how to fix": FIX,
    "how to fix it": FIX,
    "possible ways to fix it": FIX,
    "possible way to fix it": FIX,
    "ways to fix it": FIX,
    "debugging the error": FIX,
    "what should i do instead?": FIX,
    "what should i do instead": FIX,
    "fixing the error": FIX,
    "answer": FIX,
    "question": SYMPTOMS,
    "prevention": PREVENTION,
    "how to prevent it": PREVENTION,
}

# Sections that are not "the fix" but answer a paste the same way, so a line
# matched inside them is shown as the snippet.
FIX_LIKE = re.compile(
    r"fix|workaround|solution|resolution|debugging|instead|possible causes", re.I
)

# Labels a log writer uses besides the canonical ones. Known here so that the
# linter can tell a typo ("Root casue") from a deliberate extra section.
KNOWN_EXTRA_LABELS = (
    "Workaround",
    "Workarounds",
    "Long-term fix",
    "Possible causes and fixes",
    "Explanation",
    "Additional fixes applied",
    "Diagnostic query",
    "Useful links",
    "Notes",
    "Note",
    "See also",
)

# Sections that only point elsewhere: never used as a page's fix.
LINK_LABELS = frozenset({"useful links", "see also", "links", "references",
                         "further reading", "learn more"})

# How close a label must be to a known one to be reported as its misspelling.
# 0.8 catches one swapped or missing letter in "Root cause" or "Symptoms" and
# none of the free-form headings in the Next.js and Angular corpora.
TYPO_CUTOFF = 0.8


@functools.lru_cache(maxsize=4096)
def normalize_label(label: str) -> str:
    """'**Root cause:**' and '#### Root Cause' both become 'root cause'."""
    return " ".join(label.strip().rstrip(":").strip().lower().split())


def make_synonyms(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The default table with a team's additions (label -> field) on top.

    Known extra labels map to SECTION (""), so a lookup tells known from unknown.
    """
    table = {normalize_label(label): SECTION for label in KNOWN_EXTRA_LABELS}
    table.update(DEFAULT_SYNONYMS)
    for label, target in (extra or {}).items():
        table[normalize_label(label)] = target
    return table


def suggest(label: str, synonyms: Mapping[str, str]) -> str | None:
    """The known label an unknown one is probably a misspelling of, else None."""
    name = normalize_label(label)
    if name in synonyms or len(name) < 4:
        return None
    close = difflib.get_close_matches(name, list(synonyms), n=1, cutoff=TYPO_CUTOFF)
    return close[0].capitalize() if close else None
