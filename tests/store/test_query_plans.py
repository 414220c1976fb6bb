"""The queries every command runs are served by indexes, not by reading every card.

Each store method's SQL is captured as SQLite runs it (bound values expanded), then asked for
its ``EXPLAIN QUERY PLAN``. With 100,000 cards a full ``SCAN`` of ``cards`` reads every card's
content (about 100 MB); see benchmarks/RESULTS.md for what that costs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers import answer_all, at, toy_deck

from mlcards.models import Quality
from mlcards.store import Store

DAY = "2026-01-10"
TODAY = date.fromisoformat(DAY)


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store.open(db_path)
    s.decks.import_decks(
        [toy_deck("alpha", tuple(f"a{i}" for i in range(30))), toy_deck("beta", ("b1", "b2"))],
        at(DAY),
    )
    answer_all(s, DAY, Quality.HARD, limit=10)
    yield s
    s.close()


def plans(store: Store, call: Callable[[], Any]) -> list[list[str]]:
    """The plan of every SELECT the call ran, one list of plan lines per statement."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        call()
    finally:
        store.conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert selects, "the call ran no SELECT"
    return [[row[3] for row in store.conn.execute("EXPLAIN QUERY PLAN " + s)] for s in selects]


HOT = {
    "status": lambda s: s.decks.status(TODAY),
    "next_due": lambda s: s.cards.next_due(),
    "next_due of a deck": lambda s: s.cards.next_due("alpha"),
    "counts_today": lambda s: s.log.counts_today(TODAY),
    "counts_today_with a deck": lambda s: s.log.counts_today_with(TODAY, "alpha"),
    "due_cards": lambda s: s.cards.due(TODAY, 200),
    "due_cards of a deck": lambda s: s.cards.due(TODAY, 200, "alpha"),
    "new_cards": lambda s: s.cards.new(20),
    "new_cards of a deck": lambda s: s.cards.new(20, "beta"),
    "repeat_cards": lambda s: s.cards.repeats(TODAY),
}


@pytest.mark.parametrize("name", HOT)
def test_hot_queries_never_scan_cards_or_reviews(store: Store, name: str) -> None:
    for plan in plans(store, lambda: HOT[name](store)):
        scans = [line for line in plan if re.match(r"SCAN (c|cards|r|reviews)\b", line)]
        assert not scans, f"{name}: {plan}"  # a SCAN of decks (a handful of rows) is fine


def test_counts_with_a_deck_are_the_two_counts_in_one_read(store: Store) -> None:
    """A drawn card's limits ask the day's counts over every deck and over its deck at
    once (one query, after every answer): the same numbers as asking each."""
    for deck in ("alpha", "beta", "none"):
        both = store.log.counts_today_with(TODAY, deck)
        assert both == (*store.log.counts_today(TODAY), *store.log.counts_today(TODAY, deck))
    assert store.log.counts_today_with(TODAY, "alpha")[2] > 0  # (the fixture answered alpha)


def test_status_reads_cards_from_a_covering_index(store: Store) -> None:
    learning, counts, *next_due = plans(store, lambda: store.decks.status(TODAY))
    assert any("COVERING INDEX cards_deck_state" in line for line in counts), counts
    assert not any(re.match(r"SCAN (c|cards)\b", line) for line in counts), counts
    assert len(next_due) == 4  # two short walks per deck
    for plan in next_due:
        assert any("COVERING INDEX cards_deck_state" in line for line in plan), plan
        assert not any("TEMP B-TREE" in line for line in plan), plan
    assert any("cards_last_day" in line for line in learning), learning  # today's cards only


def test_new_cards_stop_after_the_limit_without_sorting(store: Store) -> None:
    for plan in plans(store, lambda: store.cards.new(5)):
        if any("cards_new" in line for line in plan):
            assert not any("TEMP B-TREE" in line for line in plan), plan
            break
    else:
        pytest.fail("new_cards did not use the cards_new index")
    first = store.cards.new(5)
    assert [i.card.id for i in first] == ["a10", "a11", "a12", "a13", "a14"]
    assert [i.card.id for i in store.cards.new(-1)][-3:] == ["a29", "b1", "b2"]
    assert store.cards.new(0) == []


@pytest.mark.parametrize("deck", [None, "alpha"])
def test_next_due_walks_the_due_index_in_order(store: Store, deck: str | None) -> None:
    (plan,) = plans(store, lambda: store.cards.next_due(deck))
    indexes = ("cards_deck_state", "cards_forecast")
    assert any(index in line for line in plan for index in indexes), plan
    assert not any("TEMP B-TREE" in line for line in plan), plan


