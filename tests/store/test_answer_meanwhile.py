"""What an answer does around its commit: ``then``, the card after it drawn inside its
transaction (``Session._look_ahead``), and ``meanwhile``, work that needs no database run
on a helper thread while it commits (``store.alongside``). The answer lands as it would
without them, whatever they do."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from helpers import at, toy_deck

from mlcards.config import Settings, load_settings
from mlcards.errors import StoreError
from mlcards.models import Quality, ScheduledCard
from mlcards.services.study import StoreSource, todays_queue
from mlcards.session import CardChanged, Session
from mlcards.store import Store

DAY = "2026-01-10"
TODAY = date.fromisoformat(DAY)


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store.open(db_path)
    s.decks.import_decks([toy_deck("alpha", ("a1", "a2", "a3"))], at(DAY))
    yield s
    s.close()


def session_of(store: Store) -> Session:
    settings = load_settings()
    queue = todays_queue(store, settings, TODAY)
    return Session(queue, TODAY, journal=store.log, source=StoreSource(store, settings, TODAY))


def logged(path: Path) -> list[tuple[str, int]]:
    """The log as another connection reads it (committed rows only)."""
    with sqlite3.connect(path) as other:
        return other.execute("SELECT card_id, quality FROM reviews ORDER BY id").fetchall()


def test_meanwhile_runs_once_on_another_thread_after_the_answer_is_decided(
    store: Store, db_path: Path
) -> None:
    session = session_of(store)
    item = session.next()
    assert item is not None
    threads: list[int] = []

    def work() -> None:
        threads.append(threading.get_ident())

    session.answer(item, item.card.answer, Quality.GOOD, 1200, at(DAY), work)
    assert len(threads) == 1  # done by the time the answer returns
    assert threads[0] != threading.get_ident()
    assert logged(db_path) == [(item.card.id, int(Quality.GOOD))]


def test_what_meanwhile_raises_does_not_undo_the_answer(store: Store, db_path: Path) -> None:
    session = session_of(store)
    item = session.next()
    assert item is not None

    def broken() -> None:
        raise RuntimeError("the next screen could not be laid out")

    record = session.answer(item, item.card.answer, Quality.GOOD, 1200, at(DAY), broken)
    assert record.correct
    assert logged(db_path) == [(item.card.id, int(Quality.GOOD))]
    assert session.answered == 1


def test_an_answer_refused_runs_no_work_and_writes_nothing(store: Store, db_path: Path) -> None:
    """The card's key changed since it was shown: the answer is refused inside the
    transaction, before its commit, so the work done meanwhile never starts."""
    session = session_of(store)
    item = session.next()
    assert item is not None
    store.decks.import_decks([toy_deck("alpha", ("a1", "a2", "a3"), answer="b")], at(DAY))
    ran: list[str] = []
    with pytest.raises(CardChanged):
        session.answer(item, item.card.answer, Quality.GOOD, 1200, at(DAY), lambda: ran.append("x"))
    assert ran == []
    assert logged(db_path) == []


# -- the card after it, drawn inside the answer's transaction --------------------------------


class Counting(StoreSource):
    """The store's card source, counting its reads."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.reads = 0

    def refresh(self, item: ScheduledCard) -> ScheduledCard | None:
        self.reads += 1
        return super().refresh(item)


def counting_session(store: Store, settings: Settings, queue: list[ScheduledCard]) -> Session:
    source = Counting(store, settings, TODAY)
    return Session(queue, TODAY, journal=store.log, source=source)


def test_the_next_card_is_drawn_inside_the_answer_and_not_again(store: Store) -> None:
    settings = load_settings()
    session = counting_session(store, settings, todays_queue(store, settings, TODAY))
    source = session.source
    assert isinstance(source, Counting)
    first = session.next()
    assert first is not None and source.reads == 1
    session.answer(first, first.card.answer, Quality.GOOD, 1200, at(DAY), look_ahead=True)
    assert source.reads == 2  # the card behind it, inside the answer's transaction
    second = session.next()
    assert second is not None and second.card.id != first.card.id
    assert source.reads == 2  # taken from there
    assert session.next() is second and source.reads == 3  # (asked again: read again)


def test_the_limits_asked_inside_the_answer_count_it(store: Store) -> None:
    """One new card a day: the answer to the first uses it up, so the second, drawn inside
    the answer's own transaction, is not shown."""
    settings = Settings(new_per_day=1)
    queue = store.cards.new(3)
    session = counting_session(store, settings, queue)
    first = session.next()
    assert first is not None
    session.answer(first, first.card.answer, Quality.GOOD, 1200, at(DAY), look_ahead=True)
    assert session.next() is None


def test_a_next_card_that_cannot_be_read_does_not_undo_the_answer(
    store: Store, db_path: Path
) -> None:
    settings = load_settings()
    session = counting_session(store, settings, todays_queue(store, settings, TODAY))
    first = session.next()
    assert first is not None
    queued = session.after_current()
    assert queued is not None
    with store.cards.database.write() as conn:  # the next card's row damaged by hand
        conn.execute(
            "UPDATE cards SET content = '{}' WHERE deck_id = ? AND id = ?",
            (queued.deck_id, queued.card.id),
        )
    session.answer(first, first.card.answer, Quality.GOOD, 1200, at(DAY), look_ahead=True)
    assert logged(db_path) == [(first.card.id, int(Quality.GOOD))]
    with pytest.raises(StoreError, match="damaged"):
        session.next()


def test_a_card_taken_out_after_the_answer_is_not_drawn_from_before(store: Store) -> None:
    settings = load_settings()
    session = counting_session(store, settings, todays_queue(store, settings, TODAY))
    first = session.next()
    assert first is not None
    session.answer(first, first.card.answer, Quality.GOOD, 1200, at(DAY), look_ahead=True)
    source = session.source
    assert isinstance(source, Counting) and source.reads == 2  # (the card behind, drawn)
    second = session.queued[0]
    session.drop(second)  # (suspended from the screen, say)
    third = session.next()
    assert third is not None and third.card.id not in (first.card.id, second.card.id)
    assert source.reads == 3  # the card after the dropped one is read when it is drawn


def test_without_look_ahead_the_next_card_is_read_when_it_is_drawn(store: Store) -> None:
    """A wrong answer is saved before its answer screen, which the learner may read for a
    while: the card after it is read when it is drawn, as it is then."""
    settings = load_settings()
    session = counting_session(store, settings, todays_queue(store, settings, TODAY))
    source = session.source
    assert isinstance(source, Counting)
    first = session.next()
    assert first is not None
    session.answer(first, ("b",), Quality.WRONG, 1200, at(DAY))
    assert source.reads == 1
    behind = session.next()
    assert behind is not None and source.reads == 2
