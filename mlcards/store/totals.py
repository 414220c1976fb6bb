"""Running totals of the review log, the cache ``stats`` reads instead of the log.

Four tables, each a pure function of the log (and, for tags, of the cards' current tags):
``card_totals`` (graded answers per card), ``day_totals`` (answers per study day and deck),
``day_tag_totals`` (the same per study day, tag and deck) and ``tag_totals`` (graded answers
per tag and deck, all time: migration 23). Like the schedule columns of
``cards`` they are written in the transaction that changes the log (an answer adds its row,
an undo takes it back, a bulk load adds its rows), rebuilt whole where the log or the tags
change under them (a replay, an import that edits cards, ``check --repair``), and compared
with a fresh aggregation of the log by ``mlcards check``. A total that reaches zero is
deleted, so the stored tables always equal that aggregation, row for row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import lru_cache

from mlcards import rules
from mlcards.store.db import Database
from mlcards.store.scope import Params

# The tables' and their indexes' DDL is migration 15's and 23's (``migrations.py``, frozen
# there): ``day_tag_by_tag`` serves accuracy by tag over a small window; ``cards_stats``, the
# stats' card-state counts (a tenth of the cards' bytes).

_FIRST = "r.same_day_repeat = 0"
_LAPSE = (
    f"{_FIRST} AND r.quality < {rules.LAPSE_BELOW} "
    f"AND r.prev_repetitions >= {rules.LEARNED_REPETITIONS}"
)
CARD_COLUMNS: tuple[str, ...] = (
    "reviews",
    "correct",
    "lapses",
    "first_answers",
    "first_correct",
    "dont_know",
)
CARD_SUMS: tuple[str, ...] = (
    "count(*)",
    "sum(r.correct)",
    f"sum({_LAPSE})",
    f"sum({_FIRST})",
    f"sum({_FIRST} AND r.correct)",
    f"sum({_FIRST} AND r.quality = 0)",
)
"""Over graded (``mode = 'review'``) rows: what ``stats`` counts per card (lapses by
``rules.is_lapse``, from the repetitions each row records as before it)."""

_GRADED = "r.mode = 'review'"
_RETAINED = f"{_GRADED} AND {_FIRST}"
_MATURE = f"r.prev_interval >= {rules.MATURE_INTERVAL}"
DAY_COLUMNS: tuple[str, ...] = (
    "answers",
    "correct",
    "time_ms",
    "graded",
    "graded_correct",
    "young",
    "young_correct",
    "mature",
    "mature_correct",
)
DAY_SUMS: tuple[str, ...] = (
    "count(*)",
    "sum(r.correct)",
    "sum(r.response_ms)",
    f"sum({_GRADED})",
    f"sum({_GRADED} AND r.correct)",
    f"sum({_RETAINED} AND NOT {_MATURE})",
    f"sum({_RETAINED} AND NOT {_MATURE} AND r.correct)",
    f"sum({_RETAINED} AND {_MATURE})",
    f"sum({_RETAINED} AND {_MATURE} AND r.correct)",
)
"""Over every row (practice too, as the activity calendar counts): activity, the graded
answers (accuracy by deck and tag) and first-of-day graded answers, young and mature
(retention)."""
TAG_COLUMNS: tuple[str, ...] = ("graded", "graded_correct")
TAG_SUMS: tuple[str, ...] = ("count(*)", "sum(r.correct)")
"""Over graded rows, per tag and deck: accuracy by tag (``day_tag_totals``' graded columns,
summed over every day)."""


def _select(
    table: str, where: str, sign: int = 1, cards: str | None = None
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The aggregation of the log rows matching ``where`` for ``table``, each sum times
    ``sign``: (SQL, key columns, value columns). ``cards``: for a rebuild, the cards (a
    condition on ``c``) whose tags are read once each, before the log is walked, instead
    of once per answer."""
    if table == "card_totals":
        keys: tuple[str, ...] = ("deck_id", "card_id")
        values, sums, group = CARD_COLUMNS, CARD_SUMS, "r.deck_id, r.card_id"
        source = f"reviews r NOT INDEXED WHERE {_GRADED} AND {where}"
    elif table == "day_totals":
        keys, values, sums = ("study_day", "deck_id"), DAY_COLUMNS, DAY_SUMS
        group = "r.study_day, r.deck_id"
        source = f"reviews r NOT INDEXED WHERE {where}"
    else:
        if table == "day_tag_totals":
            keys, values, sums = ("study_day", "tag", "deck_id"), DAY_COLUMNS, DAY_SUMS
            group, graded = "r.study_day, t.value, r.deck_id", ""
        else:  # tag_totals
            keys, values, sums = ("tag", "deck_id"), TAG_COLUMNS, TAG_SUMS
            group, graded = "t.value, r.deck_id", f"{_GRADED} AND "
        if cards is None:
            source = (
                "reviews r NOT INDEXED CROSS JOIN cards c "
                "ON c.deck_id = r.deck_id AND c.id = r.card_id, "
                f"json_each(c.content, '$.tags') t WHERE {graded}{where}"
            )
        else:
            source = (
                "reviews r NOT INDEXED CROSS JOIN card_tags t "
                f"ON t.deck_id = r.deck_id AND t.card_id = r.card_id WHERE {graded}{where}"
            )
    # NOT INDEXED: an answer's rows are found by id (a rowid range), never by walking an index
    # in GROUP BY order; a rebuild reads the table once
    factor = "" if sign == 1 else f"{sign} * "
    columns = ", ".join([group] + [f"{factor}{s}" for s in sums])
    head = ""
    if cards is not None and table in TAG_TABLES:
        head = (
            "WITH card_tags AS MATERIALIZED (SELECT c.deck_id, c.id AS card_id, t.value "
            "FROM cards c, json_each(c.content, '$.tags') t "
            f"WHERE {cards} AND EXISTS (SELECT 1 FROM reviews x "
            "WHERE x.deck_id = c.deck_id AND x.card_id = c.id)) "
        )
    return f"{head}SELECT {columns} FROM {source} GROUP BY {group}", keys, values


