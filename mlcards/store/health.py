"""What ``mlcards check`` asks of a database beyond SQLite's own checks: the whole schema it
relies on, and values every reader can trust.

The schema is compared with a reference built in memory by the same migrations, so a dropped
trigger (the append-only log's guard), table or index is found whatever migration added it.
The values are the ones the readers turn into dates, numbers and JSON, and the ones stats and
exports add up: a hand-edited row outside them is named by its id, so that commands can stop
with "the database is damaged" instead of failing somewhere inside.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from mlcards.errors import StoreError
from mlcards.sanitize import quote_path

MAX_RESPONSE_MS = 10**12
"""About 30 years: a million such times still add up within SQLite's 64-bit integers."""
MAX_DAYS = 10**6
MAX_EASINESS = 1000.0
SHOWN = 20

_VALID_DAY = "{c} IS NOT NULL AND date({c}) IS {c}"
_JSON_OF = "CASE WHEN json_valid({c}) THEN json_type({c}) = '{t}' ELSE 0 END"
_REVIEW_RULES: tuple[tuple[str, str], ...] = (
    (_VALID_DAY.format(c="study_day"), "study_day is not a date"),
    ("julianday(reviewed_at) IS NOT NULL", "reviewed_at is not a time"),
    (_VALID_DAY.format(c="due"), "due is not a date"),
    ("typeof(quality) = 'integer' AND quality BETWEEN 0 AND 5", "quality is not 0-5"),
    ("correct IN (0, 1) AND same_day_repeat IN (0, 1) AND was_new IN (0, 1)", "a flag is not 0/1"),
    (
        f"typeof(response_ms) = 'integer' AND response_ms BETWEEN 0 AND {MAX_RESPONSE_MS}",
        "response_ms is out of range",
    ),
    (
        f"typeof(repetitions) = 'integer' AND repetitions BETWEEN 0 AND {MAX_DAYS} "
        f"AND typeof(interval) = 'integer' AND interval BETWEEN 0 AND {MAX_DAYS} "
        f"AND typeof(prev_repetitions) = 'integer' AND prev_repetitions BETWEEN 0 AND {MAX_DAYS} "
        f"AND typeof(prev_interval) = 'integer' AND prev_interval BETWEEN 0 AND {MAX_DAYS}",
        "a count or interval is out of range",
    ),
    (
        f"typeof(easiness) IN ('real', 'integer') AND easiness BETWEEN 0 AND {MAX_EASINESS}",
        "easiness is out of range",
    ),
    (
        "(stability IS NULL OR (typeof(stability) IN ('real', 'integer') AND stability >= 0)) "
        "AND (difficulty IS NULL OR typeof(difficulty) IN ('real', 'integer'))",
        "the FSRS state is not a number",
    ),
    ("mode IN ('review', 'practice')", "mode is not review or practice"),
    (_JSON_OF.format(c="chosen", t="array"), "chosen is not a JSON list"),
)
_CARD_RULES: tuple[tuple[str, str], ...] = (
    (_JSON_OF.format(c="content", t="object"), "content is not a JSON object"),
    (f"due IS NULL OR ({_VALID_DAY.format(c='due')})", "due is not a date"),
    (
        f"last_review_day IS NULL OR ({_VALID_DAY.format(c='last_review_day')})",
        "last_review_day is not a date",
    ),
    ("retired IN (0, 1)", "retired is not 0/1"),
)


def _normalised(sql: str | None) -> str:
    return re.sub(r"\s+", " ", sql or "").strip()


def _reference_schema() -> dict[tuple[str, str], str]:
    from mlcards.store.db import Database

    database = Database(sqlite3.connect(":memory:", isolation_level=None), Path(":memory:"))
    try:
        database.migrate()
        return _schema(database.conn)
    finally:
        database.close()


def _schema(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    return {
        (str(kind), str(name)): _normalised(sql)
        for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master")
        if not str(name).startswith("sqlite_")
    }


def schema_problems(conn: sqlite3.Connection) -> list[str]:
    """Tables, indexes, triggers and views missing, changed or added by hand, against the
    schema this mlcards's migrations build."""
    want, have = _reference_schema(), _schema(conn)
    problems = [f"the {kind} {name} is missing" for kind, name in want if (kind, name) not in have]
    problems += [
        f"the {kind} {name} differs from the one mlcards made"
        for (kind, name), sql in want.items()
        if (kind, name) in have and have[kind, name] != sql
    ]
    problems += [
        f"an unknown {kind} {name} was added" for kind, name in have if (kind, name) not in want
    ]
    return problems


def _bad_rows(
    conn: sqlite3.Connection, table: str, key: str, rules: tuple[tuple[str, str], ...]
) -> list[str]:
    problems = []
    for condition, why in rules:
        rows = conn.execute(
            f"SELECT {key} FROM {table} WHERE NOT coalesce(({condition}), 0) LIMIT {SHOWN + 1}"
        ).fetchall()
        names = [" ".join(str(part) for part in row) for row in rows[:SHOWN]]
        if names:
            more = ", ..." if len(rows) > SHOWN else ""
            problems.append(f"{table} {', '.join(names)}{more}: {why}")
    return problems


def value_problems(conn: sqlite3.Connection) -> list[str]:
    """Rows holding values no reader can trust, each rule naming up to 20 rows by id."""
    return _bad_rows(conn, "reviews", "id", _REVIEW_RULES) + _bad_rows(
        conn, "cards", "deck_id || '/' || id", _CARD_RULES
    )


REPLAY_COLUMNS = "id, deck_id, card_id, study_day, quality, same_day_repeat, ord"


def replay_row(row: tuple[Any, ...], path: Path) -> dict[str, Any]:
    """A row of ``REPLAY_COLUMNS`` as ``replay`` reads it; a value replay cannot read stops
    the command that replays (exit 74, pointing to check) rather than failing inside it."""
    quality, day = row[4], row[3]
    try:
        date.fromisoformat(str(day))
    except ValueError:
        raise damaged(path, f"review {row[0]}: study_day is not a date") from None
    if not (isinstance(quality, int) and 0 <= quality <= 5):
        raise damaged(path, f"review {row[0]}: quality is not 0-5")
    return {
        "id": row[0],
        "deck_id": row[1],
        "card_id": row[2],
        "study_day": day,
        "quality": quality,
        "same_day_repeat": row[5],
        "ord": row[6],
    }


def damaged(path: Path, what: str) -> StoreError:
    """The error a command stops with on a row it cannot read (exit 74)."""
    return StoreError(
        f"{quote_path(path)}: the database is damaged ({what}); `mlcards check` says more"
    )
