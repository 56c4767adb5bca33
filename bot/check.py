"""`known-issue check`: lint knowledge markdown in the docs repo's CI or pre-commit.

Everything ingest reports (unreadable files, fences or front matter left open,
misspelt labels, empty sections, duplicate headings and ids) plus what only
makes sense across a whole entry or all of them: an entry with no symptoms or
no fix, and two entries whose symptoms are so alike that a paste of one would
match both. A page with no symptoms section has its title and opening
paragraph as symptoms (parse.py), so one-page-per-error docs pass as written.

Findings print as `file:line: level: message`; the exit code is 1 when any is
an error and 0 when there are only warnings. Nothing is written anywhere.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from rapidfuzz import fuzz, process, utils

from . import labels
from .config import Settings
from .ingest import SUFFIXES, find_files, read_all
from .model import Diagnostic, Entry
from .snippet import main_fix
from .sources import Source, sources_for

# Two symptoms at least this alike (token_sort_ratio, 0-100) make a paste of
# one land on both entries. 95 flags the same message with a word or a number
# changed, and none of the distinct pages in the Next.js and Angular corpora.
AMBIGUOUS_SCORE = 95
# Shorter symptoms ("500", "timeout") are too generic to call ambiguous.
MIN_SYMPTOM_CHARS = 16


def check_paths(
    paths: Sequence[str], settings: Settings | None = None
) -> list[Diagnostic]:
    """Every finding for the knowledge under paths, sorted by file and line."""
    configured = settings.sources if settings else ()
    synonyms = labels.make_synonyms(settings.label_synonyms if settings else None)
    sources = sources_for(paths, configured)
    files, problems = find_files(sources)
    knowledge = read_all(files, problems, synonyms)

    findings = list(knowledge.diagnostics)
    findings.extend(no_knowledge(sources, {f.source for f in files}, problems))
    findings.extend(missing_parts(knowledge.entries))
    findings.extend(ambiguous_symptoms(knowledge.entries))
    return sorted(findings, key=lambda d: (d.path, d.line, d.level != "error"))


def no_knowledge(sources: Sequence[Source], found_through: set[Source],
                 problems: Sequence[Diagnostic]) -> list[Diagnostic]:
    """A path with no knowledge file under it: a mistyped path must fail the CI."""
    missing = {d.path for d in problems if d.level == "error"}  # already said
    empty = [s for s in sources if s not in found_through and s.path not in missing]
    # A file found through an earlier path is not found again through this one.
    empty = [s for s in empty if not find_files([s])[0]]
    kinds = ", ".join(SUFFIXES)
    return [Diagnostic(s.path, 1, "error", f"no knowledge files ({kinds}) here: check "
                                           "the path, or name the folder that holds "
                                           "the troubleshooting markdown")
            for s in empty]


def missing_parts(entries: Sequence[Entry]) -> list[Diagnostic]:
    """An entry the bot cannot match (no symptoms) or cannot answer with (no fix)."""
    found = []
    for entry in entries:
        if not entry.symptoms:
            # Still matched by its title and text, only less surely.
            found.append(Diagnostic(entry.source, entry.line, "warning",
                                    f"entry {entry.title!r} has no symptoms: add a "
                                    "**Symptoms:** list with the exact error text"))
        if entry.fix or any(labels.FIX_LIKE.search(s) for s in entry.sections):
            continue
        # An explanation or a root cause is an answer of sorts; nothing at all is not.
        level = "warning" if main_fix(entry) or entry.root_cause else "error"
        found.append(Diagnostic(entry.source, entry.line, level,
                                f"entry {entry.title!r} has no fix: add a **Fix:** "
                                "section saying what resolved it"))
    return found


def ambiguous_symptoms(entries: Sequence[Entry]) -> list[Diagnostic]:
    """Pairs of entries whose symptoms a matcher could not tell apart."""
    texts: list[str] = []
    owners: list[int] = []
    for n, entry in enumerate(entries):
        for symptom in entry.symptoms:
            if len(symptom) >= MIN_SYMPTOM_CHARS:
                texts.append(symptom)
                owners.append(n)

    # default_process lowercases and drops punctuation: rapidfuzz compares raw
    # strings unless told otherwise. Done once here, not per comparison.
    cleaned = [utils.default_process(t) for t in texts]
    best: dict[tuple[int, int], float] = {}
    for i, text in enumerate(cleaned):
        later = cleaned[i + 1 :]
        for _, score, k in process.extract(text, later, scorer=fuzz.token_sort_ratio,
                                           score_cutoff=AMBIGUOUS_SCORE, limit=None):
            a, b = owners[i], owners[i + 1 + k]
            if a != b:
                pair = (min(a, b), max(a, b))
                best[pair] = max(best.get(pair, 0.0), score)

    return [_ambiguous(entries[a], entries[b], score)
            for (a, b), score in sorted(best.items())]


def _ambiguous(first: Entry, second: Entry, score: float) -> Diagnostic:
    return Diagnostic(second.source, second.line, "warning",
                      f"symptoms of {second.title!r} and {first.title!r} "
                      f"({first.source}:{first.line}) are {score:.0f}% alike: a paste "
                      "of one would match both; quote the exact, distinct error text")


def run_check(paths: Sequence[str], as_json: bool = False,
              settings: Settings | None = None) -> int:
    """Print the findings; 1 when any is an error, else 0."""
    findings = check_paths(paths, settings)
    errors = sum(1 for d in findings if d.level == "error")
    warnings = len(findings) - errors

    if as_json:
        print(json.dumps({"errors": errors, "warnings": warnings,
                          "findings": [d.to_dict() for d in findings]}, indent=2))
    else:
        for finding in findings:
            print(finding)
        print(f"{errors} error{'s' * (errors != 1)}, "
              f"{warnings} warning{'s' * (warnings != 1)}", file=sys.stderr)
    return 1 if errors else 0
