"""Reading knowledge from disk: bad files are reported and skipped, never fatal."""

import os
from pathlib import Path

import pytest

from bot.ingest import MAX_FILE_BYTES, combine, find_files, parse_file, read_knowledge
from bot.sources import Source
from conftest import ROOT

CORPUS = ROOT.parent / "shared" / "corpus"
GOOD = "## Disk full\n\n**Symptoms:**\n\n- `ENOSPC`\n\n**Fix:** prune the cache\n"


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def make_invalid_utf8(folder):
    write(folder / "latin1.md", b"## Caf\xe9\n\n**Fix:** x\n")
    return "latin1.md", 1, ("not valid UTF-8 (column 7): read with the bad bytes "
                            "replaced; save the file as UTF-8")


def make_binary(folder):
    write(folder / "image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return "image.md", 1, "binary file, not markdown: skipped"


def make_huge(folder):
    with open(folder / "dump.md", "wb") as handle:
        handle.truncate(20 * 1024 * 1024)  # sparse: 20 MB without writing them
    return "dump.md", 1, (f"file is {20 * 1024} KiB, over the {MAX_FILE_BYTES // 1024} "
                          "KiB limit: skipped")


def make_unclosed_fence(folder):
    write(folder / "fence.md", "## Stuck\n\n**Fix:**\n\n```sh\nkill -9 1\n")
    return "fence.md", 5, "code fence is never closed: everything after it is read as code"


def make_empty_heading(folder):
    write(folder / "empty.md", "## A\n\n**Fix:** x\n\n## Nothing here\n")
    return "empty.md", 5, "heading 'Nothing here' has no body: it is not an entry"


def make_duplicate_headings(folder):
    write(folder / "twice.md", "## Same\n\n**Fix:** x\n\n## Same\n\n**Fix:** y\n")
    return "twice.md", 5, "duplicate heading 'Same': its anchor becomes #same_1"


def make_symlink_loop(folder):
    (folder / "loop").mkdir()
    os.symlink("..", folder / "loop" / "up")
    return "loop/up", 1, "symlink loop: folder already read, skipped"


def make_file_linked_to_itself(folder):
    os.symlink("self.md", folder / "self.md")
    return "self.md", 1, "cannot read (Too many levels of symbolic links): skipped"


def make_pipe(folder):
    # Reading a FIFO named .md would wait forever for a writer.
    os.mkfifo(folder / "pipe.md")
    return "pipe.md", 1, "not a regular file: skipped"


@pytest.mark.parametrize("make", [make_invalid_utf8, make_binary, make_huge,
                                  make_unclosed_fence, make_empty_heading,
                                  make_duplicate_headings, make_symlink_loop,
                                  make_file_linked_to_itself, make_pipe])
def test_bad_input_is_reported_and_the_rest_kept(tmp_path, make):
    write(tmp_path / "good.md", GOOD)
    name, line, message = make(tmp_path)

    knowledge = read_knowledge([str(tmp_path)])

    assert "disk-full" in [e.id for e in knowledge.entries]
    assert (str(tmp_path / name), line, message) in [
        (d.path, d.line, d.message) for d in knowledge.diagnostics]


def test_missing_path_is_an_error_naming_it(tmp_path):
    _, problems = find_files([str(tmp_path / "nope")])

    assert [(p.level, p.message) for p in problems] == [
        ("error", "knowledge path not found: check the path (on the command line, in "
                  "known-issue.toml or in KNOWN_ISSUE_KNOWLEDGE)")]


def test_files_are_found_in_a_stable_order_through_globs(tmp_path):
    for name in ["b.md", "a.mdx", "notes.txt", ".hidden/c.md", "sub/d.markdown"]:
        write(tmp_path / name, "# x\n")

    files, _ = find_files([str(tmp_path / "**" / "*.m*"), str(tmp_path / "a.mdx")])

    assert [Path(f.path).relative_to(tmp_path).as_posix() for f in files] == [
        "a.mdx", "b.md", "sub/d.markdown"]


def test_duplicate_ids_across_files_are_renamed_and_reported(tmp_path):
    first = parse_file(write(tmp_path / "a" / "timeout.md", "# Timeout\n\nslow\n"))
    second = parse_file(write(tmp_path / "b" / "timeout.md", "# Timeout again\n\nslow\n"))

    total = combine([first, second])

    assert [e.id for e in total.entries] == ["timeout", "timeout-2"]
    assert {ln.entry_id for ln in total.lines} == {"timeout", "timeout-2"}
    assert total.diagnostics[0].message == (
        f"duplicate id 'timeout' (first at {tmp_path}/a/timeout.md:1): renamed to "
        "'timeout-2'; rename one of them")
    # The parts stay as parsed, so a reload can reuse them.
    assert second.entries[0].id == "timeout"


@pytest.mark.parametrize(
    "link, url",
    [
        ("https://example.com/docs/messages/{id}",
         "https://example.com/docs/messages/disk-full"),
        ("https://docs.example.com/troubleshooting/",
         "https://docs.example.com/troubleshooting/#disk-full"),
        ("https://docs.example.com/page#", "https://docs.example.com/page#disk-full"),
        (None, None),
    ],
)
def test_entry_url_comes_from_the_source_link(tmp_path, link, url):
    path = write(tmp_path / "ops.md", GOOD)

    knowledge = parse_file(path, source=Source(str(path), link=link))

    assert knowledge.entries[0].url == url


@pytest.fixture(scope="module")
def corpus():
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus is not next to the project")
    return read_knowledge([str(CORPUS / "nextjs-errors"), str(CORPUS / "angular-errors")])


@pytest.mark.parametrize("collection, count", [("nextjs-errors", 196),
                                               ("angular-errors", 54)])
def test_corpus_yields_one_entry_per_page(corpus, collection, count):
    entries = [e for e in corpus.entries if f"/{collection}/" in e.source]

    assert len(entries) == count
    assert {e.id for e in entries} == {Path(e.source).stem for e in entries}


def test_corpus_entries_have_title_error_text_and_an_answer(corpus):
    # A few pages only explain a message ("SWC minify enabled"): their answer
    # is the cause, shown once, without a fix.
    incomplete = [e.id for e in corpus.entries
                  if not (e.title and e.symptoms and (e.fix or e.root_cause))]

    assert incomplete == []
    assert not [d for d in corpus.diagnostics if d.level == "error"]


def test_a_parser_failure_costs_only_that_file(tmp_path, monkeypatch):
    import bot.ingest

    def explode(text, source, *args, **kwargs):
        if source.endswith("bad.md"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(text, source, *args, **kwargs)

    real = bot.ingest.parse_document
    monkeypatch.setattr(bot.ingest, "parse_document", explode)
    write(tmp_path / "good.md", GOOD)
    write(tmp_path / "bad.md", GOOD)

    knowledge = read_knowledge([str(tmp_path)])

    assert [e.source for e in knowledge.entries] == [str(tmp_path / "good.md")]
    assert knowledge.diagnostics[0].message == (
        "cannot parse this file (RecursionError: maximum recursion depth exceeded); "
        "please report it with the file attached")


def test_a_stray_byte_keeps_the_files_other_entries(tmp_path):
    write(tmp_path / "log.md", GOOD.encode() + b"\n## Caf\xe9 menu is blank\n\n"
          b"**Symptoms:**\n\n- `menu render failed`\n\n**Fix:** reload the menu cache\n")

    knowledge = read_knowledge([str(tmp_path)])

    assert "disk-full" in [e.id for e in knowledge.entries]
    assert any(e.title.startswith("Caf") for e in knowledge.entries)
    assert any("not valid UTF-8" in d.message for d in knowledge.diagnostics)
