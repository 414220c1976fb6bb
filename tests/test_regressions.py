"""Bugs found in review, each pinned by a test that failed before its fix."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from helpers import at, big_deck_yaml, deck_yaml, mlcards, toy_deck, write

from mlcards.config import Settings
from mlcards.models import Quality
from mlcards.replay import replay, schedule_differences
from mlcards.session import Session, build_queue
from mlcards.store import Store, list_backups

DAY = date(2026, 3, 1)


def consistent(store: Store) -> list[str]:
    cached = store.cards.states()
    replayed = replay(store.log.replay_rows(), {k: v["schedule_from"] for k, v in cached.items()})
    return schedule_differences(cached, replayed)


def session_for(store: Store, day: date = DAY, **kw: object) -> Session:
    queue = build_queue(store.cards.due(day, 100), store.cards.new(100), [])
    return Session(queue, day, journal=store.log, session_id="s1", **kw)


def test_rotation_keeps_a_same_day_pre_restore_copy(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlcards.store import backups

    store = Store.open(db_path)
    store.decks.import_decks([toy_deck()], at("2026-03-01"))
    for when, reason in [
        ("2026-03-02T18:00:00+00:00", "pre-restore"),
        ("2026-03-02T18:05:00+00:00", "pre-import"),
        ("2026-03-20T09:00:00+00:00", "daily"),
    ]:  # real time, as backups see it
        monkeypatch.setattr(backups, "real_now", lambda when=when: datetime.fromisoformat(when))
        store.backups.create(reason)
    store.close()
    reasons = [b.reason for b in list_backups(db_path)]
    assert "pre-restore" in reasons  # a safety copy outlives same-day rotation


def test_backups_of_a_similarly_named_database_are_not_ours(tmp_path: Path) -> None:
    home = tmp_path / "home"
    work = tmp_path / "mlcards-work.db"
    main = tmp_path / "mlcards.db"
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    for db in (work, main):
        assert mlcards(home, "--db", str(db), "import", str(deck))[0] == 0
    assert mlcards(home, "--db", str(work), "backup", "create")[0] == 0
    code, out, _ = mlcards(home, "--db", str(main), "backup", "list", "--json")
    assert json.loads(out) == []
    assert len(list_backups(work)) == 1


def test_a_damaged_page_gives_exit_74_and_restore_by_name_works(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = home / "mlcards.db"
    deck = write(tmp_path / "big.yaml", big_deck_yaml("big", 400))
    assert mlcards(home, "import", str(deck))[0] == 0
    assert mlcards(home, "backup", "create")[0] == 0
    size = db.stat().st_size
    assert size > 40_000
    with open(db, "r+b") as f:
        f.seek(20480)
        f.write(os.urandom(min(12288, size - 20480)))
    for command in (["status", "--json"], ["stats", "--json"], ["export", "reviews"]):
        code, _, err = mlcards(home, *command)
        assert code in (0, 74), err  # depends on which pages the command reads
        assert "internal error" not in err and "Traceback" not in err
    code, out, err = mlcards(home, "check")
    assert code == 74, out + err
    assert "internal error" not in err and "backup restore latest" in err
    code, out, err = mlcards(home, "check", "--json")
    assert code == 74, out + err
    assert json.loads(out)["ok"] is False and json.loads(out)["integrity"]
    name = list_backups(db)[0].path.name
    code, out, err = mlcards(home, "backup", "restore", name)
    assert code == 0, err
    assert "damaged database was kept" in out
    code, out, _ = mlcards(home, "status", "--json")
    assert code == 0 and json.loads(out)["totals"]["cards"] == 400


def test_latest_skips_a_backup_that_is_not_sound(tmp_path: Path) -> None:
    home = tmp_path / "home"
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    assert mlcards(home, "import", str(deck))[0] == 0
    assert mlcards(home, "backup", "create")[0] == 0
    assert mlcards(home, "backup", "create")[0] == 0
    newest, older = list_backups(home / "mlcards.db")
    newest.path.write_bytes(b"not a database at all" * 100)
    code, out, err = mlcards(home, "backup", "restore", "latest")
    assert code == 0, err
    assert older.path.name in out


def test_another_programs_sqlite_file_is_refused_unchanged(tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    code, _, err = mlcards(tmp_path / "home", "--db", str(other), "status")
    assert code == 74 and "another program" in err
    assert other.read_bytes() == before


def test_dry_run_creates_no_database_and_no_backup(tmp_path: Path) -> None:
    home = tmp_path / "home"
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    target = tmp_path / "sub" / "new.db"
    code, out, _ = mlcards(home, "--db", str(target), "import", "--dry-run", "--json", str(deck))
    assert code == 0 and json.loads(out)["decks"][0]["added"] == ["c1", "c2", "c3"]
    assert not target.exists() and not target.parent.exists()
    db = tmp_path / "real.db"
    assert mlcards(home, "--db", str(db), "import", str(deck))[0] == 0
    with Store.open(db) as store:
        session = session_for(store)
        item = session.next()
        assert item is not None
        session.answer(item, item.card.answer, Quality.GOOD, 10, at("2026-03-01"))
    code, _, _ = mlcards(
        home, "--db", str(db), "import", "--dry-run", str(deck), MLCARDS_NOW="2026-04-01T10:00"
    )
    assert code == 0 and list_backups(db) == []


def test_flag_then_undo_leaves_no_stale_copy(db_path: Path) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1", "c2"))], at("2026-03-01"))
    session = session_for(store)
    first = session.next()
    assert first is not None and first.card.id == "c1"
    session.answer(first, ("b",), Quality.WRONG, 10, at("2026-03-01"))
    second = session.next()
    assert second is not None
    session.answer(second, ("a",), Quality.GOOD, 10, at("2026-03-01"))
    repeat = session.next()
    assert repeat is not None and repeat.card.id == "c1"
    from dataclasses import replace

    session.replace_current(replace(repeat, flagged=True))
    session.undo()
    session.undo()
    assert session.remaining == 2  # c1 and c2, once each
    assert [r.card.id for r in session.queued] == ["c1", "c2"]
    assert consistent(store) == []
    store.close()


def test_undo_after_the_answer_changed_keeps_the_card_new(db_path: Path) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1",))], at("2026-03-01"))
    session = session_for(store)
    item = session.next()
    assert item is not None
    session.answer(item, ("a",), Quality.GOOD, 10, at("2026-03-01"))
    store.decks.import_decks([toy_deck(cards=("c1",), answer="b")], at("2026-03-01"))
    session.undo()
    assert consistent(store) == []
    assert store.cards.states()["toy", "c1"]["due"] is None
    store.close()


def test_undo_keeps_a_suspension_the_learner_chose(db_path: Path) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1", "c2"))], at("2026-03-01"))
    session = session_for(store)
    first = session.next()
    assert first is not None
    session.answer(first, ("b",), Quality.WRONG, 10, at("2026-03-01"))
    store.cards.suspend("toy", "c1")
    session.undo()
    suspended = store.conn.execute("SELECT suspended FROM cards WHERE id = 'c1'").fetchone()[0]
    assert suspended == 1
    store.close()


def test_status_does_not_count_suspended_or_buried_cards_as_due(db_path: Path) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1", "c2", "c3"))], at("2026-03-01"))
    session = session_for(store)
    while (item := session.next()) is not None:
        session.answer(item, item.card.answer, Quality.GOOD, 10, at("2026-03-01"))
    store.cards.suspend("toy", "c1")
    store.cards.bury("toy", "c2", date(2026, 3, 5))
    (deck,) = store.decks.status(date(2026, 3, 2))
    assert deck.due == 1
    assert store.cards.next_due() == date(2026, 3, 2)
    store.cards.suspend("toy", "c3")
    assert store.cards.next_due() == date(2026, 3, 5)
    store.close()


def test_a_per_deck_leech_threshold_applies_without_deck_option(db_path: Path) -> None:
    from dataclasses import replace

    item = Session([], DAY).next()
    assert item is None
    card = toy_deck(cards=("c1",)).cards[0]
    from mlcards.models import ScheduledCard

    learned = ScheduledCard("toy", "Toy", card, 3, 2.5, 10, date(2026, 2, 28), None, lapses=2)
    session = Session(
        [learned], DAY, rules=Settings(decks={"toy": {"leech_threshold": 3}}).rules_for
    )
    record = session.answer(learned, ("b",), Quality.WRONG, 10, at("2026-03-01"))
    assert record.leech_action == "tag"
    other = Session(
        [replace(learned, deck_id="other")],
        DAY,
        rules=Settings(decks={"toy": {"leech_threshold": 3}}).rules_for,
    )
    assert (
        other.answer(other.next(), ("b",), Quality.WRONG, 10, at("2026-03-01")).leech_action == ""
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args", [["stats", "--days", "1000000"], ["practice", "--limit", "99999999999999999999"]]
)
def test_huge_numbers_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    code, _, err = mlcards(tmp_path / "home", *args)
    assert code == 2 and "Traceback" not in err and "internal error" not in err


def test_unsuspend_checks_every_card_before_changing_any(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = home / "mlcards.db"
    assert mlcards(home, "import", str(write(tmp_path / "t.yaml", deck_yaml())))[0] == 0
    with Store.open(db) as store:
        store.cards.suspend("toy", "c1")
    code, _, err = mlcards(home, "unsuspend", "toy/c1", "toy/nope")
    assert code == 2 and "no card toy/nope" in err
    with Store.open(db) as store:
        assert [c["card"] for c in store.cards.marked("suspended")] == ["c1"]
    code, out, _ = mlcards(home, "unsuspend", "toy/c1", "toy/c2")
    assert code == 0 and "unsuspended 1 card" in out


def test_edit_with_no_change_imports_nothing_and_makes_no_backup(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`e` when the editor leaves the file alone: no import, so no pre-import backup (a
    copy of the whole database each time); a real change is re-imported."""
    import contextlib
    import sys

    from helpers import answer_card, deck_yaml, write

    from mlcards.deck import load_deck
    from mlcards.services.study import StoreActions
    from mlcards.store import list_backups

    deck = write(tmp_path / "toy.yaml", deck_yaml(cards=("c1", "c2")))
    store = Store.open(db_path)
    store.decks.import_decks([load_deck(deck)], at("2026-03-01"))
    answer_card(store, "2026-03-01", "toy", "c1", 4)  # reviews exist: imports back up first
    actions = StoreActions(store, DAY, contextlib.nullcontext, lambda: at("2026-03-01"))
    item = store.cards.one("toy", "c2")
    assert item is not None
    monkeypatch.setenv("EDITOR", "true")
    before = len(list_backups(db_path))
    _, said = actions.edit_if_changed(item)
    assert said == "No changes: toy.yaml is as it was."
    assert len(list_backups(db_path)) == before
    editor = write(
        tmp_path / "edit.py",
        "import sys, pathlib\np = pathlib.Path(sys.argv[-1])\n"
        "p.write_text(p.read_text().replace('Question c2?', 'Question c2, edited?'))\n",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    edited, said = actions.edit_if_changed(item)
    assert said == "Re-imported toy.yaml." and edited is not None
    assert edited.card.question == "Question c2, edited?"
    store.close()
