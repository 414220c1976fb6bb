"""A review session takes the card queued next as it read it, without reading it again
inside the answer's transaction, only while nothing but its own answers changed the store
since it read its queue (``StoreSource.unchanged``, ``store/kept.py``): a card another
session or this one suspended since, a limit another session used up, a repeat of a card
answered here, an undo in between, all make it read the card (and its limits) again."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from helpers import answer_card, at, toy_deck

from mlcards.config import Settings
from mlcards.models import Quality
from mlcards.services.admin import check
from mlcards.services.study import cut_queue, start_session
from mlcards.session import Session
from mlcards.store import Store

DAY = "2026-01-01"
TODAY = date.fromisoformat(DAY)
CARD_READ = "SELECT c.deck_id, d.name AS deck_name"
COUNTS_READ = "coalesce(sum(was_new)"


def started(
    db_path: Path, settings: Settings | None = None, cards: int = 6, as_read: bool = True
) -> tuple[Store, Session]:
    """A session as ``review`` starts one: the queue read and cut to today's limits, and the
    store's state when it was read (``as_read=False``: not known, as after a search)."""
    settings = settings or Settings()
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=tuple(f"c{i}" for i in range(cards)))], at(DAY))
    queue, read_at = cut_queue(store, settings, TODAY)
    session = start_session(
        store, settings, TODAY, queue, shuffle=False, read_at=read_at if as_read else None
    )
    return store, session


def rate(s: Session, quality: int = 4, store: Store | None = None) -> list[str]:
    """Answer the card drawn now, as a rating key does (the next card drawn in the answer's
    transaction); the statements the answer ran, when ``store`` is given."""
    item = s.next()
    assert item is not None
    chosen = item.card.answer if quality >= 3 else ("b",)
    statements: list[str] = [item.card.id]
    if store is not None:
        store.conn.set_trace_callback(statements.append)
    try:
        s.answer(item, chosen, Quality(quality), 1000, at(DAY), look_ahead=True)
    finally:
        if store is not None:
            store.conn.set_trace_callback(None)
    return statements


def answered(s: Session, quality: int = 4) -> str:
    return rate(s, quality)[0]


def reads(store: Store, s: Session, quality: int = 4) -> tuple[int, int]:
    """(card reads, limit counts) one answer runs: its own card's read, and the next's."""
    statements = rate(s, quality, store)[1:]
    return (
        sum(CARD_READ in x for x in statements),
        sum(COUNTS_READ in x for x in statements),
    )


def test_answers_take_the_next_queued_card_as_read(db_path: Path) -> None:
    store, s = started(db_path)
    assert [reads(store, s) for _ in range(3)] == [(1, 0)] * 3
    store.close()


def test_a_queue_from_a_search_reads_each_card_when_drawn(db_path: Path) -> None:
    store, s = started(db_path, as_read=False)  # (a search's queue is not cut to the limits)
    assert reads(store, s) == (2, 1)
    store.close()


def test_a_card_another_session_suspended_after_the_queue_was_read_is_not_shown(
    db_path: Path,
) -> None:
    store, s = started(db_path)
    other = Store.open(db_path)
    assert other.cards.suspend("toy", "c1", True)
    other.close()
    assert answered(s) == "c0"
    assert s.next().card.id == "c2"  # type: ignore[union-attr]
    store.close()


def test_a_card_another_session_suspended_between_answers_is_not_shown(db_path: Path) -> None:
    store, s = started(db_path)
    assert answered(s) == "c0"
    other = Store.open(db_path)
    assert other.cards.suspend("toy", "c2", True)
    other.close()
    assert reads(store, s) == (2, 0)  # c1, then c2 read again: suspended (no limit asked)
    assert s.next().card.id == "c3"  # type: ignore[union-attr]
    assert reads(store, s) == (2, 1)  # (the store changed under the queue: read from now on)
    store.close()


def test_a_card_suspended_through_this_connection_is_not_shown(db_path: Path) -> None:
    store, s = started(db_path)
    assert answered(s) == "c0"
    assert store.cards.suspend("toy", "c2", True)  # (the review screen's `s` on c2 does this)
    assert answered(s) == "c1"
    assert s.next().card.id == "c3"  # type: ignore[union-attr]
    store.close()


def test_a_limit_another_session_used_up_holds_back_the_next_new_card(db_path: Path) -> None:
    store, s = started(db_path, Settings(new_per_day=3))
    assert answered(s) == "c0"  # (c1 drawn in that answer's transaction: shown next whatever)
    other = Store.open(db_path)
    answer_card(other, DAY, "toy", "c3", 4)
    answer_card(other, DAY, "toy", "c4", 4)  # three new cards today: the limit
    other.close()
    assert answered(s) == "c1"
    assert s.next() is None  # c2 would be a fourth
    assert check(store).ok
    store.close()


def test_a_repeat_of_a_card_answered_here_is_read_when_it_comes_back(db_path: Path) -> None:
    store, s = started(db_path, cards=2)
    assert reads(store, s, quality=1) == (1, 0)  # c0 wrong: it comes back after c1
    assert reads(store, s) == (2, 0)  # c1: the repeat of c0 behind it is read (no limit)
    assert s.next().card.id == "c0"  # type: ignore[union-attr]
    store.close()


def test_an_undo_in_between_makes_the_next_answer_read_again(db_path: Path) -> None:
    store, s = started(db_path)
    assert answered(s) == "c0"
    s.undo()
    assert reads(store, s) == (2, 1)
    assert check(store).ok
    store.close()
