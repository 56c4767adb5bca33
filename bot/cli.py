"""The `known-issue` command line: ingest, lookup, eval, check, unanswered and serve.

Settings come from the environment (config.py) and are overridden by flags.
A problem the user can fix prints one line naming what to change and exits 2;
tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from urllib.error import URLError

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError, SlackClientError

from . import __version__
from .config import Settings, load_settings
from .errors import KnownIssueError
from .render import counted

logger = logging.getLogger(__name__)

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="known-issue",
        description="Answer pasted errors with the matching entry of your "
                    "troubleshooting log.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--db", help="SQLite file to build and read "
                                     "(default: $KNOWN_ISSUE_DB or .known-issue/knowledge.db)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = sub.add_parser("ingest", help="parse the knowledge markdown into the database")
    ingest.add_argument("paths", nargs="*", metavar="PATH",
                        help="files, folders or globs (default: $KNOWN_ISSUE_KNOWLEDGE "
                             "or knowledge/)")
    ingest.add_argument("--json", action="store_true", help="print a JSON summary")

    lookup = sub.add_parser("lookup", help="print the reply the bot would give to a paste")
    lookup.add_argument("text", nargs="?", help="the pasted error, or - to read it from stdin")
    lookup.add_argument("--json", action="store_true",
                        help="print the matches as JSON, best first")
    lookup.add_argument("--limit", type=_positive, default=3,
                        help="matches to show (default 3)")
    _knowledge_option(lookup)

    ev = sub.add_parser("eval", help="measure matching on labelled cases (JSON lines)")
    ev.add_argument("cases", nargs="?", metavar="CASES.jsonl")
    ev.add_argument("--json", action="store_true", help="print the numbers as JSON")
    _knowledge_option(ev)

    check = sub.add_parser("check", help="lint knowledge markdown (for docs CI)")
    check.add_argument("paths", nargs="*", metavar="PATH")
    check.add_argument("--json", action="store_true", help="print findings as JSON")

    missed = sub.add_parser("unanswered",
                            help="list the errors pasted in Slack that no entry matched")
    missed.add_argument("--days", type=_days, default=None,
                        help="only those seen in the last N days (default: all)")
    missed.add_argument("--limit", type=_positive, default=20,
                        help="errors to show, most frequent first (default 20)")
    missed.add_argument("--json", action="store_true", help="print them as JSON")

    serve = sub.add_parser("serve", help="run the Slack bot (Socket Mode unless --http)")
    serve.add_argument("--http", action="store_true",
                       help="serve Slack's HTTP requests at /slack/events")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP bind address")
    serve.add_argument("--port", type=_port, default=3000, help="HTTP port (default 3000)")
    return parser


def _checked(convert: Callable[[str], float], ok: Callable[[float], bool],
             what: str) -> Callable[[str], float]:
    """An argparse type: the value converted, or one line saying what it must be."""
    def parse(value: str) -> float:
        try:
            number = convert(value)
        except ValueError:
            number = None
        if number is None or not ok(number):
            raise argparse.ArgumentTypeError(f"{value!r} is not {what}")
        return number
    return parse


_port = _checked(int, lambda n: 0 <= n <= 65535, "a port number (0-65535)")
_positive = _checked(int, lambda n: n >= 1, "a positive whole number")
_days = _checked(float, lambda d: d > 0, "a positive number of days")


def _knowledge_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--knowledge", nargs="+", metavar="PATH",
                        help="use these files or folders instead of the configured "
                             "knowledge")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _positional_after_knowledge(parser, args)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings: Settings | None = None
    try:
        settings = _settings(args)
        return COMMANDS[args.command](args, settings)
    except KnownIssueError as exc:
        print(f"known-issue: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `known-issue eval ... | head`: the reader left; that is not an error.
        sys.stdout = open(os.devnull, "w")
        return 0
    except (OSError, sqlite3.Error, SlackClientError, BoltError) as exc:
        print(f"known-issue: {describe_failure(exc, settings)}", file=sys.stderr)
        return EXIT_USAGE


def describe_failure(exc: BaseException, settings: Settings | None = None) -> str:
    """One line for a failure of the machine or of Slack, with what to do next."""
    if isinstance(exc, sqlite3.Error):
        return (f"cannot use the knowledge database ({exc}): set KNOWN_ISSUE_DB (or "
                "--db) to a writable file path")
    if isinstance(exc, SlackApiError):
        error = exc.response.get("error", "error")
        return (f"Slack refused the request ({error}): check SLACK_BOT_TOKEN and the "
                "app's scopes")
    if isinstance(exc, BoltError):
        return f"the Slack app could not start ({exc}): check SLACK_BOT_TOKEN"
    if isinstance(exc, SlackClientError | URLError):
        return (f"cannot reach the Slack Web API ({exc}): check the network or "
                "SLACK_API_URL")
    if getattr(exc, "errno", None) == errno.EADDRINUSE:
        return "the port is already in use: pick another with --port"
    filename = getattr(exc, "filename", None)
    reason = getattr(exc, "strerror", None) or str(exc)
    # Name the path the user gave and its setting, not the folder or the
    # temporary file next to it that failed.
    if settings and _is_database_path(filename, settings.db_path):
        return (f"cannot use the knowledge database {settings.db_path} ({reason}): set "
                "KNOWN_ISSUE_DB (or --db) to a writable file path")
    if settings and _is_database_path(filename, settings.state_db):
        return (f"cannot use the state database {settings.state_db} ({reason}): set "
                "KNOWN_ISSUE_STATE_DB to a writable file path")
    return f"{reason}: {filename}" if filename else reason


def _is_database_path(filename: object, database: str) -> bool:
    """Whether a failing path is the database, one of its folders, or its temp file."""
    if not isinstance(filename, str):
        return False
    failed, db = os.path.abspath(filename), os.path.abspath(database)
    # store.py builds into "<name>.<random>.tmp" beside the database.
    return failed == db or db.startswith(failed.rstrip(os.sep) + os.sep) \
        or failed.startswith(f"{db}.")


def _positional_after_knowledge(parser: argparse.ArgumentParser,
                                args: argparse.Namespace) -> None:
    """`lookup --knowledge kb/ "text"`: --knowledge took the text; give it back.

    --knowledge takes one or more paths, so argparse hands it everything that
    follows. Its last value is the positional when that is not an existing path.
    """
    name = {"lookup": "text", "eval": "cases"}.get(args.command)
    if name is None or getattr(args, name) is not None:
        return
    paths = getattr(args, "knowledge", None) or []
    # A cases file is a path too, so for eval the last value is always the cases.
    if len(paths) >= 2 and (name == "cases" or not os.path.exists(paths[-1])):
        setattr(args, name, paths.pop())
        return
    parser.error(f"{args.command}: the following argument is required: {name}")


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    paths = getattr(args, "knowledge", None) or getattr(args, "paths", None)
    if paths:
        settings = dataclasses.replace(settings, knowledge=list(paths))
        if not args.db and settings.db_path == load_settings({}).db_path:
            # Other knowledge than the configured one gets its own database file,
            # so an eval on the corpus never overwrites the bot's own.
            settings = dataclasses.replace(settings, db_path=_db_for(paths))
    if args.db:
        settings = dataclasses.replace(settings, db_path=args.db)
    return settings


def _db_for(paths: Sequence[str]) -> str:
    import hashlib

    digest = hashlib.sha1("\0".join(paths).encode()).hexdigest()[:10]
    return f".known-issue/knowledge-{digest}.db"


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from .knowledge_base import build_database

    knowledge, _ = build_database(settings, force=True)
    for problem in knowledge.diagnostics:
        print(problem, file=sys.stderr)
    if args.json:
        print(json.dumps({
            "entries": len(knowledge.entries), "files": len(knowledge.files),
            "database": settings.db_path,
            "diagnostics": [d.to_dict() for d in knowledge.diagnostics],
        }, indent=2))
    else:
        print(f"{counted(len(knowledge.entries), 'entry', 'entries')} from "
              f"{counted(len(knowledge.files), 'file', 'files')} "
              f"-> {settings.db_path}")
    # The good entries are stored either way; a script still learns that some
    # knowledge was left out.
    return 1 if any(d.level == "error" for d in knowledge.diagnostics) else 0


def cmd_lookup(args: argparse.Namespace, settings: Settings) -> int:
    from .knowledge_base import open_knowledge
    from .render import render_text

    if args.text == "-":
        # Bytes, decoded leniently: one stray byte in a pasted log is no reason
        # to fail, whatever encoding the terminal claims.
        text = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    else:
        text = args.text
    if not text.strip():
        raise KnownIssueError("nothing to look up: pass the error text, or - and pipe it in")
    kb = open_knowledge(settings)
    matches = kb.lookup(text, limit=args.limit)
    if args.json:
        print(json.dumps([m.to_dict() for m in matches], indent=2, ensure_ascii=False))
    else:
        print(render_text(matches, text))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from .evaluate import evaluate, format_table, load_cases, unknown_expectations
    from .knowledge_base import open_knowledge

    cases = load_cases(args.cases)
    kb = open_knowledge(settings)
    for problem in unknown_expectations(kb, cases):
        print(f"warning: {problem}", file=sys.stderr)
    report = evaluate(kb, cases)
    if args.json:
        print(json.dumps(report.summary(), indent=2))
    else:
        print(format_table(report))
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from .check import run_check

    return run_check(settings.knowledge, as_json=args.json, settings=settings)


def cmd_unanswered(args: argparse.Namespace, settings: Settings) -> int:
    from .unanswered import unanswered_errors

    errors = unanswered_errors(settings.state_db, days=args.days)
    if args.json:
        print(json.dumps([e.to_dict() for e in errors[:args.limit]], indent=2,
                         ensure_ascii=False))
        return 0
    period = f" in the last {args.days:g} days" if args.days else ""
    if not errors:
        print(f"No unanswered errors{period} in {settings.state_db}.")
        return 0
    print(f"{counted(len(errors), 'error', 'errors')} nobody could answer{period} "
          f"(from {settings.state_db}); "
          "each one is a candidate for a new entry:\n")
    print(f"{'times':>5}  {'channels':>8}  {'last seen':16}  error")
    for e in errors[:args.limit]:
        seen = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.last_seen))
        offered = f"  (offered privately: {e.offered})" if e.offered else ""
        print(f"{e.times:>5}  {e.channels:>8}  {seen:16}  "
              f"{e.sample or '(no sample kept)'}{offered}")
    if len(errors) > args.limit:
        print(f"\n... and {len(errors) - args.limit} more: raise --limit to see them.")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from .knowledge_base import open_knowledge
    from .server import check_settings, serve

    # Settings first: a missing token should fail before any work is done.
    check_settings(settings, http=args.http)
    logging.getLogger().setLevel(logging.INFO)
    # A loader, not the knowledge: HTTP mode serves (and says 503) while it loads.
    serve(settings, lambda: open_knowledge(settings), http=args.http, host=args.host,
          port=args.port)
    return 0


COMMANDS = {
    "ingest": cmd_ingest,
    "lookup": cmd_lookup,
    "eval": cmd_eval,
    "check": cmd_check,
    "unanswered": cmd_unanswered,
    "serve": cmd_serve,
}

if __name__ == "__main__":
    sys.exit(main())
