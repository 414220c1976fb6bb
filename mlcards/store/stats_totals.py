"""The ``stats`` aggregates read from the running totals (``store/totals.py``), not the log.

Days come from the per-day totals (one row per study day and deck, or day, tag and deck).
Per-card counts over the window (``_Window``) are the cards' totals less their answers
outside the window, summed into a small temporary table (the reviewed cards themselves are
never copied); with a tag, or when the window holds less than half of the log, a temporary
table of the window's counts. The top-N lists (hardest cards, the most missed cards for
distractors) are ``ORDER BY ... LIMIT`` in SQL, their candidates first bounded from indexes
on the stored totals (an answer outside the window only ever lowers a card's counts): the
bound is checked against the corrected counts and every card read when it moved. The leech
candidates are the top of an index on the cards' lapses. The result equals
``StatsQueries.data_from_log`` for the same log, field by field that the document uses
(tests/test_stats_totals.py builds the document both ways, on both sides of the bounds).
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import TYPE_CHECKING

from mlcards import rules
from mlcards.statsdata import (
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

# Migration 18 indexes the bounds of the hardest and the most missed cards
# (``_Window._bound`` walks ``card_totals_lapses`` and ``card_totals_missed`` from the top,
# rather than sorting every card's totals); the leech candidates are the top of
# ``cards_lapses``.

_WINDOW = "temp.stats_window"
_OUTSIDE = "temp.stats_outside"


def data_from_totals(queries: StatsQueries, query: StatsQuery) -> StatsData:
    conn = queries.conn
    scope = Scope(query.deck_id, query.tag, query.since, query.today)
    table, where, params = _day_filter(query, scope)
    activity, retention, by_deck = _days(conn, table, where, params)
    state = queries.card_state(query, scope)
    window = _Window.fill(conn, scope)
    try:
        by_tag = _by_tag(conn, query, where, params, window.corrected, scope)
        reviewed = window.count()
        hardest = window.hardest(query.hardest)
        leeches = window.leeches(query.leech_from)
        distractors = queries._distractors(window.missed(query.distractor_cards), scope, None)
    finally:
        window.drop()
    return StatsData(
        activity,
        retention,
        by_deck,
        by_tag,
        *state,  # stages, easiness, intervals, due
        cards=[],
        distractors=distractors,
        cards_reviewed=reviewed,
        hardest=hardest,
        leech_candidates=leeches,
    )


def _day_filter(query: StatsQuery, scope: Scope) -> tuple[str, str, Params]:
    """The per-day totals table to read and the deck, tag and day filter over its row ``t``."""
    days, day_params = scope.days("t")
    params: Params
    if query.tag:
        table, where, params = "day_tag_totals", "t.tag = ?", [query.tag]
    else:
        table, where, params = "day_totals", "1", []
    if query.deck_id:
        where += " AND t.deck_id = ?"
        params.append(query.deck_id)
    return table, f"{where} AND {days}", params + day_params


def _days(
    conn: sqlite3.Connection, table: str, where: str, params: Params
) -> tuple[list[DayActivity], list[RetentionDay], list[GroupAccuracy]]:
    """Activity and retention per day, and accuracy by deck, from the per-day totals."""
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
    return activity, retention, by_deck


def _by_tag(
    conn: sqlite3.Connection,
    query: StatsQuery,
    where: str,
    params: Params,
    most: bool,
    scope: Scope,
) -> list[GroupAccuracy]:
    """Accuracy by tag, the most answered first: when the window holds ``most`` of the log,
    the all-time tag totals less the few days outside it; else from the window's per-day tag
    totals; for a tag filter, every tag of the cards carrying it (from the window's cards)."""
    if most and not query.tag:
        tag_rows = conn.execute(*_tags_less_outside(scope)).fetchall()
    elif query.tag:
        tag_rows = conn.execute(
            "SELECT j.value, sum(w.reviews), sum(w.correct) "
            f"FROM {_WINDOW} w CROSS JOIN cards c "
            "ON c.deck_id = w.deck_id AND c.id = w.card_id, "
            "json_each(c.content, '$.tags') j GROUP BY j.value"
        ).fetchall()
    else:
        tag_rows = conn.execute(
            "SELECT g.tag, sum(g.graded), sum(g.graded_correct) "
            "FROM day_tag_totals g INDEXED BY day_tag_by_tag "
            f"WHERE {where.replace('t.', 'g.')} GROUP BY g.tag HAVING sum(g.graded) > 0",
            params,
        ).fetchall()
    return [
        GroupAccuracy(tag, n, k) for tag, n, k in sorted(tag_rows, key=lambda r: (-r[1], r[0])) if n
    ]


def _tags_less_outside(scope: Scope) -> tuple[str, Params]:
    """Graded answers per tag in the window: ``tag_totals`` less the days outside it, each
    side one range of ``day_tag_totals``' key (the day leads it)."""
    sides = [(term.replace("r.", "d."), day) for term, day in _outside_days(scope)]
    deck_term, deck_params = ("t.deck_id = ?", [scope.deck]) if scope.deck else ("1", [])
    params: Params = [*(day for _, day in sides), *deck_params]
    union = " UNION ALL ".join(f"SELECT * FROM day_tag_totals d WHERE {t}" for t, _ in sides)
    outside = (
        "(SELECT g.tag, g.deck_id, sum(g.graded) AS graded, sum(g.graded_correct) AS correct "
        f"FROM ({union or 'SELECT * FROM day_tag_totals WHERE 0'}) g GROUP BY g.tag, g.deck_id)"
    )
    graded = "t.graded - coalesce(o.graded, 0)"
    return (
        f"SELECT t.tag, sum({graded}), sum(t.graded_correct - coalesce(o.correct, 0)) "
        f"FROM tag_totals t LEFT JOIN {outside} o ON o.tag = t.tag AND o.deck_id = t.deck_id "
        f"WHERE {deck_term} GROUP BY t.tag HAVING sum({graded}) > 0",
        params,
    )


def _outside_days(scope: Scope) -> list[tuple[str, str]]:
    """The window's open sides: a term over a log row ``r`` for the study days beyond each,
    with its bound."""
    sides = [("r.study_day < ?", scope.since), ("r.study_day > ?", scope.until)]
    return [(term, day.isoformat()) for term, day in sides if day is not None]


def _outside(scope: Scope) -> tuple[str, Params]:
    """Terms over a log row ``r`` for the study days outside the window, in one condition."""
    sides = _outside_days(scope)
    terms = " OR ".join(term for term, _ in sides)
    return (f"({terms})" if sides else "0"), [day for _, day in sides]


def _outside_rows(scope: Scope) -> tuple[str, Params]:
    """The log rows outside the window as a row source ``r``: one range of days each side,
    each read along ``reviews_day_counts`` (one query with both ranges ORed scans all of
    it)."""
    sides = _outside_days(scope)
    if not sides:
        return "(SELECT * FROM reviews WHERE 0)", []
    union = " UNION ALL ".join(
        f"SELECT * FROM reviews r INDEXED BY reviews_day_counts WHERE {term}" for term, _ in sides
    )
    return f"({union})", [day for _, day in sides]


_SUMMARY_COLUMNS = (
    "c.deck_id, c.id AS card_id, {title} AS title, c.retired, "
    "c.last_review_id IS NOT NULL AS reviewed, c.repetitions, c.easiness, c.interval, c.due, "
    "w.reviews, w.correct, w.lapses, NULL AS last_review, w.first_answers, w.first_correct, "
    "w.dont_know, c.lapses AS total_lapses, c.stability, c.difficulty"
)
_HARD = f"w.lapses > 0 OR c.easiness < {rules.NEW_EASINESS}"
_HARDEST_FIRST = "w.lapses DESC, c.easiness, CAST(w.correct AS REAL) / w.reviews, c.deck_id, c.id"
_MISSED = "w.first_correct - w.first_answers"
_DECK_ORDER = "d.position, c.position"


class _Window:
    """Per card of the scope reviewed in the window, its counts over the window's graded
    answers: a row source ``w`` (deck_id, card_id and ``CARD_COLUMNS``, those with
    ``reviews > 0`` being the window's cards).

    Without a tag, and when the window holds most of the log (the everyday case: the default
    365 days), it is ``card_totals`` less the few answers outside the window, summed into a
    small temporary table: nothing in the number of reviewed cards is copied, and the top-N
    lists first bound their candidates by the totals alone (the answers outside the window
    only ever lower a count). Otherwise it is a temporary table of the window's counts.
    """

    def __init__(self, conn: sqlite3.Connection, corrected: bool, deck: str | None) -> None:
        self.conn = conn
        self.corrected = corrected
        self.deck_term, self.deck_params = ("t.deck_id = ?", [deck]) if deck else ("1", [])

    @classmethod
    def fill(cls, conn: sqlite3.Connection, scope: Scope) -> _Window:
        outside, outside_params = _outside(scope)
        deck_term, deck_params = ("r.deck_id = ?", [scope.deck]) if scope.deck else ("1", [])
        inside_n, outside_n = conn.execute(
            f"SELECT coalesce(sum(CASE WHEN {outside} THEN 0 ELSE graded END), 0), "
            f"coalesce(sum(CASE WHEN {outside} THEN graded ELSE 0 END), 0) "
            f"FROM day_totals r WHERE {deck_term}",
            [*outside_params, *outside_params, *deck_params],
        ).fetchone()
        conn.execute(f"DROP TABLE IF EXISTS {_WINDOW}")
        conn.execute(f"DROP TABLE IF EXISTS {_OUTSIDE}")
        sums = ", ".join(f"{s} AS {c}" for s, c in zip(CARD_SUMS, CARD_COLUMNS, strict=True))
        # the few answers outside the window, found by day
        rows, rows_params = _outside_rows(scope)
        outside_sql = (
            f"SELECT r.deck_id, r.card_id, {sums} FROM {rows} r "
            f"WHERE r.mode = 'review' AND {deck_term} GROUP BY r.deck_id, r.card_id"
        )
        conn.execute(
            f"CREATE TABLE {_OUTSIDE} (deck_id, card_id, {', '.join(CARD_COLUMNS)}, "
            "PRIMARY KEY (deck_id, card_id)) WITHOUT ROWID"
        )
        if outside_n <= inside_n:
            conn.execute(f"INSERT INTO {_OUTSIDE} {outside_sql}", [*rows_params, *deck_params])
            if not scope.tag:
                return cls(conn, True, scope.deck)
            source, source_params = cls(conn, True, scope.deck).source()
        else:  # the window's answers, walked in card order along the covering history index
            days, days_params = scope.days("r")
            source = (
                f"(SELECT r.deck_id, r.card_id, {sums} FROM reviews r "
                f"WHERE r.mode = 'review' AND {deck_term} AND {days.replace('r.', '+r.')} "
                "GROUP BY r.deck_id, r.card_id)"
            )
            source_params = [*deck_params, *days_params]
        card_where, card_params = scope.cards("c")
        # the cards themselves only for a tag (the deck is in the totals' key)
        cards = "JOIN cards c ON c.deck_id = w.deck_id AND c.id = w.card_id" if scope.tag else ""
        conn.execute(
            f"CREATE TABLE {_WINDOW} AS SELECT w.deck_id, w.card_id, "
            + ", ".join(f"w.{c}" for c in CARD_COLUMNS)
            + f" FROM {source} w {cards} "
            f"WHERE w.reviews > 0 AND {card_where if scope.tag else '1'}",
            [*source_params, *(card_params if scope.tag else [])],
        )
        return cls(conn, False, None)

    def drop(self) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS {_WINDOW}")
        self.conn.execute(f"DROP TABLE IF EXISTS {_OUTSIDE}")

    def source(self, extra: str = "1", extra_params: Params | None = None) -> tuple[str, Params]:
        """The row source, restricted by ``extra`` over the stored totals row ``t``."""
        if not self.corrected:
            return f"(SELECT * FROM {_WINDOW} t WHERE {extra})", list(extra_params or [])
        less = ", ".join(f"t.{c} - coalesce(x.{c}, 0) AS {c}" for c in CARD_COLUMNS)
        return (
            f"(SELECT t.deck_id, t.card_id, {less} FROM card_totals t "
            f"LEFT JOIN {_OUTSIDE} x ON x.deck_id = t.deck_id AND x.card_id = t.card_id "
            f"WHERE {self.deck_term} AND {extra})"
        ), [*self.deck_params, *(extra_params or [])]

    def count(self) -> int:
        """How many cards were reviewed in the window."""
        if not self.corrected:
            return int(self.conn.execute(f"SELECT count(*) FROM {_WINDOW}").fetchone()[0])
        return int(
            self.conn.execute(
                f"SELECT (SELECT count(*) FROM card_totals t WHERE {self.deck_term}) - "
                f"(SELECT count(*) FROM {_OUTSIDE} x CROSS JOIN card_totals t "
                "ON t.deck_id = x.deck_id AND t.card_id = x.card_id WHERE x.reviews >= t.reviews)",
                self.deck_params,
            ).fetchone()[0]
        )

    def _bound(self, value: str, where: str, descending: bool, rank: int) -> int | None:
        """The ``rank``-th value of ``value`` over the stored totals (no window applied),
        None when there are fewer rows or the window is not the corrected totals."""
        if not self.corrected or rank < 1:
            return None
        row = self.conn.execute(
            f"SELECT {value} FROM card_totals t WHERE {self.deck_term} AND {where} "
            f"ORDER BY 1 {'DESC' if descending else ''} LIMIT 1 OFFSET ?",
            [*self.deck_params, rank - 1],
        ).fetchone()
        return None if row is None else int(row[0])

    def hardest(self, limit: int) -> list[CardSummary]:
        """The struggling cards, hardest first, the first ``limit``. Most lapses first: when
        the ``limit``-th most lapsed card of the totals has lapsed at least once, only cards
        with that many lapses in the totals can be among them, unless the answers outside the
        window lowered one of those below it (then every card is read)."""
        least = self._bound("t.lapses", "1", True, limit)
        if least is not None and least > 0:
            found = self.summaries(_HARD, _HARDEST_FIRST, [], limit, ("t.lapses >= ?", [least]))
            if len(found) == limit and found[-1].lapses >= least:
                return found
        return self.summaries(_HARD, _HARDEST_FIRST, [], limit)

    def missed(self, limit: int | None) -> list[CardSummary]:
        """In deck order, the ``limit`` cards most often missed in first answers (ties in
        deck order; every card answered when None), bounded by the totals as ``hardest``."""
        if limit is None:
            return self.summaries("w.first_answers > 0", _DECK_ORDER, [])
        most = self._bound(
            "t.first_correct - t.first_answers", "t.first_answers > t.first_correct", False, limit
        )
        if most is not None:
            # (missed in the window implies missed in the totals: the index's own condition)
            candidates = (
                "t.first_answers > t.first_correct AND t.first_correct - t.first_answers <= ?"
            )
            found = self._most_missed(limit, (candidates, [most]))
            if (
                len(found) == limit
                and max(c.first_correct - c.first_answers for c in found) <= most
            ):
                return found
        return self._most_missed(limit, ("1", []))

    def _most_missed(self, limit: int, candidates: tuple[str, Params]) -> list[CardSummary]:
        source, params = self.source(*candidates)
        top = (
            f"(w.deck_id, w.card_id) IN (SELECT w.deck_id, w.card_id FROM {source} w "
            "CROSS JOIN cards c ON c.deck_id = w.deck_id AND c.id = w.card_id "
            "JOIN decks d ON d.id = c.deck_id "
            "WHERE w.reviews > 0 AND w.first_answers > w.first_correct "
            f"ORDER BY {_MISSED}, {_DECK_ORDER} LIMIT ?)"
        )
        return self.summaries(top, _DECK_ORDER, [*params, limit], -1, candidates)

    def leeches(self, lapses: int) -> list[tuple[str, str, int]]:
        """In deck order, (deck, card, lapses) of the window's cards that lapsed at least
        ``lapses`` times since their schedule started (the cards' own count), read from the
        top of the covering ``cards_lapses``: the cards' rows (a kilobyte each) are not read."""
        if self.corrected:
            reviewed = (
                "CROSS JOIN card_totals t ON t.deck_id = c.deck_id AND t.card_id = c.id "
                f"LEFT JOIN {_OUTSIDE} x ON x.deck_id = t.deck_id AND x.card_id = t.card_id "
                f"WHERE {self.deck_term} AND t.reviews > coalesce(x.reviews, 0)"
            )
        else:
            reviewed = f"WHERE (c.deck_id, c.id) IN (SELECT deck_id, card_id FROM {_WINDOW})"
        sql = (
            "SELECT c.deck_id, c.id, c.lapses FROM cards c INDEXED BY cards_lapses "
            f"JOIN decks d ON d.id = c.deck_id {reviewed} AND c.lapses >= ? "
            f"ORDER BY {_DECK_ORDER}"
        )
        params = [*(self.deck_params if self.corrected else []), lapses]
        return [(deck, card, int(n)) for deck, card, n in self.conn.execute(sql, params)]

    def summaries(
        self,
        where: str,
        order: str,
        params: Params,
        limit: int = -1,
        candidates: tuple[str, Params] = ("1", []),
    ) -> list[CardSummary]:
        """Card summaries of the window's cards matching ``where``, in ``order``, the first
        ``limit``, among the ``candidates`` (a term over the stored totals row ``t``).
        CROSS JOIN: the window drives the join, the cards are looked up by key."""
        source, source_params = self.source(*candidates)
        sql = (
            f"SELECT {_SUMMARY_COLUMNS.format(title=TITLE)} FROM {source} w "
            "CROSS JOIN cards c ON c.deck_id = w.deck_id AND c.id = w.card_id "
            f"JOIN decks d ON d.id = c.deck_id WHERE w.reviews > 0 AND ({where}) "
            f"ORDER BY {order} LIMIT ?"
        )
        cursor = self.conn.cursor()
        cursor.row_factory = sqlite3.Row
        rows = cursor.execute(sql, [*source_params, *params, limit])
        return [row_to_summary(r) for r in rows]


TITLE = "json_extract(c.content, '$.title')"
