"""Generated knowledge and pastes, for measuring cost at sizes no team has reached yet.

Every word comes from one seeded random.Random, so a run is repeatable. Entries
are written in the log layout the bot is built for (category headings, dated
entries, symptoms with the error in a code span, root cause, a fix with a
shell fence, prevention). Component, table and host names are invented from
syllables, so the vocabulary keeps growing with the number of entries, as a
real log's does. The text only has to look like a log to the matcher; it is not
meant to read well.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

CATEGORIES = [
    "Database", "Networking", "Kubernetes", "CI and builds", "Authentication",
    "Object storage", "Message queues", "Frontend build", "Payments", "Observability",
    "DNS and TLS", "Batch jobs", "Caching", "Email delivery", "Search",
]
_SUFFIXES = ["api", "worker", "gateway", "sync", "cache", "store", "proxy", "scheduler",
             "indexer", "bridge", "relay", "daemon", "exporter", "router", "ingest"]
_PROBLEMS = [
    "rejects connections", "hangs on startup", "leaks file handles", "drops messages",
    "returns stale data", "times out", "crash-loops", "runs out of memory",
    "fails health checks", "double-sends notifications", "loses its lease",
    "writes corrupt rows", "stops consuming", "rejects valid tokens", "serves 502s",
]
_TRIGGERS = [
    "after a config reload", "during the nightly backup", "on cold start", "under load",
    "behind the corporate proxy", "when the disk fills up", "after a node drain",
    "when the certificate rotates", "during a schema migration", "after the base "
    "image upgrade", "when the replica lags", "in the EU region only",
    "right after a deploy", "when DNS fails over", "with more than one replica",
]
_TABLES = ["events", "orders", "jobs", "users", "invoices", "sessions"]
_SETTINGS = ["max_connections", "pool_size", "read_timeout", "idle_timeout",
             "batch_size", "max_inflight", "retry_limit", "heap_limit", "lease_ttl",
             "prefetch_count", "worker_threads", "keepalive"]
_EXCEPTIONS = ["KeyError", "ValueError", "TimeoutError", "ConnectionResetError",
               "IllegalStateException", "NullPointerException", "TypeError"]
_REASONS = ["QUOTA_EXCEEDED", "LEASE_EXPIRED", "SCHEMA_MISMATCH", "TOKEN_REVOKED",
            "BACKPRESSURE", "CHECKSUM_FAILED", "SHARD_UNAVAILABLE", "CLOCK_SKEW"]

# The error an entry is about. {name} fields are fixed per entry; the volatile
# ones ({host}, {ip}, {port}, {ms}, {n}, {hexid}, {uuid}, {home}) change every time
# the error happens, which is what the matcher has to see through.
ERRORS = [
    "{comp}: dial tcp {ip}:{port}: connect: connection refused",
    "{comp} timed out after {ms}ms waiting for lock on table {table}",
    "PermissionError: [Errno 13] Permission denied: '{home}/{comp}/{table}.lock'",
    "ERR_{code}_{reason}: {comp} rejected request {hexid} for tenant {n}",
    "{exc}: '{field}' missing from {table} record {uuid}",
    "OOMKilled: container {comp} exceeded memory limit of {n}Mi on {host}",
    "x509: certificate signed by unknown authority while calling {host} from {comp}",
    "{comp} upstream {host} returned HTTP {status} after {ms}ms",
    "Unhandled rejection in {module}.{func}: TypeError: Cannot read properties of "
    "undefined (reading '{field}')",
    "deadlock detected while updating {table} (SQLSTATE 40P01) in {comp}",
    "Back-off pulling image registry.{host}/{comp}:{n}: manifest unknown",
    "consumer {comp} lost partition {n} of topic {queue}: rebalance in progress",
    "{comp}: {setting} of {n} reached, refusing new connections from {ip}",
    "checksum mismatch in s3://{bucket}/{table}/{hexid}.parquet read by {comp}",
    "{comp} could not resolve {queue}.{host}: no such host",
    "jwt verification failed in {comp}: key id {hexid} not found in JWKS",
]
_SYMPTOMS = [
    "Requests to `{comp}` stall for about {n} seconds before they fail",
    "The `{queue}` backlog keeps growing while `{comp}` reports healthy",
    "Only pods on the newest nodes are affected; older ones keep working",
    "Retrying by hand works once, then the same error comes back",
    "Grafana shows `{setting}` pinned at its limit for the whole incident",
    "The on-call dashboard for `{table}` goes blank for a few minutes",
    "Customers see a spinner, then a generic error page",
]
_CAUSES = [
    "`{comp}` kept a pool of {n} connections open, but `{setting}` on the server "
    "side had been lowered during the last change window.",
    "A retry loop in `{module}.{func}` had no backoff, so every failure doubled the "
    "load on `{table}`.",
    "The `{queue}` consumer acknowledged messages before writing them, and a restart "
    "threw away whatever was in flight.",
    "The image for `{comp}` was built from a base that no longer trusts the internal "
    "CA, so every call to the `{bucket}` endpoint failed the TLS handshake.",
    "Two replicas of `{comp}` shared one lease key, so each kept taking the other's "
    "work and cancelling it.",
]
_COMMANDS = [
    "kubectl -n {ns} rollout restart deployment/{comp}",
    "sed -i 's/{setting}: .*/{setting}: {n}/' /etc/{comp}/config.yaml",
    "systemctl restart {comp}",
    "psql -c 'VACUUM ANALYZE {table};'",
    "aws s3 rm --recursive s3://{bucket}/{table}/tmp/",
    "redis-cli -n {n} DEL {module}:{table}:lock",
]
_PREVENTIONS = [
    "Alert when `{setting}` passes 80% of its limit, not when it is reached.",
    "Add a canary for `{comp}` that exercises `{table}` before a deploy is promoted.",
    "Pin the base image of `{comp}` and review its CA bundle on every upgrade.",
    "Give every consumer of `{queue}` its own lease key and a jittered backoff.",
]
_NOISE = [
    "{ts} INFO  [{word}-api] GET /api/v1/{word}/{n} 200 {ms}ms",
    "{ts} DEBUG {word}.cache: hit ratio {n}% over the last minute",
    "{ts} INFO  worker {hexid} started, listening on 0.0.0.0:{port}",
    "{ts} INFO  scheduler: job {word}-report finished in {ms}ms",
    "{ts} INFO  [{word}-sync] synced {n} rows from {word} in {ms}ms",
    "{ts} WARN  [{word}-proxy] slow request {hexid} took {ms}ms",
    "deploy done, {word}-api v{n}.{port} is live",
    "anyone else seeing slow CI today? the {word} job took ages",
    "rolling back {word}-worker to be safe, will look after lunch",
    "thanks, that fixed it for me too",
]


@dataclass
class Spec:
    """One generated entry: its words, and the error it is about."""

    title: str
    category: str
    fields: dict[str, str]  # the names fixed for this entry
    error: str  # one of ERRORS, unfilled


class Vocabulary:
    """Invented names drawn from one random.Random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def word(self, syllables: int = 3) -> str:
        consonants, vowels = "bdfgklmnprstvz", "aeiou"
        return "".join(self.rng.choice(consonants) + self.rng.choice(vowels)
                       for _ in range(syllables))

    def unique_word(self) -> str:
        """A word no earlier call returned: each entry gets its own component."""
        while True:
            word = self.word(self.rng.choice((2, 3, 3, 4)))
            if word not in self.used:
                self.used.add(word)
                return word

    def volatile(self) -> dict[str, str]:
        """The parts of an error that differ on every occurrence."""
        r = self.rng
        return {
            "ip": f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}",
            "port": str(r.randrange(1024, 65535)),
            "ms": str(r.randrange(5, 30000)),
            "n": str(r.randrange(2, 5000)),
            "hexid": "".join(r.choice("0123456789abcdef") for _ in range(12)),
            "uuid": "-".join("".join(r.choice("0123456789abcdef") for _ in range(k))
                             for k in (8, 4, 4, 4, 12)),
            "host": f"{self.word(2)}-{r.randrange(1, 40)}.{self.word(2)}.internal",
            "home": f"/home/{self.word(2)}/srv",
            "ts": f"2025-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}T"
                  f"{r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d}."
                  f"{r.randrange(1000):03d}Z",
            "word": self.word(r.choice((2, 3))),
        }


