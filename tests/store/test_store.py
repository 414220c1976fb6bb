"""The SQLite store: migrations, imports (all or nothing, idempotent), the append-only log."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from helpers import answer_all, at, toy_deck

from mlcards.errors import DatabaseTooNewError, StoreError
from mlcards.models import Quality
from mlcards.replay import replay
from mlcards.store import Store
from mlcards.store.migrations import MIGRATIONS, SCHEMA_VERSION

NOW = at("2026-01-10")


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store.open(db_path)
    yield s
    s.close()


def rows(db_path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_open_migrates_once_and_records_it(db_path: Path) -> None:
    Store.open(db_path).close()
    Store.open(db_path).close()
    applied = rows(db_path, "SELECT id, name FROM migrations ORDER BY id")
    assert applied == [(m.id, m.name) for m in MIGRATIONS]
    assert applied[0] == (1, "initial schema")
    assert rows(db_path, "PRAGMA journal_mode") == [("wal",)]


def test_database_from_newer_mlcards_is_refused_and_left_unchanged(db_path: Path) -> None:
    Store.open(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(
        "INSERT INTO migrations VALUES (?, 'future', '2030-01-01', '9.0.0')", (SCHEMA_VERSION + 1,)
    )
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseTooNewError, match=r"needs mlcards >= 9\.0\.0"):
        Store.open(db_path)
    assert db_path.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_reported_and_untouched(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is my thesis, not a database" * 100)
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="not an mlcards database"):
        Store.open(db_path)
    assert db_path.read_bytes() == before


def test_import_adds_then_is_idempotent(store: Store) -> None:
    first = store.decks.import_decks([toy_deck()], NOW)
    assert first[0].new_deck and first[0].added == ["c1", "c2", "c3"]
    again = store.decks.import_decks([toy_deck()], NOW)
    assert not again[0].changed
    assert again[0].unchanged == ["c1", "c2", "c3"]


def test_dry_run_reports_but_writes_nothing(store: Store, db_path: Path) -> None:
    summary = store.decks.import_decks([toy_deck()], NOW, dry_run=True)
    assert summary[0].added == ["c1", "c2", "c3"]
    assert rows(db_path, "SELECT count(*) FROM cards") == [(0,)]
    assert rows(db_path, "SELECT count(*) FROM decks") == [(0,)]


def test_text_edit_updates_card_and_keeps_history(store: Store, db_path: Path) -> None:
    store.decks.import_decks([toy_deck()], NOW)
    answer_all(store, "2026-01-10", Quality.GOOD)
    summary = store.decks.import_decks([toy_deck(text_a="Alpha, typo fixed")], NOW)
    assert summary[0].updated == ["c1", "c2", "c3"] and summary[0].reset == []
    assert rows(db_path, "SELECT count(*) FROM reviews") == [(3,)]
    assert rows(db_path, "SELECT DISTINCT repetitions, due FROM cards") == [(1, "2026-01-11")]


def test_answer_change_resets_schedule_but_keeps_reviews(store: Store, db_path: Path) -> None:
    store.decks.import_decks([toy_deck()], NOW)
    answer_all(store, "2026-01-10", Quality.GOOD)
    summary = store.decks.import_decks([toy_deck(answer="b")], NOW)
    assert summary[0].reset == ["c1", "c2", "c3"]
    assert rows(db_path, "SELECT count(*) FROM reviews") == [(3,)]
    assert len(store.cards.new(20)) == 3  # they are new again
    # replaying the log ignores the reviews before the reset
    states = replay(
        store.log.replay_rows(), {k: v["schedule_from"] for k, v in store.cards.states().items()}
    )
    assert states == {}


def test_new_cards_between_reset_ones_land_in_file_order(store: Store, db_path: Path) -> None:
    """New cards are inserted in batches (flushed before each schedule reset): the result is
    the file's order, every card indexed for search, the reset ones new again."""
    store.decks.import_decks([toy_deck(cards=("c1", "c3"))], NOW)
    answer_all(store, "2026-01-10", Quality.GOOD)
    cards = ("c0", "c1", "c2", "c3", "c4")
    summary = store.decks.import_decks([toy_deck(cards=cards, answer="b")], NOW)
    assert summary[0].added == ["c0", "c2", "c4"] and summary[0].reset == ["c1", "c3"]
    assert rows(db_path, "SELECT id FROM cards ORDER BY position") == [(c,) for c in cards]
    keys = "SELECT card_id FROM card_text_keys ORDER BY id"
    assert rows(db_path, keys) == [(c,) for c in ("c1", "c3", "c0", "c2", "c4")]
    assert store.search.index_problems() == []
    assert rows(db_path, "SELECT count(*) FROM card_text") == [(5,)]
    assert [c.card.id for c in store.cards.new(20)] == list(cards)


def test_missing_card_is_retired_then_restored(store: Store, db_path: Path) -> None:
    store.decks.import_decks([toy_deck()], NOW)
    answer_all(store, "2026-01-10", Quality.GOOD)
    summary = store.decks.import_decks([toy_deck(cards=("c1", "c3"))], NOW)
    assert summary[0].retired == ["c2"]
    assert rows(db_path, "SELECT count(*) FROM reviews WHERE card_id = 'c2'") == [(1,)]
    due = store.cards.due(date(2026, 1, 11), 100)
    assert [d.card.id for d in due] == ["c1", "c3"]
    back = store.decks.import_decks([toy_deck()], NOW)
    assert back[0].restored == ["c2"] and back[0].retired == []
    assert [d.card.id for d in store.cards.due(date(2026, 1, 11), 100)] == ["c1", "c2", "c3"]


