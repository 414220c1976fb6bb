"""An answer's ``meanwhile``: work that needs no database, run on a helper thread while the
answer commits (``ReviewLog.answer``, ``store.alongside``). The answer lands as it would
without it, whatever the work does."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from helpers import at, toy_deck

from mlcards.config import load_settings
from mlcards.models import Quality
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