def make_specs(count: int, rng: random.Random) -> list[Spec]:
    """count entries with distinct titles, spread over the categories."""
    vocab = Vocabulary(rng)
    specs = []
    for _ in range(count):
        comp = f"{vocab.unique_word()}-{rng.choice(_SUFFIXES)}"
        fields = {
            "comp": comp,
            "table": f"{vocab.word(2)}_{rng.choice(_TABLES)}",
            "queue": f"{vocab.word(2)}.{rng.choice(('inbound', 'retry', 'dead'))}",
            "module": vocab.word(2), "func": f"handle_{vocab.word(2)}",
            "field": f"{vocab.word(2)}_id", "setting": rng.choice(_SETTINGS),
            "exc": rng.choice(_EXCEPTIONS), "reason": rng.choice(_REASONS),
            "code": comp.split("-")[0].upper(), "bucket": f"{vocab.word(2)}-data",
            "status": rng.choice(("429", "502", "503", "504")),
            "ns": rng.choice(("prod", "platform", "payments", "data")),
        }
        title = f"{comp} {rng.choice(_PROBLEMS)} {rng.choice(_TRIGGERS)}"
        specs.append(Spec(title, rng.choice(CATEGORIES), fields, rng.choice(ERRORS)))
    return specs


def error_line(spec: Spec, vocab: Vocabulary) -> str:
    """The entry's error as it would print on one occasion."""
    return spec.error.format(**spec.fields, **vocab.volatile())


