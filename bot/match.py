"""Score a paste against the stored lines and decide how sure we are.

The index is built once per knowledge load: per-line token weights (inverse
entry frequency, so words every entry shares do not decide), an inverted index
for the shortlist, and the vocabulary rapidfuzz maps misspelt or inflected
paste words onto. A lookup then only touches the lines that share a word with
the paste. Thresholds live in thresholds.py with the numbers that chose them.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from . import thresholds
from .confidence import band, doubt, same_text
from .identifiers import code_families, entry_codes, foreign_codes, paste_identifiers
from .model import CONFIDENCE_HIGH, CONFIDENCE_LOW, Entry, Line, Match
from .normalize import is_frame, mask, paste_lines, weighted_tokens
from .signals import error_strength, reports_problem
from .snippet import snippet_for

logger = logging.getLogger(__name__)

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
MAX_SEGMENTS = 40
# Paste words already mapped onto the vocabulary; cleared when full.
NEAR_CACHE_SIZE = 50_000



@dataclass(frozen=True)
class _Paste:
    """Facts about the whole paste that decide whether it may get a high answer."""

    words: int
    problem: bool
    foreign_code: bool


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
        self._families = code_families(entries)

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
        self._near_cache: dict[str, tuple[str, float, int] | None] = {}
        self._unique_idf = math.log(1 + n)  # the idf of a word only one entry uses
        self._templates = [(t, ln) for ln in lines
                           if ln.entry_id in self.entries and (t := _template(ln.text))]
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
        if len(text) > MAX_PASTE_CHARS:
            # Logs end with the error more often than they start with it.
            half = MAX_PASTE_CHARS // 2
            text = text[:half] + "\n" + text[-half:]
        lines = paste_lines(text)
        segments = self._segments(lines)

        scores: dict[str, tuple[float, str, _Stored | None, list[str]]] = {}
        for entry_id, (score, q, shared) in self._by_identifier(lines).items():
            scores[entry_id] = (score, q, None, shared)
        paste_weights: dict[str, float] = {}
        for q in segments:
            qw = self._query_weights(q)
            for word, weight in qw.items():
                paste_weights[word] = max(weight, paste_weights.get(word, 0.0))
            for entry_id, (score, stored, shared) in self._score_segment(q, qw).items():
                if score > scores.get(entry_id, (0.0,))[0]:
                    scores[entry_id] = (score, q, stored, shared)
            for entry_id, (score, stored, shared) in self._by_template(q).items():
                if score > scores.get(entry_id, (0.0,))[0]:
                    scores[entry_id] = (score, q, stored, shared)

        scores = self._with_global(scores, paste_weights)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1][0])
        ranked = [kv for kv in ranked if kv[1][0] >= thresholds.FLOOR]
        paste = _Paste(
            words=len({w for q in segments for w, f in weighted_tokens(mask(q)).items()
                       if f == 1.0}),
            problem=reports_problem(lines),
            foreign_code=bool(foreign_codes(lines, self._codes, self._families)),
        )
        return self._matches(ranked[: max(limit, 2)], paste)[:limit]

    # -- steps --------------------------------------------------------------------

    def _segments(self, lines: list[str]) -> list[str]:
        """The lines worth scoring: not stack frames, error lines first in long pastes."""
        body = [ln for ln in lines if not is_frame(ln)]
        if len(body) <= MAX_SEGMENTS:
            return body
        # Keep the strongest error lines, in paste order: a real error after
        # thirty deprecation warnings must still be seen.
        ranked = sorted(range(len(body)), key=lambda i: -error_strength(body[i]))
        keep = sorted(ranked[:MAX_SEGMENTS])
        return [body[i] for i in keep]

    def _with_global(self, scores: dict, qw: dict[str, float]) -> dict:
        """Blend in how much of the whole paste each entry knows about."""
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
        for word, factor in _message_tokens(mask(q)).items():
            if word in self.idf:
                weights[word] = self.idf[word] * factor
                continue
            near = self._near_word(word) if len(word) >= thresholds.FUZZY_MIN_LEN else None
            if near is not None and near[0] not in weights:
                weights[near[0]] = self.idf[near[0]] * factor * near[1] / 100
            else:
                weights[word] = self._unknown_weight * factor
        return weights

    def _by_template(self, q: str) -> dict[str, tuple[float, _Stored, list[str]]]:
        """Messages the knowledge quotes with a placeholder: `No provider for ${this}!`."""
        found: dict[str, tuple[float, _Stored, list[str]]] = {}
        lowered = q.lower()
        for (pattern, literal, anchor), line in self._templates:
            if line.entry_id in found or anchor not in lowered:
                continue  # the cheap test first: the longest literal piece
            if pattern.search(q):
                reach = min(1.0, len(literal.split()) / thresholds.TEMPLATE_FULL_WORDS)
                stored = _Stored(line, line.text, {}, 0.0, literal)
                found[line.entry_id] = (thresholds.TEMPLATE_SCORE * reach, stored,
                                        literal.split())
        return found

    def _near_word(self, word: str) -> tuple[str, float, int] | None:
        """The vocabulary word a misspelt or inflected paste word stands for."""
        if word not in self._near_cache:
            if len(self._near_cache) > NEAR_CACHE_SIZE:
                self._near_cache.clear()
            self._near_cache[word] = process.extractOne(
                word, self._vocab, scorer=fuzz.ratio, score_cutoff=thresholds.FUZZY_WORD)
        return self._near_cache[word]

    def _score_segment(self, q: str, qw: dict[str, float]
                       ) -> dict[str, tuple[float, _Stored, list[str]]]:
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
        message = _message_clause(mask(q))
        best: dict[str, tuple[float, _Stored, list[str]]] = {}
        for index, shared in shared_mass.items():
            stored = self._stored[index]
            # Short lines are easy to cover by chance: below a few words' worth of
            # weight, a line counts as if it were that long.
            line_cov = shared / max(stored.mass, self._min_mass)
            # A line that explains the message clause explains the paste line,
            # whatever the clauses before it say.
            in_message = self._covers(stored, message) if message else 0.0
            q_cov = max(shared / q_mass, in_message)
            score = (line_cov ** thresholds.LINE_EXP) * (q_cov ** thresholds.QUERY_EXP)
            if shared >= stored.mass * 0.5:
                score = max(score, self._alignment(stored, q_plain))
            score *= KIND_WEIGHT.get(stored.line.kind, 0.6)
            if message and in_message < thresholds.MESSAGE_SHARE:
                # It matches where the error happened, not what the error is.
                score *= thresholds.CONTEXT_ONLY_FACTOR
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

    def _confidence(self, ranked: list, i: int, paste: _Paste) -> str:
        """The band of the i-th ranked entry; only the first may be high."""
        score, q, stored, _ = ranked[i][1]
        runner = ranked[i + 1][1] if i + 1 < len(ranked) else None
        siblings = (stored is not None and runner is not None and runner[2] is not None
                    and stored.line.kind in ("error", "symptom")
                    and len(stored.text) >= 24 and same_text(stored.text, runner[2].text))
        result = band(score, runner[0] if runner else None, siblings)
        if result == CONFIDENCE_HIGH and i > 0:
            return CONFIDENCE_LOW
        if result != CONFIDENCE_HIGH or stored is None:
            return result  # an exact code or docs link needs no second opinion

        reason = doubt(paste_words=paste.words, problem=paste.problem,
                       foreign_code=paste.foreign_code, score=score, query_line=q,
                       entry_line=stored.text, name_only=self._name_only(stored))
        if reason:
            logger.debug("not answering %s unprompted: %s", ranked[i][0], reason)
            return CONFIDENCE_LOW
        return result

    def _covers(self, stored: _Stored, words: set[str]) -> float:
        """Share of the words' weight that the stored line has."""
        total = sum(self.idf.get(w, self._unknown_weight) for w in words)
        have = sum(self.idf[w] for w in words if w in stored.weights)
        return have / total if total else 1.0

    def _name_only(self, stored: _Stored) -> bool:
        """The line is one identifier (`llm_response_cache`) that other entries use too."""
        words = [w for w in weighted_tokens(mask(stored.text))
                 if stored.weights.get(w, 0.0) >= self.idf.get(w, 0.0) > 0.0]
        return len(words) == 1 and self.idf[words[0]] < self._unique_idf

    def _matches(self, ranked: list, paste: _Paste) -> list[Match]:
        out: list[Match] = []
        for i, (entry_id, (score, q, stored, shared)) in enumerate(ranked):
            entry = self.entries[entry_id]
            confidence = self._confidence(ranked, i, paste)
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


