"""Reading a scale.py run: ratios against baselines from the same run, then tables.

Kept apart from the measuring so that a saved --json run can be rendered again
(`growth.render(json.load(...))`) and so that the targets sit in one place.
Every ratio divides by something measured in the same run on the same machine:
the smallest size, or FTS5 over the same entries and pastes.
"""

from __future__ import annotations

from tables import format_table, ms, ratio

# The targets: lookup p95 by knowledge size, and one long paste.
P95_TARGET_MS = {250: 10.0, 10_000: 50.0}
BIG_TARGET_MS = 100.0


def add_ratios(report: dict) -> None:
    """Each size against the smallest one, and our lookup against FTS5 at that size."""
    sizes = report["sizes"]
    base = sizes[0]
    for r in sizes:
        grow = r["entries"] / base["entries"]
        r["ingest_x"] = _div(r["ingest_s"], base["ingest_s"])
        # Per entry: 1.0 means the cost grows exactly as fast as the entries.
        r["ingest_per_entry_x"] = _div(r["ingest_s"] / grow, base["ingest_s"])
        r["open_x"] = _div(r["open_s"], base["open_s"])
        r["open_per_entry_x"] = _div(r["open_s"] / grow, base["open_s"])
        r["p95_x"] = _div(r["lookup_p95_ms"], base["lookup_p95_ms"])
        r["p95_vs_fts"] = _div(r["lookup_p95_ms"], r["fts_p95_ms"])
        for label, big in r["big_pastes"].items():
            big["x_base"] = _div(big["ours_ms"], base["big_pastes"][label]["ours_ms"])
            big["vs_fts"] = _div(big["ours_ms"], big["fts_ms"])


def _div(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def render(report: dict) -> str:
    """Three tables (building, lookups, long pastes), then the targets."""
    sizes = report["sizes"]
    before, after = report["load_average"]
    frozen = ", gc.freeze() after opening" if report["freeze_gc"] else ""
    parts = [
        f"Generated knowledge (seed {report['seed']}), bot code "
        f"{report['bot_digest']}, load average {before} before and {after} after"
        f"{frozen}.",
        "", "Building: ingest = build_database(force); open = load the database and "
        "build the matcher.", _cost_table(sizes),
        "", "Lookups: generated pastes, half an entry's error on a new occasion, half "
        "noise.", _lookup_table(sizes),
        "", "Long pastes: log noise with one entry's error in the middle, each timed "
        "once; the median.", _big_table(sizes),
        "", *verdicts(sizes),
    ]
    for r in sizes:
        if "profile" in r:
            parts += ["", f"Slowest lookup at {r['entries']:,} entries:", r["profile"]]
    return "\n".join(parts)


def _cost_table(sizes: list[dict]) -> str:
    base = f"{sizes[0]['entries']:,}"
    return format_table(
        ["entries", "files", "ingest s", f"x {base}", "per entry x", "open s",
         f"x {base}", "per entry x", "FTS5 build s"],
        [[f"{r['entries']:,}", str(r["files"]), f"{r['ingest_s']:.2f}",
          ratio(r["ingest_x"]), ratio(r["ingest_per_entry_x"]), f"{r['open_s']:.2f}",
          ratio(r["open_x"]), ratio(r["open_per_entry_x"]), f"{r['fts_build_s']:.2f}"]
         for r in sizes])


def _lookup_table(sizes: list[dict]) -> str:
    base = f"{sizes[0]['entries']:,}"
    return format_table(
        ["entries", "pastes", "p50 ms", "p95 ms", f"p95 x {base}", "FTS5 p95 ms",
         "p95 / FTS5", "full GCs (ms)", "top1 drawn", "high on noise"],
        [[f"{r['entries']:,}", str(r["pastes"]), ms(r["lookup_p50_ms"]),
          ms(r["lookup_p95_ms"]), ratio(r["p95_x"]), ms(r["fts_p95_ms"]),
          ratio(r["p95_vs_fts"]), f"{r['full_gc']} ({r['full_gc_ms']:.0f})",
          f"{r['top1_drawn']}/{r['drawn_pastes']}",
          f"{r['high_on_noise']}/{r['noise_pastes']}"] for r in sizes])


def _big_table(sizes: list[dict]) -> str:
    base = f"{sizes[0]['entries']:,}"
    return format_table(
        ["entries", "paste", "ms", f"x {base}", "FTS5 ms", "/ FTS5", "error found"],
        [[f"{r['entries']:,}", label, ms(b["ours_ms"]), ratio(b["x_base"]),
          ms(b["fts_ms"]), ratio(b["vs_fts"]), f"{b['found']}/{b['samples']}"]
         for r in sizes for label, b in r["big_pastes"].items()])


def verdicts(sizes: list[dict]) -> list[str]:
    """One line per target that this run can check."""
    lines = []
    for r in sizes:
        target = P95_TARGET_MS.get(r["entries"])
        if target is not None:
            lines.append(_verdict(f"lookup p95 at {r['entries']:,} entries",
                                  r["lookup_p95_ms"], target))
        big = r["big_pastes"]["40 KB"]
        lines.append(_verdict(f"40 KB paste at {r['entries']:,} entries",
                              big["ours_ms"], BIG_TARGET_MS))
    return lines


def _verdict(what: str, value: float, target: float) -> str:
    word = "meets" if value < target else "MISSES"
    return (f"Target {what} < {target:g} ms: {ms(value)} ms, {word} it "
            f"({value / target:.2f}x the target).")
