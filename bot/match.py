"""Score a paste against the stored lines and decide how sure we are.

A lookup runs in three steps. Exact identifiers (error codes, docs links) and
quoted message templates name entries outright. Every paste line is scored
against every stored line that shares a word with it (index.py makes that a
few vector operations): how much of the stored line the paste covers, how much
of the paste line (its message clause above all) the stored line explains,
and whether the stored text appears nearly verbatim. Then each entry's best
line is blended with how much of the paste the entry knows as a whole, and
confidence.py decides the band. Every number lives in thresholds.py.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from . import thresholds
from .confidence import another_report, band, doubt, same_text
from .identifiers import (code_families, entry_codes, entry_error_types, error_types,
                          exception_names, foreign_codes, names_its_error,
                          paste_exception_names, paste_identifiers)
from .index import LineIndex, StoredLine, plain
from .model import CONFIDENCE_HIGH, CONFIDENCE_LOW, Entry, Line, Match
from .normalize import NEGATED, mask, weighted_tokens, word_sequence
from .paste import frame_words, line_tokens, message_words, paste_segments, whole_words
from .signals import (error_strength, is_personal, is_talk, is_warning, printed_in,
                      reports_problem, sounds_printed, source_names)
from .snippet import snippet_for
from .templates import find_templates, make_template

logger = logging.getLogger(__name__)

# Entries kept per paste line after the vector step; the rest cannot rank.
ENTRIES_PER_LINE = 30
# Candidates per paste line checked for a near-verbatim quote (rapidfuzz).
ALIGN_CANDIDATES = 64
# Candidates whose order BM25 over whole entries may change.
RERANK = 10
# Candidates BM25 compares the first entry with before it may corroborate it.
AGREE_POOL = 30
# Best stored lines per paste line among which each entry's best is taken.
TOP_LINES = 2000


@dataclass(frozen=True)
class _Paste:
    """Facts about the whole paste that decide whether it may get a high answer."""

    words: int
    problem: bool
    foreign_code: bool
    lines: list[str]
    talk: bool  # about an incident, not a report of one
    # BM25 over whole entries puts the first entry well ahead as well.
    corroborated: bool = False
    # The paste says the first entry's whole title and not the runner-up's.
    titled: bool = False
    # BM25 over whole entries ranks the first entry first among the near ones.
    bm25_first: bool = True


@dataclass
class _Hit:
    """An entry's best evidence so far: its score, the paste line, the stored line."""

    score: float
    query_line: str
    stored: StoredLine | None  # None: named by a code or docs link
    shared: list[str]
    # How much of the stored line the paste line covers.
    cover: float = 0.0
    # Named outright (code, docs link, exception name): words may only add.
    named: bool = False
    # False: named in passing (see paste_identifiers); never an unprompted answer.
    decisive: bool = True


@dataclass
class _Named:
    """An entry named outright by a code, docs link or exception name."""

    score: float
    line: str
    ident: str
    stored: StoredLine | None
    decisive: bool