def test_stats_card_state_reads_covering_indexes_and_sorts_no_histogram(store: Store) -> None:
    """Stages, the histograms and the due days never read the cards' rows; the histograms and
    the due days of every card walk their own indexes in order (no sort of every card: read
    from ``cards_stats`` instead, grouping 74,000 reviewed cards took 65 ms)."""
    from mlcards.statsdata import StatsQuery
    from mlcards.store.scope import Scope

    stages, easiness, intervals, due, buried = plans(
        store, lambda: store.stats.card_state(StatsQuery(today=TODAY), Scope())
    )
    for plan in (stages, easiness, intervals, due, buried):
        assert any("COVERING INDEX" in line for line in plan), plan
        assert not any(re.match(r"SCAN (c|cards)$", line) for line in plan), plan
    for plan in (easiness, intervals, due):
        assert not any("TEMP B-TREE" in line for line in plan), plan


def test_every_index_of_the_cards_serves_a_query(store: Store) -> None:
    """An index no query uses still costs every answer and import its upkeep: the indexes of
    ``cards`` are each named by the plan of some command's query (migration 19 dropped
    ``cards_buried`` when status stopped needing it)."""
    from mlcards.statsdata import StatsQuery
    from mlcards.store.scope import Scope

    used: set[str] = set()
    calls = [
        *HOT.values(),
        lambda s: s.stats.card_state(StatsQuery(today=TODAY), Scope()),
    ]
    for call in calls:
        for plan in plans(store, lambda call=call: call(store)):
            used.update(re.findall(r"INDEX (\w+)", " ".join(plan)))
    indexes = {
        r[0]
        for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cards' "
            "AND sql IS NOT NULL"
        )
    }
    assert "cards_buried" not in indexes
    # cards_lapses: the stats' leech list names it (INDEXED BY, so SQLite uses it or fails);
    # its plan reads a temporary table this helper cannot explain after the call.
    assert indexes - used <= {"cards_lapses"}, indexes - used


@pytest.mark.parametrize(
    ("since", "until", "searches"),
    [(TODAY, TODAY, 2), (TODAY, None, 1), (None, TODAY, 1), (None, None, 0)],
)
def test_the_answers_outside_a_stats_window_are_found_by_day(
    store: Store, since: date | None, until: date | None, searches: int
) -> None:
    """``stats`` over a window takes the few answers outside it away from the running
    totals: each side of the window is one range of ``reviews_day_counts`` (the two ranges
    ORed in one query had SQLite scan the whole log, a tenth of a second at 1M answers)."""
    from mlcards.store.scope import Scope
    from mlcards.store.stats_totals import _outside_rows

    rows, params = _outside_rows(Scope(since=since, until=until))
    plan = [
        r[3]
        for r in store.conn.execute(f"EXPLAIN QUERY PLAN SELECT count(*) FROM {rows} r", params)
    ]
    found = [line for line in plan if "SEARCH" in line and "reviews_day_counts" in line]
    assert len(found) == searches, plan
    if searches:  # (no window: no answer is outside it, and none is read)
        assert not any(line.startswith("SCAN reviews") for line in plan), plan
    else:
        assert store.conn.execute(f"SELECT count(*) FROM {rows} r").fetchone() == (0,)


def test_an_answer_reads_its_card_and_todays_answers_by_key(store: Store) -> None:
    """The card an answer grades and whether it was answered today: one read, both by
    index (the day's answers of the card, not its whole history)."""
    from mlcards.store.log import _STORED_CARD

    plan = [
        r[3] for r in store.conn.execute(f"EXPLAIN QUERY PLAN {_STORED_CARD}", (DAY, "alpha", "a1"))
    ]
    assert not any(re.match(r"SCAN (c|r|cards|reviews)\b", line) for line in plan), plan
    assert any(
        "reviews_history (deck_id=? AND card_id=? AND mode=? AND study_day=?)" in line
        for line in plan
    ), plan


def test_the_log_keeps_only_indexes_some_read_needs(store: Store) -> None:
    """Every answer, import and sync keeps each index of ``reviews`` up. Each one's readers:
    ``reviews_history`` (a card's graded answers: the answer's own read, stats, replay),
    ``reviews_day_counts`` (today's limits, the stats window), ``reviews_uid`` (sync: an
    event already here), ``reviews_ord`` (replay and sync in the log's order) and
    ``reviews_card_ord`` (a card's latest answer: undo, search). Migration 22 dropped
    ``reviews_session``, which no query read (an undo reads its answer's session by id)."""
    indexes = {
        r[0]
        for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reviews' "
            "AND sql IS NOT NULL"
        )
    }
    assert indexes == {
        "reviews_history",
        "reviews_day_counts",
        "reviews_uid",
        "reviews_ord",
        "reviews_card_ord",
    }