TABLES = ("card_totals", "day_totals", "day_tag_totals", "tag_totals")
TAG_TABLES = ("day_tag_totals", "tag_totals")


def _apply(
    conn: sqlite3.Connection,
    where: str,
    params: Params,
    sign: int,
    cards: tuple[str, Params] | None = None,
    tables: Sequence[str] = TABLES,
) -> None:
    """Add (``sign`` 1) or take back (-1) the log rows matching ``where``; ``cards``: see
    ``_select`` (with its parameters)."""
    for table in tables:
        args = list(params)
        if cards is not None and table in TAG_TABLES:
            args = [*cards[1], *args]
        conn.execute(_upsert(table, where, sign, None if cards is None else cards[0]), args)


@lru_cache(maxsize=32)
def _upsert(table: str, where: str, sign: int, cards: str | None) -> str:
    """The statement that adds ``_select``'s sums to ``table`` (made once per shape: an
    answer runs the same three)."""
    select, keys, values = _select(table, where, sign, cards)
    return (
        f"INSERT INTO {table} ({', '.join(keys + values)}) {select} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{v} = {v} + excluded.{v}" for v in values)
    )


def add_from(conn: sqlite3.Connection, first_id: int) -> None:
    """Add the log rows from id ``first_id`` on (an answer, a bulk load), in the caller's
    transaction."""
    _apply(conn, "r.id >= ?", [first_id], 1)


def take_back(conn: sqlite3.Connection, review_id: int) -> None:
    """Take back one row before an undo deletes it, in the undo's transaction."""
    row = conn.execute(
        "SELECT deck_id, card_id, study_day FROM reviews WHERE id = ?", (review_id,)
    ).fetchone()
    if row is None:
        return
    deck_id, card_id, day = row
    _apply(conn, "r.id = ?", [review_id], -1)
    conn.execute(
        "DELETE FROM card_totals WHERE deck_id = ? AND card_id = ? AND reviews = 0",
        (deck_id, card_id),
    )
    conn.execute(
        "DELETE FROM day_totals WHERE study_day = ? AND deck_id = ? AND answers = 0", (day, deck_id)
    )
    conn.execute(
        "DELETE FROM day_tag_totals WHERE study_day = ? AND deck_id = ? AND answers = 0",
        (day, deck_id),
    )
    conn.execute("DELETE FROM tag_totals WHERE deck_id = ? AND graded = 0", (deck_id,))


