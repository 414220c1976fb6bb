"""What an answer writes to the card's cached schedule: only the columns that change, and
the same row as writing every column would give."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from helpers import at, toy_deck

from mlcards.config import load_settings
from mlcards.models import Quality
from mlcards.services.study import StoreSource, todays_queue
from mlcards.session import Session
from mlcards.store import Store

DAY = "2026-01-10"
TODAY = date.fromisoformat(DAY)
SCHEDULE = ("repetitions", "easiness", "interval", "due", "last_review_id", "last_review_day")
MORE = ("lapses", "stability", "difficulty")


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store.open(db_path)
    s.decks.import_decks([toy_deck("alpha", ("a1", "a2"))], at(DAY))
    yield s
    s.close()


def answer_traced(
    store: Store, quality: Quality, right: bool = True, today: date = TODAY
) -> list[str]:
    """Answer the first card of ``today``'s queue; the UPDATEs of ``cards`` it ran."""
    settings = load_settings()
    queue = todays_queue(store, settings, today)
    session = Session(queue, today, journal=store.log, source=StoreSource(store, settings, today))
    item = session.next()
    assert item is not None
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        chosen = item.card.answer if right else ("b",)
        session.answer(item, chosen, quality, 1500, at(today.isoformat()))
    finally:
        store.conn.set_trace_callback(None)
    return [s for s in statements if s.startswith("UPDATE cards SET")]


def row(store: Store, card: str) -> tuple[object, ...]:
    columns = ", ".join(SCHEDULE + MORE)
    found = store.conn.execute(
        f"SELECT {columns} FROM cards WHERE deck_id = 'alpha' AND id = ?", (card,)
    ).fetchone()
    return tuple(found)


def test_an_answer_sets_only_the_columns_that_change(store: Store) -> None:
    """A right first answer rated good keeps the card's easiness (2.5) and its lapses (0),
    and SM-2 has no stability or difficulty: their indexes are left alone."""
    (update,) = answer_traced(store, Quality.GOOD)
    assert "last_review_id = " in update and "due = " in update and "interval = " in update
    for kept in ("easiness", "lapses", "stability", "difficulty"):
        assert f"{kept} = " not in update, update


@pytest.mark.parametrize(
    "answers",
    [
        [(Quality.GOOD, True)] * 6,
        [(Quality.WRONG, False), (Quality.EASY, True), (Quality.WRONG, False)] * 2,
        [(Quality.EASY, True), (Quality.GOOD, True), (Quality.WRONG, False), (Quality.HARD, True)],
    ],
    ids=["right", "wrong-and-right", "lapse"],
)
def test_the_rows_written_are_what_a_replay_of_the_log_gives(
    store: Store, answers: list[tuple[Quality, bool]]
) -> None:
    """Over days of answers that change some columns and keep others (a wrong answer keeps
    the interval at 1, a right one the easiness, a lapse adds one), ``check`` finds every
    cached schedule equal to a replay of the log: no change the answer decided was left out."""
    from mlcards.services.admin import check

    for day, (quality, right) in enumerate(answers):
        today = date.fromordinal(TODAY.toordinal() + day * 400)  # (every card due again)
        assert answer_traced(store, quality, right, today)
        assert check(store).ok, (day, row(store, "a1"), row(store, "a2"))
