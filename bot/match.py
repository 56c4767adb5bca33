"""Score a paste against the stored lines and decide how sure we are.

The index is built once per knowledge load: per-line token weights (inverse
entry frequency, so words every entry shares do not decide), an inverted index
for the shortlist, and the vocabulary rapidfuzz maps misspelt or inflected
paste words onto. A lookup then only touches the lines that share a word with
the paste. Thresholds live in thresholds.py with the numbers that chose them.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from . import thresholds
from .identifiers import entry_codes, paste_identifiers
from .model import CONFIDENCE_HIGH, CONFIDENCE_LOW, CONFIDENCE_NONE, Entry, Line, Match
from .normalize import is_frame, mask, paste_lines, quoted_values, weighted_tokens
from .signals import is_error_line, reports_problem
from .snippet import snippet_for

# How much a match on each kind of stored line counts.
KIND_WEIGHT = {
    "error": 1.0,
    "symptom": 1.0,
    "title": 1.0,
    "description": 0.9,
    "fix": 0.8,
    "cause": 0.8,
    "code": 0.75,
    "other": 0.6,
}

# Pastes are bounded before any work: Slack's own message limit is 40,000 chars.
MAX_PASTE_CHARS = 40_000
MAX_SEGMENTS = 24



@dataclass
class _Stored:
    line: Line
    text: str  # the line, or one sentence of a long line
    weights: dict[str, float]
    mass: float
    plain: str  # masked, lower-cased, for rapidfuzz alignment


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`'\"(])")
LONG_LINE = 160


def _units(text: str) -> list[str]:
    """A long prose line is matched sentence by sentence, and also whole."""
    if len(text) <= LONG_LINE:
        return [text]
    return [text] + [s for s in _SENTENCE.split(text) if len(s) > 12]


def _plain(text: str) -> str:
    return utils.default_process(mask(text))


class Matcher:
    """Ranks entries for a paste. Build once, then call lookup many times."""

    def __init__(self, entries: list[Entry], lines: list[Line],
                 link: Callable[[Entry], str]) -> None:
        self.entries = {e.id: e for e in entries}
        self._link = link
        self._codes = entry_codes(entries)

        units = [(ln, u) for ln in lines for u in _units(ln.text)]
        toks = [weighted_tokens(mask(u)) for _, u in units]

        # Inverse entry frequency: a word in every entry carries almost nothing.
        per_entry: dict[str, set[str]] = defaultdict(set)
        for (ln, _), tk in zip(units, toks):
            per_entry[ln.entry_id].update(tk)
        df: dict[str, int] = defaultdict(int)
        for words in per_entry.values():
            for w in words:
                df[w] += 1
        n = max(len(self.entries), 1)
        self.idf = {w: math.log(1 + n / c) for w, c in df.items()}
        self._unknown_weight = math.log(1 + n) * thresholds.UNKNOWN_WORD_FACTOR
        self._entry_words = {e: frozenset(ws) for e, ws in per_entry.items()}
        self._min_mass = thresholds.MIN_LINE_WORDS * (
            sum(self.idf.values()) / max(len(self.idf), 1))

        self._stored: list[_Stored] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        for (ln, unit), tk in zip(units, toks):
            weights = {w: self.idf[w] * f for w, f in tk.items()}
            if not weights or ln.entry_id not in self.entries:
                continue
            index = len(self._stored)
            self._stored.append(_Stored(ln, unit, weights, sum(weights.values()),
                                        _plain(unit)))
            for w in weights:
                self._postings[w].append(index)
        self._vocab = sorted(self.idf)
        # A code span's own line item ("Fixed Docker `.next/cache` permissions
        # (`EACCES ...`)"), which is what a reply should quote.
        self._items = {(ln.entry_id, ln.section, ln.line): ln for ln in lines
                       if ln.kind not in ("code", "error")}
        # In a small knowledge base every word is "common"; shortlist on all of them.
        small = n * thresholds.COMMON_WORD_SHARE < 5
        self._common_idf = 0.0 if small else math.log(1 + 1 / thresholds.COMMON_WORD_SHARE)

    # -- public -------------------------------------------------------------------

    def lookup(self, text: str, limit: int = 3) -> list[Match]:
        """Entries for a paste, best first, each with a score and a confidence."""
        text = text[:MAX_PASTE_CHARS]
        lines = paste_lines(text)
        segments = self._segments(lines)

        scores: dict[str, tuple[float, str, _Stored | None, list[str]]] = {}
        for entry_id, (score, q, shared) in self._by_identifier(lines).items():
            scores[entry_id] = (score, q, None, shared)
        for q in segments:
            for entry_id, (score, stored, shared) in self._score_segment(q).items():
                if score > scores.get(entry_id, (0.0,))[0]:
                    scores[entry_id] = (score, q, stored, shared)

        scores = self._with_global(scores, segments)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1][0])
        ranked = [kv for kv in ranked if kv[1][0] >= thresholds.FLOOR]
        problem = reports_problem(lines)
        return self._matches(ranked[: max(limit, 2)], problem)[:limit]

    # -- steps --------------------------------------------------------------------

    def _segments(self, lines: list[str]) -> list[str]:
        """The lines worth scoring: not stack frames, error lines first in long pastes.

        Neighbouring lines are also scored joined, since one message is often
        wrapped over two or three lines.
        """
        body = [ln for ln in lines if not is_frame(ln)]
        if len(body) > MAX_SEGMENTS:
            errorish = [ln for ln in body if is_error_line(ln)]
            body = list(dict.fromkeys(errorish + body))[:MAX_SEGMENTS]
        joined = [f"{a} {b}" for a, b in zip(body, body[1:])]
        return body + joined

    def _with_global(self, scores: dict, segments: list[str]) -> dict:
        """Blend in how much of the whole paste each entry knows about."""
        paste = " ".join(segments[: MAX_SEGMENTS])
        qw = self._query_weights(paste)
        total = sum(qw.values())
        if total <= 0:
            return scores
        out = {}
        for entry_id, (score, q, stored, shared) in scores.items():
            words = self._entry_words.get(entry_id, frozenset())
            known = sum(w for t, w in qw.items() if t in words) / total
            blended = score * (1 - thresholds.GLOBAL_WEIGHT) + known * thresholds.GLOBAL_WEIGHT
            if stored is None:  # an identifier decides on its own
                blended = max(score, blended)
            out[entry_id] = (blended, q, stored, shared)
        return out

    def _by_identifier(self, lines: list[str]) -> dict[str, tuple[float, str, list[str]]]:
        """Entries named outright by a code or docs link, the first named first.

        A paste that names two entries is usually about the first: the later
        one is a consequence ("Error occurred prerendering page ...").
        """
        found: dict[str, tuple[float, str, list[str]]] = {}
        for ident, line in paste_identifiers(lines):
            entry_id = self._codes.get(ident.lower())
            if entry_id and entry_id not in found:
                score = thresholds.IDENTIFIER_SCORE - thresholds.IDENTIFIER_STEP * len(found)
                found[entry_id] = (score, line, [ident])
        return found

    def _query_weights(self, q: str) -> dict[str, float]:
        weights: dict[str, float] = {}
        values = quoted_values(q)
        for word, factor in weighted_tokens(mask(q)).items():
            if word in self.idf:
                weights[word] = self.idf[word] * factor
                continue
            if word in values:
                continue  # a name the user chose ('psycopg2'), not part of the error
            near = None
            if len(word) >= 5:
                near = process.extractOne(word, self._vocab, scorer=fuzz.ratio,
                                          score_cutoff=thresholds.FUZZY_WORD)
            if near is not None and near[0] not in weights:
                weights[near[0]] = self.idf[near[0]] * factor * near[1] / 100
            else:
                weights[word] = self._unknown_weight * factor
        return weights

    def _score_segment(self, q: str) -> dict[str, tuple[float, _Stored, list[str]]]:
        qw = self._query_weights(q)
        q_mass = sum(qw.values())
        if q_mass <= 0:
            return {}

        # Shortlist through the rarer words only; a line reached through nothing
        # but words most entries use could not score anyway. The common words
        # still add to the shortlisted lines' overlap.
        rare = [w for w in qw if self.idf.get(w, 0.0) >= self._common_idf]
        common = [w for w in qw if w not in rare]
        shared_mass: dict[int, float] = defaultdict(float)
        for word in rare:
            weight = qw[word]
            for index in self._postings.get(word, ()):
                shared_mass[index] += min(weight, self._stored[index].weights[word])
        for index in shared_mass:
            weights = self._stored[index].weights
            for word in common:
                if word in weights:
                    shared_mass[index] += min(qw[word], weights[word])

        q_plain = _plain(q)
        best: dict[str, tuple[float, _Stored, list[str]]] = {}
        for index, shared in shared_mass.items():
            stored = self._stored[index]
            # Short lines are easy to cover by chance: below a few words' worth of
            # weight, a line counts as if it were that long.
            line_cov = shared / max(stored.mass, self._min_mass)
            q_cov = shared / q_mass
            score = (line_cov ** thresholds.LINE_EXP) * (q_cov ** thresholds.QUERY_EXP)
            if shared >= stored.mass * 0.5:
                score = max(score, self._alignment(stored, q_plain))
            score *= KIND_WEIGHT.get(stored.line.kind, 0.6)
            entry_id = stored.line.entry_id
            if score > best.get(entry_id, (0.0,))[0]:
                words = sorted(set(qw) & set(stored.weights))
                best[entry_id] = (score, stored, words)
        return self._with_entry_words(best, qw, q_mass)

    def _with_entry_words(self, best: dict, qw: dict[str, float], q_mass: float) -> dict:
        """Blend in how much of the paste line the entry as a whole explains.

        A message's words are often spread over two sentences of a page (the API
        named in one, the fix in the next); no single line then covers it.
        """
        mix = thresholds.ENTRY_WORDS_WEIGHT
        out = {}
        for entry_id, (score, stored, words) in best.items():
            vocabulary = self._entry_words[entry_id]
            known = sum(w for t, w in qw.items() if t in vocabulary) / q_mass
            out[entry_id] = (score * (1 - mix) + known * score ** 0.5 * mix, stored, words)
        return out

    def _alignment(self, stored: _Stored, q_plain: str) -> float:
        """A stored error string found nearly verbatim inside the paste line."""
        length = len(stored.plain)
        if length < thresholds.ALIGN_MIN_CHARS or length > len(q_plain) + 10:
            return 0.0
        ratio = fuzz.partial_ratio(stored.plain, q_plain, processor=None)
        if ratio < thresholds.ALIGN_MIN_RATIO:
            return 0.0
        strength = (ratio - thresholds.ALIGN_MIN_RATIO) / (100 - thresholds.ALIGN_MIN_RATIO)
        reach = min(1.0, length / thresholds.ALIGN_FULL_CHARS)
        return strength * reach

    def _matches(self, ranked: list, problem: bool) -> list[Match]:
        out: list[Match] = []
        for i, (entry_id, (score, q, stored, shared)) in enumerate(ranked):
            entry = self.entries[entry_id]
            runner = ranked[i + 1][1] if i + 1 < len(ranked) else None
            confidence = _confidence(score, stored, runner, first=(i == 0))
            if confidence == CONFIDENCE_HIGH and not problem and score < thresholds.STRONG:
                # Talk that shares an entry's nouns but reports no problem.
                confidence = CONFIDENCE_LOW
            line = stored.line if stored else None
            if line is not None and line.kind in ("code", "error"):
                line = self._items.get((line.entry_id, line.section, line.line), line)
            out.append(Match(
                entry=entry, score=round(min(score, 1.0) * 100, 1),
                confidence=confidence, snippet=snippet_for(entry, line),
                url=self._link(entry), query_line=q,
                entry_line=stored.text if stored else entry.title, shared=shared,
            ))
        return out


def _confidence(score: float, stored: _Stored | None, runner: tuple | None,
                first: bool) -> str:
    """high: worth an unprompted reply; low: shown when asked; none: not an answer."""
    if score >= thresholds.HIGH and first:
        if runner is None:
            return CONFIDENCE_HIGH
        runner_score, _, runner_stored, _ = runner
        # Two entries that quote the same error string are siblings (the log
        # files one symptom under both); the reply lists both, so it may speak.
        same_evidence = (stored is not None and runner_stored is not None
                         and stored.line.kind in ("error", "symptom")
                         and len(stored.text) >= 24
                         and _same_text(stored.text, runner_stored.text))
        if same_evidence or score - runner_score >= thresholds.MARGIN:
            return CONFIDENCE_HIGH
        return CONFIDENCE_LOW
    if score >= thresholds.LOW:
        return CONFIDENCE_LOW
    return CONFIDENCE_NONE


def _same_text(a: str, b: str) -> bool:
    return fuzz.ratio(a, b, processor=utils.default_process) >= 90
