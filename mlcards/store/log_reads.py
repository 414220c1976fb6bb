"""Reading the review log back: today's counts, the replay stream, rows and the export.

Queries only: nothing here writes, so the log's one writer stays ``log.ReviewLog`` (which
inherits these reads, so ``store.log`` answers both).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from mlcards.store.db import Database
from mlcards.store.health import REPLAY_COLUMNS, replay_row
from mlcards.store.scope import Scope


class LogReads:
    """The review log's read queries, over the store's connection."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def has_reviews(self) -> bool:
        return self.database.conn.execute("SELECT 1 FROM reviews LIMIT 1").fetchone() is not None

    def counts_today(self, today: date, deck_id: str | None = None) -> tuple[int, int]:
        """(new cards introduced, due reviews done) on this study day."""
        where, params = Scope(deck_id, since=today, until=today).reviews("r")
        new, reviewed = self.database.conn.execute(
            "SELECT coalesce(sum(was_new), 0), coalesce(sum(1 - was_new), 0) FROM reviews r "
            f"WHERE {where} AND r.same_day_repeat = 0 AND r.mode = 'review'",
            params,
        ).fetchone()
        return int(new), int(reviewed)

    def counts_today_with(self, today: date, deck_id: str) -> tuple[int, int, int, int]:
        """``counts_today`` over every deck and over ``deck_id``, in one read of the day's
        rows: (new, reviewed) overall, then (new, reviewed) of the deck."""
        where, params = Scope(since=today, until=today).reviews("r")
        row = self.database.conn.execute(
            "SELECT coalesce(sum(was_new), 0), coalesce(sum(1 - was_new), 0), "
            "coalesce(sum(was_new * (r.deck_id = ?)), 0), "
            "coalesce(sum((1 - was_new) * (r.deck_id = ?)), 0) FROM reviews r "
            f"WHERE {where} AND r.same_day_repeat = 0 AND r.mode = 'review'",
            (deck_id, deck_id, *params),
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    def replay_rows(self) -> Iterator[dict[str, Any]]:
        """The graded log in order, as ``replay`` reads it, streamed."""
        cursor = self.database.conn.execute(
            f"SELECT {REPLAY_COLUMNS} FROM reviews WHERE mode = 'review' ORDER BY ord"
        )
        path = self.database.path
        for row in cursor:
            yield replay_row(row, path)

    def rows(self, deck_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Every column of every review, as dicts (for tests and tools)."""
        where, params = Scope(deck_id).reviews("reviews")
        yield from self.database.db.query(
            f"SELECT * FROM reviews WHERE {where} ORDER BY id", params
        )

    def count(self, scope: Scope) -> int:
        where, params = scope.reviews("r")
        return int(
            self.database.conn.execute(
                f"SELECT count(*) FROM reviews r WHERE {where}", params
            ).fetchone()[0]
        )

    def export_rows(self, scope: Scope, escape: tuple[str, ...] = ()) -> Iterator[tuple[Any, ...]]:
        """The review log in id order, one tuple per row (``REVIEW_COLUMNS``), streamed from
        the cursor so a million rows never sit in memory at once. ``escape``: text cells
        starting with one of these characters get a ``'`` in front (a spreadsheet would run
        them as formulas), done in SQL so the rows can go to the csv writer untouched."""
        for chunk in self.export_chunks(scope, escape):
            yield from chunk

    def export_chunks(
        self, scope: Scope, escape: tuple[str, ...] = ()
    ) -> Iterator[list[tuple[Any, ...]]]:
        """``export_rows`` a thousand rows at a time (what the CSV export iterates)."""
        from mlcards.statsdata import REVIEW_COLUMNS, REVIEW_FREE_TEXT  # (off review's start)

        where, params = scope.reviews("r")
        marks = ", ".join("?" for _ in escape)
        escaped = REVIEW_FREE_TEXT if escape else frozenset()
        columns = ", ".join(
            f"CASE WHEN substr(r.{c}, 1, 1) IN ({marks}) THEN '''' || r.{c} ELSE r.{c} END"
            if c in escaped
            else f"r.{c}"
            for c in REVIEW_COLUMNS
        )
        values = [*escape * len(escaped), *params]
        cursor = self.database.conn.execute(
            f"SELECT {columns} FROM reviews r WHERE {where} ORDER BY r.id", values
        )
        # Not `yield from` the cursor: closing the generator late (after the store) would close
        # the cursor of a closed connection and raise.
        while chunk := cursor.fetchmany(1000):
            yield chunk

    def graded_rows(self, scope: Scope) -> Iterator[tuple[Any, ...]]:
        """The graded answers (mode ``review``) in id order, as (deck_id, card_id,
        reviewed_at, quality, response_ms, was_new, repetitions, easiness, interval): what
        an export to another program's review log needs, streamed a thousand at a time."""
        where, params = scope.reviews("r")
        cursor = self.database.conn.execute(
            "SELECT r.deck_id, r.card_id, r.reviewed_at, r.quality, r.response_ms, r.was_new, "
            f"r.repetitions, r.easiness, r.interval FROM reviews r WHERE {where} "
            "AND r.mode = 'review' ORDER BY r.id",
            params,
        )
        while chunk := cursor.fetchmany(1000):
            yield from chunk
