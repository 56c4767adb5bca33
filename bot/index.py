"""The matcher's index over the stored lines, built once per knowledge load.

Words are weighted by inverse entry frequency, so that words every entry shares
("error", "failed") do not decide. Postings are numpy arrays, so that scoring a
paste line against tens of thousands of stored lines is a handful of vector
operations rather than a Python loop per line. The vocabulary is also where
rapidfuzz maps misspelt or inflected paste words.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process, utils

from . import thresholds
from .model import Entry, Line
from .normalize import mask, weighted_tokens

# How much a match on each kind of stored line counts.
KIND_WEIGHT = {
    "error": 1.0,
    "symptom": 1.0,
    "title": 1.0,
    "description": 0.9,
    "fix": 0.8,
    "cause": 0.8,
    "code": 0.6,
    "other": 0.6,
}

# A long prose line is also matched sentence by sentence.
LONG_LINE = 160
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`'\"(])")
# Paste words already mapped onto the vocabulary; cleared when full.
NEAR_CACHE_SIZE = 50_000
# Entries whose word counts BM25 has kept; cleared when full.
COUNTS_CACHE_SIZE = 5_000


@dataclass
class StoredLine:
    """One matchable unit: a stored line, or one sentence of a long one."""

    line: Line
    text: str
    weights: dict[str, float]
    mass: float
    plain: str  # masked and lower-cased, for rapidfuzz alignment


def plain(text: str) -> str:
    return utils.default_process(mask(text))


@functools.lru_cache(maxsize=1_000_000)
def _analyse(text: str) -> tuple[dict[str, float], str]:
    """Token factors and alignment text of a stored unit.

    Cached by text: a reload after one changed file meets every other line again.
    The dict is shared between callers, so nobody may change it.
    """
    masked = mask(text)
    return weighted_tokens(masked), utils.default_process(masked)


def _units(text: str) -> list[str]:
    if len(text) <= LONG_LINE:
        return [text]
    return [text] + [s for s in _SENTENCE.split(text) if len(s) > 12]


class LineIndex:
    """Weighted words of every stored line, and the postings to find them fast."""

    def __init__(self, entries: dict[str, Entry], lines: list[Line]) -> None:
        units = [(ln, u) for ln in lines if ln.entry_id in entries for u in _units(ln.text)]
        analysed = [_analyse(u) for _, u in units]
        factors = [a[0] for a in analysed]
        self._set_weights(len(entries), units, factors)

        self.stored: list[StoredLine] = []
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for (line, unit), (words, unit_plain) in zip(units, analysed):
            weights = {w: self.idf[w] * f for w, f in words.items()}
            if not weights:
                continue
            index = len(self.stored)
            self.stored.append(StoredLine(line, unit, weights, sum(weights.values()),
                                          unit_plain))
            for word, weight in weights.items():
                postings[word].append((index, weight))
        self._arrays(postings)
        self.lines_of: dict[str, list[int]] = defaultdict(list)
        for i, stored in enumerate(self.stored):
            self.lines_of[stored.line.entry_id].append(i)
        lengths = [self._length(ids) for ids in self.lines_of.values()]
        self.average_length = max(sum(lengths) / max(len(lengths), 1), 1.0)
        self._counts: dict[str, tuple[dict[str, int], int]] = {}
        self._near_cache: dict[str, tuple[str, float, int] | None] = {}
        self.alive = np.ones(len(self.stored), dtype=bool)
        self.dead = 0

    def _set_weights(self, n_entries: int, units: list[tuple[Line, str]],
                     factors: list[dict[str, float]]) -> None:
        per_entry: dict[str, set[str]] = defaultdict(set)
        for (line, _), words in zip(units, factors):
            per_entry[line.entry_id].update(words)
        df: dict[str, int] = defaultdict(int)
        for words in per_entry.values():
            for word in words:
                df[word] += 1

        n = max(n_entries, 1)
        self.idf = {w: math.log(1 + n / c) for w, c in df.items()}
        self.unknown_weight = math.log(1 + n) * thresholds.UNKNOWN_WORD_FACTOR
        self.unique_idf = math.log(1 + n)  # a word only one entry uses
        self.entry_words = {e: frozenset(ws) for e, ws in per_entry.items()}
        # Short lines are easy to cover by chance: below a few average words'
        # weight, a line counts as if it were that long.
        self.min_mass = thresholds.MIN_LINE_WORDS * (
            sum(self.idf.values()) / max(len(self.idf), 1))

        # Misspelt paste words are looked up among words with the same initial.
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self.idf):
            self._by_initial[word[0]].append(word)

    def _arrays(self, postings: dict[str, list[tuple[int, float]]]) -> None:
        self.entry_number = {e: i for i, e in enumerate(
            sorted({s.line.entry_id for s in self.stored}))}
        self.entry_of = np.array([self.entry_number[s.line.entry_id]
                                  for s in self.stored], dtype=np.int32)
        self.mass = np.array([s.mass for s in self.stored], dtype=np.float64)
        self.effective_mass = np.maximum(self.mass, self.min_mass)
        self.kind_weight = np.array([KIND_WEIGHT.get(s.line.kind, 0.6)
                                     for s in self.stored], dtype=np.float64)
        self.postings = {
            w: (np.array([i for i, _ in ps], dtype=np.int32),
                np.array([x for _, x in ps], dtype=np.float64))
            for w, ps in postings.items()
        }

    def updated(self, touched: set[str], lines: list[Line]) -> LineIndex:
        """A copy with the touched entries' lines replaced by these new lines.

        For a reload after a few files changed: the old lines are only marked
        dead and the new ones appended, weighed with this index's word weights
        (a new word counts as used by one entry). The weights drift a little
        from a full build, until the knowledge base next builds one.
        """
        new = copy.copy(self)
        new.idf = dict(self.idf)
        new.entry_number = dict(self.entry_number)
        new.entry_words = {e: ws for e, ws in self.entry_words.items() if e not in touched}
        new.lines_of = defaultdict(list, {e: ids for e, ids in self.lines_of.items()
                                          if e not in touched})
        new._counts = {e: c for e, c in self._counts.items() if e not in touched}
        new._near_cache = {}

        numbers = [self.entry_number[e] for e in touched if e in self.entry_number]
        new.alive = self.alive & ~np.isin(self.entry_of, numbers)
        new.dead = int(len(new.alive) - np.count_nonzero(new.alive))
        new._append(lines)
        return new

    def _append(self, lines: list[Line]) -> None:
        units = [(ln, u) for ln in lines for u in _units(ln.text)]
        start = len(self.stored)
        added: list[StoredLine] = []
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        words_of: dict[str, set[str]] = defaultdict(set)
        for line, unit in units:
            words, unit_plain = _analyse(unit)
            for word in words:
                self.idf.setdefault(word, self.unique_idf)
            weights = {w: self.idf[w] * f for w, f in words.items()}
            if not weights:
                continue
            index = start + len(added)
            added.append(StoredLine(line, unit, weights, sum(weights.values()), unit_plain))
            self.lines_of[line.entry_id].append(index)
            words_of[line.entry_id].update(words)
            for word, weight in weights.items():
                postings[word].append((index, weight))
            self.entry_number.setdefault(line.entry_id, len(self.entry_number))

        self.stored = self.stored + added
        for entry_id, words in words_of.items():
            self.entry_words[entry_id] = frozenset(words)
        self.entry_of = np.concatenate([self.entry_of, np.array(
            [self.entry_number[s.line.entry_id] for s in added], dtype=np.int32)])
        mass = np.array([s.mass for s in added], dtype=np.float64)
        self.mass = np.concatenate([self.mass, mass])
        self.effective_mass = np.concatenate(
            [self.effective_mass, np.maximum(mass, self.min_mass)])
        self.kind_weight = np.concatenate([self.kind_weight, np.array(
            [KIND_WEIGHT.get(s.line.kind, 0.6) for s in added], dtype=np.float64)])
        self.alive = np.concatenate([self.alive, np.ones(len(added), dtype=bool)])

        self.postings = dict(self.postings)
        for word, found in postings.items():
            indexes = np.array([i for i, _ in found], dtype=np.int32)
            weights = np.array([x for _, x in found], dtype=np.float64)
            if word in self.postings:
                old_indexes, old_weights = self.postings[word]
                indexes = np.concatenate([old_indexes, indexes])
                weights = np.concatenate([old_weights, weights])
            self.postings[word] = (indexes, weights)

    def _length(self, ids: list[int]) -> int:
        # Whole lines only: a long line's sentences are the same words again.
        return sum(len(self.stored[i].weights) for i in ids
                   if self.stored[i].text == self.stored[i].line.text)

    def bm25(self, entry_ids: list[str], words: set[str]) -> dict[str, float]:
        """Okapi BM25 of each entry as one document, for these paste words.

        Lines score a paste one at a time; this sees the entry as a whole, the
        way a reader would, and breaks near ties between entries.
        """
        k1, b = thresholds.BM25_K1, thresholds.BM25_B
        out = {}
        for entry_id in entry_ids:
            tf, length = self._term_counts(entry_id)
            norm = k1 * (1 - b + b * length / self.average_length)
            out[entry_id] = sum(self._bm25_idf(w) * tf[w] * (k1 + 1) / (tf[w] + norm)
                                for w in words.intersection(tf))
        return out

    def _term_counts(self, entry_id: str) -> tuple[dict[str, int], int]:
        """How many of the entry's lines use each whole word, and its length in words.

        Counted on first use and kept: only entries that meet in a near tie
        are ever counted.
        """
        if entry_id in self._counts:
            return self._counts[entry_id]
        if len(self._counts) > COUNTS_CACHE_SIZE:
            self._counts.clear()
        tf: dict[str, int] = defaultdict(int)
        length = 0
        for i in self.lines_of.get(entry_id, ()):
            stored = self.stored[i]
            if not self.alive[i] or stored.text != stored.line.text:
                continue
            length += len(stored.weights)
            for word, weight in stored.weights.items():
                # Whole words only: `ngModel` is not two mentions of "model".
                if weight >= self.idf[word]:
                    tf[word] += 1
        self._counts[entry_id] = (dict(tf), length)
        return self._counts[entry_id]

    def _bm25_idf(self, word: str) -> float:
        """BM25's own idf, near 0 for a word most entries use (ours never is)."""
        n = len(self.entry_words)
        df = n / math.expm1(self.idf[word])
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def weight(self, word: str) -> float:
        return self.idf.get(word, self.unknown_weight)

    def near_word(self, word: str) -> tuple[str, float, int] | None:
        """The vocabulary word a misspelt or inflected paste word stands for."""
        if word not in self._near_cache:
            if len(self._near_cache) > NEAR_CACHE_SIZE:
                self._near_cache.clear()
            self._near_cache[word] = process.extractOne(
                word, self._by_initial.get(word[0], ()), scorer=fuzz.ratio,
                score_cutoff=thresholds.FUZZY_WORD)
        return self._near_cache[word]

    def overlap(self, query: dict[str, float]) -> np.ndarray:
        """Per stored line, the weight it shares with the query words."""
        shared = np.zeros(len(self.stored), dtype=np.float64)
        for word, weight in query.items():
            found = self.postings.get(word)
            if found is not None:
                indexes, weights = found
                shared[indexes] += np.minimum(weights, weight)
        if self.dead:
            shared *= self.alive
        return shared

    def presence(self, words: dict[str, float]) -> np.ndarray:
        """Per stored line, the total weight of these words that it has."""
        have = np.zeros(len(self.stored), dtype=np.float64)
        for word, weight in words.items():
            found = self.postings.get(word)
            if found is not None:
                have[found[0]] += weight
        if self.dead:
            have *= self.alive
        return have
