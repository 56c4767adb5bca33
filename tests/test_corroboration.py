"""Unprompted answers on a reference of one page per error.

A reference page states its message in its own words, so a real paste of it
scores below HIGH line by line. It is answered when its best line leads clearly
and BM25 over whole pages puts the same page well ahead too, but only when the
page knows the message itself, not just the tool or the place that printed it,
and not when the line says another tool printed it.
"""

import pytest

from bot import thresholds
from conftest import pages_kb_from
from test_identifiers import PAGES

MORE = {
    "large-route-data.md": """# Large Route Data

#### Why This Error Occurred

One of your routes ships a large amount of route data (over 200kB). That much
data must be parsed in the browser before the route responds, which hurts
performance.

#### Possible Ways to Fix It

Reduce the amount of data your loaders return. The threshold can be raised with
`routeDataLimit` when the cost is understood. If you are stuck with this error,
ask in the discussion forum.

To talk it over, connect with the community.
""",
    "builder-unknown-option.md": """# Unknown Builder Option

#### Why This Error Occurred

The builder daemon stops at start-up and logs
`builder: [fatal] unknown option "minify_level" in /etc/builder/daemon.conf:12`
when the daemon configuration sets an option this version does not know.

#### Possible Ways to Fix It

Remove the option or upgrade the builder.
""",
    "missing-injection-type.md": """# Missing Injection Type

#### Why This Error Occurred

A constructor parameter has no type or decorator.

The injector then has nothing to look the dependency up by.

#### Possible Ways to Fix It

Give the parameter a type the injector knows, or add an `@Inject()` decorator.
""",
}


@pytest.fixture(scope="module")
def reference_kb(tmp_path_factory):
    return pages_kb_from(tmp_path_factory, "reference", {**PAGES, **MORE})


@pytest.fixture
def high_out_of_reach(monkeypatch):
    # On a dozen pages every word is rare and scores run high; on a real
    # reference the same paste scores far lower. HIGH out of reach stands in,
    # so only agreement can make an answer confident.
    monkeypatch.setattr(thresholds, "HIGH", 0.99)
    monkeypatch.setattr(thresholds, "TITLE_COVER", 1.1)


def test_a_message_the_page_restates_is_answered_when_both_readings_agree(
        reference_kb, high_out_of_reach):
    best = reference_kb.lookup(
        'Warning: data for route "/store" is 308 kB which exceeds the threshold of '
        "200 kB, this amount of data can reduce performance.")[0]

    assert best.entry.id == "large-route-data"
    assert best.confidence == "high"


def test_the_same_words_as_talk_are_not_answered(reference_kb, high_out_of_reach):
    best = reference_kb.lookup(
        "the store route is slow, it ships a lot of data: we should reduce the "
        "amount at some point for performance")[0]

    assert best.confidence != "high"


def test_a_page_that_knows_only_the_tool_is_not_answered(reference_kb,
                                                        high_out_of_reach):
    matches = reference_kb.lookup(
        "builder: [fatal] the builder daemon stops at start-up: bind() to 0.0.0.0:80 failed "
        "(98: Address already in use)")

    assert matches[0].entry.id == "builder-unknown-option"
    assert matches[0].confidence != "high"


def test_a_line_another_tool_printed_is_not_answered(reference_kb):
    # The page's own words, but Vue says it printed them: the knowledge covers
    # another framework.
    matches = reference_kb.lookup(
        "[Vue warn]: Widget ID generation collision detected for 'ui-pill'")

    assert matches[0].entry.id == "ZX0400"
    assert matches[0].confidence != "high"


def test_a_tag_that_only_gives_the_level_changes_nothing(reference_kb):
    best = reference_kb.lookup(
        "[ERROR] Widget ID generation collision detected for 'ui-pill'")[0]

    assert best.entry.id == "ZX0400"
    assert best.confidence == "high"


def test_a_message_a_tool_wrapped_onto_its_next_line_is_answered(reference_kb,
                                                                 high_out_of_reach):
    best = reference_kb.lookup(
        "ERROR in Unable to resolve a token for parameter 'el' of class 'FitText'.\n"
        "  no type or decorator")[0]

    assert (best.entry.id, best.query_line) == ("missing-injection-type",
                                                "no type or decorator")
    assert best.confidence == "high"


@pytest.mark.parametrize("paste", [
    "no type or decorator",
    "I looked at the constructor again.\nno type or decorator",
])
def test_the_same_words_not_under_an_error_are_not_answered(reference_kb, high_out_of_reach,
                                                            paste):
    best = reference_kb.lookup(paste)[0]

    assert best.entry.id == "missing-injection-type"
    assert best.confidence != "high"


def test_one_shared_word_is_no_agreement(reference_kb, high_out_of_reach):
    # The only page that says "connect" invites readers to connect with the
    # community; the paste's own error (ECONNREFUSED) is in no page.
    matches = reference_kb.lookup("Error: connect ECONNREFUSED 127.0.0.1:5432")

    assert matches[0].entry.id == "large-route-data"
    assert matches[0].confidence != "high"
