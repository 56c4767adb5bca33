"""Identifiers on a knowledge of one page per error: codes, docs links, exception names.

The pages are written here, in the style of a framework's error reference: the
file name is the entry's id, and the docs link to a page ends in that id.
"""

import pytest

from bot import thresholds
from conftest import pages_kb_from

PAGES = {
    "ZX0100.md": """# Binding Changed After Check

The renderer throws `BindingChangedAfterCheckError` when a template binding
gets a new value during the verification pass that follows change detection.

## Fixing it

Move the assignment into a lifecycle hook that runs before the view is
checked, or schedule it for the next tick.
""",
    "ZX0200.md": """# Provider Loop

Two services ask for each other through their constructors, so the injector
cannot create either one. The injector reports a `SharedSetupError`.

## Fixing it

Break the loop: move the shared state into a third service.
""",
    "ZX0300.md": """# Missing Provider

No provider was registered for a token a component asked for. The injector
reports a `SharedSetupError`.

## Fixing it

Add the service to the providers of the module or the component.
""",
    "ZX0400.md": """# Widget ID generation collision

Two widgets with different definitions were given the same generated widget ID.

## Fixing it

Give one of the two widgets a different selector.
""",
    "ZX0500.md": """# Client bundle crashed during hydration

The browser bundle threw an exception before the page became interactive.

## Fixing it

Open the browser console and fix the first uncaught exception it shows.
""",
    "build-cache-missing.md": """# No Build Cache

#### Why This Error Occurred

The build ran without the cache folder of a previous run, so every module was
compiled again from scratch.

#### Possible Ways to Fix It

Keep the `.builder/cache` folder between runs in your CI configuration.
""",
    "asset-host-unlisted.md": """# Unlisted Asset Host

#### Why This Error Occurred

An image was loaded from a host that is not listed in `assets.hosts`.

#### Possible Ways to Fix It

Add the host to `assets.hosts` in `builder.config.js`.
""",
    "export-path-renamed.md": """# Export Path Mismatch

#### Why This Error Occurred

A page was exported under a path that differs from the route it serves.

#### Possible Ways to Fix It

Rename the exported file so that it matches the route.
""",
    "export-path-mismatch.md": """# Export Path Mismatch

#### Why This Error Occurred

A page was exported under a path that differs from the route it serves.

#### Possible Ways to Fix It

Rename the exported file so that it matches the route.
""",
}

DOCS = "https://builder.example.org/docs/messages"


@pytest.fixture(scope="module")
def pages_kb(tmp_path_factory):
    return pages_kb_from(tmp_path_factory, "pages", PAGES)


def test_a_specific_exception_name_names_the_one_entry_that_mentions_it(pages_kb):
    best = pages_kb.lookup(
        "ERROR Error: BindingChangedAfterCheckError: Binding has changed after it "
        "was checked. Previous value: 'a'. Current value: 'b'.")[0]

    assert best.entry.id == "ZX0100"
    assert best.confidence == "high"
    assert "BindingChangedAfterCheckError" in best.shared


def test_an_exception_name_two_entries_mention_decides_nothing(pages_kb):
    matches = pages_kb.lookup("Uncaught SharedSetupError: setup could not finish")

    assert all(m.confidence != "high" for m in matches)


def test_a_warning_with_a_docs_link_does_not_answer_a_failed_build(pages_kb):
    matches = pages_kb.lookup(
        f"⚠ No build cache found. Read more: {DOCS}/build-cache-missing\n"
        "Creating an optimized production build ...\n"
        "Failed to compile.\n"
        "./app/invoices/page.tsx:22:7\n"
        "Type error: Property 'amountCents' does not exist on type 'Invoice'.")

    assert all(m.confidence != "high" for m in matches)


@pytest.mark.parametrize("failure", [
    "⨯ Error: connect ECONNREFUSED 192.0.2.10:5432",
    "Error: P1001: Can't reach database server at `db:5432`",
    "AxiosError: Request failed with status code 502",
    # a record of its own, at its own log level
    "error - unhandledRejection: Request failed with status code 500",
])
def test_an_error_of_its_own_under_a_warning_is_not_the_warnings_detail(
        pages_kb, failure):
    matches = pages_kb.lookup(f"warn - No build cache found\n{failure}")

    assert all(m.confidence != "high" for m in matches)


def test_the_line_under_a_warning_that_only_tells_more_is_its_detail(pages_kb):
    best = pages_kb.lookup("warn - No build cache found\n"
                           "Error: Aborted because ./.builder/cache is not accepted")[0]

    assert best.entry.id == "build-cache-missing"
    assert best.confidence == "high"


