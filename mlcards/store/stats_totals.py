"""The ``stats`` aggregates read from the running totals (``store/totals.py``), not the log.

Days come from the per-day totals (one row per study day and deck, or day, tag and deck);
per-card counts over the window are the card's totals less its answers outside the window,
or, when the window holds less than half of the log, summed from the window through the
covering history index. The top-N lists (hardest cards, leeches, the most missed cards for
distractors) are ``ORDER BY ... LIMIT`` in SQL. The result equals
``StatsQueries.data_from_log`` for the same log, field by field that the document uses
(tests/test_stats_totals.py builds the document both ways).
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import TYPE_CHECKING

from mlcards import rules
from mlcards.models import (
    CardSummary,
    DayActivity,
    GroupAccuracy,
    RetentionDay,
    StatsData,
    StatsQuery,
)
from mlcards.store.scope import Params, Scope
from mlcards.store.stats import row_to_summary
from mlcards.store.totals import CARD_COLUMNS, CARD_SUMS

if TYPE_CHECKING:
    from mlcards.store.stats import StatsQueries

_WINDOW = "temp.stats_window"


def data_from_totals(queries: StatsQueries, query: StatsQuery) -> StatsData:
    conn = queries.conn
    scope = Scope(query.deck_id, query.tag, query.since, query.today)
    days, day_params = scope.days("t")
    # the deck (and tag) filter over a per-day totals row named t
    params: Params
    if query.tag:
        table, where, params = "day_tag_totals", "t.tag = ?", [query.tag]
    else:
        table, where, params = "day_totals", "1", []
    if query.deck_id:
        where += " AND t.deck_id = ?"
        params.append(query.deck_id)
    where += f" AND {days}"
    params += day_params
    activity = [
        DayActivity(date.fromisoformat(r[0]), r[1], r[2], r[3])
        for r in conn.execute(
            "SELECT t.study_day, sum(t.answers), sum(t.correct), sum(t.time_ms) "
            f"FROM {table} t WHERE {where} GROUP BY t.study_day HAVING sum(t.answers) > 0 "
            "ORDER BY t.study_day",
            params,
        )
    ]
    retention = []
    for day, young, young_correct, mature, mature_correct in conn.execute(
        "SELECT t.study_day, sum(t.young), sum(t.young_correct), sum(t.mature), "
        f"sum(t.mature_correct) FROM {table} t WHERE {where} GROUP BY t.study_day "
        "ORDER BY t.study_day",
        params,
    ):
        if young:
            retention.append(RetentionDay(date.fromisoformat(day), False, young, young_correct))
        if mature:
            retention.append(RetentionDay(date.fromisoformat(day), True, mature, mature_correct))
    by_deck = [
        GroupAccuracy(r[0], r[1], r[2])
        for r in conn.execute(
            f"SELECT t.deck_id, sum(t.graded), sum(t.graded_correct) FROM {table} t "
            f"JOIN decks d ON d.id = t.deck_id WHERE {where} GROUP BY t.deck_id "
            "HAVING sum(t.graded) > 0 ORDER BY d.position",
            params,
        )
    ]
    stages, easiness, intervals, due = queries.card_state(query, scope)
    _fill_window(conn, scope)
    try:
        if query.tag:  # every tag of the cards carrying this one: from the cards themselves
            tag_rows = conn.execute(
                "SELECT j.value, sum(w.reviews), sum(w.correct) "
                f"FROM {_WINDOW} w CROSS JOIN cards c "
                "ON c.deck_id = w.deck_id AND c.id = w.card_id, "
                "json_each(c.content, '$.tags') j GROUP BY j.value"
            ).fetchall()
        else:
            day_where, day_where_params = where.replace("t.", "g."), params
            tag_rows = conn.execute(
                "SELECT g.tag, sum(g.graded), sum(g.graded_correct) "
                "FROM day_tag_totals g INDEXED BY day_tag_by_tag "
                f"WHERE {day_where} GROUP BY g.tag HAVING sum(g.graded) > 0",
                day_where_params,
            ).fetchall()
        by_tag = [
            GroupAccuracy(tag, n, k)
            for tag, n, k in sorted(tag_rows, key=lambda r: (-r[1], r[0]))
            if n
        ]
        reviewed = conn.execute(f"SELECT count(*) FROM {_WINDOW}").fetchone()[0]
        hardest = _summaries(
            conn,
            f"w.lapses > 0 OR c.easiness < {rules.NEW_EASINESS}",
            "w.lapses DESC, c.easiness, CAST(w.correct AS REAL) / w.reviews, c.deck_id, c.id",
            [],
            query.hardest,
        )
        leeches = _summaries(conn, "c.lapses >= ?", "d.position, c.position", [query.leech_from])
        if query.distractor_cards is None:
            missed = _summaries(conn, "w.first_answers > 0", "d.position, c.position", [])
        else:
            top = (  # the most missed first, ties in deck order; then listed in deck order
                "(w.deck_id, w.card_id) IN (SELECT w.deck_id, w.card_id "
                f"FROM {_WINDOW} w CROSS JOIN cards c "
                "ON c.deck_id = w.deck_id AND c.id = w.card_id "
                "JOIN decks d ON d.id = c.deck_id WHERE w.first_answers > w.first_correct "
                "ORDER BY w.first_correct - w.first_answers, d.position, c.position LIMIT ?)"
            )
            missed = _summaries(conn, top, "d.position, c.position", [query.distractor_cards])
        distractors = queries._distractors(missed, scope, None)
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {_WINDOW}")
    return StatsData(
        activity=activity,
        retention=retention,
        by_deck=by_deck,
        by_tag=by_tag,
        stages=stages,
        easiness=easiness,
        intervals=intervals,
        due=due,
        cards=[],
        distractors=distractors,
        cards_reviewed=int(reviewed),
        hardest=hardest,
        leech_candidates=leeches,
    )


def _outside(scope: Scope) -> tuple[str, Params]:
    """Terms over a log row ``r`` for the study days outside the window (index-friendly)."""
    terms: list[str] = []
    params: Params = []
    if scope.since is not None:
        terms.append("r.study_day < ?")
        params.append(scope.since.isoformat())
    if scope.until is not None:
        terms.append("r.study_day > ?")
        params.append(scope.until.isoformat())
    return ("(" + " OR ".join(terms) + ")" if terms else "0"), params


def _fill_window(conn: sqlite3.Connection, scope: Scope) -> None:
    """``temp.stats_window``: per card of the scope reviewed in the window, its counts over
    the window's graded answers."""
    outside, outside_params = _outside(scope)
    deck_term, deck_params = ("r.deck_id = ?", [scope.deck]) if scope.deck else ("1", [])
    inside_n, outside_n = conn.execute(
        f"SELECT coalesce(sum(CASE WHEN {outside} THEN 0 ELSE graded END), 0), "
        f"coalesce(sum(CASE WHEN {outside} THEN graded ELSE 0 END), 0) "
        f"FROM day_totals r WHERE {deck_term}",
        [*outside_params, *outside_params, *deck_params],
    ).fetchone()
    card_where, card_params = scope.cards("c")
    sums = ", ".join(f"{s} AS {c}" for s, c in zip(CARD_SUMS, CARD_COLUMNS, strict=True))
    if outside_n <= inside_n:  # the totals less the few answers outside the window, found by day
        less = ", ".join(f"t.{c} - coalesce(x.{c}, 0) AS {c}" for c in CARD_COLUMNS)
        source = (
            f"WITH x AS (SELECT r.deck_id, r.card_id, {sums} FROM reviews r INDEXED BY reviews_day "
            f"WHERE r.mode = 'review' AND {outside} AND {deck_term} "
            "GROUP BY r.deck_id, r.card_id) "
            f"SELECT t.deck_id, t.card_id, {less} FROM card_totals t "
            "LEFT JOIN x ON x.deck_id = t.deck_id AND x.card_id = t.card_id "
            f"WHERE {deck_term.replace('r.', 't.')}"
        )
        source_params = [*outside_params, *deck_params, *deck_params]
    else:  # the window's answers, walked in card order along the covering history index
        days, days_params = scope.days("r")
        source = (
            f"SELECT r.deck_id, r.card_id, {sums} FROM reviews r "
            f"WHERE r.mode = 'review' AND {deck_term} AND {days.replace('r.', '+r.')} "
            "GROUP BY r.deck_id, r.card_id"
        )
        source_params = [*deck_params, *days_params]
    conn.execute(f"DROP TABLE IF EXISTS {_WINDOW}")
    # the cards themselves only for a tag (the deck is in the totals' key)
    cards = "JOIN cards c ON c.deck_id = w.deck_id AND c.id = w.card_id" if scope.tag else ""
    conn.execute(
        f"CREATE TABLE {_WINDOW} AS SELECT w.deck_id, w.card_id, "
        + ", ".join(f"w.{c}" for c in CARD_COLUMNS)
        + f" FROM ({source}) w {cards} "
        f"WHERE w.reviews > 0 AND {card_where if scope.tag else '1'}",
        [*source_params, *(card_params if scope.tag else [])],
    )


def _summaries(
    conn: sqlite3.Connection, where: str, order: str, params: Params, limit: int = -1
) -> list[CardSummary]:
    """Card summaries of the window's cards matching ``where``, in ``order``, the first
    ``limit`` (CROSS JOIN: the window table, which has no index, drives the join)."""
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    sql = (
        "SELECT c.deck_id, c.id AS card_id, json_extract(c.content, '$.title') AS title, "
        "c.retired, c.last_review_id IS NOT NULL AS reviewed, c.repetitions, c.easiness, "
        "c.interval, c.due, w.reviews, w.correct, w.lapses, NULL AS last_review, "
        "w.first_answers, w.first_correct, w.dont_know, c.lapses AS total_lapses, "
        f"c.stability, c.difficulty FROM {_WINDOW} w "
        "CROSS JOIN cards c ON c.deck_id = w.deck_id AND c.id = w.card_id "
        f"JOIN decks d ON d.id = c.deck_id WHERE {where} ORDER BY {order} LIMIT ?"
    )
    return [row_to_summary(r) for r in cursor.execute(sql, [*params, limit])]
