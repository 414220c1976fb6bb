"""Undo in a session: it takes back exactly the answer, whatever changed since (a flag, a
new answer key, a reset, a suspension the learner chose), shows a card answered twice once
again, and the log and the cache stay one."""

from __future__ import annotations

from pathlib import Path

from helpers import answer, at, session, session_for, toy_deck

from mlcards.models import Quality
from mlcards.services.admin import check
from mlcards.store import Store


def consistent(store: Store) -> list[str]:
    """What ``mlcards check`` finds wrong (schedules, marks, running totals, search index)."""
    found = check(store)
    return [*found.integrity, *found.differences, *found.totals_differences, *found.index]


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


def test_undoing_an_answer_and_its_repeat_shows_the_card_once(db_path: Path) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1", "c2"))], at("2026-01-01"))
    s = session(store, "2026-01-01")
    assert [answer(s, "2026-01-01", q) for q in (1, 4, 4)] == ["c1", "c2", "c1"]
    for _ in range(3):
        s.undo()
    assert [item.card.id for item in s.queued] == ["c1", "c2"]
    store.close()
