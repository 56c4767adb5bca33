"""HTTP mode under load: 2,000 signed events at 100 a second, over loopback.

    python bench/load.py                      # prints, and updates bench/README.md
    python bench/load.py --events 500 --rate 50 --no-write

The bot runs as `known-issue serve --http`, a process of its own, with the
Slack test knowledge; this script plays Slack on both sides: it sends the
signed events (a tenth of them redeliveries of earlier ones, as Slack sends
when it thinks an ack was late) and it is the Web API the bot posts to. It
reports how fast each event was acknowledged (Slack wants it within three
seconds) against /healthz answered by the same process at the same rate, and
whether every matching message got exactly one reply. Not a test: numbers
depend on the machine, so they are read as ratios.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_slack import (  # noqa: E402  (the test rig is the fake Slack)
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    event_body,
    get,
    signed_post,
)
from measure import percentile  # noqa: E402
from tables import format_table, ms, ratio  # noqa: E402

KNOWLEDGE = ROOT / "tests" / "fixtures" / "slack_knowledge.md"
README = ROOT / "bench" / "README.md"
SECTION = "## HTTP mode under load (bench/load.py)"
END = "<!-- end of bench/load.py section -->"

# Errors that match an entry with high confidence, and messages that match none.
MATCHING = [
    'psycopg2.OperationalError: connection to server at "db.internal" (10.0.0.5), '
    "port 5432 failed: Connection refused",
    "OOM command not allowed when used memory > 'maxmemory'",
    "connect() failed (111: Connection refused) while connecting to upstream",
    "SSL: CERTIFICATE_VERIFY_FAILED certificate has expired",
    "write /var/lib/docker/tmp/GetImageBlob: no space left on device",
]
SILENT = ["anyone up for lunch?", "FrobnicatorException: the widget cache exploded"]
# Slack spreads an incident over channels; one post a second each is its limit.
CHANNELS = 200
ACK_LIMIT_MS = 3000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0, help="events per second")
    parser.add_argument("--no-write", action="store_true", help="leave bench/README.md")
    args = parser.parse_args()

    fake = FakeSlack().start()
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        bot = _start_bot(fake, Path(tmp), port)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(f"{base}/healthz")
            result = run(fake, base, args.events, args.rate)
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=30)
    fake.stop()

    report = format_report(result, args.events, args.rate)
    print(report)
    if not args.no_write:
        write_section(report)
    return 0 if result["ok"] else 1


def run(fake: FakeSlack, base: str, count: int, rate: float) -> dict:
    """Baseline then load, both open-loop at the same rate; then count replies."""
    health = _paced(
        lambda i: _timed(lambda: get(f"{base}/healthz")), min(count, 500), rate
    )
    events = plan(count)
    started = time.monotonic()
    acks = _paced(lambda i: _timed(lambda: _send(base, *events[i])), count, rate)
    sent_for = time.monotonic() - started

    wanted = {(c, ts) for c, ts, text, _, _ in events if text in MATCHING}
    deadline = time.monotonic() + 60
    while len(fake.posts()) < len(wanted) and time.monotonic() < deadline:
        time.sleep(0.1)
    # Answers wait for their channel's one-a-second slot, so some trail the sends.
    settled = time.monotonic() - started - sent_for
    time.sleep(2)  # anything that would be a duplicate has had time to arrive
    replies = Counter(
        (p["params"]["channel"], p["params"]["thread_ts"]) for p in fake.posts()
    )

    statuses = Counter(status for status, _ in acks)
    return {
        "health": [t for _, t in health],
        "acks": [t for _, t in acks],
        "statuses": statuses,
        "sent_for": sent_for,
        "settled": settled,
        "matching": len(wanted),
        "answered_once": sum(1 for key in wanted if replies[key] == 1),
        "lost": sum(1 for key in wanted if replies[key] == 0),
        "duplicates": sum(n - 1 for n in replies.values() if n > 1),
        "stray": sum(n for key, n in replies.items() if key not in wanted),
        "ephemeral": len(fake.calls_to("chat.postEphemeral")),
        "redeliveries": sum(1 for *_, retry in events if retry),
        "ok": _passed(acks, replies, wanted),
    }


def plan(count: int) -> list[tuple[str, str, str, str, bool]]:
    """(channel, ts, text, event id, is a redelivery) for each event, in order."""
    events: list[tuple[str, str, str, str, bool]] = []
    texts = MATCHING * 3 + SILENT * 2  # about two in three match
    for n in range(count):
        if n % 10 == 9:
            # Slack's redelivery of an event sent a little earlier.
            channel, ts, text, event_id, _ = events[n - 7]
            events.append((channel, ts, text, event_id, True))
            continue
        channel = f"C{n % CHANNELS:08d}"
        events.append(
            (channel, f"1700000000.{n:06d}", texts[n % len(texts)], f"Ev{n:06d}", False)
        )
    return events


def format_report(result: dict, count: int, rate: float) -> str:
    acks, health = result["acks"], result["health"]
    rows = [
        [name, ms(percentile(values, 50)), ms(percentile(values, 99)), ms(max(values))]
        for name, values in (("/healthz (baseline)", health), ("event ack", acks))
    ]
    table = format_table(["request", "p50 ms", "p99 ms", "max ms"], rows)
    p50 = percentile(acks, 50) / max(percentile(health, 50), 1e-9)
    p99 = percentile(acks, 99) / max(percentile(health, 99), 1e-9)
    late = sum(1 for t in acks if t > ACK_LIMIT_MS)
    return "\n".join(
        [
            f"{count} events ({result['redeliveries']} of them redeliveries) at "
            f"{rate:g}/s over {CHANNELS} channels, sent in {result['sent_for']:.1f} s, "
            f"last reply {result['settled']:.1f} s after the last send; "
            f"HTTP statuses {dict(result['statuses'])}.",
            "",
            table,
            "",
            f"Ack latency vs /healthz: p50 {ratio(p50)}, p99 {ratio(p99)}; "
            f"acks over {ACK_LIMIT_MS / 1000:g} s: {late}.",
            f"Matching messages: {result['matching']}; answered exactly once: "
            f"{result['answered_once']}; lost: {result['lost']}; duplicate replies: "
            f"{result['duplicates']}; replies to non-matching messages: "
            f"{result['stray']}; "
            f"private offers: {result['ephemeral']}.",
            f"Verdict: {'pass' if result['ok'] else 'FAIL'}.",
        ]
    )


def write_section(report: str) -> None:
    """Replace this script's section of bench/README.md, or append it; others stay."""
    section = (
        f"{SECTION}\n\nMeasured with `python bench/load.py` on "
        f"{time.strftime('%Y-%m-%d')} ({os.cpu_count()} CPUs):\n\n"
        f"```\n{report}\n```\n{END}\n"
    )
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    if SECTION in text and END in text:
        before, rest = text.split(SECTION, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    README.write_text(text)


def _passed(acks: list, replies: Counter, wanted: set) -> bool:
    """Every event acked with 200 in time, every matching message answered once."""
    all_ok = all(status == 200 for status, _ in acks)
    fast = all(t <= ACK_LIMIT_MS for _, t in acks)
    once = all(replies[key] == 1 for key in wanted) and sum(replies.values()) == len(
        wanted
    )
    return all_ok and fast and once


def _send(
    base: str, channel: str, ts: str, text: str, event_id: str, retry: bool
) -> int:
    event = {
        "type": "message",
        "channel": channel,
        "user": "U0PERSON",
        "text": text,
        "ts": ts,
        "channel_type": "channel",
    }
    headers = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    status, _ = signed_post(
        f"{base}/slack/events",
        event_body(event, event_id),
        headers=headers if retry else None,
    )
    return status


def _paced(call, count: int, rate: float) -> list:
    """Start call(i) at i/rate seconds whatever the answers' speed (open loop)."""
    results: list = [None] * count
    start = time.monotonic() + 0.1
    with ThreadPoolExecutor(max_workers=64) as pool:
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(lambda i=i: results.__setitem__(i, call(i)))
    return results


def _timed(call) -> tuple[int, float]:
    started = time.perf_counter()
    outcome = call()
    status = outcome[0] if isinstance(outcome, tuple) else outcome
    return status, (time.perf_counter() - started) * 1000


def _start_bot(fake: FakeSlack, tmp: Path, port: int) -> subprocess.Popen:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "KNOWN_ISSUE_"))
    }
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        KNOWN_ISSUE_KNOWLEDGE=str(KNOWLEDGE),
        KNOWN_ISSUE_DB=str(tmp / "kb.db"),
        KNOWN_ISSUE_STATE_DB=str(tmp / "state.db"),
    )
    command = [
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        "--http",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return subprocess.Popen(command, env=env, cwd=tmp, stderr=subprocess.DEVNULL)


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the bot did not become ready at {url}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