def rebuild(
    conn: sqlite3.Connection, deck_ids: Sequence[str] | None = None, tables: Sequence[str] = TABLES
) -> None:
    """Recompute the totals (of these decks, or all) from the log, in the caller's
    transaction. Every deck named (``check --repair``) is all of them: a stored row no
    deck accounts for (a hand-edited one) goes too, so the tables equal the log again.
    (``tables``: those a migration made so far.)"""
    if deck_ids is not None and set(deck_ids) >= {
        r[0] for r in conn.execute("SELECT id FROM decks")
    }:
        deck_ids = None
    if deck_ids is None:
        where, params = "1", []
    else:
        where = f"deck_id IN ({', '.join('?' for _ in deck_ids)})"
        params = list(deck_ids)
    for table in tables:
        conn.execute(f"DELETE FROM {table} WHERE {where}", params)
    cards: tuple[str, Params] = (where.replace("deck_id", "c.deck_id"), list(params))
    from_log = [t for t in tables if t != "tag_totals"]
    _apply(conn, where.replace("deck_id", "r.deck_id"), list(params), 1, cards, from_log)
    if "tag_totals" in tables:
        sum_tag_days(conn, where, params)


def sum_tag_days(conn: sqlite3.Connection, where: str = "1", params: Sequence[object] = ()) -> None:
    """``tag_totals`` (of the decks ``where`` names) summed from ``day_tag_totals`` just
    made from the log: the same sums as from the log (``differences`` compares them with
    it), without walking the log a second time."""
    conn.execute(
        "INSERT INTO tag_totals (tag, deck_id, graded, graded_correct) "
        "SELECT tag, deck_id, sum(graded), sum(graded_correct) FROM day_tag_totals "
        f"WHERE {where} GROUP BY tag, deck_id HAVING sum(graded) > 0",
        list(params),
    )


def rebuild_tags(conn: sqlite3.Connection, deck_id: str) -> None:
    """Recompute one deck's per-tag totals (its cards' tags changed), in the caller's
    transaction."""
    for table in TAG_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE deck_id = ?", (deck_id,))
    select, keys, values = _select("day_tag_totals", "r.deck_id = ?", cards="c.deck_id = ?")
    conn.execute(
        f"INSERT INTO day_tag_totals ({', '.join(keys + values)}) {select}", (deck_id, deck_id)
    )
    sum_tag_days(conn, "deck_id = ?", [deck_id])


def differences(conn: sqlite3.Connection, shown: int = 5) -> list[str]:
    """Where the stored totals differ from a fresh aggregation of the log (each table: how
    many rows, and the first few keys)."""
    found = []
    for table in TABLES:
        select, keys, values = _select(table, "1", cards="1")
        columns = ", ".join(keys + values)
        key_list = ", ".join(keys)
        rows = conn.execute(
            f"WITH fresh ({columns}) AS ({select}), "
            f"stored AS (SELECT {columns} FROM {table}), "
            "diff AS (SELECT * FROM fresh EXCEPT SELECT * FROM stored "
            "UNION ALL SELECT * FROM (SELECT * FROM stored EXCEPT SELECT * FROM fresh)) "
            f"SELECT {key_list} FROM diff GROUP BY {key_list} ORDER BY {key_list}"
        ).fetchall()
        if rows:
            names = ", ".join("/".join(str(part) for part in row) for row in rows[:shown])
            more = ", ..." if len(rows) > shown else ""
            found.append(f"{table}: {len(rows)} rows differ from the log ({names}{more})")
    return found


class RunningTotals:
    """The totals as ``check`` sees them, compared with the log (``check --repair`` rebuilds
    them with the decks' schedules, in one transaction: ``rebuild`` with every deck)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def differences(self) -> list[str]:
        return differences(self.database.conn)