def test_the_same_warning_alone_is_answered(pages_kb):
    best = pages_kb.lookup(
        f"⚠ No build cache found. Read more: {DOCS}/build-cache-missing")[0]

    assert best.entry.id == "build-cache-missing"
    assert best.confidence == "high"


def test_a_hint_with_its_docs_link_is_answered_without_a_word_of_trouble(pages_kb):
    # Lint rules and framework hints say what to do, not that something failed.
    best = pages_kb.lookup(
        "src/pages/gallery.tsx#L14 Put every image host into `assets.hosts`. "
        f"See: {DOCS}/asset-host-unlisted")[0]

    assert best.entry.id == "asset-host-unlisted"
    assert best.confidence == "high"


def test_the_sentence_that_introduces_a_warning_is_not_another_failure(pages_kb):
    best = pages_kb.lookup(
        "The page renders fine, however I get this error in the console:\n"
        f"⚠ No build cache found. Read more: {DOCS}/build-cache-missing")[0]

    assert best.entry.id == "build-cache-missing"
    assert best.confidence == "high"


def test_a_docs_link_under_the_error_line_names_the_entry(pages_kb):
    best = pages_kb.lookup(
        "Error: Invalid src prop (https://cdn.example.net/a.png), hostname "
        '"cdn.example.net" is not listed\n'
        f"See more info: {DOCS}/asset-host-unlisted\n"
        "Failed to compile.")[0]

    assert best.entry.id == "asset-host-unlisted"
    assert best.confidence == "high"


def test_two_pages_with_one_title_are_answered_together(pages_kb):
    matches = pages_kb.lookup("Warning: Export Path Mismatch for /blog/post")

    assert matches[0].confidence == "high"
    assert {m.entry.id for m in matches[:2]} == {"export-path-renamed",
                                                  "export-path-mismatch"}


def test_a_file_position_line_does_not_outweigh_the_message(pages_kb):
    best = pages_kb.lookup(
        "./builder.config.js:3:1\n"
        'Error: image host "cdn.example.net" is not listed in assets.hosts')[0]

    assert best.entry.id == "asset-host-unlisted"
    assert best.query_line.startswith("Error: image host")


def test_a_message_that_says_collision_instead_of_error_is_answered(pages_kb):
    best = pages_kb.lookup(
        "Widget ID generation collision detected. Widgets 'BadgeWidget' and "
        "'ChipWidget' with selector 'ui-pill' generated the same widget ID.")[0]

    assert best.entry.id == "ZX0400"
    assert best.confidence == "high"


def test_a_description_that_names_the_title_is_answered(pages_kb, monkeypatch):
    # On a few pages every word is rare and any score is high; on a real
    # reference a chatty paste scores far lower. HIGH out of reach stands in.
    monkeypatch.setattr(thresholds, "HIGH", 0.99)

    best = pages_kb.lookup(
        "checkout shows a blank screen on iOS and the console says the client "
        "bundle crashed during hydration, can't reproduce it on desktop")[0]

    assert best.entry.id == "ZX0500"
    assert best.confidence == "high"


@pytest.mark.parametrize("paste", [
    "ERROR Error: ZX0300: no provider for token 'Config'",
    "ERROR RuntimeError: ZX0300 (no provider for token Config)",
    "ZX0300",
])
def test_a_code_as_the_tool_prints_it_names_its_entry(pages_kb, paste):
    best = pages_kb.lookup(paste)[0]

    assert best.entry.id == "ZX0300"
    assert best.confidence == "high"


@pytest.mark.parametrize("talk", [
    "does anyone know if ZX0100 only fires in dev mode? nothing is broken right now",
    "Post-mortem is published. TL;DR: a provider loop (ZX0200) between PricingService "
    "and CartService shipped in 4.12.0, hotfixed in 4.12.1 within 40 min.",
    "Thanks all, INC-3107 is resolved. Root cause was an expired cert; the "
    "'Widget ID generation collision' someone pasted earlier was unrelated.",
])
def test_talk_that_names_an_entry_is_not_answered_unprompted(pages_kb, talk):
    matches = pages_kb.lookup(talk)

    assert all(m.confidence != "high" for m in matches)


def test_a_step_that_went_well_is_not_taken_for_the_failure(pages_kb):
    matches = pages_kb.lookup(
        "✓ Compiled successfully\n"
        "✓ Export path mismatch check\n"
        "upload failed: out/index.html An error occurred (AccessDenied) when calling "
        "the PutObject operation: Access Denied")

    assert all(m.confidence != "high" for m in matches)


