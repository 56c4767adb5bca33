import sqlite3
import threading

import pytest

from bot import ledger
from bot.ledger import CAPPED, CLAIMED, DUPLICATE, REPEAT, Ledger
from bot.state import StateDB


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def book(clock):
    return Ledger(StateDB(":memory:"), clock)


def claim(book, ts="1.0", thread_ts=None, kind=ledger.ANSWER, entry_id="pg", **extra):
    return book.claim(
        "C1", ts, thread_ts=thread_ts or ts, kind=kind, entry_id=entry_id, **extra
    )


def test_a_message_is_claimed_once(book):
    assert claim(book, event_id="Ev1") == CLAIMED
    assert claim(book, event_id="Ev1") == DUPLICATE
    assert claim(book, event_id="Ev2") == DUPLICATE


def test_an_event_id_claims_only_its_own_message(book):
    assert claim(book, "1.0", event_id="Ev1") == CLAIMED
    assert claim(book, "2.0", event_id="Ev1") == DUPLICATE


def test_a_posted_message_stays_answered_even_after_the_lease(book, clock):
    claim(book)
    book.posted("C1", "1.0", "9.0", ledger.ANSWER)
    clock.now += 10 * ledger.LEASE_SECONDS

    assert claim(book) == DUPLICATE
    assert book.get("C1", "1.0").reply_ts == "9.0"


def test_a_failed_claim_can_be_retried(book):
    claim(book)
    book.failed("C1", "1.0")

    assert claim(book) == CLAIMED


def test_a_claim_is_taken_over_only_after_its_lease(book, clock):
    claim(book)
    clock.now += ledger.LEASE_SECONDS - 1
    assert claim(book) == DUPLICATE

    clock.now += 2
    assert claim(book) == CLAIMED


def test_a_thread_gets_each_entry_once(book):
    claim(book, "1.0")
    book.posted("C1", "1.0", "9.0", ledger.ANSWER)

    assert claim(book, "2.0", thread_ts="1.0") == REPEAT
    assert claim(book, "3.0", thread_ts="1.0", entry_id="redis") == CLAIMED


def test_a_thread_gets_at_most_its_limit_of_answers(book):
    claim(book, "1.0", thread_limit=2)
    claim(book, "2.0", thread_ts="1.0", entry_id="redis", thread_limit=2)

    assert claim(book, "3.0", thread_ts="1.0", entry_id="tls", thread_limit=2) == CAPPED
    # A private offer is not an answer in the thread, so the cap does not apply.
    assert (
        claim(book, "4.0", thread_ts="1.0", entry_id="tls", kind=ledger.OFFER)
        == CLAIMED
    )


def test_an_offer_is_shared_once(book):
    claim(book, kind=ledger.OFFER)
    book.offered("C1", "1.0", None)

    taken = book.take_offer("C1", "1.0", thread_limit=3)
    assert taken.entry_id == "pg"
    assert book.take_offer("C1", "1.0", thread_limit=3) == DUPLICATE


def test_earlier_answer_is_found_in_other_threads_within_the_window(book, clock):
    claim(book, "1.0")
    book.posted("C1", "1.0", "9.0", ledger.ANSWER)

    assert book.earlier_answer("C1", "pg", clock.now - 60, "2.0").reply_ts == "9.0"
    assert book.earlier_answer("C1", "pg", clock.now - 60, "1.0") is None
    assert book.earlier_answer("C2", "pg", clock.now - 60, "2.0") is None
    assert book.earlier_answer("C1", "pg", clock.now + 1, "2.0") is None


def test_posting_slots_in_a_channel_are_spaced(book):
    waits = [book.next_slot("C1", 1.0) for _ in range(3)]

    assert waits == [0.0, 1.0, 2.0]
    assert book.next_slot("C2", 1.0) == 0.0


def test_unanswered_error_is_kept_once(book):
    book.unanswered("C1", "1.0", "abc")
    book.unanswered("C1", "1.0", "abc")

    rows = book.state.query("select channel, ts, fingerprint from unanswered")
    assert rows == [{"channel": "C1", "ts": "1.0", "fingerprint": "abc"}]


def test_state_file_is_shared_safely(tmp_path):
    path = str(tmp_path / "state.db")
    StateDB(path)

    connection = sqlite3.connect(path)
    assert connection.execute("pragma journal_mode").fetchone() == ("wal",)


def test_two_processes_claiming_at_once_get_one_claim(tmp_path):
    # Two connections to one file stand in for two bot processes.
    path = str(tmp_path / "state.db")
    books = [Ledger(StateDB(path)), Ledger(StateDB(path))]
    results = []
    start = threading.Barrier(8)

    def race(book):
        start.wait()
        results.append(claim(book, event_id="Ev1"))

    threads = [threading.Thread(target=race, args=(books[n % 2],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(results) == [CLAIMED] + [DUPLICATE] * 7


def test_a_burst_of_other_apps_posts_gets_no_more_answers_than_the_limit(tmp_path):
    books = [Ledger(StateDB(str(tmp_path / "state.db"))) for _ in range(2)]
    start = threading.Barrier(10)
    results = []

    def race(book, n):
        start.wait()
        results.append(claim(book, ts=f"{n}.0", from_bot=True, bot_limit=(0.0, 5)))

    threads = [threading.Thread(target=race, args=(books[n % 2], n)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(results) == sorted([CLAIMED] * 5 + [ledger.BOT_LIMIT] * 5)
