"""Near ties between pages that say the same thing: the page the paste names wins.

A reference often has twin pages (a compile-time error and its runtime
equivalent) that share whole paragraphs. The paste's own words then score both
alike; the page whose title the paste says is the one it is about.
"""

import pytest

from bot import thresholds
from conftest import pages_kb_from
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
    return pages_kb_from(tmp_path_factory, "twins", {**PAGES, **TWINS})


@pytest.fixture
def title_decides(monkeypatch):
    # Without BM25's opinion, so that only the title breaks the tie, and with
    # HIGH out of reach (on a dozen pages every word is rare and scores run
    # high), so that only the title can make the answer confident.
    monkeypatch.setattr(thresholds, "BM25_WEIGHT", 0.0)
    monkeypatch.setattr(thresholds, "HIGH", 0.99)


def test_the_twin_whose_title_the_paste_says_comes_first(twins_kb, title_decides):
    matches = twins_kb.lookup("Error: Export of name 'ngForm' not found!")

    # The other twin mentions `ngForm` and "name" once more; the paste says
    # "not found", as the first twin's title does.
    assert [m.entry.id for m in matches[:2]] == ["ZX0301", "ZX8003"]
    # The title tells the twins apart, so the answer needs no lead in score.
    assert matches[0].confidence == "high"


def test_the_title_words_in_another_order_do_not_tell_twins_apart(twins_kb,
                                                                  title_decides):
    # Every word of "Export Not Found", as another sentence (as "Cannot find
    # module 'x'" is not the page titled Module Not Found).
    matches = twins_kb.lookup("Error: Cannot find export 'ngForm' of the view")

    assert matches[0].entry.id == "ZX0301"
    assert matches[0].confidence != "high"


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
    return pages_kb_from(tmp_path_factory, "build", {**PAGES, **CAUSE_AND_CONSEQUENCE})


def test_the_cause_printed_first_wins_a_tie_with_its_consequence(build_kb, monkeypatch):
    monkeypatch.setattr(thresholds, "BM25_WEIGHT", 0.0)
    monkeypatch.setattr(thresholds, "TITLE_TIE", 0.0)

    matches = build_kb.lookup(
        'route "/orders" read request data during the build\n'
        "Error: the build stopped because route \"/orders\" could not be prerendered: "
        "an error was thrown while rendering it")

    assert [m.entry.id for m in matches[:2]] == ["route-bailout", "prerender-failed"]
    assert matches[0].score < matches[1].score


EXAMPLES = {
    "bundle-import-missing.md": """# Import Not Resolved

#### Why This Error Occurred

The bundler could not resolve a module that a file imports: it is not
installed, the path is wrong, or it only exists on the server.

#### Possible Ways to Fix It

Install the package, fix the path, or import the module only in server code.
""",
    "star-export-in-route.md": """# Star Export in Route File

#### Why This Error Occurred

A route file re-exports everything from a module that reads the disk, which
pulls server code into the browser bundle. It would cause the following error:

```
Import not resolved: cannot resolve 'fs' in './routes/two.js'
```

#### Possible Ways to Fix It

Export the route's members by name.
""",
    "cache-tool-missing.md": """# Vips Missing On Server

#### Why This Error Occurred

Image resizing on a standalone server needs the `vips` package, and the server
was started without it.

You are seeing this error because image resizing in standalone mode
(`output: "standalone"`) was detected.

#### Possible Ways to Fix It

Install `vips` on the server.
""",
    "install-vips.md": """# Install vips to Use Image Resizing

#### Why This Error Occurred

Image resizing requires `vips`, and it could not be installed on this system.

#### Possible Ways to Fix It

Use another Node.js version and install `vips` again.
""",
}


@pytest.fixture(scope="module")
def examples_kb(tmp_path_factory):
    return pages_kb_from(tmp_path_factory, "examples", {**PAGES, **EXAMPLES})


@pytest.fixture
def high_out_of_reach(monkeypatch):
    # On a few pages every word is rare and scores run high; on a real
    # reference these pastes score below HIGH. HIGH out of reach stands in.
    monkeypatch.setattr(thresholds, "HIGH", 0.99)


def test_the_page_titled_with_the_message_outranks_a_page_quoting_it(
        examples_kb, high_out_of_reach):
    matches = examples_kb.lookup("Import not resolved: cannot resolve 'fs'")

    # The other page quotes the whole message, value and all, as an example.
    assert [m.entry.id for m in matches[:2]] == ["bundle-import-missing",
                                                  "star-export-in-route"]
    assert matches[0].confidence == "high"


def test_a_question_that_says_the_title_is_not_raised(examples_kb, high_out_of_reach):
    best = examples_kb.lookup("is the import not resolved thing fixed?")[0]

    assert best.entry.id == "bundle-import-missing"
    assert best.confidence != "high"


def test_a_title_said_in_another_order_does_not_decide_between_twins(
        examples_kb, high_out_of_reach):
    # The words of "Install vips to Use Image Resizing", but as another
    # sentence; the message is the other page's: vips is missing in standalone mode.
    matches = examples_kb.lookup(
        "Error: 'vips' is required to be installed in standalone mode for image resizing")

    assert {m.entry.id for m in matches[:2]} == {"install-vips", "cache-tool-missing"}
    assert matches[0].confidence != "high"


