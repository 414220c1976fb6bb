"""Decks: import (add, update, retire, restore cards, all in one transaction) and status."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mlcards import rules
from mlcards.errors import DeckError
from mlcards.models import NEW_SCHEDULE, Deck, DeckStatus, ImportSummary, utc_iso
from mlcards.store.backups import Backups
from mlcards.store.cards import write_schedules
from mlcards.store.db import Database
from mlcards.store.totals import rebuild_tags


def canonical(content: dict[str, Any]) -> str:
    """A card's content as stored: stable JSON, so equal content is equal text."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


_STATUS = """
    SELECT d.id, d.name,
           count(c.id) FILTER (WHERE c.retired = 0) AS cards,
           count(c.id) FILTER (WHERE c.retired = 0 AND c.last_review_id IS NULL) AS new,
           count(c.id) FILTER (WHERE c.retired = 0 AND c.due <= :today
                               AND c.suspended = 0
                               AND coalesce(c.buried_until, '') <= :today) AS due,
           count(c.id) FILTER (WHERE c.retired = 1) AS retired,
           min(max(c.due, coalesce(c.buried_until, c.due)))
               FILTER (WHERE c.retired = 0 AND c.suspended = 0) AS next_due,
           count(c.id) FILTER (WHERE c.retired = 0 AND c.suspended = 1) AS suspended,
           count(c.id) FILTER (WHERE c.retired = 0 AND c.last_review_id IS NULL
                               AND c.suspended = 0
                               AND coalesce(c.buried_until, '') <= :today) AS showable_new
    FROM decks d LEFT JOIN cards c ON c.deck_id = d.id
    GROUP BY d.id ORDER BY d.position
"""


def row_to_status(row: sqlite3.Row, learning: int = 0) -> DeckStatus:
    """A deck's counts; ``new_today`` and ``reviews_today`` start as what is showable and
    are cut to today's limits by the caller (the limits are settings, not stored)."""
    return DeckStatus(
        id=row["id"],
        name=row["name"],
        cards=row["cards"],
        new=row["new"],
        due=row["due"],
        retired=row["retired"],
        next_due=row["next_due"],
        suspended=row["suspended"],
        learning=learning,
        new_today=row["showable_new"],
        reviews_today=row["due"],
    )


class _DryRun(Exception):
    """Raised inside the import transaction to roll it back after computing the summary."""


class Decks:
    def __init__(self, database: Database, backups: Backups) -> None:
        self.database = database
        self.backups = backups

    def count(self) -> int:
        return int(self.database.conn.execute("SELECT count(*) FROM decks").fetchone()[0])

    def paths(self) -> dict[str, str]:
        """Each deck's source file, as imported (resolved; "" when it had none)."""
        return dict(self.database.conn.execute("SELECT id, path FROM decks"))

    def ids(self) -> list[str]:
        return [r[0] for r in self.database.conn.execute("SELECT id FROM decks ORDER BY position")]

    def status(self, today: date) -> list[DeckStatus]:
        cursor = self.database.conn.cursor()
        cursor.row_factory = sqlite3.Row
        learning = dict(
            self.database.conn.execute(
                "SELECT c.deck_id, count(*) FROM cards c WHERE c.last_review_day = ? "
                "AND c.retired = 0 AND c.suspended = 0 AND (SELECT quality FROM reviews r "
                "WHERE r.deck_id = c.deck_id AND r.card_id = c.id AND r.mode = 'review' "
                "ORDER BY r.id DESC LIMIT 1) < ? GROUP BY c.deck_id",
                (today.isoformat(), rules.REPEAT_BELOW),
            )
        )
        rows = cursor.execute(_STATUS, {"today": today.isoformat()})
        return [row_to_status(r, learning.get(r["id"], 0)) for r in rows]

    def import_decks(
        self,
        decks: Sequence[Deck],
        now: datetime,
        dry_run: bool = False,
        replace: bool = False,
    ) -> list[ImportSummary]:
        """Add, update, retire and restore cards of every deck, all in one transaction.

        A deck id belongs to one file: a deck whose id an earlier import took from another
        file is refused (DeckError, nothing written) unless ``replace``, which makes this
        file the deck's source (cards missing from it are retired, history kept)."""
        stamp = utc_iso(now)
        summaries: list[ImportSummary] = []
        if not dry_run:
            self.backups.before_import()
        try:
            with self.database.write() as conn:
                if not replace:
                    _refuse_other_sources(conn, decks)
                for deck in decks:
                    summaries.append(_import_deck(conn, deck, stamp))
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return summaries


