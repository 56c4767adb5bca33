"""Another team's log, written by a tester for a Django, Celery, Postgres and
Kubernetes shop in three layouts (a runbook of `###` entries, one page per error
and an FAQ), with that tester's pastes: the matcher was never tuned on it before
they were written."""

import pytest

from bot.config import Settings
from bot.evaluate import evaluate, load_cases
from bot.knowledge_base import open_knowledge
from conftest import DATA

TEAM = DATA / "second-team"


@pytest.fixture(scope="module")
def second_kb(tmp_path_factory):
    db = tmp_path_factory.mktemp("second-team") / "knowledge.db"
    return open_knowledge(Settings(knowledge=[str(TEAM / "knowledge")], db_path=str(db)))


def test_every_layout_is_read(second_kb):
    assert len(second_kb.entries) == 25
    assert not [d for d in second_kb.diagnostics if d.level == "error"]


def test_their_pastes_are_answered_and_their_chatter_is_not(second_kb):
    report = evaluate(second_kb, load_cases(str(TEAM / "cases.jsonl"))).summary()

    assert report["false_alarms"] == 0 and report["wrong_high"] == 0
    assert report["top1"] == 1.0 and report["channel_recall"] >= 0.9


def test_their_harder_pastes_never_get_a_confident_wrong_answer(second_kb):
    report = evaluate(second_kb, load_cases(str(TEAM / "harder-cases.jsonl"))).summary()

    assert report["wrong_high"] == 0 and report["top1"] == 1.0


@pytest.mark.parametrize("paste", [
    # shares only the title's subject ("orders table"), not its problem
    "ERROR: permission denied for table orders_order",
    # another class of the same module as the entry's error
    "celery.exceptions.SoftTimeLimitExceeded: SoftTimeLimitExceeded()",
    # a broker of another kind than the entry's
    "celery worker failed to start: consumer: Cannot connect to "
    "amqp://guest:**@rabbitmq:5672//: [Errno 111] Connection refused.",
    # an announcement and a question about what might happen
    "FYI migration 0092 will lock the orders table for a few seconds tonight",
    "the payment webhook and capture task are updating the same rows, could that deadlock?",
])
def test_their_near_misses_are_not_answered_unprompted(second_kb, paste):
    assert second_kb.lookup(paste)[0].confidence != "high"
