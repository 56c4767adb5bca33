"""Which lines of a paste are scored, and what counts as a report of a problem."""

import pytest

from bot.normalize import paste_lines
from bot.paste import frame_words, paste_segments
from bot.signals import is_talk, reports_problem, sounds_printed


def test_banners_and_steps_that_went_well_are_not_scored_beside_an_error():
    lines, scored = paste_segments(
        "Angular is running in development mode.\n"
        "✓ Compiled successfully\n"
        "ERROR HttpErrorResponse {status: 500, statusText: 'Internal Server Error'}")

    assert scored == ["ERROR HttpErrorResponse {status: 500, statusText: 'Internal Server "
                      "Error'}"]
    assert len(lines) == 3


def test_lines_that_differ_only_in_numbers_are_scored_once():
    _, scored = paste_segments("\n".join(
        f"ERROR: upstream request {i} failed after {i * 3}ms" for i in range(50)))

    assert len(scored) == 1


@pytest.mark.parametrize("text, problem", [
    ("the new endpoint is /api/v1/courses, every example works", False),
    ("Error: EACCES: permission denied", True),
    ("You are using a non-standard \"NODE_ENV\" value in your environment", True),
    ("Expected async validator to return Promise or Observable.", True),
    ("Component ID generation collision detected.", True),
    ('Input "userId" is required but no value is available yet.', True),
    ("No suitable injection token for parameter 'config' of class 'FlagsService'.", True),
    ("The tracking expression caused re-creation of the list. This is an expensive "
     "operation.", True),
    ("the build refuses the redirect while prerendering", True),
    ("the linter complains that the font is loaded in _app", True),
    ("since the upgrade the page throws as soon as it loads", True),
    ("the new font is loaded in _document and every page uses it", False),
])
def test_what_reports_a_problem(text, problem):
    assert reports_problem([text]) is problem


@pytest.mark.parametrize("text, talk", [
    ("resolved: nginx crash loop, thanks all", True),
    ("Heads up: ECS agent is auto-starting on the new AMI, not urgent", True),
    ("deploy finished 🎉", True),
    ("Error: the request could not be resolved", False),
    ("nginx keeps crashing after the deploy", False),
    ("Merged: fix nginx crash loop caused by gzip_level typo", True),
    ("closing INFRA-230 (awslogs-stream-prefix not supported), removed the option", True),
    ("the double API prefix bug is still pending, who wants it?", True),
    ("cache not hitting? no, it's hitting fine now", True),
    ("still failing, it is not fine now", False),
    ("NG0100 is gone after moving the setter, closing this out", True),
    ("NG0201 fixed", True),
    ("AWS_REGION mismatch sorted", True),
    ("Failed to find Server Action errors stopped after the rollback", True),
    ('unknown directive "gzip_level" no longer showing after the revert', True),
    ("Error: the page is not fixed", False),
    ("GET /api/files 410 Gone", False),
    ("FYI migration 0092 will lock the orders table for a few seconds tonight", True),
    ("the webhook and the capture task update the same rows, could that deadlock?", True),
    ("can someone explain what stop-writes-on-bgsave-error does?", True),
    ("cache served a stale answer after we updated the prompt, is that possible?", False),
    ("it blanks out with 'Application error'. How do I fix this?", False),
])
def test_what_is_talk_about_an_incident(text, talk):
    assert is_talk([text]) is talk


@pytest.mark.parametrize("text, printed", [
    ("Error: EACCES: permission denied", True),
    ("The pipe 'date' could not be found in the 'OrderRowComponent' component.", True),
    ("URL is malformed \"/auth/signin\". Please use only absolute URLs", True),
    ("Image Optimization using the default loader is not compatible with export", True),
    ("build is green again after clearing the CI cache, not sure what happened", False),
    ("the checkout page is slow since the deploy, still digging", False),
])
def test_what_sounds_printed_by_a_tool(text, printed):
    assert sounds_printed(text) is printed


def test_frame_words_name_the_functions_nearest_the_throw():
    lines = paste_lines(
        "Error: Cannot instantiate cyclic dependency! ApplicationRef\n"
        "    at throwCyclicDependencyError (core.js:5469)\n"
        "    at new ShadowDomRenderer (platform-browser.umd.js:1117:39)\n"
        "selectRootElement@http://localhost:4200/vendor.js:25605:36\n"
        "Zone.runTask @ zone.js:138\n")

    words = frame_words(lines)

    assert {"throw", "circular", "dependency", "shadow", "renderer", "select", "root",
            "element", "task"} <= words
    assert "localhost" not in words and "core" not in words


def test_frame_words_stop_after_the_first_frames():
    lines = paste_lines("Error: boom\n" + "".join(
        f"    at handler{chr(97 + i)}Step (app.js:{i}:1)\n" for i in range(10)))

    assert {"handlerastep", "handlerfstep"} <= frame_words(lines)
    assert "handlergstep" not in frame_words(lines)
