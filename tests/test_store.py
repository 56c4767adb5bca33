"""The SQLite file: what is written reads back the same, and swaps are atomic."""

import os
import shutil
from pathlib import Path

import pytest

from bot import store
from bot.ingest import combine, parse_file, read_knowledge, stamp

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "knowledge"


def snapshot(knowledge):
    return ([vars(e) for e in knowledge.entries], [vars(ln) for ln in knowledge.lines],
            knowledge.diagnostics, knowledge.files)


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURES, target)
    # Two files claiming one id, so renamed ids are stored too.
    (target / "pages" / "copy").mkdir()
    pages = target / "pages"
    shutil.copy(pages / "disk-full.md", pages / "copy" / "disk-full.md")
    return target


def test_load_gives_back_what_was_built(folder, tmp_path):
    knowledge = read_knowledge([str(folder)])
    db = str(tmp_path / "k.db")

    store.build(knowledge, db, "key")

    assert "disk-full-2" in [e.id for e in knowledge.entries]
    assert snapshot(store.load(db)) == snapshot(knowledge)


def test_load_hands_back_each_file_as_parsed(folder, tmp_path):
    knowledge = read_knowledge([str(folder)])
    store.build(knowledge, str(tmp_path / "k.db"), "key")

    loaded = store.load(str(tmp_path / "k.db"))

    copy = str(folder / "pages" / "copy" / "disk-full.md")
    assert [e.id for e in loaded.parts[copy].entries] == ["disk-full"]
    assert loaded.parts[str(folder / "lint" / "typos.md")].damaged


def test_is_current_until_a_file_or_the_config_changes(folder, tmp_path):
    knowledge = read_knowledge([str(folder)])
    db = str(tmp_path / "k.db")
    store.build(knowledge, db, "key")
    path = folder / "faq" / "faq.md"

    assert store.is_current(db, knowledge.files, "key")
    assert not store.is_current(db, knowledge.files, "other labels")

    path.write_text(path.read_text() + "\n")
    now = {**knowledge.files, str(path): stamp(path)}
    assert not store.is_current(db, now, "key")


def test_update_matches_a_full_build(folder, tmp_path):
    old = read_knowledge([str(folder)])
    db = str(tmp_path / "k.db")
    store.build(old, db, "key")
    faq = folder / "faq" / "faq.md"
    faq.write_text(faq.read_text().replace("Thirty days.", "Ninety days."))
    (folder / "log" / "ops-log.md").unlink()

    new = combine(parse_file(p) if str(p) == str(faq) else old.parts[str(p)]
                  for p in sorted(folder.rglob("*.md*")))
    store.update(new, db, {str(faq), str(folder / "log" / "ops-log.md")})

    assert snapshot(store.load(db))[:2] == snapshot(new)[:2]
    assert store.is_current(db, new.files, "key")


def test_failed_build_leaves_the_previous_file(folder, tmp_path, monkeypatch):
    knowledge = read_knowledge([str(folder)])
    db = tmp_path / "k.db"
    store.build(knowledge, str(db), "key")
    before = db.read_bytes()

    def broken(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "_write_files", broken)
    with pytest.raises(OSError):
        store.build(knowledge, str(db), "key")
    with pytest.raises(OSError):
        store.update(knowledge, str(db), {str(folder / "faq" / "faq.md")})

    assert db.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["k.db", "knowledge"]


def test_a_foreign_file_is_not_current(tmp_path):
    db = tmp_path / "k.db"
    db.write_bytes(b"not sqlite at all")

    assert not store.is_current(str(db), {}, "key")
