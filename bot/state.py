"""The bot's own SQLite file, opened so threads and processes can share it.

The knowledge database is rebuilt from markdown and thrown away freely; this
one remembers what the bot did in Slack (ledger.py) and what people said about
it (feedback.py), so it must survive restarts and be safe for two bot
processes at once. WAL mode lets readers run beside a writer, the busy timeout
makes a second writer wait instead of failing, and every decision that must
happen once is taken inside one `BEGIN IMMEDIATE` transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from .errors import ConfigError

# Long enough to ride out another process's write, short enough that a wedged
# database shows up in the logs within one Slack retry.
BUSY_TIMEOUT_SECONDS = 10.0


class StateDB:
    """One connection to the state file, serialised between this process's threads."""

    def __init__(self, path: str, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        try:
            conn = _connect(path, busy_timeout)
        except (OSError, sqlite3.Error) as exc:
            # Raised at start-up, before any Slack event: name the setting to fix.
            reason = getattr(exc, "strerror", None) or exc
            raise ConfigError(f"cannot use the state database {path} ({reason}): set "
                              "KNOWN_ISSUE_STATE_DB to a writable file path, such as "
                              ".known-issue/state.db") from exc
        self.path = path
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction that holds the file's write lock from its first line.

        IMMEDIATE rather than the default DEFERRED: two processes that both read
        "not answered yet" before either writes would both answer.
        """
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        """Rows of a read-only query, as dicts."""
        with self._lock:
            return list(self.db.query(sql, params))

    def close(self) -> None:
        with self._lock:
            self.db.close()


def _connect(path: str, busy_timeout: float) -> sqlite3.Connection:
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # Autocommit (isolation_level=None), so transactions are only the
    # explicit BEGIN IMMEDIATE ones of StateDB.transaction.
    conn = sqlite3.connect(
        path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        # The first statement that reads the file: a file that is not a
        # database fails here.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error:
        conn.close()
        raise
    return conn
