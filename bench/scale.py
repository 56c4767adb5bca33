"""How ingest and lookup cost grow with the number of entries, on generated knowledge.

    python bench/scale.py                          # 1,000, 10,000 and 50,000 entries
    python bench/scale.py --sizes 1000 10000 --pastes 100 --json
    python bench/scale.py --sizes 10000 --profile  # where a slow lookup spends its time

Each size is generated (see synth.py), ingested with the bot's own
build_database, opened as the bot opens it, and sent the same kinds of pastes.
Numbers are read as ratios against baselines measured in the same run: the
smallest size, and a plain FTS5 BM25 query over the same entries. Absolute
milliseconds are printed too, because the issue's targets are absolute.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.knowledge_base import KnowledgeBase, build_database, open_knowledge
from bot.model import CONFIDENCE_HIGH

import synth
from baselines import Bm25Index
from growth import add_ratios, render
from measure import GcWatch, code_digest, percentile, profile_call, timed

DEFAULT_SIZES = [1_000, 10_000, 50_000]
DEFAULT_PASTES = 200
# Seconds of pastes per size (and as much again for the long pastes): at 50,000
# entries a lookup takes over a second, and 200 of them would double the run.
DEFAULT_BUDGET = 20.0
MIN_PASTES = 20
SEED = 20_251_203
# Slack's message limit is 40,000 characters; 5 KB is a long but common paste.
BIG_PASTES = {"5 KB": 5_000, "40 KB": 40_000}
BIG_SAMPLES = 3
ENTRIES_PER_FILE = 100
# Ingest and open are timed as the median of three runs up to this size.
REPEAT_UP_TO = 2_000


@dataclass
class Plan:
    """What to do at each size, from the command line."""

    pastes: int = DEFAULT_PASTES
    budget: float = DEFAULT_BUDGET
    profile: bool = False
    freeze_gc: bool = False


@dataclass
class Subject:
    """One size, built: our knowledge base, FTS5 over the same entries, and the
    generator that made them (to draw pastes from)."""

    kb: KnowledgeBase
    fts: Bm25Index
    specs: list[synth.Spec]
    vocab: synth.Vocabulary


def main(argv: list[str] | None = None) -> int:
    digest = code_digest()  # of the bot code just imported, before anyone edits it
    args = _parser().parse_args(argv)
    sizes = sorted(set(args.sizes))
    if min(sizes) < 10:
        print(f"error: --sizes {min(sizes)} is too small: give entry counts of 10 or "
              "more, e.g. --sizes 1000 10000", file=sys.stderr)
        return 2
    plan = Plan(args.pastes, args.budget, args.profile, args.freeze_gc)

    _warm_up()
    load_before = os.getloadavg()[0]
    results = []
    for size in sizes:
        print(f"measuring {size:,} entries...", file=sys.stderr, flush=True)
        results.append(measure_size(size, plan))
    report = {"seed": SEED, "bot_digest": digest, "freeze_gc": plan.freeze_gc,
              "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
              "sizes": results}
    add_ratios(report)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Ingest and lookup cost of the matcher on generated knowledge.")
    parser.add_argument("--sizes", nargs="+", type=int, default=DEFAULT_SIZES,
                        metavar="N", help="entries per run (default: 1000 10000 50000)")
    parser.add_argument("--pastes", type=int, default=DEFAULT_PASTES, metavar="N",
                        help="pastes per size, half from entries and half noise "
                             f"(default {DEFAULT_PASTES})")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET, metavar="S",
                        help="seconds of pastes per size, and again for the long "
                             f"pastes (default {DEFAULT_BUDGET:g}; at least "
                             f"{MIN_PASTES} short and one of each long paste are "
                             "always sent)")
    parser.add_argument("--profile", action="store_true",
                        help="also print cProfile's top functions for the slowest "
                             "lookup of each size")
    parser.add_argument("--freeze-gc", action="store_true",
                        help="call gc.freeze() once the knowledge is open, to see what "
                             "full garbage collections add to lookups")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    return parser


def _warm_up() -> None:
    """One small untimed round, so imports and first-call setup do not land on
    the smallest size, which every ratio is taken against."""
    rng = random.Random(SEED)
    specs = synth.make_specs(20, rng)
    with tempfile.TemporaryDirectory() as tmp:
        synth.write_knowledge(specs, Path(tmp) / "knowledge", rng, ENTRIES_PER_FILE)
        settings = Settings(knowledge=[str(Path(tmp) / "knowledge")],
                            db_path=str(Path(tmp) / "kb.db"))
        build_database(settings, force=True)
        kb = open_knowledge(settings)
    kb.lookup(synth.drawn_paste(specs[0], synth.Vocabulary(rng)), 5)
    Bm25Index(kb.entries).search(specs[0].title)


def measure_size(size: int, plan: Plan) -> dict[str, object]:
    """Generate, ingest, open and query one size of knowledge."""
    rng = random.Random(SEED + size)
    specs = synth.make_specs(size, rng)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "knowledge"
        files = synth.write_knowledge(specs, folder, rng, ENTRIES_PER_FILE)
        settings = Settings(knowledge=[str(folder)], db_path=str(Path(tmp) / "kb.db"))

        # Small sizes are the divisor of every ratio and cheap to repeat, and on a
        # shared machine one run of a second or two is easily disturbed.
        repeat = 3 if size <= REPEAT_UP_TO else 1
        _, ingest_ms = timed(build_database, settings, True, repeat=repeat)
        # What a restart costs once the database is current: load it, build the index.
        kb, open_ms = timed(open_knowledge, settings, repeat=repeat)
    fts, fts_build_ms = timed(Bm25Index, kb.entries)
    subject = Subject(kb, fts, specs, synth.Vocabulary(rng))

    result: dict[str, object] = {
        "entries": len(kb.entries), "files": files,
        "ingest_s": round(ingest_ms / 1000, 2), "open_s": round(open_ms / 1000, 2),
        "fts_build_s": round(fts_build_ms / 1000, 2),
    }
    if plan.freeze_gc:
        gc.freeze()
    try:
        result.update(_lookups(subject, plan))
        result["big_pastes"] = _big_pastes(subject, plan)
    finally:
        gc.unfreeze()
    return result


def _lookups(subject: Subject, plan: Plan) -> dict[str, object]:
    """Latency over up to plan.pastes pastes, and whether answers still hold up.

    Drawn and noise pastes alternate, so stopping early on the time budget
    still measures both kinds in equal parts.
    """
    kb, fts = subject.kb, subject.fts
    cases = _cases(subject, plan.pastes)
    # Untimed warm-up: the first lookups fill caches that every later one shares.
    for paste, _ in cases[:3]:
        kb.lookup(paste, 5)
        fts.search(paste)

    ours: list[float] = []
    theirs: list[float] = []
    right = alarms = 0
    deadline = time.perf_counter() + plan.budget
    with GcWatch() as watch:
        for paste, expected in cases:
            if len(ours) >= MIN_PASTES and time.perf_counter() > deadline:
                break
            matches, took = timed(kb.lookup, paste, 5)
            ours.append(took)
            theirs.append(timed(fts.search, paste)[1])
            top = matches[0] if matches else None
            right += bool(expected and top and top.entry.id == expected)
            alarms += bool(not expected and top and top.confidence == CONFIDENCE_HIGH)

    measured = cases[:len(ours)]
    out: dict[str, object] = {
        "pastes": len(ours),
        "lookup_p50_ms": round(percentile(ours, 50), 2),
        "lookup_p95_ms": round(percentile(ours, 95), 2),
        "fts_p50_ms": round(percentile(theirs, 50), 2),
        "fts_p95_ms": round(percentile(theirs, 95), 2),
        "drawn_pastes": sum(1 for _, e in measured if e),
        "top1_drawn": right,
        "noise_pastes": sum(1 for _, e in measured if e is None),
        "high_on_noise": alarms,
        "full_gc": len(watch.pauses_ms),
        "full_gc_ms": round(sum(watch.pauses_ms), 1),
    }
    if plan.profile:
        slowest = measured[max(range(len(ours)), key=ours.__getitem__)][0]
        out["profile"] = profile_call(lambda: kb.lookup(slowest, 5))
    return out


def _cases(subject: Subject, count: int) -> list[tuple[str, str | None]]:
    """(paste, id of the entry it should find or None), drawn and noise alternating."""
    ids = {e.title: e.id for e in subject.kb.entries}
    vocab = subject.vocab
    drawn = vocab.rng.sample(subject.specs, min((count + 1) // 2, len(subject.specs)))
    cases: list[tuple[str, str | None]] = []
    for spec in drawn:
        cases.append((synth.drawn_paste(spec, vocab), ids[spec.title]))
        cases.append((synth.noise_paste(vocab), None))
    return cases[:count]


def _big_pastes(subject: Subject, plan: Plan) -> dict[str, dict[str, float]]:
    """5 KB and 40 KB pastes: log noise with one entry's error in the middle.

    Up to BIG_SAMPLES different pastes per size, each timed once, so one lucky
    paste does not decide the number; found counts those whose error won. At
    50,000 entries one long paste can take seconds, so they share the budget.
    """
    out = {}
    for label, size in BIG_PASTES.items():
        ours: list[float] = []
        theirs: list[float] = []
        found = 0
        deadline = time.perf_counter() + plan.budget / len(BIG_PASTES)
        for spec in subject.vocab.rng.sample(subject.specs, BIG_SAMPLES):
            if ours and time.perf_counter() > deadline:
                break
            paste = synth.sized_paste(spec, subject.vocab, size)
            matches, took = timed(subject.kb.lookup, paste, 5)
            ours.append(took)
            theirs.append(timed(subject.fts.search, paste)[1])
            found += bool(matches) and matches[0].entry.title == spec.title
        out[label] = {
            "chars": size, "samples": len(ours),
            "ours_ms": round(statistics.median(ours), 2),
            "fts_ms": round(statistics.median(theirs), 2),
            "found": found,
        }
    return out


if __name__ == "__main__":
    sys.exit(main())
