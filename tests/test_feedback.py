import pytest

from bot.feedback import FIXED, NOT_THIS, Feedback
from bot.state import StateDB


@pytest.fixture
def votes():
    return Feedback(StateDB(":memory:"), clock=lambda: 1000.0)


def vote(votes, user, kind, message_ts="9.0", channel="C1", fingerprint="fp"):
    return votes.vote(
        channel, message_ts, user, entry_id="pg", fingerprint=fingerprint, vote=kind
    )


def test_one_vote_per_person_per_answer(votes):
    assert vote(votes, "U1", FIXED) is True
    assert vote(votes, "U1", FIXED) is False
    assert vote(votes, "U2", FIXED) is True

    assert votes.fixed_count("pg") == 2


def test_changing_a_vote_replaces_it(votes):
    vote(votes, "U1", FIXED)
    assert vote(votes, "U1", NOT_THIS) is True

    assert votes.fixed_count("pg") == 0


def test_people_are_counted_once_across_answers(votes):
    vote(votes, "U1", FIXED, message_ts="9.0")
    vote(votes, "U1", FIXED, message_ts="10.0")

    assert votes.fixed_count("pg") == 1


def test_not_this_is_per_error_and_channel_and_recent(votes):
    vote(votes, "U1", NOT_THIS)

    assert votes.rejected("C1", "fp", since=999.0) == {"pg"}
    assert votes.rejected("C2", "fp", since=999.0) == set()
    assert votes.rejected("C1", "other", since=999.0) == set()
    assert votes.rejected("C1", "fp", since=1001.0) == set()


def test_unknown_vote_is_refused(votes):
    with pytest.raises(ValueError, match="vote must be one of"):
        vote(votes, "U1", "maybe")
