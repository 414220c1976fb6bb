"""The Anki round trip, judged by the real Anki engine (the ``anki`` package, a test-only
extra): our .apkg imports into a fresh collection and renders the right choice marked; cards
answered there and exported (latest and legacy formats) come back into mlcards' log through
``mlcards import``, once; an AllInOne deck built with Anki imports with the right keys."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers import deck_yaml, run, write

anki = pytest.importorskip("anki")
from anki.collection import (  # noqa: E402
    Collection,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
)
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition  # noqa: E402

NOW = "2026-03-02T12:00:00+00:00"


def fresh_collection(folder: Path, name: str = "collection.anki2") -> Any:
    """A new Anki collection whose day starts twelve hours from now: Anki schedules with the
    real clock, and a learning card due after its next day starts is not shown today (near
    4 a.m., its default, the tests' few answers would cross it)."""
    import time

    folder.mkdir(parents=True, exist_ok=True)
    col = Collection(str(folder / name))
    col.set_config("rollover", (time.localtime().tm_hour + 12) % 24)
    return col


def anki_import(col: Any, package: Path) -> None:
    options = ImportAnkiPackageOptions(
        with_scheduling=True,
        update_notes=ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS,
    )
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package), options=options))


def anki_export(col: Any, target: Path, legacy: bool) -> Path:
    options = ExportAnkiPackageOptions(
        with_scheduling=True, with_deck_configs=False, with_media=False, legacy=legacy
    )
    col.export_anki_package(out_path=str(target), options=options, limit=None)
    return target


def exported_deck(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[Path, Path]:
    deck = write(tmp_path / "toy.yaml", deck_yaml("toy", ("c1", "c2", "c3"), answer="b"))
    assert run(capsys, "import", str(deck))[0] == 0
    package = tmp_path / "toy.apkg"
    code, _, err = run(capsys, "export", "apkg", "-o", str(package), *extra)
    assert code == 0, err
    return deck, package


def test_our_package_imports_into_anki_and_marks_the_right_choice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, package = exported_deck(tmp_path, capsys)
    col = fresh_collection(tmp_path / "anki")
    try:
        anki_import(col, package)
        assert col.card_count() == 3
        assert "mlcards::Toy toy" in [d.name for d in col.decks.all_names_and_ids()]
        card = col.get_card(col.find_cards("")[0])
        back = card.answer()
        assert '<li class="choice correct"><span class="letter">B</span> Beta' in back
        assert back.count("\u2714") == 1 and back.count("choice correct") == 1
        assert "<script" not in back.lower()
        assert "Beta" in card.question() and "\u2714" not in card.question()
        anki_import(col, package)  # exporting again updates the same notes
        assert col.card_count() == 3 and col.note_count() == 3
    finally:
        col.close()


def test_deck_text_never_becomes_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = deck_yaml("evil", ("c1",), question="<script>alert(1)</script> [x](javascript:y)")
    assert run(capsys, "import", str(write(tmp_path / "evil.yaml", hostile)))[0] == 0
    package = tmp_path / "evil.apkg"
    assert run(capsys, "export", "apkg", "-o", str(package))[0] == 0
    col = fresh_collection(tmp_path / "anki")
    try:
        anki_import(col, package)
        card = col.get_card(col.find_cards("")[0])
        shown = card.question()
        assert "<script>" not in shown and "&lt;script&gt;" in shown
        assert 'href="javascript' not in shown
    finally:
        col.close()


def answer_in_anki(col: Any, count: int, ease: int = 3) -> int:
    col.decks.select(col.decks.id_for_name("mlcards"))
    answered = 0
    for _ in range(count):
        card = col.sched.getCard()
        if card is None:
            break
        col.sched.answerCard(card, ease)
        answered += 1
    return answered


@pytest.mark.parametrize("legacy", [False, True], ids=["latest", "legacy"])
def test_reviews_made_in_anki_come_back_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], legacy: bool
) -> None:
    _, package = exported_deck(tmp_path, capsys)
    col = fresh_collection(tmp_path / "anki")
    try:
        anki_import(col, package)
        assert answer_in_anki(col, 3, ease=3) == 3
        older = anki_export(col, tmp_path / "older.apkg", legacy)
        assert answer_in_anki(col, 1, ease=1) == 1
        manual = col.find_cards("")[:1]
        col.sched.set_due_date(manual, "0")  # a manual row: skipped on the way back
        assert col.db.scalar("SELECT count() FROM revlog WHERE type >= 3") == 1
        back = anki_export(col, tmp_path / "phone.apkg", legacy)
        revlog_rows = col.db.scalar("SELECT count() FROM revlog WHERE type < 3")
    finally:
        col.close()
    code, out, err = run(capsys, "import", str(back))
    assert code == 0, err
    assert f"{revlog_rows} answers from Anki for 3 cards" in out
    assert "1 manual rows skipped" in out or "1 rescheduled rows skipped" in out
    code, out, _ = run(capsys, "check")
    assert code == 0, out
    code, out, _ = run(capsys, "import", str(back))
    assert code == 0 and "0 answers from Anki" in out and f"{revlog_rows} already" in out
    code, out, _ = run(capsys, "import", str(older))
    assert code == 0 and "0 answers from Anki" in out and "3 already" in out
    code, out, _ = run(capsys, "export", "reviews", "--format", "json")
    rows = json.loads(out)
    assert len(rows) == revlog_rows and all(r["chosen"] == [] for r in rows)


