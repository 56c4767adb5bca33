"""`known-issue eval`: matching quality as numbers, on labelled cases.

A case is a JSON line {"query": str, "expected": [title or id, ...]}; an empty
list means nothing should be answered. Titles and ids compare case-insensitively.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import KnownIssueError
from .knowledge_base import KnowledgeBase
from .model import CONFIDENCE_HIGH, Match


@dataclass
class CaseResult:
    id: str
    query: str
    expected: list[str]
    kind: str
    ranked: list[Match]
    latency_ms: float

    @property
    def positive(self) -> bool:
        return bool(self.expected)

    def rank(self) -> int | None:
        """1-based rank of the first right entry, or None."""
        wanted = {e.lower() for e in self.expected}
        for i, match in enumerate(self.ranked, 1):
            if match.entry.id.lower() in wanted or match.entry.title.lower() in wanted:
                return i
        return None

    @property
    def top_high(self) -> bool:
        return bool(self.ranked) and self.ranked[0].confidence == CONFIDENCE_HIGH


@dataclass
class Report:
    results: list[CaseResult] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        out = self._numbers(self.results)
        kinds = sorted({r.kind for r in self.results if r.kind})
        if len(kinds) > 1:
            out["by_kind"] = {kind: {k: v for k, v in self._numbers(
                [r for r in self.results if r.kind == kind]).items() if k in _PER_KIND}
                for kind in kinds}
        return out

    @staticmethod
    def _numbers(results: list[CaseResult]) -> dict[str, object]:
        pos = [r for r in results if r.positive]
        neg = [r for r in results if not r.positive]
        ranks = [r.rank() for r in pos]
        latencies = sorted(r.latency_ms for r in results) or [0.0]
        return {
            "cases": len(results),
            "positives": len(pos),
            "negatives": len(neg),
            "top1": _share(sum(1 for k in ranks if k == 1), len(pos)),
            "top3": _share(sum(1 for k in ranks if k is not None and k <= 3), len(pos)),
            "mrr": _share(sum(1 / k for k in ranks if k), len(pos)),
            "channel_recall": _share(
                sum(1 for r in pos if r.rank() == 1 and r.top_high), len(pos)),
            "false_alarms": sum(1 for r in neg if r.top_high),
            "wrong_high": sum(1 for r in pos if r.top_high and r.rank() != 1),
            "latency_ms": {
                "p50": round(statistics.median(latencies), 2),
                "p95": round(_percentile(latencies, 95), 2),
                "max": round(latencies[-1], 2),
            },
        }

    def misses(self) -> list[CaseResult]:
        """Cases the bot gets wrong: wrong top, silent on a positive, or noisy."""
        out = []
        for r in self.results:
            if r.positive and (r.rank() != 1 or not r.top_high):
                out.append(r)
            elif not r.positive and r.top_high:
                out.append(r)
        return out


# What the per-kind breakdown reports ("exact", "log-wrapped", "paraphrase", ...).
_PER_KIND = ("cases", "positives", "negatives", "top1", "channel_recall", "false_alarms",
             "wrong_high")


def _printable(text: str) -> str:
    """The paste without terminal escapes and control characters, for the table."""
    text = re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]", "", text)
    return "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)


def _share(n: float, d: int) -> float | None:
    """n / d, or None when there is nothing to divide by (a set of negatives only)."""
    return round(n / d, 4) if d else None


def _num(value: object) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _percentile(values: list[float], pct: int) -> float:
    k = max(0, min(len(values) - 1, round(pct / 100 * len(values) + 0.5) - 1))
    return values[k]


def load_cases(path: str) -> list[dict]:
    """Read and check the cases file; a bad line names its number."""
    cases = []
    try:
        # utf-8-sig: editors on Windows start UTF-8 files with a byte order mark.
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise KnownIssueError(f"cannot read cases file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise KnownIssueError(f"{path} is not UTF-8 text (byte {exc.start}): save the "
                              "cases as UTF-8 JSON lines") from exc
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            case = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise KnownIssueError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
        if not isinstance(case, dict) or not isinstance(case.get("query"), str) \
                or not isinstance(case.get("expected"), list):
            raise KnownIssueError(
                f'{path}:{n}: expected {{"query": str, "expected": [title or id, ...]}}')
        if not all(isinstance(name, str) for name in case["expected"]):
            # [null] would otherwise be compared as the title "None".
            raise KnownIssueError(f"{path}:{n}: expected must be a list of entry ids "
                                  'or titles as strings, such as ["nginx-crash-loop"]')
        case.setdefault("id", f"line-{n}")
        cases.append(case)
    if not cases:
        raise KnownIssueError(f'{path} holds no cases: write one JSON object per line, '
                              '{"query": "...", "expected": [...]}')
    return cases


def unknown_expectations(kb: KnowledgeBase, cases: list[dict]) -> list[str]:
    """Expected titles or ids that name no entry: a typo makes a case unwinnable."""
    names = {e.id.lower() for e in kb.entries} | {e.title.lower() for e in kb.entries}
    return [f"{case['id']}: expected {name!r} names no entry"
            for case in cases for name in case.get("expected", [])
            if str(name).lower() not in names]


def evaluate(kb: KnowledgeBase, cases: list[dict]) -> Report:
    report = Report()
    for case in cases:
        start = time.perf_counter()
        ranked = kb.lookup(case["query"], limit=5)
        elapsed = (time.perf_counter() - start) * 1000
        report.results.append(CaseResult(
            id=str(case["id"]), query=case["query"],
            expected=[str(e) for e in case.get("expected", [])],
            kind=str(case.get("kind", "")), ranked=ranked, latency_ms=elapsed))
    return report


def format_table(report: Report) -> str:
    """The human-readable report: the numbers, then each miss."""
    s = report.summary()
    lat = s["latency_ms"]
    lines = [
        f"cases {s['cases']} ({s['positives']} positive, {s['negatives']} negative)",
        f"top1 {_num(s['top1'])}   top3 {_num(s['top3'])}   mrr {_num(s['mrr'])}",
        f"channel_recall {_num(s['channel_recall'])}   false_alarms {s['false_alarms']}"
        f"   wrong_high {s['wrong_high']}",
        f"latency ms p50 {lat['p50']}  p95 {lat['p95']}  max {lat['max']}",  # type: ignore[index]
    ]
    if "by_kind" in s:
        lines.append("")
        lines.append(f"{'kind':<12} {'cases':>5} {'top1':>6} {'recall':>7} {'false':>6} {'wrong':>6}")
        for kind, k in s["by_kind"].items():  # type: ignore[union-attr]
            lines.append(f"{kind[:12]:<12} {k['cases']:>5} {_num(k['top1']):>6} "
                         f"{_num(k['channel_recall']):>7} {k['false_alarms']:>6} "
                         f"{k['wrong_high']:>6}")
    misses = report.misses()
    lines.append("")
    lines.append(f"misses: {len(misses)}" if misses else "misses: none")
    for r in misses:
        top = r.ranked[0] if r.ranked else None
        got = f"{top.entry.title} ({top.score:.0f}, {top.confidence})" if top else "nothing"
        want = ", ".join(r.expected) or "silence"
        query = " ".join(_printable(r.query).split())[:90]
        lines.append(f"  {r.id} [{r.kind}] want {want}")
        lines.append(f"      got {got}   paste: {query}")
    return "\n".join(lines)