def test_a_name_the_title_says_is_no_conflict_with_the_line_that_matched(examples_kb):
    # The line that matched quotes "standalone"; the paste quotes 'vips', which
    # is the page's subject (its title), so the two do not contradict.
    best = examples_kb.lookup(
        "Error: 'vips' is missing on the server: image resizing in standalone mode "
        "was detected")[0]

    assert best.entry.id == "cache-tool-missing"
    assert best.confidence == "high"


def test_a_description_that_says_one_twins_title_needs_the_whole_page_to_agree(
        examples_kb, high_out_of_reach):
    # The words of "Install vips to Use Image Resizing", in a person's own
    # sentence about a standalone server: the other page reads better as a whole.
    matches = examples_kb.lookup(
        "I built our standalone server image; vips installed fine, but the logs keep "
        "saying vips must be installed to use image resizing")

    assert {m.entry.id for m in matches[:2]} == {"install-vips", "cache-tool-missing"}
    assert matches[0].confidence != "high"


SELECTORS = {
    "root-missing.md": """# Root Element Not Found

#### Why This Error Occurred

The selector of the root widget does not match any element in the page.

#### Possible Ways to Fix It

Rename the tag in the page so that it matches the root widget's selector.
""",
    "selector-clash.md": """# Selector Clash

#### Why This Error Occurred

Two widgets use the same selector, so every element that matches it matches both
widgets.

#### Possible Ways to Fix It

Give one of the two widgets another selector.
""",
}


@pytest.fixture(scope="module")
def selectors_kb(tmp_path_factory):
    return pages_kb_from(tmp_path_factory, "selectors", {**PAGES, **SELECTORS})


def test_a_message_that_denies_what_the_page_denies_finds_that_page(selectors_kb):
    # "did not match" is what "does not match" says; the clash page uses the
    # same words but says "matches". Without the denial the two nearly tie.
    best, second = selectors_kb.lookup(
        'Error: The selector "app-shell" did not match any elements')[:2]

    assert best.entry.id == "root-missing"
    assert second.entry.id == "selector-clash"
    assert best.score - second.score >= 3


SELECTOR_ADVICE = """## Debugging the error

Check the element and the selector the component declares, and the template
that should hold it.
"""

SELECTOR_TWINS = {
    "ZX5104.md": "# Root Element Was Not Found\n\nAt bootstrap the selector of the root "
                 "component did not match any element of the page.\n\n" + SELECTOR_ADVICE,
    "ZX0300.md": "# Selector Collision\n\nTwo components use a selector that matches the "
                 "same element, so the element did not match any single component.\n\n"
                 + SELECTOR_ADVICE,
}
SELECTOR_MISS = 'Error: The selector "demo-app" did not match any elements'


@pytest.fixture(scope="module")
def selector_kb(tmp_path_factory):
    return pages_kb_from(tmp_path_factory, "selector", {**PAGES, **SELECTOR_TWINS})


def test_the_function_that_threw_breaks_a_tie_its_message_leaves(selector_kb):
    bare = selector_kb.lookup(SELECTOR_MISS)
    with_stack = selector_kb.lookup(
        SELECTOR_MISS + "\n    at DefaultDomRenderer2.selectRootElement (platform-browser.js:2805)"
                        "\n    at createElement (core.js:10549)")

    # The message alone fits both pages about as well; the frame says the
    # root element was being selected.
    assert {m.entry.id for m in bare[:2]} == {"ZX5104", "ZX0300"}
    assert abs(bare[0].score - bare[1].score) < thresholds.MARGIN * 100
    assert with_stack[0].entry.id == "ZX5104"
    assert with_stack[0].confidence != "high"  # a near tie stays a suggestion


WARNING_AND_FAILURE = {
    "opt-out-static-rendering.md": "# Opt-out of Static Rendering\n\n#### Why This Error "
                                   "Occurred\n\nA `loadInitial` in the root page turns static "
                                   "rendering off for every page of the site.\n\n#### Possible "
                                   "Ways to Fix It\n\nMove the data loading into the pages "
                                   "that need it.\n",
    "page-without-component.md": "# Page Without a Component\n\n#### Why This Error Occurred"
                                 "\n\nSome pages have a default export that is not a "
                                 "component.\n\n#### Possible Ways to Fix It\n\nExport a "
                                 "component as the default export of every page.\n",
}
OPTED_OUT = ("Warning: You have opted-out of Static Rendering due to `loadInitial` in "
             "`pages/_root`.\n")
BUILD_FAILED = ("> Build error occurred\nError: static rendering failed: found pages "
                "without a component as default export in pages/")


@pytest.fixture(scope="module")
def warning_kb(tmp_path_factory):
    return pages_kb_from(tmp_path_factory, "warning", {**PAGES, **WARNING_AND_FAILURE})


def test_a_warning_printed_before_the_failure_does_not_win_the_tie(warning_kb):
    matches = warning_kb.lookup(OPTED_OUT + BUILD_FAILED)

    # The warning comes first and says its page's whole title, but the build
    # failed on the other line.
    assert [m.entry.id for m in matches[:2]] == ["page-without-component",
                                                 "opt-out-static-rendering"]
    assert matches[0].score < matches[1].score
    assert warning_kb.lookup(OPTED_OUT)[0].entry.id == "opt-out-static-rendering"