_CLAUSE = re.compile(r":\s+")


def _last_message(clauses: list[dict[str, float]]) -> dict[str, float] | None:
    """The last clause that reads as a message; "Current value: 'true'" ends in a value."""
    wordy = [c for c in clauses if sum(1 for f in c.values() if f == 1.0) >= 3]
    return wordy[-1] if wordy else None


def _message_clause(masked: str) -> set[str]:
    """Whole words of a paste line's innermost message, when it has clauses before it."""
    clauses = [weighted_tokens(c) for c in _CLAUSE.split(masked)]
    message = _last_message(clauses)
    if message is None or len(clauses) < 2 or message is clauses[0]:
        return set()
    return {w for w, f in message.items() if f == 1.0}


def _message_tokens(masked: str) -> dict[str, float]:
    """Tokens of a paste line, its innermost message counting most.

    "Error response from daemon: failed to create task: unknown log opt 'x'"
    is about its last clause; the clauses before it say where it happened and
    are shared by many different errors.
    """
    clauses = [weighted_tokens(c) for c in _CLAUSE.split(masked)]
    message = _last_message(clauses)
    if message is None or len(clauses) < 2:
        return weighted_tokens(masked)
    out: dict[str, float] = {}
    for clause in clauses:
        factor = 1.0 if clause is message else thresholds.CONTEXT_FACTOR
        for word, weight in clause.items():
            out[word] = max(out.get(word, 0.0), weight * factor)
    return out


_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{\{[^}]*\}\}|\{[A-Za-z_][\w.]*\}|<[A-Za-z_]+>")


def _template(text: str) -> tuple[re.Pattern[str], str, str] | None:
    """A regex for a quoted message with placeholders, its literal words, and its
    longest literal piece (lower-cased, for a quick substring test).

    Only messages with enough literal text qualify: `{{ PLACEHOLDER }}` alone
    would match anything.
    """
    # The code prefix and a trailing ellipsis are optional in what tools print.
    text = re.sub(r"^[A-Z]+\d+:\s*|\s*(\.\.\.|…)\s*$", "", text.strip())
    parts = _PLACEHOLDER.split(text)
    if len(parts) < 2:
        return None
    literal = " ".join(p.strip() for p in parts if p.strip())
    if len(literal) < thresholds.TEMPLATE_MIN_CHARS or len(literal.split()) < 2:
        return None
    body = ".{1,80}?".join(re.escape(p) for p in parts)
    anchor = max(parts, key=len).strip().lower()
    return re.compile(body.strip(), re.I), literal, anchor