def test_history_exported_by_mlcards_is_recognised_on_the_way_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers import answer_all

    from mlcards.config import data_dir
    from mlcards.models import Quality
    from mlcards.store import Store

    deck = write(tmp_path / "toy.yaml", deck_yaml("toy", ("c1", "c2"), answer="b"))
    assert run(capsys, "import", str(deck))[0] == 0
    with Store.open(data_dir() / "mlcards.db") as store:
        answer_all(store, "2026-03-01", Quality.GOOD)
    package = tmp_path / "toy.apkg"
    assert run(capsys, "export", "apkg", "--history", "-o", str(package))[0] == 0
    col = fresh_collection(tmp_path / "anki")
    try:
        anki_import(col, package)
        assert col.db.scalar("SELECT count() FROM revlog") == 2
        assert col.db.scalar("SELECT count() FROM cards WHERE type = 2") == 2
        from mlcards.clock import now, study_day

        days_left = (date(2026, 3, 2) - study_day(now())).days  # SM-2: Good on a new card, 1 day
        dues = col.db.list("SELECT due FROM cards")
        assert dues == [col.sched.today + days_left] * 2
        back = anki_export(col, tmp_path / "phone.apkg", legacy=False)
    finally:
        col.close()
    code, out, err = run(capsys, "import", str(back))
    assert code == 0, err
    assert "0 answers from Anki" in out and "2 already in the log" in out
    assert run(capsys, "check")[0] == 0


def build_allinone(folder: Path) -> Path:
    """An "AllInOne (kprim, mc, sc)" note type and three notes, made with Anki itself."""
    col = fresh_collection(folder)
    try:
        models = col.models
        notetype = models.new("AllInOne (kprim, mc, sc)")
        for name in ("Question", "Title", "QType", "Q_1", "Q_2", "Q_3", "Q_4", "Q_5"):
            models.add_field(notetype, models.new_field(name))
        for name in ("Answers", "Sources", "Extra 1"):
            models.add_field(notetype, models.new_field(name))
        template = models.new_template("Card 1")
        template["qfmt"] = "{{Question}}"
        template["afmt"] = "{{Answers}}"
        models.add_template(notetype, template)
        models.add(notetype)
        notetype = models.by_name("AllInOne (kprim, mc, sc)")
        deck_id = col.decks.id("Quiz")
        rows = [
            ("Which is a <b>loss</b>?", "2", ["MSE", "ReLU", "Adam"], "1 0 0"),
            ("Pick all optimisers", "1", ["SGD", "Adam", "Dropout"], "1 1 0"),
            ("True statements", "0", ["2+2=4", "1>2", "0<1", "3<1"], "1 0 1 0"),
        ]
        for question, qtype, options, answers in rows:
            note = col.new_note(notetype)
            note["Question"], note["QType"], note["Answers"] = question, qtype, answers
            for index, text in enumerate(options, start=1):
                note[f"Q_{index}"] = text
            note["Extra 1"] = "Because <i>reasons</i>."
            col.add_note(note, deck_id)
        letters = models.new("MCQ")
        for name in ("Question", "A", "B", "C", "D", "Answer"):
            models.add_field(letters, models.new_field(name))
        template = models.new_template("Card 1")
        template["qfmt"], template["afmt"] = "{{Question}}", "{{Answer}}"
        models.add_template(letters, template)
        models.add(letters)
        note = col.new_note(models.by_name("MCQ"))
        note["Question"], note["Answer"] = "Which activation is <i>not</i> saturating?", "C"
        note["A"], note["B"], note["C"] = "sigmoid", "tanh", "ReLU <img src='relu.png'>"
        col.add_note(note, deck_id)
        basic = col.new_note(models.by_name("Basic"))
        basic["Front"], basic["Back"] = "front", "back"
        col.add_note(basic, deck_id)
        return anki_export(col, folder / "allinone.apkg", legacy=False)
    finally:
        col.close()


