"""How long hostile pastes take, against an ordinary paste of the same size.

    python bench/hostile.py                 # the team log (knowledge/)
    python bench/hostile.py --knowledge ../shared/corpus/nextjs-errors ../shared/corpus/angular-errors

A paste is bounded at Slack's 40,000 characters, but a bounded paste can still
be built to make a pattern or a comparison work hard: one word said thousands
of times, one line with no break, thousands of quotes, URLs, paths or error
heads. Each is timed as the bot runs it (KnowledgeBase.lookup), next to a
realistic 40 KB log in the same run, and printed as a ratio to it.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

from bot.config import load_settings
from bot.knowledge_base import open_knowledge
from bot.model import CONFIDENCE_HIGH

from measure import code_digest, timed
from tables import format_table, ms, ratio

SIZE = 40_000
ROOT = Path(__file__).resolve().parent.parent


def _fill(unit: str) -> str:
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


def ordinary() -> str:
    """A compose log of healthy requests with one error near the end."""
    lines = [f"web-1  | 2026-12-04T10:{i // 60 % 60:02d}:{i % 60:02d}.123Z info  GET "
             f"/api/v1/courses/{i} 200 {i % 190 + 5}ms" for i in range(600)]
    lines.insert(550, 'nginx-1  | 2026/12/04 10:22:33 [emerg] 1#1: unknown directive '
                      '"gzip_level" in /etc/nginx/nginx.conf:34')
    return "\n".join(lines)[:SIZE]


HOSTILE = {
    "one word, repeated": _fill("will "),
    "a question, repeated": _fill("could that "),
    "error heads, repeated": _fill("Readiness probe failed: "),
    "error types, repeated": _fill("TypeError: "),
    "quoted values": _fill("'x' "),
    "URLs": _fill("amqp://guest@rabbitmq:5672/ "),
    "one path": _fill("/a"),
    "no spaces": "a" * SIZE,
    "stack frames": _fill("    at handler (/srv/app/dist/index.js:1:2)\n"),
    "many short lines": _fill("no\n"),
    "HTTP statuses": _fill("statuscode: 500 "),
    "code fences": _fill("```"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", nargs="+", default=[str(ROOT / "knowledge")])
    parser.add_argument("--repeat", type=int, default=3, help="median of this many calls")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        settings = dataclasses.replace(load_settings({}), knowledge=args.knowledge,
                                       db_path=str(Path(tmp) / "knowledge.db"))
        kb = open_knowledge(settings)
        kb.lookup(ordinary())  # warm caches, as a serving bot's are

        _, base = timed(kb.lookup, ordinary(), repeat=args.repeat)
        rows = [["ordinary 40 KB log (baseline)", ms(base), "1.00x", "-"]]
        for name, paste in HOSTILE.items():
            matches, took = timed(kb.lookup, paste, repeat=args.repeat)
            high = "yes" if matches and matches[0].confidence == CONFIDENCE_HIGH else "no"
            rows.append([name, ms(took), ratio(took / base), high])

    print(f"{len(kb.entries)} entries, pastes of {SIZE:,} characters, bot code "
          f"{code_digest()}, each the median of {args.repeat} calls.")
    print(format_table(["paste", "ms", "x baseline", "answered high"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
