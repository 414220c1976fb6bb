"""What the cards table says for ``stats``: stages per deck, easiness and intervals of the
reviewed cards, and the cards due over the coming days.

In the number of cards, whatever the size of the log, and read from covering indexes: the
cards' content (a kilobyte each) is never read unless a tag filters them. (Counting the
histograms' bins in SQL with ``FILTER`` instead of grouping by value was measured slower:
twenty conditions a row cost more than the sort.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from mlcards import rules
from mlcards.statsdata import StageCounts, StatsQuery
from mlcards.store.scope import Scope

T = TypeVar("T")

_REVIEWED = "retired = 0 AND last_review_id IS NOT NULL"
_SM2 = "stability IS NULL"  # an FSRS card's easiness is not its measure (difficulty is)
# Migration 18 (``migrations.py``) indexes the histograms and the due days of every card (no
# deck or tag): ``cards_easiness`` and ``cards_interval`` WHERE exactly ``_REVIEWED`` (and
# ``_SM2``), ``cards_forecast``; the queries below must keep implying those conditions.

CardState = tuple[
    list[StageCounts], list[tuple[float, int]], list[tuple[int, int]], list[tuple[date, int]]
]


def card_state(conn: sqlite3.Connection, query: StatsQuery, scope: Scope) -> CardState:
    """Stages per deck (in deck order), easiness and intervals of the reviewed cards, and
    the due days within the forecast's 30 days (the overdue ones on their own days)."""
    today = query.today
    card_where, card_params = scope.cards("c")
    deck_where = "d.id = ?" if query.deck_id else "1"
    learned = f"c.last_review_id IS NOT NULL AND c.repetitions >= {rules.YOUNG_REPETITIONS}"
    mature = f"c.interval >= {rules.MATURE_INTERVAL}"
    stages = [
        StageCounts(*r)
        for r in conn.execute(
            f"""
            SELECT d.id,
                count(c.id) FILTER (WHERE c.retired = 0 AND c.last_review_id IS NULL),
                count(c.id) FILTER (WHERE c.retired = 0 AND c.last_review_id IS NOT NULL
                                    AND c.repetitions < {rules.YOUNG_REPETITIONS}),
                count(c.id) FILTER (WHERE c.retired = 0 AND {learned} AND NOT {mature}),
                count(c.id) FILTER (WHERE c.retired = 0 AND {learned} AND {mature}),
                count(c.id) FILTER (WHERE c.retired = 1)
            FROM decks d LEFT JOIN cards c INDEXED BY cards_stats
                ON c.deck_id = d.id AND {card_where}
            WHERE {deck_where} GROUP BY d.id ORDER BY d.position
            """,
            card_params + ([query.deck_id] if query.deck_id else []),
        )
    ]
    easiness = _histogram(conn, scope, "easiness", f" AND c.{_SM2}", float)
    intervals = _histogram(conn, scope, "interval", "", int)
    horizon = date.fromordinal(today.toordinal() + 30).isoformat()
    return stages, easiness, intervals, _due_days(conn, scope, horizon)


def _histogram(
    conn: sqlite3.Connection, scope: Scope, column: str, also: str, value: Callable[[Any], T]
) -> list[tuple[T, int]]:
    """The reviewed cards counted by ``column`` (its ``cards_<column>`` index walked in
    order when the scope allows), ``also`` narrowing them further."""
    card_where, card_params = scope.cards("c")
    return [
        (value(r[0]), int(r[1]))
        for r in conn.execute(
            f"SELECT c.{column}, count(*) FROM cards c {_index(scope, f'cards_{column}')} "
            f"WHERE c.{_REVIEWED.replace(' AND ', ' AND c.')}{also} AND {card_where} "
            f"GROUP BY c.{column} ORDER BY c.{column}",
            card_params,
        )
    ]


def _due_days(conn: sqlite3.Connection, scope: Scope, horizon: str) -> list[tuple[date, int]]:
    """Active cards per day they come due, before ``horizon``: suspended cards are not
    coming; a buried one comes when it is unburied. For every card, the unburied ones walk
    ``cards_forecast`` in due order (no sort), the buried ones (a few) are grouped apart."""
    card_where, card_params = scope.cards("c")
    coming = "c.retired = 0 AND c.due IS NOT NULL AND c.suspended = 0 AND c.due < ?"
    params = [horizon, *card_params]
    if scope.deck or scope.tag:
        sources = [
            "SELECT max(c.due, coalesce(c.buried_until, c.due)) AS day, count(*) "
            f"FROM cards c INDEXED BY cards_deck_state WHERE {coming} AND {card_where} "
            "AND day < ? GROUP BY day"
        ]
    else:
        sources = [
            "SELECT c.due, count(*) FROM cards c INDEXED BY cards_forecast "
            f"WHERE {coming} AND {card_where} "
            "AND (c.buried_until IS NULL OR c.buried_until <= c.due) GROUP BY c.due",
            "SELECT c.buried_until AS day, count(*) FROM cards c INDEXED BY cards_forecast "
            f"WHERE {coming} AND {card_where} AND c.buried_until > c.due AND day < ? "
            "GROUP BY day",
        ]
    days: dict[str, int] = {}
    for sql in sources:
        for day, n in conn.execute(sql, params + [horizon] * sql.count("day < ?")):
            days[day] = days.get(day, 0) + int(n)
    return [(date.fromisoformat(day), n) for day, n in sorted(days.items())]


def _index(scope: Scope, histogram: str) -> str:
    """The histogram's own index for every card; the covering ``cards_stats`` for a deck or
    a tag (the histogram's index holds neither)."""
    return f"INDEXED BY {'cards_stats' if scope.deck or scope.tag else histogram}"