def test_bm25_prefers_the_entry_that_uses_more_of_the_rare_words(pages_kb):
    index = pages_kb.matcher.index
    words = {"widget", "collision", "selector"}

    scores = index.bm25(["ZX0400", "ZX0100"], words)

    assert scores["ZX0400"] > scores["ZX0100"] >= 0.0


def test_an_entry_moved_up_by_bm25_is_never_answered_unprompted(pages_kb, monkeypatch):
    paste = ("Error: no provider registered for the token a component asked for, "
             "the injector cannot create the service")
    first, second = [m.entry.id for m in pages_kb.lookup(paste)][:2]
    assert pages_kb.lookup(paste)[0].confidence == "high"
    matcher = pages_kb.matcher
    monkeypatch.setattr(thresholds, "MARGIN", 10.0)  # every candidate is a near tie
    monkeypatch.setattr(thresholds, "BM25_WEIGHT", 10.0)
    monkeypatch.setattr(matcher.index, "bm25",
                        lambda ids, words: {e: 1.0 if e == second else 0.1 for e in ids})

    best = pages_kb.lookup(paste)[0]

    assert best.entry.id == second
    assert best.confidence != "high"


@pytest.mark.parametrize("talk", [
    "resolved: widget ID generation collision on the shop page, thanks all",
    "TIL: a provider loop between two services is reported as ZX0200",
    "PSA: brown bag on Binding Changed After Check tomorrow at 2",
    "I'm writing a blog post about the client bundle crashed during hydration",
])
def test_announcements_and_lessons_are_not_answered_unprompted(pages_kb, talk):
    assert all(m.confidence != "high" for m in pages_kb.lookup(talk))


@pytest.mark.parametrize("ask, entry_id", [
    ("what is zx0100?", "ZX0100"),
    (f"thanks, {DOCS}/asset-host-unlisted fixed it", "asset-host-unlisted"),
])
def test_a_code_or_link_named_in_passing_finds_the_entry_but_stays_quiet(
        pages_kb, ask, entry_id):
    best = pages_kb.lookup(ask)[0]

    assert best.entry.id == entry_id
    assert best.confidence != "high"


STALENESS = {"version-staleness.md": """# Version Staleness

#### Why This Error Occurred

The framework in use is older than its latest release.

#### Possible Ways to Fix It

Upgrade to the latest release.
"""}
OVERLAY_FOOTER = f"Next.js (13.4.1) is outdated (learn more) {DOCS}/version-staleness"


@pytest.fixture(scope="module")
def overlay_kb(tmp_path_factory):
    return pages_kb_from(tmp_path_factory, "overlay", {**PAGES, **STALENESS})


def test_the_overlay_footer_beside_an_error_is_not_the_error(overlay_kb):
    # The error overlay prints this footer under every runtime error.
    matches = overlay_kb.lookup(
        "Unhandled Runtime Error\n"
        'Error: Invalid src prop (https://cdn.example.net/a.png), hostname "cdn.example.net" '
        "is not listed\n" + OVERLAY_FOOTER)

    assert matches[0].entry.id == "asset-host-unlisted"
    assert all(m.confidence != "high" for m in matches if m.entry.id == "version-staleness")


def test_the_overlay_footer_alone_is_answered(overlay_kb):
    best = overlay_kb.lookup(OVERLAY_FOOTER)[0]

    assert (best.entry.id, best.confidence) == ("version-staleness", "high")


WARNED = "warning ZX0400: Widget ID generation collision detected for 'ui-pill'."


def test_a_warnings_code_gives_way_to_a_failure_with_a_name_of_its_own(pages_kb):
    matches = pages_kb.lookup(
        WARNED + "\nERROR HttpErrorResponse {status: 0, statusText: 'Unknown Error'}")

    assert matches[0].entry.id == "ZX0400"
    assert matches[0].confidence != "high"


def test_a_warnings_code_stands_beside_its_own_context_line(pages_kb):
    best = pages_kb.lookup(
        WARNED + "\nError occurs in the template of component CardListComponent.")[0]

    assert (best.entry.id, best.confidence) == ("ZX0400", "high")


def test_a_person_reporting_a_code_they_see_now_is_answered(pages_kb):
    best = pages_kb.lookup("since the upgrade the dev server keeps printing ZX0400 "
                           "for the pill widgets on every page")[0]

    assert (best.entry.id, best.confidence) == ("ZX0400", "high")


def test_a_person_asking_about_a_code_is_not_answered_unprompted(pages_kb):
    best = pages_kb.lookup("does the dev server keep printing ZX0400 for the pill "
                           "widgets for everyone, or is it just me?")[0]

    assert best.entry.id == "ZX0400"
    assert best.confidence != "high"
