"""`known-issue check` fails where ingest would: a path with no knowledge under it."""

import json
import os

import pytest

from conftest import KNOWLEDGE, run_cli

NO_FILES = ("no knowledge files (.md, .mdx, .markdown) here: check the path, or name "
            "the folder that holds the troubleshooting markdown")


def _empty_folder(tmp_path):
    folder = tmp_path / "emptydir"
    folder.mkdir()
    return folder


def _text_file(tmp_path):
    path = tmp_path / "some.txt"
    path.write_text("## Not markdown\n")
    return path


def _links_only(tmp_path):
    folder = tmp_path / "links"
    folder.mkdir()
    os.symlink("nowhere.md", folder / "dangling.md")
    os.symlink(".", folder / "loop")
    return folder


@pytest.mark.parametrize("make", [_empty_folder, _text_file, _links_only])
def test_a_path_without_knowledge_is_an_error(tmp_path, make):
    path = make(tmp_path)

    result = run_cli("check", str(path))

    assert result.returncode == 1
    assert f"{path}:1: error: {NO_FILES}" in result.stdout.splitlines()
    assert result.stderr.startswith("1 error,")


def test_each_empty_path_is_named_beside_good_knowledge(tmp_path):
    empty = _empty_folder(tmp_path)

    result = run_cli("check", "--json", str(KNOWLEDGE), str(empty))

    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert [f["path"] for f in report["findings"] if f["level"] == "error"] == [str(empty)]


def test_a_file_also_found_through_its_folder_is_no_error():
    result = run_cli("check", str(KNOWLEDGE), str(KNOWLEDGE / "troubleshooting.md"))

    assert "no knowledge files" not in result.stdout


def test_an_empty_file_is_a_warning(tmp_path):
    (tmp_path / "empty.md").write_text("\n")
    (tmp_path / "disk.md").write_text("# No space left on device\n\nPrune the cache.\n")

    result = run_cli("check", str(tmp_path))

    assert result.returncode == 0
    assert f"{tmp_path / 'empty.md'}:1: warning: file is empty: no entries to read" \
        in result.stdout.splitlines()
