"""What the cards table says for ``stats``: stages per deck, the easiness and interval
histograms, and the cards due over the coming days.

In the number of cards, whatever the size of the log, and read from covering indexes (the
cards' content, a kilobyte each, is never read unless a tag filters them): one scan of
``cards_stats`` counts the stages and both histograms' bins per deck (no sort: the bins are
``rules.EASINESS_BINS`` and ``rules.INTERVAL_BINS``, counted with ``FILTER``), one scan of
``cards_deck_state`` the due days. The histograms come back as (the bin's lowest value,
cards) pairs, which ``stats.histogram`` puts back in the same bins.
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

Bins = tuple[tuple[str, int, int | None], ...]


def bin_terms(value: str, bins: Bins) -> list[str]:
    """One SQL condition per bin over ``value``, as ``stats.histogram`` bins: the first bin
    also takes what lies below every bin (the bins are contiguous and ascending)."""
    terms = []
    for index, (_, low, high) in enumerate(bins):
        if index and bins[index - 1][2] != low - 1:
            raise ValueError("histogram bins must be contiguous and ascending")
        parts = [] if index == 0 else [f"{value} >= {low}"]
        if high is not None:
            parts.append(f"{value} <= {high}")
        terms.append(" AND ".join(parts) or "1")
    return terms


def card_state(conn: sqlite3.Connection, query: StatsQuery, scope: Scope) -> CardState:
    """Stages per deck (in deck order), the histograms' bins and the due days within the
    forecast's 30 days (the overdue ones on their own days)."""
    card_where, card_params = scope.cards("c")
    deck_where = "d.id = ?" if query.deck_id else "1"
    active = "c.retired = 0"
    reviewed = f"{active} AND c.last_review_id IS NOT NULL"
    learned = f"{reviewed} AND c.repetitions >= {rules.YOUNG_REPETITIONS}"
    mature = f"c.interval >= {rules.MATURE_INTERVAL}"
    stage_terms = [
        f"{active} AND c.last_review_id IS NULL",
        f"{reviewed} AND c.repetitions < {rules.YOUNG_REPETITIONS}",
        f"{learned} AND NOT {mature}",
        f"{learned} AND {mature}",
        "c.retired = 1",
    ]
    ease = "CAST(round(c.easiness * 100) AS INTEGER)"
    # SM-2 cards only: an FSRS card's easiness is not its measure (difficulty is)
    ease_terms = [
        f"{reviewed} AND c.stability IS NULL AND {t}" for t in bin_terms(ease, rules.EASINESS_BINS)
    ]
    interval_terms = [f"{reviewed} AND {t}" for t in bin_terms("c.interval", rules.INTERVAL_BINS)]
    counts = ", ".join(
        f"count(c.id) FILTER (WHERE {t})" for t in stage_terms + ease_terms + interval_terms
    )
    rows = conn.execute(
        f"SELECT d.id, {counts} FROM decks d LEFT JOIN cards c INDEXED BY cards_stats "
        f"ON c.deck_id = d.id AND {card_where} WHERE {deck_where} GROUP BY d.id "
        "ORDER BY d.position",
        card_params + ([query.deck_id] if query.deck_id else []),
    ).fetchall()
    stages = [StageCounts(r[0], *r[1:6]) for r in rows]
    ease_counts = [sum(r[6 + i] for r in rows) for i in range(len(ease_terms))]
    easiness = [
        (low / 100, n) for (_, low, _), n in zip(rules.EASINESS_BINS, ease_counts, strict=True)
    ]
    first = 6 + len(ease_terms)
    interval_counts = [sum(r[first + i] for r in rows) for i in range(len(interval_terms))]
    intervals = [
        (low, n) for (_, low, _), n in zip(rules.INTERVAL_BINS, interval_counts, strict=True)
    ]
    horizon = date.fromordinal(query.today.toordinal() + 30).isoformat()
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