class Matcher:
    """Ranks entries for a paste. Build once per knowledge load, then look up."""

    def __init__(self, entries: list[Entry], lines: list[Line],
                 link: Callable[[Entry], str]) -> None:
        self.entries = {e.id: e for e in entries}
        self._link = link
        self._codes = entry_codes(entries)
        self._families = code_families(entries)
        self._exceptions = exception_names(ln for ln in lines if ln.entry_id in self.entries)
        self._error_types = entry_error_types(ln for ln in lines if ln.entry_id in self.entries)
        self.index = LineIndex(self.entries, lines)
        self._templates = [t for ln in lines
                           if ln.entry_id in self.entries and (t := make_template(ln))]
        # A code span's own list item ("Fixed Docker `.next/cache` permissions
        # (`EACCES ...`)"), which is what a reply should quote.
        self._items = _items_by_entry(lines)

    def with_changes(self, entries: list[Entry], lines: list[Line],
                     touched: set[str]) -> Matcher:
        """A matcher for new knowledge that differs from ours in the touched entries.

        Reuses this matcher's index (see LineIndex.updated), so a reload after
        one changed file costs that file's lines, not the whole knowledge's.
        """
        new = copy.copy(self)
        new.entries = {e.id: e for e in entries}
        changed = [e for e in entries if e.id in touched]
        new._codes = {c: e for c, e in self._codes.items() if e not in touched}
        new._codes.update(entry_codes(changed))
        new._families = self._families | code_families(changed)
        fresh = [ln for ln in lines if ln.entry_id in touched and ln.entry_id in new.entries]
        new._exceptions = {name: {e: ln for e, ln in quoted.items() if e not in touched}
                           for name, quoted in self._exceptions.items()}
        for name, quoted in exception_names(fresh).items():
            new._exceptions[name] = {**new._exceptions.get(name, {}), **quoted}
        new._error_types = {e: t for e, t in self._error_types.items() if e not in touched}
        new._error_types.update(entry_error_types(fresh))
        new.index = self.index.updated(touched, fresh)
        new._templates = [t for t in self._templates if t.line.entry_id not in touched]
        new._templates += [t for ln in fresh if (t := make_template(ln))]
        new._items = {e: items for e, items in self._items.items() if e not in touched}
        new._items.update(_items_by_entry(fresh))
        return new

    @property
    def stale(self) -> float:
        """Share of the index's lines that a delta update left dead."""
        return self.index.dead / max(len(self.index.stored), 1)

    def lookup(self, text: str, limit: int = 3) -> list[Match]:
        """Entries for a paste, best first, each with a score and a confidence."""
        lines, segments = paste_segments(text)

        hits: dict[str, _Hit] = {}
        for entry_id, named in self._by_identifier(lines).items():
            hits[entry_id] = _Hit(named.score, named.line, named.stored, [named.ident],
                                  named=True, decisive=named.decisive)
        paste_weights: dict[str, float] = {}
        for q in segments:
            weights = self._query_weights(q)
            for word, weight in weights.items():
                paste_weights[word] = max(weight, paste_weights.get(word, 0.0))
            for entry_id, hit in self._score_line(q, weights).items():
                _keep_best(hits, entry_id, hit)
            for entry_id, template in find_templates(self._templates, q).items():
                stored = StoredLine(template.line, template.literal, {}, 0.0, "")
                _keep_best(hits, entry_id, _Hit(template.strength, q, stored,
                                                template.literal.split()))

        ranked = self._with_paste_words(hits, paste_weights)
        ranked = self._titles_named(ranked)
        ranked = [(e, h) for e, h in ranked if h.score >= thresholds.FLOOR]
        said = whole_words(segments)
        # Whole entries are compared (BM25) on what the lines say and on the
        # names of the functions that threw.
        words = said | frame_words(lines)
        ranked = self._reordered(ranked, words, segments, lines)
        paste = _Paste(
            words=len(said),
            problem=reports_problem(lines),
            foreign_code=bool(foreign_codes(lines, self._codes, self._families)),
            lines=lines,
            talk=is_talk(lines),
            corroborated=self._corroborated(ranked, words, lines),
            titled=self._titled(ranked, words, lines),
            bm25_first=self._bm25_first(ranked, words),
        )
        return self._matches(ranked, paste, limit)

    # -- evidence -------------------------------------------------------------------

    def _by_identifier(self, lines: list[str]) -> dict[str, _Named]:
        """Entries named outright, the first named first, with the line that names them.

        A paste that names two entries is usually about the first: the later
        one is a consequence ("Error occurred prerendering page ..."). A code or
        docs link is the entry's own name; an exception name is only quoted by
        it, so its line goes along for the guards in confidence.py.
        """
        named: list[tuple[str, str, str | None, StoredLine | None, bool]] = [
            (ident, line, self._codes.get(ident.lower()), None, decisive)
            for ident, line, decisive in paste_identifiers(lines)]
        for name, line in paste_exception_names(lines):
            quoted = self._quoted_by_one(name)
            if quoted is not None:
                named.append((name, line, quoted.entry_id,
                              StoredLine(quoted, quoted.text, {}, 0.0, ""), True))

        found: dict[str, _Named] = {}
        for ident, line, entry_id, stored, decisive in named:
            if not entry_id:
                continue
            if entry_id in found:
                # Named in passing first and as printed later: it is decisive.
                found[entry_id].decisive |= decisive
                continue
            score = thresholds.IDENTIFIER_SCORE - thresholds.IDENTIFIER_STEP * len(found)
            found[entry_id] = _Named(score, line, ident, stored, decisive)
        return found

    def _quoted_by_one(self, exception: str) -> Line | None:
        """The line quoting this exception name, if only one entry quotes it."""
        quoted = self._exceptions.get(exception)
        return next(iter(quoted.values())) if quoted and len(quoted) == 1 else None

    def _query_weights(self, q: str) -> dict[str, float]:
        """Weighted words of a paste line; unknown words map to near vocabulary words."""
        index = self.index
        weights: dict[str, float] = {}
        for word, factor in line_tokens(q).items():
            if word.startswith(NEGATED) and word not in index.idf:
                continue  # a denial no entry makes is no evidence against any
            if word in index.idf:
                weights[word] = max(weights.get(word, 0.0), index.idf[word] * factor)
                continue
            near = index.near_word(word) if len(word) >= thresholds.FUZZY_MIN_LEN else None
            if near is not None and near[0] not in weights:
                weights[near[0]] = index.idf[near[0]] * factor * near[1] / 100
            else:
                weights[word] = index.unknown_weight * factor
        return weights

    def _score_line(self, q: str, weights: dict[str, float]) -> dict[str, _Hit]:
        """Each entry's best stored line for one paste line."""
        index = self.index
        q_mass = sum(weights.values())
        shared = index.overlap(weights)
        candidates = np.flatnonzero(shared)
        if q_mass <= 0 or not len(candidates):
            return {}
        shared = shared[candidates]

        # How much of the stored line the paste covers, and of the paste line
        # (or of its message clause alone) the stored line explains.
        line_cov = shared / index.effective_mass[candidates]
        q_cov = shared / q_mass
        message = {w: index.weight(w) for w in message_words(q)}
        if message:
            in_message = index.presence(message)[candidates] / sum(message.values())
            q_cov = np.maximum(q_cov, in_message)
        score = line_cov ** thresholds.LINE_EXP * q_cov ** thresholds.QUERY_EXP
        score *= index.kind_weight[candidates]
        if message:
            # Lines that match where the error happened, not what it is.
            score[in_message < thresholds.MESSAGE_SHARE] *= thresholds.CONTEXT_ONLY_FACTOR

        self._add_alignment(score, candidates, shared, plain(q), message, in_message
                            if message else None)
        return self._best_per_entry(score, candidates, line_cov, q, weights)

    def _add_alignment(self, score: np.ndarray, candidates: np.ndarray,
                       shared: np.ndarray, q_plain: str, message: dict,
                       in_message: np.ndarray | None) -> None:
        """Raise lines whose text stands nearly verbatim in the paste line."""
        index = self.index
        mostly = np.flatnonzero(shared >= index.mass[candidates] * 0.5)
        mostly = _top(mostly, score[mostly], ALIGN_CANDIDATES)
        for k in mostly:
            stored = index.stored[candidates[k]]
            value = _alignment(stored.plain, q_plain) * index.kind_weight[candidates[k]]
            if message and in_message is not None \
                    and in_message[k] < thresholds.MESSAGE_SHARE:
                value *= thresholds.CONTEXT_ONLY_FACTOR
            score[k] = max(score[k], value)

    def _best_per_entry(self, score: np.ndarray, candidates: np.ndarray,
                        line_cov: np.ndarray, q: str,
                        weights: dict[str, float]) -> dict[str, _Hit]:
        index = self.index
        # Each of the best entries has its best line among the best lines overall.
        top = _top(np.arange(len(score)), score, TOP_LINES)
        order = top[np.argsort(-score[top], kind="stable")]
        entries = index.entry_of[candidates[order]]
        _, first = np.unique(entries, return_index=True)
        best = order[first]
        best = best[np.argsort(-score[best], kind="stable")][:ENTRIES_PER_LINE]

        hits: dict[str, _Hit] = {}
        for k in best:
            stored = index.stored[candidates[k]]
            words = sorted(weights.keys() & stored.weights.keys())
            hits[stored.line.entry_id] = _Hit(float(score[k]), q, stored, words,
                                              float(line_cov[k]))
        return self._with_entry_words(hits, weights)

    def _with_entry_words(self, hits: dict[str, _Hit],
                          weights: dict[str, float]) -> dict[str, _Hit]:
        """Blend in how much of the paste line the entry as a whole explains.

        A message's words are often spread over two sentences of a page (the API
        named in one, the fix in the next); no single line then covers it.
        """
        mix = thresholds.ENTRY_WORDS_WEIGHT
        total = sum(weights.values())
        for entry_id, hit in hits.items():
            vocabulary = self.index.entry_words[entry_id]
            known = sum(weights[t] for t in vocabulary.intersection(weights)) / total
            hit.score = hit.score * (1 - mix) + known * hit.score ** 0.5 * mix
        return hits

    def _with_paste_words(self, hits: dict[str, _Hit],
                          weights: dict[str, float]) -> list[tuple[str, _Hit]]:
        """Blend in how much of the whole paste each entry knows; best first."""
        total = sum(weights.values())
        if total > 0:
            mix = thresholds.GLOBAL_WEIGHT
            for entry_id, hit in hits.items():
                vocabulary = self.index.entry_words.get(entry_id, frozenset())
                known = sum(weights[t] for t in vocabulary.intersection(weights)) / total
                blended = hit.score * (1 - mix) + known * mix
                # An identifier decides on its own; words may only add to it.
                hit.score = max(hit.score, blended) if hit.named else blended
        return sorted(hits.items(), key=lambda kv: -kv[1].score)

    def _titles_named(self, ranked: list[tuple[str, _Hit]]) -> list[tuple[str, _Hit]]:
        """Entries whose title a printed line says rank as if they scored HIGH.

        "Module not found: Can't resolve 'fs'" is the page titled Module Not
        Found before it is any page that quotes the same message as an example.
        """
        for entry_id, hit in ranked:
            if hit.score >= thresholds.TITLE_MIN and _as_a_tool_says(hit.query_line) \
                    and _says_phrase(hit.query_line, self.entries[entry_id].title):
                hit.score = max(hit.score, thresholds.HIGH)
        return sorted(ranked, key=lambda kv: -kv[1].score)

    def _reordered(self, ranked: list[tuple[str, _Hit]], words: set[str],
                   segments: list[str], lines: list[str]) -> list[tuple[str, _Hit]]:
        """Near ties in the order of their score plus shares of their BM25 and of
        their title that the paste says ("Export of name 'ngForm' not found!" is
        the page titled Export Not Found, not its compile-time twin), and the
        one matched on the earliest line first: a log prints the cause before
        its consequences. A warning printed beside another failure is neither:
        its entry gets no credit for its title or its place.

        Scores stay as they are, so an entry moved up past a better-scoring one
        is within MARGIN of the next and cannot be more than a low-confidence
        answer (see band()).
        """
        # Only near ties move: an entry with a clear lead keeps its place.
        close = [eh for eh in ranked[:RERANK]
                 if eh[1].score > ranked[0][1].score - thresholds.MARGIN]
        if len(close) < 2:
            return ranked
        bm25 = self.index.bm25([e for e, _ in close], words)
        best = max(bm25.values()) or 1.0
        mix = thresholds.BM25_WEIGHT
        titled = {e: self._title_said(e, words) for e, _ in close}
        where = {e: segments.index(h.query_line) if h.query_line in segments else len(segments)
                 for e, h in close}
        aside = {e for e, h in close if self._fails_elsewhere(e, h.query_line, lines)}
        first = min((at for e, at in where.items() if e not in aside), default=0)

        def tie_break(entry_id: str) -> float:
            if entry_id in aside:
                return 0.0
            return (thresholds.TITLE_TIE * titled[entry_id]
                    + thresholds.ORDER_TIE * (where[entry_id] == first))

        close.sort(key=lambda eh: -(eh[1].score + mix * bm25[eh[0]] / best + tie_break(eh[0])))
        return close + ranked[len(close):]

    def _bm25_first(self, ranked: list[tuple[str, _Hit]], words: set[str]) -> bool:
        """BM25 over whole entries puts the first entry ahead of the others near it."""
        near = [e for e, h in ranked[:RERANK] if h.score > ranked[0][1].score - 2 * thresholds.MARGIN]
        if len(near) < 2:
            return True
        bm25 = self.index.bm25(near, words)
        return bm25[near[0]] >= max(bm25.values())

    def _titled(self, ranked: list[tuple[str, _Hit]], words: set[str],
                lines: list[str]) -> bool:
        """A tool's message says the first entry's title and not the runner-up's.

        Twin pages share paragraphs and score alike; the title that the
        message says is what tells them apart (see _reordered), so the first
        may answer without a lead in score.
        """
        if not ranked or ranked[0][1].score < thresholds.TITLE_MIN:
            return False
        # Said by the line that matched, as a tool says it: "is the export not
        # found thing resolved?" names the title too, as a question.
        # In the title's order, too: "Cannot find module 'x'" says every word of
        # "Module Not Found", as another message.
        line = ranked[0][1].query_line
        title = self.entries[ranked[0][0]].title
        if not _as_a_tool_says(line) or not _in_order(line, title) \
                or self._title_said(ranked[0][0], whole_words([line])) < thresholds.TITLE_SAID:
            return False
        return len(ranked) < 2 or \
            self._title_said(ranked[1][0], words) <= thresholds.TITLE_SAID_RIVAL

    def _title_said(self, entry_id: str, words: set[str]) -> float:
        """Share of the entry's title (by weight) that the paste's whole words say."""
        idf = self.index.idf
        title = {w: idf.get(w, 0.0) for w, f in
                 weighted_tokens(mask(self.entries[entry_id].title)).items() if f == 1.0}
        total = sum(title.values())
        return sum(v for w, v in title.items() if w in words) / total if total else 0.0

    def _corroborated(self, ranked: list[tuple[str, _Hit]], words: set[str],
                      lines: list[str]) -> bool:
        """Two independent readings agree: the first entry leads by lines and by BM25.

        Reference pages state a message in their own words, so a real paste of
        it scores below HIGH line by line. When the best line leads clearly and
        BM25 over whole entries, which never sees our line scores, puts the same
        entry well ahead of the other candidates, the paste is that entry's.
        Only for a paste a tool printed: people's talk shares topics, not errors.
        """
        if not ranked or not any(sounds_printed(ln) for ln in lines):
            return False
        first = ranked[0][1]
        runner = ranked[1][1].score if len(ranked) > 1 else 0.0
        if first.stored is None or first.score < thresholds.AGREE_MIN \
                or first.score - runner < thresholds.AGREE_LEAD:
            return False
        # One shared word is no agreement: "Error: connect ECONNREFUSED" is not
        # the page that invites readers to "connect with the community".
        if len({w for w in first.shared if not w.startswith(NEGATED)}) < thresholds.AGREE_SHARED:
            return False
        # A name in the root cause or the fix (`LoadingLink`, `questionId`) is
        # not the entry saying the message; a root cause that explains the
        # mechanism uses its words in passing ("tokens were refreshed/rotated"),
        # and a title names its subject ("... on orders table"): the paste must
        # cover a fair share of that sentence.
        kind = first.stored.line.kind
        if kind == "code" or (kind in ("cause", "title")
                              and first.cover < thresholds.AGREE_LINE_COVER):
            return False
        # The entry must know the error itself, not only where it happened:
        # "nginx: [emerg] bind() ... failed (98: Address already in use)" is
        # not the entry about another nginx [emerg].
        if not printed_in(first.query_line, lines) or min(
                self._known_share(ranked[0][0], first.query_line),
                self._known_share(ranked[0][0], first.query_line, message_only=True),
        ) < thresholds.AGREE_KNOWN:
            return False
        pool = [e for e, _ in ranked[:AGREE_POOL]]
        bm25 = self.index.bm25(pool, words)
        ours = bm25.pop(pool[0])
        rival = max(bm25.values(), default=0.0)
        return ours > 0 and ours >= rival * thresholds.AGREE_BM25_RATIO

    # -- answers --------------------------------------------------------------------

    def _confidence(self, ranked: list[tuple[str, _Hit]], i: int, paste: _Paste) -> str:
        """The band of the i-th ranked entry; only the first may be high."""
        hit = ranked[i][1]
        runner = ranked[i + 1][1] if i + 1 < len(ranked) else None
        siblings = runner is not None and self._siblings(ranked[i][0], hit,
                                                         ranked[i + 1][0], runner)
        score = hit.score
        if self._names_title(hit) and (paste.bm25_first or not is_personal(hit.query_line)) and (
                runner is None or hit.score - runner.score >= thresholds.MARGIN
                or _in_order(hit.query_line, hit.stored.text)):  # type: ignore[union-attr]
            # A near twin needs the title said as the title says it, and
            # the whole entry must read as the best one too.
            score = max(score, thresholds.HIGH)
        result = band(score, runner.score if runner else None, siblings)
        if i == 0 and (paste.corroborated or paste.titled):
            result = CONFIDENCE_HIGH
        if result == CONFIDENCE_HIGH and (i > 0 or paste.talk or not hit.decisive
                                          or self._titled_elsewhere(ranked, i)):
            return CONFIDENCE_LOW
        if result != CONFIDENCE_HIGH or hit.stored is None:
            return result  # an exact code or docs link needs no second opinion

        reason = doubt(paste_words=paste.words, problem=paste.problem,
                       foreign_code=paste.foreign_code,
                       foreign_tool=self._foreign_tool(hit.query_line),
                       other_error=self._other_error(ranked[i][0], hit.query_line)
                       or another_report(hit.query_line, self._stated(ranked[i][0])),
                       elsewhere=self._fails_elsewhere(ranked[i][0], hit.query_line,
                                                       paste.lines),
                       score=hit.score,
                       query_line=hit.query_line, entry_line=hit.stored.text,
                       entry_kind=hit.stored.line.kind,
                       name_only=self._name_only(hit.stored),
                       title=self.entries[ranked[i][0]].title)
        if reason:
            logger.debug("not answering %s unprompted: %s", ranked[i][0], reason)
            return CONFIDENCE_LOW
        return result

    def _titled_elsewhere(self, ranked: list[tuple[str, _Hit]], i: int) -> bool:
        """The line that matched says another entry's title, as a tool says it.

        "Module not found: Can't resolve 'fs'" is the page titled Module Not
        Found, even where another page quotes that message as its example.
        """
        hit = ranked[i][1]
        line = hit.query_line
        if hit.named or not _as_a_tool_says(line) \
                or _says_phrase(line, self.entries[ranked[i][0]].title):
            return False  # a code or docs link names the entry outright
        return any(_says_phrase(line, self.entries[e].title)
                   for j, (e, _) in enumerate(ranked[:RERANK]) if j != i)

    def _names_title(self, hit: _Hit) -> bool:
        """The paste line says (nearly) all of the entry's title: it names the problem.

        Reference pages state a message in their own words, so the score of a
        real paste stays low even when it names the page's title outright.
        """
        return (hit.stored is not None and hit.stored.line.kind == "title"
                and hit.cover >= thresholds.TITLE_COVER
                and hit.score >= thresholds.TITLE_MIN)

    def _fails_elsewhere(self, entry_id: str, warning: str, lines: list[str]) -> bool:
        """The paste fails on another line than this warning, one the entry does not know.

        A build that failed on a type error also prints its warnings; an entry
        that matched one of those is not what broke the build. The line right
        under the warning is its detail ("Fast Refresh had to perform a full
        reload" / "Error: Aborted because ... is not accepted"), not another
        failure, unless it names an error of its own ("Error: connect
        ECONNREFUSED").
        """
        if not is_warning(warning):
            return False
        # "I get this error in the console:" introduces the paste; it is no failure.
        failures = [i for i, ln in enumerate(lines)
                    if error_strength(ln) == 2 and not is_personal(ln)]
        if not failures:
            return False
        # The most specific failing line: "Type error: Property 'x' does not
        # exist", not the "Failed to compile." banner above it.
        worst = max(failures, key=lambda i: sum(self._query_weights(lines[i]).values()))
        if worst > 0 and lines[worst - 1] == warning and not names_its_error(lines[worst]) \
                and not _LEVEL_FIRST.match(lines[worst]):
            return False
        return self._known_share(entry_id, lines[worst]) < thresholds.FAILURE_KNOWN

    def _known_share(self, entry_id: str, line: str, message_only: bool = False) -> float:
        """How much of a paste line's weight (or its message clause's) is in words the entry uses."""
        weights = self._query_weights(line)
        message = message_words(line) if message_only else set()
        if message:
            weights = {w: v for w, v in weights.items() if w in message} or weights
        total = sum(weights.values())
        vocabulary = self.index.entry_words.get(entry_id, frozenset())
        known = sum(w for t, w in weights.items() if t in vocabulary)
        return known / total if total else 0.0

    def _siblings(self, first: str, hit: _Hit, second: str, runner: _Hit) -> bool:
        """Two entries the knowledge files for one problem: the reply shows both.

        Either both matched on the same error text, or the two share a title
        (a page kept under its old name as well as its new one).
        """
        if hit.stored is None or runner.stored is None:
            return False
        if hit.stored.line.kind in ("error", "symptom") and len(hit.stored.text) >= 24 \
                and same_text(hit.stored.text, runner.stored.text):
            return True
        return self.entries[first].title.lower() == self.entries[second].title.lower()

    def _foreign_tool(self, line: str) -> bool:
        """The line names the tool that printed it, and the knowledge never does.

        "[Vue warn]: Hydration node mismatch" says the words of an Angular page
        title, but Vue printed it: the knowledge covers other tools.
        """
        names = source_names(line)
        return bool(names) and not any(
            w in self.index.idf for name in names for w in weighted_tokens(name))

    def _stated(self, entry_id: str) -> list[str]:
        """The error strings the entry quotes (its symptoms' and title's own words)."""
        index = self.index
        return [index.stored[i].line.text for i in index.lines_of.get(entry_id, ())
                if index.alive[i] and index.stored[i].line.kind in ("error", "title", "symptom")]

    def _other_error(self, entry_id: str, line: str) -> bool:
        """The line's error type is not one the entry knows, and the entry names its own.

        "... failed to create Cloudwatch log stream: ResourceNotFoundException"
        shares every word of its context with the entry whose error is
        AccessDeniedException, and is another error.
        """
        ours = self._error_types.get(entry_id)
        named = error_types(line)
        if not ours or not named or named & ours:
            return False
        # Named anywhere in the entry (its fix, its root cause) is known too.
        vocabulary = self.index.entry_words.get(entry_id, frozenset())
        return not any(word in vocabulary for name in named
                       for word, factor in weighted_tokens(name).items() if factor == 1.0)

    def _name_only(self, stored: StoredLine) -> bool:
        """The line is one identifier (`llm_response_cache`) that other entries use too."""
        idf = self.index.idf
        words = [w for w in weighted_tokens(mask(stored.text))
                 if stored.weights.get(w, 0.0) >= idf.get(w, 0.0) > 0.0]
        return len(words) == 1 and idf[words[0]] < self.index.unique_idf

    def _matches(self, ranked: list[tuple[str, _Hit]], paste: _Paste,
                 limit: int) -> list[Match]:
        out: list[Match] = []
        for i, (entry_id, hit) in enumerate(ranked[:limit]):
            entry = self.entries[entry_id]
            line = hit.stored.line if hit.stored else None
            if line is not None and line.kind in ("code", "error"):
                line = self._items.get(line.entry_id, {}).get((line.section, line.line), line)
            snippet = snippet_for(entry, line)
            out.append(Match(
                entry=entry, score=round(min(hit.score, 1.0) * 100, 1),
                confidence=self._confidence(ranked, i, paste),
                snippet=snippet, url=self._link(entry),
                snippet_from=line.section if line and snippet == line.text else "",
                query_line=hit.query_line,
                entry_line=hit.stored.text if hit.stored else entry.title,
                shared=hit.shared,
            ))
        return out