def _source(deck: Deck) -> str:
    return str(Path(deck.path).resolve()) if deck.path else ""


def _refuse_other_sources(conn: sqlite3.Connection, decks: Sequence[Deck]) -> None:
    problems = []
    for deck in decks:
        row = conn.execute("SELECT path FROM decks WHERE id = ?", (deck.id,)).fetchone()
        if row is None or not row[0] or not deck.path or row[0] == _source(deck):
            continue
        problems.append(
            f"{deck.path}:1: deck id {deck.id!r} belongs to {row[0]} (imported earlier); "
            "importing this file would retire that deck's cards. Give this deck another id, "
            "or use `mlcards import --replace` to make this file the deck's source"
        )
    if problems:
        raise DeckError(problems)


def _import_deck(conn: sqlite3.Connection, deck: Deck, stamp: str) -> ImportSummary:
    summary = ImportSummary(deck.id, deck.path)
    path = _source(deck)
    if conn.execute("SELECT 1 FROM decks WHERE id = ?", (deck.id,)).fetchone() is None:
        summary.new_deck = True
        conn.execute(
            "INSERT INTO decks (id, name, description, path, position, imported_at) "
            "VALUES (?, ?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM decks), ?)",
            (deck.id, deck.name, deck.description, path, stamp),
        )
    else:
        conn.execute(
            "UPDATE decks SET name = ?, description = ?, path = ?, imported_at = ? WHERE id = ?",
            (deck.name, deck.description, path, stamp, deck.id),
        )
    stored = {
        r[0]: (r[1], r[2], r[3], r[4])
        for r in conn.execute(
            "SELECT id, content, retired, position, line FROM cards WHERE deck_id = ?",
            (deck.id,),
        )
    }
    for position, card in enumerate(deck.cards, start=1):
        content = canonical(card.content())
        if card.id not in stored:
            conn.execute(
                "INSERT INTO cards (deck_id, id, position, content, added_at, updated_at, "
                "line) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (deck.id, card.id, position, content, stamp, stamp, card.line),
            )
            summary.added.append(card.id)
            continue
        old_content, retired, old_position, old_line = stored.pop(card.id)
        if old_line != card.line:
            conn.execute(
                "UPDATE cards SET line = ? WHERE deck_id = ? AND id = ?",
                (card.line, deck.id, card.id),
            )
        if retired:
            summary.restored.append(card.id)
        if old_content == content and not retired and old_position == position:
            summary.unchanged.append(card.id)
            continue
        conn.execute(
            "UPDATE cards SET content = ?, position = ?, retired = 0, updated_at = ? "
            "WHERE deck_id = ? AND id = ?",
            (content, position, stamp, deck.id, card.id),
        )
        if old_content != content:
            summary.updated.append(card.id)
            old_answer = sorted(json.loads(old_content)["answer"])
            if old_answer != sorted(card.answer) and _reset_schedule(conn, deck.id, card.id):
                summary.reset.append(card.id)
        elif not retired:
            summary.unchanged.append(card.id)  # only its place in the file moved
    if summary.updated:  # their tags may have changed: the per-tag totals follow
        rebuild_tags(conn, deck.id)
    for card_id, (_, retired, _, _) in stored.items():
        if not retired:
            conn.execute(
                "UPDATE cards SET retired = 1, updated_at = ? WHERE deck_id = ? AND id = ?",
                (stamp, deck.id, card_id),
            )
            summary.retired.append(card_id)
    return summary


def _reset_schedule(conn: sqlite3.Connection, deck_id: str, card_id: str) -> bool:
    """Start the card over as new; its old reviews stay in the log but stop counting."""
    last = conn.execute(
        "SELECT last_review_id FROM cards WHERE deck_id = ? AND id = ?", (deck_id, card_id)
    ).fetchone()[0]
    if last is None:
        return False
    write_schedules(conn, [((deck_id, card_id), NEW_SCHEDULE)])
    conn.execute(
        "UPDATE cards SET schedule_from = ?, leech = 0 WHERE deck_id = ? AND id = ?",
        (last, deck_id, card_id),
    )
    return True