def entry_markdown(spec: Spec, rng: random.Random) -> str:
    """One entry in the log layout, its error quoted as it happened that day."""
    vocab = Vocabulary(rng)
    values = {**spec.fields, **vocab.volatile()}
    symptoms = rng.sample(_SYMPTOMS, 2)
    commands = rng.sample(_COMMANDS, 2)
    lines = [
        f"### {spec.title}", "",
        f"**Date:** 2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}", "",
        f"**Severity:** {rng.choice(('High', 'Medium', 'Low'))} - "
        f"{spec.fields['comp']} is degraded for everyone on {spec.fields['ns']}", "",
        "**Symptoms:**", "",
        f"- `{error_line(spec, vocab)}`",
        *(f"- {s.format(**values)}" for s in symptoms), "",
        f"**Root cause:** {rng.choice(_CAUSES).format(**values)}", "",
        f"**Fix:** Raise the limit and restart `{spec.fields['comp']}`:", "",
        "```bash", *(c.format(**values) for c in commands), "```", "",
        f"**Prevention:** {rng.choice(_PREVENTIONS).format(**values)}", "",
    ]
    return "\n".join(lines)


def write_knowledge(specs: list[Spec], folder: Path, rng: random.Random,
                    per_file: int = 100) -> int:
    """Write the entries as files of per_file entries each; return how many files."""
    folder.mkdir(parents=True, exist_ok=True)
    chunks = [specs[i:i + per_file] for i in range(0, len(specs), per_file)]
    for n, chunk in enumerate(chunks, 1):
        parts = [f"# Troubleshooting log, part {n}", ""]
        for category in sorted({s.category for s in chunk}):
            parts += [f"## {category}", ""]
            parts += [entry_markdown(s, rng) for s in chunk if s.category == category]
        (folder / f"log-{n:04d}.md").write_text("\n".join(parts), encoding="utf-8")
    return len(chunks)


def noise_line(vocab: Vocabulary) -> str:
    """A log or chat line that no entry is about."""
    return vocab.rng.choice(_NOISE).format(**vocab.volatile())


def drawn_paste(spec: Spec, vocab: Vocabulary) -> str:
    """The entry's error on a new occasion, as a log line among a few others."""
    r = vocab.rng
    stamp = vocab.volatile()["ts"]
    body = [noise_line(vocab) for _ in range(r.randrange(0, 3))]
    body.append(f"{stamp} ERROR [{spec.fields['comp']}] {error_line(spec, vocab)}")
    if r.random() < 0.3:
        where = f"/srv/app/{spec.fields['module']}.js:{r.randrange(1, 400)}"
        body.append(f"    at {spec.fields['func']} ({where}:{r.randrange(1, 80)})")
    body += [noise_line(vocab) for _ in range(r.randrange(0, 3))]
    return "\n".join(body)


def noise_paste(vocab: Vocabulary) -> str:
    """Chatter or a healthy log: the bot should stay silent."""
    return "\n".join(noise_line(vocab) for _ in range(vocab.rng.randrange(1, 6)))


def sized_paste(spec: Spec, vocab: Vocabulary, size: int) -> str:
    """About size characters of log, the entry's error halfway down.

    Cut at a line end at or under size, so a 40,000-character paste stays
    inside Slack's limit and the matcher's own cap.
    """
    error = f"{vocab.volatile()['ts']} ERROR [{spec.fields['comp']}] " \
            f"{error_line(spec, vocab)}"
    before = _fill(vocab, (size - len(error)) // 2)
    after = _fill(vocab, size - len(error) - len(before) - 2)
    return "\n".join(p for p in (before, error, after) if p)


def _fill(vocab: Vocabulary, size: int) -> str:
    lines: list[str] = []
    length = 0
    while True:
        line = noise_line(vocab)
        if length + len(line) + 1 > size:
            return "\n".join(lines)
        lines.append(line)
        length += len(line) + 1