def test_an_allinone_deck_from_anki_becomes_an_mlcards_deck(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlcards.config import data_dir
    from mlcards.deck import load_deck

    package = build_allinone(tmp_path / "anki")
    code, out, err = run(capsys, "import", str(package))
    assert code == 0, err
    assert "1 note(s) of type 'Basic' skipped: not multiple choice" in err
    kept = data_dir() / "converted" / "allinone.yaml"
    assert f"converted deck kept at {kept}" in out
    deck = load_deck(kept)
    by_question = {c.question.split("\n")[0]: c for c in deck.cards}
    single = by_question["Which is a **loss**?"]
    assert single.answer == ("a",) and not single.multiple
    multi = by_question["Pick all optimisers"]
    assert set(multi.answer) == {"a", "b"} and multi.multiple
    kprim = by_question["True statements"]
    assert set(kprim.answer) == {"a", "c"} and "Select the true statements." in kprim.question
    assert single.explanation == "Because *reasons*."
    letter = by_question["Which activation is *not* saturating?"]
    assert [c.text for c in letter.choices] == ["sigmoid", "tanh", "ReLU \\[image]"]
    assert letter.answer == ("c",)
    assert "an image or sound is not brought over" in err
    # importing again changes nothing
    code, out, _ = run(capsys, "import", str(package))
    assert code == 0 and "0 answers from Anki" in out


def test_a_colpkg_from_an_fsrs_deck_comes_back_and_check_stays_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("fsrs")
    _, package = exported_deck(tmp_path, capsys)
    assert run(capsys, "config", "set", "--deck", "toy", "scheduler", "fsrs")[0] == 0
    col = fresh_collection(tmp_path / "anki")
    try:
        anki_import(col, package)
        assert answer_in_anki(col, 2, ease=4) + answer_in_anki(col, 2, ease=1) == 4
        rows = col.db.scalar("SELECT count() FROM revlog")
        colpkg = tmp_path / "phone.colpkg"
        col.export_collection_package(str(colpkg), include_media=False, legacy=False)
    finally:
        col.close()
    code, out, err = run(capsys, "import", "--dry-run", str(colpkg))
    assert code == 0 and f"{rows} answers from Anki" in out, err
    code, out, _ = run(capsys, "export", "reviews", "--format", "json")
    assert json.loads(out) == []  # the dry run wrote nothing
    code, out, err = run(capsys, "import", "--json", str(colpkg))
    assert code == 0, err
    assert json.loads(out)["packages"][0]["answers"] == rows
    code, out, _ = run(capsys, "check")
    assert code == 0, out
    code, out, _ = run(capsys, "export", "cards", "--format", "json")
    assert all(c["stability"] is not None for c in json.loads(out) if c["reviews"])


def test_a_deck_shared_as_our_package_becomes_a_deck_with_its_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlcards.config import data_dir
    from mlcards.deck import load_deck

    _, package = exported_deck(tmp_path, capsys)
    col = fresh_collection(tmp_path / "anki")
    try:
        anki_import(col, package)
        assert answer_in_anki(col, 3, ease=3) == 3
        note = col.get_note(col.find_notes("")[0])
        note["DeckId"] = "../../escape"  # a hostile id is skipped, never a path
        col.update_note(note)
        back = anki_export(col, tmp_path / "shared.apkg", legacy=False)
    finally:
        col.close()
    monkeypatch.setenv("MLCARDS_HOME", str(tmp_path / "another-learner"))
    code, out, err = run(capsys, "import", str(back))
    assert code == 0, err
    assert "DeckId and CardId fields are not both ids" in err
    deck = load_deck(data_dir() / "converted" / "toy.yaml")
    assert deck.name == "Toy toy" and len(deck.cards) == 2
    assert all(c.answer == ("b",) for c in deck.cards)
    assert "2 answers from Anki for 2 cards" in out
    assert not list(tmp_path.glob("**/escape*"))
    assert run(capsys, "check")[0] == 0


def test_history_of_an_fsrs_deck_carries_its_memory_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("fsrs")
    from helpers import at

    from mlcards.config import data_dir
    from mlcards.models import Quality
    from mlcards.session import Session, build_queue
    from mlcards.store import Store

    deck = write(tmp_path / "toy.yaml", deck_yaml("toy", ("c1",), answer="b"))
    assert run(capsys, "import", str(deck))[0] == 0
    assert run(capsys, "config", "set", "--deck", "toy", "scheduler", "fsrs")[0] == 0
    with Store.open(data_dir() / "mlcards.db") as store:
        queue = build_queue([], store.cards.new(20), [], None)
        session = Session(queue, date(2026, 3, 1), journal=store.log, session_id="s")
        item = session.next()
        assert item is not None
        session.answer(item, ("b",), Quality.GOOD, 1500, at("2026-03-01"))  # graded by FSRS
        stored = store.cards.one("toy", "c1")
    assert stored is not None and stored.stability is not None
    package = tmp_path / "toy.apkg"
    assert run(capsys, "export", "apkg", "--history", "-o", str(package))[0] == 0
    assert run(capsys, "check")[0] == 0
    col = fresh_collection(tmp_path / "anki")
    try:
        anki_import(col, package)
        card = col.get_card(col.find_cards("")[0])
        assert card.memory_state is not None
        assert abs(card.memory_state.stability - stored.stability) < 0.01
        assert abs(card.memory_state.difficulty - stored.difficulty) < 0.01
    finally:
        col.close()


def test_a_bad_package_among_good_ones_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlcards.config import data_dir

    good = build_allinone(tmp_path / "anki")
    bad = write(tmp_path / "bad.apkg", "not a zip")
    code, _, err = run(capsys, "import", str(good), str(bad))
    assert code == 65 and str(bad) in err
    assert not (data_dir() / "converted").exists()
    assert not (data_dir() / "mlcards.db").exists()


def test_answers_from_anki_are_decided_inside_the_write_that_appends_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cards' states the answers are graded from are read in the write transaction, so
    an answer given meanwhile (a review in another terminal) is never graded over."""
    _, package = exported_deck(tmp_path, capsys)
    col = fresh_collection(tmp_path / "anki")
    try:
        anki_import(col, package)
        assert answer_in_anki(col, 2, ease=3) == 2
        back = anki_export(col, tmp_path / "phone.apkg", False)
    finally:
        col.close()
    from mlcards.services import anki as service

    real, inside = service._answers_from, []

    def spy(store: Any, *args: Any) -> Any:
        inside.append(store.conn.in_transaction)
        return real(store, *args)

    monkeypatch.setattr(service, "_answers_from", spy)
    code, out, err = run(capsys, "import", "--dry-run", str(back))
    assert code == 0 and inside == [False], err  # a dry run writes nothing, opens no write
    code, out, err = run(capsys, "import", str(back))
    assert code == 0 and "2 answers from Anki" in out, err
    assert inside == [False, True]
    assert run(capsys, "check")[0] == 0