# A log record of its own: "error - unhandledRejection: ...", "ERROR [App] ...".
_LEVEL_FIRST = re.compile(r"^(?:error|err|fatal|ERROR|FATAL)\b\s*(?:-|:|\[)")


def _top(items: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """The k items with the highest scores, in no particular order."""
    if len(items) <= k:
        return items
    return items[np.argpartition(-scores, k)[:k]]


def _items_by_entry(lines: list[Line]) -> dict[str, dict[tuple[str, int], Line]]:
    """Entry id -> (section, line number) -> the list item or paragraph there."""
    items: dict[str, dict[tuple[str, int], Line]] = {}
    for line in lines:
        if line.kind not in ("code", "error"):
            items.setdefault(line.entry_id, {})[(line.section, line.line)] = line
    return items


def _as_a_tool_says(line: str) -> bool:
    """Worded the way a tool reports trouble, and not asked as a question: "is
    the export not found thing fixed?" names a title too."""
    return sounds_printed(line) and not line.rstrip().endswith("?")


def _says_phrase(line: str, title: str) -> bool:
    """The line says the title's words in a row ("Module not found: ..." says
    "Module Not Found"), not scattered over the line."""
    said, phrase = word_sequence(mask(line)), word_sequence(mask(title))
    if len(phrase) < 2:
        return False
    return any(said[i:i + len(phrase)] == phrase for i in range(len(said) - len(phrase) + 1))


def _in_order(line: str, title: str) -> bool:
    """The title's words that the line says come in the title's order.

    "'sharp' is required to be installed" says words of "Install sharp to Use
    Built-In Image Optimization", but as another sentence: the page of that
    message is another one.
    """
    title_words = word_sequence(mask(title))
    position = {w: i for i, w in reversed(list(enumerate(title_words)))}
    said = [position[w] for w in dict.fromkeys(word_sequence(mask(line))) if w in position]
    return said == sorted(said)


def _keep_best(hits: dict[str, _Hit], entry_id: str, hit: _Hit) -> None:
    if entry_id not in hits or hit.score > hits[entry_id].score:
        hits[entry_id] = hit


def _alignment(stored_plain: str, q_plain: str) -> float:
    """How surely a stored error string stands nearly verbatim in the paste line."""
    length = len(stored_plain)
    if length < thresholds.ALIGN_MIN_CHARS or length > len(q_plain) + 10:
        return 0.0
    ratio = fuzz.partial_ratio(stored_plain, q_plain, processor=None)
    if ratio < thresholds.ALIGN_MIN_RATIO:
        return 0.0
    strength = (ratio - thresholds.ALIGN_MIN_RATIO) / (100 - thresholds.ALIGN_MIN_RATIO)
    return strength * min(1.0, length / thresholds.ALIGN_FULL_CHARS)
