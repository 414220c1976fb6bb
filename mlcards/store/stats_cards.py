"""What the cards table says for ``stats``: stages per deck, easiness and intervals of the
reviewed cards, and the cards due over the coming days.

In the number of cards, whatever the size of the log, and read from covering indexes: the
cards' content (a kilobyte each) is never read unless a tag filters them. (Counting the
histograms' bins in SQL with ``FILTER`` instead of grouping by value was measured slower:
twenty conditions a row cost more than the sort.)
"""

from __future__ import annotations

import sqlite3
from datetime import date

from mlcards import rules
from mlcards.models import StageCounts, StatsQuery
from mlcards.store.scope import Scope

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
    reviewed = f"c.retired = 0 AND c.last_review_id IS NOT NULL AND {card_where}"
    easiness = [
        (float(r[0]), int(r[1]))
        for r in conn.execute(
            # SM-2 cards only: an FSRS card's easiness is not its measure (difficulty is)
            f"SELECT c.easiness, count(*) FROM cards c INDEXED BY cards_stats WHERE {reviewed} "
            "AND c.stability IS NULL "
            "GROUP BY c.easiness ORDER BY c.easiness",
            card_params,
        )
    ]
    intervals = [
        (int(r[0]), int(r[1]))
        for r in conn.execute(
            f"SELECT c.interval, count(*) FROM cards c INDEXED BY cards_stats WHERE {reviewed} "
            "GROUP BY c.interval ORDER BY c.interval",
            card_params,
        )
    ]
    horizon = date.fromordinal(today.toordinal() + 30).isoformat()
    due = [
        (date.fromisoformat(r[0]), int(r[1]))
        for r in conn.execute(
            # suspended cards are not coming; a buried one comes when it is unburied
            "SELECT max(c.due, coalesce(c.buried_until, c.due)) AS day, count(*) "
            "FROM cards c INDEXED BY cards_deck_state "
            f"WHERE c.retired = 0 AND c.suspended = 0 AND {card_where} "
            "AND c.due IS NOT NULL AND day < ? GROUP BY day ORDER BY day",
            [*card_params, horizon],
        )
    ]
    return stages, easiness, intervals, due
