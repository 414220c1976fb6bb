"""Anki packages without the Anki engine: the ``meta`` decoder, field HTML, our note's
fields, and bad packages refused with the file named, exit 65, nothing written."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest
import zstandard
from helpers import deck_yaml, run, toy_deck, write
from hypothesis import given
from hypothesis import strategies as st

from mlcards.anki import package
from mlcards.anki.html import _MARKDOWN, _parser, markdown_to_html
from mlcards.anki.notetype import FIELDS, MARK, card_note, note_guid
from mlcards.anki.package import decode_meta
from mlcards.config import data_dir


def test_meta_versions_are_read_from_the_varint_field() -> None:
    assert decode_meta(b"") == 1
    assert decode_meta(b"\x08\x02") == 2
    assert decode_meta(b"\x08\x03") == 3
    assert decode_meta(b"\x12\x02ab\x08\x03") == 3  # another field first, skipped
    assert decode_meta(b"\x08\xac\x02") == 300
    with pytest.raises(ValueError):
        decode_meta(b"\x08\x80")
    with pytest.raises(ValueError):
        decode_meta(b"\x12\x09ab")


@pytest.mark.parametrize(
    ("text", "absent", "present"),
    [
        ("<script>alert(1)</script>", "<script", "&lt;script&gt;"),
        ('<img src=x onerror="alert(1)">', "<img", "&lt;img"),
        ("[a](javascript:alert(1))", "href", "javascript"),
        ("![pixel](https://tracker.example/p.png)", "<img", "pixel"),
        ("[ok](https://example.org)", "<script", 'href="https://example.org"'),
        ("*x* and `a<b`", "<b>", "<em>x</em>"),
    ],
)
def test_deck_markdown_becomes_html_with_nothing_to_run(
    text: str, absent: str, present: str
) -> None:
    html = markdown_to_html(text)
    assert absent not in html and present in html


def test_a_note_carries_the_key_and_a_stable_guid() -> None:
    deck = toy_deck("toy", ("c1",), answer="b")
    note = card_note(deck, deck.cards[0])
    values = dict(zip(FIELDS, note.fields, strict=True))
    assert values["Correct2"] == MARK and values["Correct1"] == values["Correct3"] == ""
    assert values["Choice3"] == "Gamma" and values["Choice4"] == ""
    assert (values["DeckId"], values["CardId"]) == ("toy", "c1")
    assert note.guid == note_guid("toy", "c1") != note_guid("toy", "c2")
    assert note.deck_name == "mlcards::Toy toy"


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _refused(capsys: pytest.CaptureFixture[str], path: Path, words: str) -> None:
    deck = write(path.parent / "toy.yaml", deck_yaml())
    assert run(capsys, "import", str(deck))[0] == 0
    db = data_dir() / "mlcards.db"
    before = db.read_bytes()
    code, out, err = run(capsys, "import", str(path))
    assert code == 65, err
    assert str(path) in err and words in err
    assert "Traceback" not in err
    assert not (data_dir() / "converted").exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 0
    assert len(db.read_bytes()) == len(before)


def test_a_file_that_is_not_a_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "deck.apkg", "just text")
    _refused(capsys, path, "not an Anki package")


def test_a_zip_without_a_collection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _zip(tmp_path / "deck.apkg", {"readme.txt": b"hello"})
    _refused(capsys, path, "no collection.anki2 inside")


def test_a_corrupt_collection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _zip(tmp_path / "deck.apkg", {"collection.anki2": b"SQLite format 3\x00" + b"x" * 500})
    _refused(capsys, path, "the collection inside")


def test_a_corrupt_zstd_collection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _zip(
        tmp_path / "deck.apkg",
        {"meta": b"\x08\x03", "collection.anki21b": b"\x28\xb5\x2f\xfd garbage"},
    )
    _refused(capsys, path, "cannot be unpacked")


def test_an_unknown_meta_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _zip(tmp_path / "deck.apkg", {"meta": b"\x08\x04", "collection.anki2": b""})
    _refused(capsys, path, "package version 4")


def test_a_newer_meta_never_falls_back_to_the_dummy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dummy = tmp_path / "dummy.anki2"
    with sqlite3.connect(dummy) as conn:
        conn.execute("CREATE TABLE col (ver integer, models text, decks text)")
    path = _zip(
        tmp_path / "deck.apkg", {"meta": b"\x08\x03", "collection.anki2": dummy.read_bytes()}
    )
    _refused(capsys, path, "no collection.anki21b inside")


@pytest.mark.parametrize("zstd", [False, True], ids=["deflate", "zstd"])
def test_a_zip_bomb_stops_at_the_cap(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    zstd: bool,
) -> None:
    monkeypatch.setattr(package, "MAX_COLLECTION_BYTES", 1024 * 1024)
    zeros = b"\x00" * (8 * 1024 * 1024)
    if zstd:
        entries = {"meta": b"\x08\x03", "collection.anki21b": zstandard.compress(zeros)}
    else:
        entries = {"collection.anki2": zeros}
    path = _zip(tmp_path / "deck.apkg", entries)
    assert path.stat().st_size < 100_000
    _refused(capsys, path, "more than 1 MiB")


def test_export_apkg_of_an_unknown_deck_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", str(write(tmp_path / "toy.yaml", deck_yaml())))[0] == 0
    code, _, err = run(capsys, "export", "apkg", "--deck", "nope", "-o", str(tmp_path / "x.apkg"))
    assert code == 2 and "no deck 'nope'" in err
    assert not (tmp_path / "x.apkg").exists()


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_plain_text_skips_the_parser_and_renders_as_the_parser_would(text: str) -> None:
    fast = markdown_to_html(text)
    slow = str(_parser().render(text)).strip()
    if slow.startswith("<p>") and slow.endswith("</p>") and slow.count("<p>") == 1:
        slow = slow[3:-4]
    if not _MARKDOWN.search(text):
        assert fast == slow.replace("&quot;", '"')
    assert "<script" not in fast and "<img" not in fast


def test_export_apkg_refuses_options_of_other_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "x.apkg"
    assert run(capsys, "export", "apkg", "--format", "csv", "-o", str(target))[0] == 2
    assert run(capsys, "export", "reviews", "--history")[0] == 2
    assert not target.exists()


def test_export_apkg_takes_a_search(
    tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mlcards export apkg QUERY`: only the cards the search finds go to the phone."""
    from helpers import deck_yaml, run, write

    deck = write(tmp_path / "toy.yaml", deck_yaml(cards=("c1", "c2", "c3")))
    assert run(capsys, "import", str(deck))[0] == 0
    target = tmp_path / "some.apkg"
    code, _, err = run(capsys, "export", "apkg", "-o", str(target), '"Question c2"')
    assert code == 0, err
    assert "wrote 1 card in 1 deck" in err and target.is_file()
    code, _, err = run(capsys, "export", "apkg", "-o", str(target), "is:suspended")
    assert code == 0 and "wrote 0 cards" in err
    code, _, err = run(capsys, "export", "reviews", "c2")
    assert code == 2 and "a search (QUERY) is for export apkg" in err
