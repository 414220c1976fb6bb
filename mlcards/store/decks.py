"""Decks: import (add, update, retire, restore cards, all in one transaction) and status."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mlcards import rules
from mlcards.errors import DeckError
from mlcards.models import Deck, utc_iso
from mlcards.store.backups import Backups
from mlcards.store.cards import REPEATS_TODAY
from mlcards.store.db import Database
from mlcards.store.marks import write_marks
from mlcards.store.schedules import act_in
from mlcards.store.scope import Scope
from mlcards.store.totals import rebuild_tags

TYPE_CHECKING = False
if TYPE_CHECKING:  # (records load where they are made: see records.py)
    from mlcards.records import DeckStatus, ImportSummary


def canonical(content: dict[str, Any]) -> str:
    """A card's content as stored: stable JSON, so equal content is equal text."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


_COUNT = "SELECT count(*) FROM cards c INDEXED BY {index} WHERE c.deck_id = d.id AND {where}"
_SHOWN = "c.retired = 0 AND c.suspended = 0 AND coalesce(c.buried_until, '') <= :today"
_STATUS = f"""
    SELECT d.id, d.name,
        ({_COUNT.format(index="cards_deck_state", where="c.retired = 0")}) AS cards,
        ({_COUNT.format(index="cards_new", where="c.retired = 0 AND c.last_review_id IS NULL")})
            AS new,
        ({_COUNT.format(index="cards_deck_state", where=f"c.due <= :today AND {_SHOWN}")}) AS due,
        ({_COUNT.format(index="cards_deck_state", where="c.retired = 1")}) AS retired,
        ({_COUNT.format(index="cards_hidden", where="c.retired = 0 AND c.suspended = 1")})
            AS suspended
    FROM decks d ORDER BY d.position
"""
"""Each count one walk of an index range (a full scan of the deck evaluating every count's
condition on every card cost ten times more): suspended and buried cards, which are few,
have their own partial indexes (migration 18); the next due day is ``_next_due``."""

# Migration 18 indexes each deck's suspended cards (``cards_hidden``; its buried ones'
# index was dropped again by migration 19: no query used it).


def _next_due(conn: sqlite3.Connection, deck_id: str) -> str | None:
    """The first day a card of the deck comes up: its due day, or the day its burial ends
    when that is later. The first unburied card in due order, then the buried ones due
    before it (a short range of ``cards_deck_state`` either way)."""
    coming = (
        "FROM cards c INDEXED BY cards_deck_state WHERE c.deck_id = ? AND c.retired = 0 "
        "AND c.due IS NOT NULL AND c.suspended = 0"
    )
    row = conn.execute(
        f"SELECT c.due {coming} AND (c.buried_until IS NULL OR c.buried_until <= c.due) "
        "ORDER BY c.due LIMIT 1",
        (deck_id,),
    ).fetchone()
    first: str | None = row[0] if row else None
    before = "" if first is None else "AND c.due < ?"
    (buried,) = conn.execute(
        f"SELECT min(c.buried_until) {coming} AND c.buried_until > c.due {before}",
        (deck_id,) if first is None else (deck_id, first),
    ).fetchone()
    found = [day for day in (first, buried) if day is not None]
    return min(found) if found else None


def row_to_status(row: sqlite3.Row, learning: int = 0, next_due: str | None = None) -> DeckStatus:
    """A deck's counts; ``new_today`` and ``reviews_today`` are left at 0 for the caller to
    fill: they depend on today's limits, which are settings (``services.study.deck_status``
    counts them as review takes them)."""
    from mlcards.records import DeckStatus

    return DeckStatus(
        id=row["id"],
        name=row["name"],
        cards=row["cards"],
        new=row["new"],
        due=row["due"],
        retired=row["retired"],
        next_due=next_due,
        suspended=row["suspended"],
        learning=learning,
    )


@dataclass(frozen=True)
class DeckFile:
    """A deck's file and its stamp at the last import (None before migration 11)."""

    deck_id: str
    name: str
    path: str
    size: int | None
    mtime_ns: int | None
    sha256: str | None


def file_stamp(path: str) -> tuple[int, int, str] | None:
    """A file's size, mtime (ns) and SHA-256, or None when it cannot be read. The stat is
    taken before the read: a write in between makes the next check look again."""
    import hashlib

    try:
        info = os.stat(path)
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns, digest


