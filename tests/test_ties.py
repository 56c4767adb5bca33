"""Near ties between pages that say the same thing: the page the paste names wins.

A reference often has twin pages (a compile-time error and its runtime
equivalent) that share whole paragraphs. The paste's own words then score both
alike; the page whose title the paste says is the one it is about.
"""

import pytest

from bot import thresholds
from bot.config import Settings
from bot.knowledge_base import open_knowledge
from test_identifiers import PAGES

SHARED = """## Debugging the error

Use the export name to trace the templates that use it. For example, if the
export not found is `ngForm`, import `FormsModule` into the module that declares
the component.
"""

TWINS = {
    "ZX0301.md": "# Export Not Found\n\nThe renderer cannot find a directive with "
                 "that export name while it creates the view.\n\n" + SHARED,
    "ZX8003.md": "# Missing Reference Target\n\nThe compiler cannot find a directive "
                 "with that export name while it checks the template.\n\n" + SHARED
                 + "\nCheck the name of each `ngForm` export the template refers to.\n",
}


@pytest.fixture(scope="module")
def twins_kb(tmp_path_factory):
    root = tmp_path_factory.mktemp("twins")
    folder = root / "errors"
    folder.mkdir()
    for name, text in {**PAGES, **TWINS}.items():
        (folder / name).write_text(text)
    return open_knowledge(Settings(knowledge=[str(folder)],
                                   db_path=str(root / "knowledge.db")))


@pytest.fixture
def title_decides(monkeypatch):
    # Without BM25's opinion, so that only the title breaks the tie, and with
    # HIGH out of reach (on a dozen pages every word is rare and scores run
    # high), so that only the title can make the answer confident.
    monkeypatch.setattr(thresholds, "BM25_WEIGHT", 0.0)
    monkeypatch.setattr(thresholds, "HIGH", 0.99)


def test_the_twin_whose_title_the_paste_says_comes_first(twins_kb, title_decides):
    matches = twins_kb.lookup("Error: Export of name 'ngForm' not found!")

    # The other twin mentions `ngForm` and "name" once more and scores higher.
    assert [m.entry.id for m in matches[:2]] == ["ZX0301", "ZX8003"]
    assert matches[0].score < matches[1].score
    # The title tells the twins apart, so the answer needs no lead in score.
    assert matches[0].confidence == "high"


def test_a_message_that_says_only_part_of_a_title_is_not_answered(twins_kb,
                                                                 title_decides):
    matches = twins_kb.lookup("Error: export 'ngForm' is not available in this view")

    assert matches[0].entry.id == "ZX0301"
    assert matches[0].confidence != "high"


def test_a_question_that_says_a_title_is_not_answered(twins_kb, title_decides):
    matches = twins_kb.lookup("is the export not found thing from yesterday fixed?")

    assert matches[0].entry.id == "ZX0301"
    assert matches[0].confidence != "high"


CAUSE_AND_CONSEQUENCE = {
    "route-bailout.md": """# Route Bailed Out of Prerendering

#### Why This Error Occurred

A route read request data during the build, so it could not be prerendered
and the build stopped at that route.

#### Possible Ways to Fix It

Move the read into a client component or mark the route as dynamic.
""",
    "prerender-failed.md": """# Prerender Failed

#### Why This Error Occurred

The build stopped because a route could not be prerendered: an error was thrown
while rendering it.

#### Possible Ways to Fix It

Look at the first error in the build log above this one.
""",
}


@pytest.fixture(scope="module")
def build_kb(tmp_path_factory):
    root = tmp_path_factory.mktemp("build")
    folder = root / "errors"
    folder.mkdir()
    for name, text in {**PAGES, **CAUSE_AND_CONSEQUENCE}.items():
        (folder / name).write_text(text)
    return open_knowledge(Settings(knowledge=[str(folder)],
                                   db_path=str(root / "knowledge.db")))


def test_the_cause_printed_first_wins_a_tie_with_its_consequence(build_kb, monkeypatch):
    monkeypatch.setattr(thresholds, "BM25_WEIGHT", 0.0)
    monkeypatch.setattr(thresholds, "TITLE_TIE", 0.0)

    matches = build_kb.lookup(
        'route "/orders" read request data during the build\n'
        "Error: the build stopped because route \"/orders\" could not be prerendered: "
        "an error was thrown while rendering it")

    assert [m.entry.id for m in matches[:2]] == ["route-bailout", "prerender-failed"]
    assert matches[0].score < matches[1].score