def test_failed_import_leaves_database_as_it_was(
    store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.decks.import_decks([toy_deck("one")], NOW)
    before = rows(db_path, "SELECT deck_id, id, content, retired FROM cards ORDER BY 1, 2")
    from mlcards.store import decks as store_decks

    real = store_decks._import_deck
    calls = {"n": 0}

    def flaky(conn: sqlite3.Connection, deck, stamp, path):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("simulated crash half-way through the import")
        return real(conn, deck, stamp, path)

    monkeypatch.setattr(store_decks, "_import_deck", flaky)
    with pytest.raises(OSError):
        store.decks.import_decks([toy_deck("one", cards=("c1",)), toy_deck("two")], NOW)
    after = rows(db_path, "SELECT deck_id, id, content, retired FROM cards ORDER BY 1, 2")
    assert after == before
    assert rows(db_path, "SELECT id FROM decks") == [("one",)]


def test_review_log_is_append_only(store: Store, db_path: Path) -> None:
    store.decks.import_decks([toy_deck()], NOW)
    answer_all(store, "2026-01-10", Quality.GOOD)
    conn = sqlite3.connect(db_path)
    for sql in ("UPDATE reviews SET quality = 5", "DELETE FROM reviews"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    conn.close()


def test_replaying_the_log_reproduces_the_cached_state(store: Store) -> None:
    store.decks.import_decks([toy_deck(cards=("c1", "c2", "c3", "c4"))], NOW)
    grades = [Quality.GOOD, Quality.EASY, Quality.WRONG, Quality.HARD, Quality.GOOD]
    day = date(2026, 1, 10)
    for i in range(40):
        today = date.fromordinal(day.toordinal() + i)
        answer_all(store, today.isoformat(), grades[i % len(grades)])
    cached = store.cards.states()
    replayed = replay(store.log.replay_rows(), {k: v["schedule_from"] for k, v in cached.items()})
    assert replayed, "nothing was reviewed"
    for key, state in replayed.items():
        expected = {k: cached[key][k] for k in state}
        assert state == expected


def test_status_counts_new_due_and_retired(store: Store) -> None:
    store.decks.import_decks([toy_deck()], NOW)
    answer_all(store, "2026-01-10", Quality.GOOD, limit=2)
    store.decks.import_decks([toy_deck(cards=("c1", "c2"))], NOW)  # retire the new c3
    (deck,) = store.decks.status(date(2026, 1, 10))
    assert (deck.cards, deck.new, deck.due, deck.retired) == (2, 0, 0, 1)
    (deck,) = store.decks.status(date(2026, 1, 11))
    assert (deck.cards, deck.new, deck.due, deck.retired) == (2, 0, 2, 1)
    assert deck.next_due == "2026-01-11"


def test_each_answer_records_the_state_before_it(store: Store, db_path: Path) -> None:
    store.decks.import_decks([toy_deck(cards=("c1", "c2"))], NOW)
    grades = [Quality.GOOD, Quality.EASY, Quality.GOOD, Quality.WRONG, Quality.HARD]
    for i in range(30):
        answer_all(
            store, date.fromordinal(date(2026, 1, 10).toordinal() + i).isoformat(), grades[i % 5]
        )
    stored = rows(db_path, "SELECT prev_repetitions, prev_interval FROM reviews ORDER BY id")
    derived = rows(
        db_path,
        "SELECT CASE WHEN was_new THEN 0 ELSE coalesce(lag(repetitions) OVER w, 0) END, "
        "CASE WHEN was_new THEN 0 ELSE coalesce(lag(interval) OVER w, 0) END FROM reviews "
        "WINDOW w AS (PARTITION BY deck_id, card_id ORDER BY id) ORDER BY id",
    )
    assert stored == derived
    assert (2, 6) in stored  # the lapse after two successes


def test_a_flag_keeps_its_note_and_the_list_shows_it(store: Store, db_path: Path) -> None:
    from mlcards.render.text import card_list

    store.decks.import_decks([toy_deck(cards=("c1", "c2"))], at("2026-03-01"))
    assert store.cards.flag("toy", "c1", True, "the key is \x1b[31mwrong")
    assert store.cards.flag("toy", "c2", True, "")  # Enter: no note
    listed = {c["card"]: c["note"] for c in store.cards.marked("flagged")}
    assert listed == {"c1": "the key is \x1b[31mwrong", "c2": ""}
    assert rows(db_path, "SELECT id, flag_note FROM cards ORDER BY id") == [
        ("c1", "the key is \x1b[31mwrong"),
        ("c2", None),
    ]
    text = "\n".join(card_list(store.cards.marked("flagged"), "none"))
    assert "note: the key is \\x1b[31mwrong" in text  # data, never a control sequence
    assert "\x1b" not in text
    store.cards.flag("toy", "c1", False)
    store.cards.flag("toy", "c1", True)  # an unflag undone: the note comes back with it
    assert store.cards.marked("flagged")[0]["note"] == "the key is \x1b[31mwrong"
    assert "note" not in store.cards.marked("suspended") and all(
        "note" not in c for c in store.cards.marked("lapses", min_lapses=0)
    )
