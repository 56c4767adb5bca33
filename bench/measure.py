"""The numbers every bench script reports, computed one way for every method.

A method is anything that turns a paste into a ranking of entry ids with
scores (higher is better). This module scores those rankings against the
labelled answers, times the calls, and notes what else a number depends on
(the bot code, full garbage collections). It does not know how a ranking was
made, so our matcher and the baselines are held to exactly the same arithmetic.
"""

from __future__ import annotations

import cProfile
import gc
import hashlib
import io
import math
import pstats
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

# (entry id, score), best first.
Ranked = list[tuple[str, float]]


@dataclass
class Outcome:
    """One case as one method answered it."""

    positive: bool
    rank: int | None  # 1-based rank of the first right entry
    top_score: float | None  # None when the method returned nothing
    latency_ms: float
    speaks: bool = False  # our own "high" band; baselines have none

    @property
    def right_first(self) -> bool:
        return self.rank == 1


def code_digest() -> str:
    """A short hash of bot/*.py: which matcher a set of numbers was measured on.

    The matcher changes often and the numbers with it; the digest ties a
    result quoted in bench/README.md to the code that produced it.
    """
    digest = hashlib.sha256()
    for path in sorted((Path(__file__).resolve().parent.parent / "bot").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def timed(call: Callable[..., T], *args: object, repeat: int = 1) -> tuple[T, float]:
    """The call's result and its median wall time in milliseconds.

    The median, not the minimum (which would hide the cost a user usually
    pays) nor the mean (which one disturbed run on a shared machine decides).
    """
    times = []
    result = None
    for _ in range(max(repeat, 1)):
        start = time.perf_counter()
        result = call(*args)
        times.append((time.perf_counter() - start) * 1000)
    return result, statistics.median(times)  # type: ignore[return-value]


class GcWatch:
    """The full (generation 2) garbage collections inside a with-block, timed.

    With tens of thousands of entries the matcher holds millions of objects,
    and a full collection that starts during a lookup walks all of them: the
    lookup that pays for it is the slow one in p95.
    """

    def __init__(self) -> None:
        self.pauses_ms: list[float] = []
        self._started = 0.0

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses_ms.append((time.perf_counter() - self._started) * 1000)


def profile_call(call: Callable[[], object], top: int = 12) -> str:
    """cProfile's busiest functions (by own time) for one call, as text."""
    # Collect first, so that a full collection due anyway does not land inside
    # the call and get billed to whatever function happened to allocate.
    gc.collect()
    profiler = cProfile.Profile()
    profiler.runcall(call)
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    return buffer.getvalue().strip()


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: always one of the observed values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = math.ceil(len(ordered) * pct / 100) - 1
    return ordered[max(0, min(len(ordered) - 1, k))]


def rank_of(ranked: Ranked, wanted: set[str], titles: dict[str, str]) -> int | None:
    """Where the first right entry sits; a case names entries by id or by title."""
    for i, (entry_id, _) in enumerate(ranked, 1):
        if entry_id.lower() in wanted or titles.get(entry_id, "").lower() in wanted:
            return i
    return None


def answered_at(outcomes: list[Outcome], cutoff: float) -> tuple[int, int]:
    """(positives answered right, negatives answered) if every top >= cutoff speaks."""
    right = sum(1 for o in outcomes if o.positive and o.right_first
                and o.top_score is not None and o.top_score >= cutoff)
    wrong = sum(1 for o in outcomes if not o.positive
                and o.top_score is not None and o.top_score >= cutoff)
    return right, wrong


def recall_at_zero_false_alarms(outcomes: list[Outcome]) -> tuple[float, float | None]:
    """The best share of positives one score cutoff answers right, silent on negatives.

    The cutoffs tried are the observed top scores. Lower cutoffs answer more,
    so the best one is the lowest that still answers no negative; the sweep
    keeps that rule visible instead of assuming it.
    """
    positives = sum(1 for o in outcomes if o.positive)
    best, best_cut = 0, None
    for cut in sorted({o.top_score for o in outcomes if o.top_score is not None}):
        right, wrong = answered_at(outcomes, cut)
        if wrong == 0 and right > best:
            best, best_cut = right, cut
    return _share(best, positives), best_cut


def false_alarms_for(outcomes: list[Outcome], right_needed: int) -> int | None:
    """The fewest negatives answered by a cutoff that answers right_needed positives.

    None when no cutoff gets there: the method cannot reach that recall at all.
    """
    if right_needed == 0:
        # Nothing to match (a set of negatives only): a baseline has no cutoff.
        return 0 if any(o.positive for o in outcomes) else None
    fewest = None
    for cut in sorted({o.top_score for o in outcomes if o.top_score is not None}):
        right, wrong = answered_at(outcomes, cut)
        if right >= right_needed and (fewest is None or wrong < fewest):
            fewest = wrong
    return fewest


def summarize(outcomes: list[Outcome], own_bands: bool,
              right_needed: int | None = None) -> dict[str, Any]:
    """top1, MRR, recalls, false alarms and latency for one method's outcomes.

    With own_bands the false alarms are the method's own (a "high" reply to a
    negative); otherwise they are what a cutoff costs to answer right_needed
    positives, which is how a baseline would have to be tuned to match us.
    """
    pos = [o for o in outcomes if o.positive]
    latencies = [o.latency_ms for o in outcomes]
    recall0, cutoff = recall_at_zero_false_alarms(outcomes)

    spoken_right = sum(1 for o in pos if o.right_first and o.speaks)
    channel: float | None = None
    alarms: int | None
    if own_bands:
        channel = _share(spoken_right, len(pos))
        alarms = sum(1 for o in outcomes if not o.positive and o.speaks)
    else:
        alarms = false_alarms_for(outcomes, right_needed or 0)

    return {
        "cases": len(outcomes),
        "positives": len(pos),
        "top1": _share(sum(1 for o in pos if o.right_first), len(pos)),
        "mrr": _share(sum(1 / o.rank for o in pos if o.rank), len(pos)),
        "channel_recall": channel,
        "channel_right": spoken_right if own_bands else None,
        "recall_at_zero_fa": recall0,
        "zero_fa_cutoff": cutoff,
        "false_alarms": alarms,
        "answer_all_false_alarms": sum(
            1 for o in outcomes if not o.positive and o.top_score is not None),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
    }


def _share(n: float, d: int) -> float | None:
    """n / d; None (shown as n/a) for a set with no positive cases."""
    return round(n / d, 4) if d else None