class _DryRun(Exception):
    """Raised inside the import transaction to roll it back after computing the summary."""


class Decks:
    def __init__(self, database: Database, backups: Backups) -> None:
        self.database = database
        self.backups = backups

    def count(self) -> int:
        return int(self.database.conn.execute("SELECT count(*) FROM decks").fetchone()[0])

    def paths(self) -> dict[str, str]:
        """Each deck's source file where it is now (see ``Database.deck_file``; "" when it
        had none)."""
        return dict(self.database.conn.execute("SELECT id, deck_file(path) FROM decks"))

    def files(self) -> list[DeckFile]:
        """Each deck that came from a file: where the file is now, and what it was when the
        deck was imported from it."""
        rows = self.database.conn.execute(
            "SELECT id, name, deck_file(path), file_size, file_mtime_ns, file_sha256 "
            "FROM decks WHERE path != '' ORDER BY position"
        )
        return [DeckFile(*row) for row in rows]

    def restamp(self, deck_id: str, stamp: tuple[int, int, str]) -> None:
        """A file touched but not changed (or first checked after migration 11, and found
        as imported): remember its size, mtime and hash, so the next check is a ``stat``."""
        with self.database.write() as conn:
            conn.execute(
                "UPDATE decks SET file_size = ?, file_mtime_ns = ?, file_sha256 = ? WHERE id = ?",
                (*stamp, deck_id),
            )

    def names(self) -> dict[str, str]:
        """Each deck's name by its id, in deck order."""
        return dict(self.database.conn.execute("SELECT id, name FROM decks ORDER BY position"))

    def ids(self) -> list[str]:
        return deck_ids(self.database.conn)

    def status(self, today: date) -> list[DeckStatus]:
        cursor = self.database.conn.cursor()
        cursor.row_factory = sqlite3.Row
        learning = dict(  # the cards ``Cards.repeats`` brings back today
            self.database.conn.execute(
                f"SELECT c.deck_id, count(*) FROM cards c WHERE {REPEATS_TODAY} "
                "AND c.retired = 0 AND c.suspended = 0 "
                "AND (c.buried_until IS NULL OR c.buried_until <= ?) GROUP BY c.deck_id",
                (today.isoformat(), rules.REPEAT_BELOW, today.isoformat()),
            )
        )
        rows = cursor.execute(_STATUS, {"today": today.isoformat()}).fetchall()
        conn = self.database.conn
        return [row_to_status(r, learning.get(r["id"], 0), _next_due(conn, r["id"])) for r in rows]

    def due_days(self, today: date, deck_id: str, limit: int, tag: str | None = None) -> list[str]:
        """The due days of the cards ``cards.due(today, limit, deck_id, tag)`` returns, most
        overdue first, from the covering ``cards_deck_state`` index (no card content read
        unless a tag filters): what today's cut is counted from."""
        tagged, params = Scope(None, tag).cards("c")
        return [
            r[0]
            for r in self.database.conn.execute(
                "SELECT c.due FROM cards c INDEXED BY cards_deck_state WHERE c.deck_id = ? "
                "AND c.retired = 0 AND c.suspended = 0 AND c.due IS NOT NULL AND c.due <= ? "
                f"AND (c.buried_until IS NULL OR c.buried_until <= ?) AND {tagged} "
                "ORDER BY c.due LIMIT ?",
                (deck_id, today.isoformat(), today.isoformat(), *params, limit),
            )
        ]

    def new_count(self, today: date, deck_id: str, limit: int, tag: str | None = None) -> int:
        """How many cards ``cards.new(limit, deck_id, tag, today)`` returns."""
        tagged, params = Scope(None, tag).cards("c")
        return int(
            self.database.conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM cards c WHERE c.deck_id = ? "
                "AND c.retired = 0 AND c.suspended = 0 AND c.last_review_id IS NULL "
                f"AND (c.buried_until IS NULL OR c.buried_until <= ?) AND {tagged} LIMIT ?)",
                (deck_id, today.isoformat(), *params, limit),
            ).fetchone()[0]
        )

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
        summaries: list[ImportSummary] = []
        if not dry_run:
            self.backups.before_import()
        try:
            with self.database.write() as conn:
                if not replace:
                    self._refuse_other_sources(conn, decks)
                for deck in decks:
                    path = self.database.stored(deck.path)
                    summaries.append(_import_deck(conn, deck, now, path))
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return summaries

    def _refuse_other_sources(self, conn: sqlite3.Connection, decks: Sequence[Deck]) -> None:
        problems = []
        for deck in decks:
            row = conn.execute("SELECT deck_file(path) FROM decks WHERE id = ?", (deck.id,))
            found = row.fetchone()
            if found is None or not found[0] or not deck.path:
                continue
            if Path(found[0]).resolve() == Path(deck.path).resolve():
                continue
            problems.append(
                f"{deck.path}:1: deck id {deck.id!r} belongs to {found[0]} (imported earlier); "
                "importing this file would retire that deck's cards. Give this deck another "
                "id, or use `mlcards import --replace` to make this file the deck's source"
            )
        if problems:
            raise DeckError(problems)


def _import_deck(conn: sqlite3.Connection, deck: Deck, now: datetime, path: str) -> ImportSummary:
    stamp = utc_iso(now)
    from mlcards.records import ImportSummary

    summary = ImportSummary(deck.id, deck.path)
    size, mtime_ns, sha256 = (deck.path and file_stamp(deck.path)) or (None, None, None)
    if conn.execute("SELECT 1 FROM decks WHERE id = ?", (deck.id,)).fetchone() is None:
        summary.new_deck = True
        conn.execute(
            "INSERT INTO decks (id, name, description, path, position, imported_at, "
            "file_size, file_mtime_ns, file_sha256) "
            "VALUES (?, ?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM decks), ?, ?, ?, ?)",
            (deck.id, deck.name, deck.description, path, stamp, size, mtime_ns, sha256),
        )
    else:
        conn.execute(
            "UPDATE decks SET name = ?, description = ?, path = ?, imported_at = ?, "
            "file_size = ?, file_mtime_ns = ?, file_sha256 = ? WHERE id = ?",
            (deck.name, deck.description, path, stamp, size, mtime_ns, sha256, deck.id),
        )
    stored = {
        r[0]: (r[1], r[2], r[3], r[4])
        for r in conn.execute(
            "SELECT id, content, retired, position, line FROM cards WHERE deck_id = ?",
            (deck.id,),
        )
    }
    added: list[tuple[str, str, int, str, str, str, int]] = []  # inserted in one statement
    for position, card in enumerate(deck.cards, start=1):
        content = canonical(card.content())
        if card.id not in stored:
            added.append((deck.id, card.id, position, content, stamp, stamp, card.line))
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
            if old_answer != sorted(card.answer):
                _insert_cards(conn, added)  # the reset sees the cards added before it
                if _reset_schedule(conn, now, deck.id, card.id):
                    summary.reset.append(card.id)
        elif not retired:
            summary.unchanged.append(card.id)  # only its place in the file moved
    _insert_cards(conn, added)
    if summary.updated:  # their tags may have changed: the per-tag totals follow
        rebuild_tags(conn, deck.id)
    for card_id, (_, retired, _, _) in stored.items():
        if not retired:
            conn.execute(
                "UPDATE cards SET retired = 1, updated_at = ? WHERE deck_id = ? AND id = ?",
                (stamp, deck.id, card_id),
            )
            summary.retired.append(card_id)
    if (
        summary.added
        and conn.execute(
            "SELECT 1 FROM card_events WHERE deck_id = ? LIMIT 1", (deck.id,)
        ).fetchone()
    ):  # synced actions on cards this database did not have yet
        write_marks(conn, [deck.id])
    return summary


def _insert_cards(
    conn: sqlite3.Connection, rows: list[tuple[str, str, int, str, str, str, int]]
) -> None:
    """Insert the new cards collected so far, in their order, and forget them."""
    if rows:
        conn.executemany(
            "INSERT INTO cards (deck_id, id, position, content, added_at, updated_at, line) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        rows.clear()


def _reset_schedule(conn: sqlite3.Connection, now: datetime, deck_id: str, card_id: str) -> bool:
    """Start the card over as new; its old reviews stay in the log but stop counting."""
    return bool(act_in(conn, now, [(deck_id, card_id, "reset", {})]))


def deck_ids(conn: sqlite3.Connection) -> list[str]:
    """Every deck's id, in deck order."""
    return [r[0] for r in conn.execute("SELECT id FROM decks ORDER BY position")]
