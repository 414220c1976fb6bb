"""The only module that talks SQL: open and migrate, import decks, record answers, queries.

Every write is one ``BEGIN IMMEDIATE`` transaction: an answer, an import, a migration. The
review log (``reviews``) is append-only (triggers refuse UPDATE and DELETE) and is the source
of truth; the schedule columns of ``cards`` are a cache that ``replay`` rebuilds exactly.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcards import __version__
from mlcards.clock import utc_iso
from mlcards.errors import BusyError, DatabaseTooNewError, MlcardsError, StoreError
from mlcards.migrations import MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION
from mlcards.models import Card, Deck, ImportSummary, ReviewRecord, ScheduledCard

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 5000


def _canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _translate(exc: sqlite3.Error, path: Path) -> MlcardsError:
    text = str(exc)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return BusyError(f"{path}: the database is busy (another mlcards is writing); try again")
    if "full" in lowered:
        return StoreError(f"{path}: disk full; nothing was written by this step")
    if "readonly" in lowered or "read-only" in lowered:
        return StoreError(f"{path}: the database is read-only")
    if "not a database" in lowered or "malformed" in lowered:
        return StoreError(
            f"{path}: not an mlcards database, or it is damaged ({text}); "
            "it was left untouched: run `mlcards check`"
        )
    return StoreError(f"{path}: database error: {text}")


_INSERT_REVIEW = (
    "INSERT INTO reviews (deck_id, card_id, reviewed_at, study_day, chosen, correct, quality, "
    "response_ms, same_day_repeat, was_new, repetitions, easiness, interval, due) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _review_row(record: ReviewRecord) -> tuple[Any, ...]:
    return (
        record.deck_id,
        record.card_id,
        utc_iso(record.reviewed_at),
        record.study_day.isoformat(),
        json.dumps(list(record.chosen)),
        int(record.correct),
        int(record.quality),
        record.response_ms,
        int(record.same_day_repeat),
        int(record.was_new),
        record.repetitions,
        record.easiness,
        record.interval,
        record.due.isoformat(),
    )


@dataclass(frozen=True)
class DeckStatus:
    id: str
    name: str
    cards: int
    new: int
    due: int
    retired: int
    next_due: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "cards": self.cards,
            "new": self.new,
            "due": self.due,
            "retired": self.retired,
            "next_due": self.next_due,
        }


class Store:
    """A SQLite database holding decks, cards and the review log; migrates on open.

    The sqlite-utils wrapper (``db``) is built on first use: importing sqlite_utils costs
    about 50 ms, and the hot read paths (``status``, the review queue) need only ``conn``.
    """

    def __init__(self, db: sqlite_utils.Database | sqlite3.Connection, path: Path) -> None:
        self._db: sqlite_utils.Database | None
        if isinstance(db, sqlite3.Connection):
            self._db, self.conn = None, db
        else:
            self._db, self.conn = db, db.conn
        self.path = path

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    @classmethod
    def open(cls, path: Path) -> Store:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{path.parent}: cannot create the data folder: {exc.strerror}"
            ) from None
        if path.exists() and not os.access(path, os.R_OK):
            raise StoreError(f"{path}: cannot read the database (permission denied)")
        try:
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise _translate(exc, path) from None
        store = cls(conn, path)
        try:
            store._configure()
            store._migrate()
        except sqlite3.Error as exc:
            conn.close()
            raise _translate(exc, path) from None
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _configure(self) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA recursive_triggers = ON")  # as sqlite-utils sets it
        mode = self.conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: all of it lands, or none of it."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise _translate(exc, self.path) from None
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    # -- schema -------------------------------------------------------------------------------

    def schema_version(self) -> int:
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        if "migrations" not in tables:
            return 0
        row = self.conn.execute("SELECT max(id) FROM migrations").fetchone()
        return int(row[0] or 0)

    def _migrate(self) -> None:
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            needed = self.conn.execute(
                "SELECT mlcards_version FROM migrations ORDER BY id DESC LIMIT 1"
            ).fetchone()[0]
            raise DatabaseTooNewError(
                f"{self.path}: this database was written by a newer mlcards (schema "
                f"{current}); it needs mlcards >= {needed}, this is {__version__}. "
                "It was left unchanged."
            )
        for migration in MIGRATIONS:
            if migration.id <= current:
                continue
            with self._write():
                self.conn.execute(MIGRATIONS_TABLE)
                migration.apply(self.db)
                self.conn.execute(
                    "INSERT INTO migrations (id, name, applied_at, mlcards_version) "
                    "VALUES (?, ?, datetime('now'), ?)",
                    (migration.id, migration.name, __version__),
                )

    # -- decks ----------------------------------------------------------------------------------

    def deck_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM decks").fetchone()[0])

    def import_decks(
        self, decks: Sequence[Deck], now: datetime, dry_run: bool = False
    ) -> list[ImportSummary]:
        """Add, update, retire and restore cards of every deck, all in one transaction."""
        stamp = utc_iso(now)
        summaries: list[ImportSummary] = []
        try:
            with self._write() as conn:
                for deck in decks:
                    summaries.append(self._import_deck(conn, deck, stamp))
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return summaries

    def _import_deck(self, conn: sqlite3.Connection, deck: Deck, stamp: str) -> ImportSummary:
        summary = ImportSummary(deck.id, deck.path)
        row = conn.execute("SELECT name, description, path FROM decks WHERE id = ?", (deck.id,))
        existing_deck = row.fetchone()
        if existing_deck is None:
            summary.new_deck = True
            conn.execute(
                "INSERT INTO decks (id, name, description, path, position, imported_at) "
                "VALUES (?, ?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM decks), ?)",
                (deck.id, deck.name, deck.description, deck.path, stamp),
            )
        else:
            conn.execute(
                "UPDATE decks SET name = ?, description = ?, path = ?, imported_at = ? "
                "WHERE id = ?",
                (deck.name, deck.description, deck.path, stamp, deck.id),
            )
        stored = {
            r[0]: (r[1], r[2], r[3])
            for r in conn.execute(
                "SELECT id, content, retired, position FROM cards WHERE deck_id = ?", (deck.id,)
            )
        }
        for position, card in enumerate(deck.cards, start=1):
            content = _canonical(card.content())
            if card.id not in stored:
                conn.execute(
                    "INSERT INTO cards (deck_id, id, position, content, added_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (deck.id, card.id, position, content, stamp, stamp),
                )
                summary.added.append(card.id)
                continue
            old_content, retired, old_position = stored.pop(card.id)
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
                if old_answer != sorted(card.answer) and self._reset_schedule(
                    conn, deck.id, card.id
                ):
                    summary.reset.append(card.id)
            elif not retired:
                summary.unchanged.append(card.id)  # only its place in the file moved
        for card_id, (_, retired, _) in stored.items():
            if not retired:
                conn.execute(
                    "UPDATE cards SET retired = 1, updated_at = ? WHERE deck_id = ? AND id = ?",
                    (stamp, deck.id, card_id),
                )
                summary.retired.append(card_id)
        return summary

    def _reset_schedule(self, conn: sqlite3.Connection, deck_id: str, card_id: str) -> bool:
        """Start the card over as new; its old reviews stay in the log but stop counting."""
        last = conn.execute(
            "SELECT last_review_id FROM cards WHERE deck_id = ? AND id = ?", (deck_id, card_id)
        ).fetchone()[0]
        if last is None:
            return False
        conn.execute(
            "UPDATE cards SET schedule_from = ?, repetitions = 0, easiness = 2.5, interval = 0, "
            "due = NULL, last_review_id = NULL, last_review_day = NULL "
            "WHERE deck_id = ? AND id = ?",
            (last, deck_id, card_id),
        )
        return True

    # -- reviewing ------------------------------------------------------------------------------

    def _scheduled(
        self, where: str, params: Sequence[Any], order: str, limit: int
    ) -> list[ScheduledCard]:
        sql = (
            "SELECT c.deck_id, d.name, c.id, c.content, c.repetitions, c.easiness, c.interval, "
            "c.due, c.last_review_day FROM cards c JOIN decks d ON d.id = c.deck_id "
            f"WHERE c.retired = 0 AND {where} ORDER BY {order} LIMIT ?"
        )
        rows = self.conn.execute(sql, (*params, limit))
        return [
            ScheduledCard(
                deck_id=r[0],
                deck_name=r[1],
                card=Card.from_content(r[2], json.loads(r[3])),
                repetitions=r[4],
                easiness=r[5],
                interval=r[6],
                due=date.fromisoformat(r[7]) if r[7] else None,
                last_review_day=date.fromisoformat(r[8]) if r[8] else None,
            )
            for r in rows
        ]

    def counts_today(self, today: date, deck_id: str | None = None) -> tuple[int, int]:
        """(new cards introduced, due reviews done) on this study day."""
        sql = (
            "SELECT coalesce(sum(was_new), 0), coalesce(sum(1 - was_new), 0) FROM reviews "
            "WHERE study_day = ? AND same_day_repeat = 0"
        )
        params: list[Any] = [today.isoformat()]
        if deck_id:
            sql += " AND deck_id = ?"
            params.append(deck_id)
        new, reviewed = self.conn.execute(sql, params).fetchone()
        return int(new), int(reviewed)

    def due_cards(self, today: date, limit: int, deck_id: str | None = None) -> list[ScheduledCard]:
        where, params = "c.due IS NOT NULL AND c.due <= ?", [today.isoformat()]
        if deck_id:
            where += " AND c.deck_id = ?"
            params.append(deck_id)
        return self._scheduled(where, params, "c.due, d.position, c.position", limit)

    def new_cards(self, limit: int, deck_id: str | None = None) -> list[ScheduledCard]:
        """New cards in deck order, then file order; deck by deck, so each query is one
        short walk of the ``cards_new`` index (one query over all decks has SQLite sort every
        new card, content and all, to keep the first few)."""
        found: list[ScheduledCard] = []
        for deck in [deck_id] if deck_id else self.deck_ids():
            wanted = limit - len(found) if limit >= 0 else -1
            if wanted == 0:
                break
            found += self._scheduled(
                "c.last_review_id IS NULL AND c.deck_id = ?", [deck], "c.position", wanted
            )
        return found

    def repeat_cards(self, today: date, deck_id: str | None = None) -> list[ScheduledCard]:
        """Cards whose latest answer today was below 4: they come back until answered well."""
        where = (
            "c.last_review_day = ? AND (SELECT quality FROM reviews r WHERE r.deck_id = c.deck_id "
            "AND r.card_id = c.id ORDER BY r.id DESC LIMIT 1) < 4"
        )
        params: list[Any] = [today.isoformat()]
        if deck_id:
            where += " AND c.deck_id = ?"
            params.append(deck_id)
        return self._scheduled(where, params, "d.position, c.position", -1)

    def record(self, record: ReviewRecord) -> int:
        """Append one answer to the log and update the card's cached state, atomically."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT retired FROM cards WHERE deck_id = ? AND id = ?",
                (record.deck_id, record.card_id),
            ).fetchone()
            if row is None:
                raise StoreError(f"card {record.deck_id}/{record.card_id} is not in the database")
            cursor = conn.execute(
                "INSERT INTO reviews (deck_id, card_id, reviewed_at, study_day, chosen, correct, "
                "quality, response_ms, same_day_repeat, was_new, repetitions, easiness, interval, "
                "due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.deck_id,
                    record.card_id,
                    utc_iso(record.reviewed_at),
                    record.study_day.isoformat(),
                    json.dumps(list(record.chosen)),
                    int(record.correct),
                    int(record.quality),
                    record.response_ms,
                    int(record.same_day_repeat),
                    int(record.was_new),
                    record.repetitions,
                    record.easiness,
                    record.interval,
                    record.due.isoformat(),
                ),
            )
            review_id = int(cursor.lastrowid or 0)
            conn.execute(
                "UPDATE cards SET repetitions = ?, easiness = ?, interval = ?, due = ?, "
                "last_review_id = ?, last_review_day = ? WHERE deck_id = ? AND id = ?",
                (
                    record.repetitions,
                    record.easiness,
                    record.interval,
                    record.due.isoformat(),
                    review_id,
                    record.study_day.isoformat(),
                    record.deck_id,
                    record.card_id,
                ),
            )
        return review_id

    def append_reviews(self, records: Iterable[ReviewRecord]) -> int:
        """Append many answers in one transaction; returns how many.

        The bulk twin of ``record``, for loading a history at once (a migration from another
        tool, the benchmark databases): the same rows, in the order given, and afterwards
        every card's cached schedule is what ``record`` would have left, i.e. its last row.
        A record for a card that is not in the database rolls the whole batch back.
        """
        with self._write() as conn:
            start = conn.execute("SELECT coalesce(max(id), 0) FROM reviews").fetchone()[0]
            cursor = conn.executemany(_INSERT_REVIEW, map(_review_row, records))
            conn.execute(
                "UPDATE cards SET repetitions = r.repetitions, easiness = r.easiness, "
                "interval = r.interval, due = r.due, last_review_id = r.id, "
                "last_review_day = r.study_day "
                "FROM (SELECT max(id) AS id FROM reviews WHERE id > ? "
                "GROUP BY deck_id, card_id) AS last JOIN reviews r ON r.id = last.id "
                "WHERE cards.deck_id = r.deck_id AND cards.id = r.card_id",
                (start,),
            )
        return int(cursor.rowcount)

    # -- queries --------------------------------------------------------------------------------

    def deck_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM decks ORDER BY position")]

    def status(self, today: date) -> list[DeckStatus]:
        rows = self.conn.execute(
            """
            SELECT d.id, d.name,
                   count(c.id) FILTER (WHERE c.retired = 0),
                   count(c.id) FILTER (WHERE c.retired = 0 AND c.last_review_id IS NULL),
                   count(c.id) FILTER (WHERE c.retired = 0 AND c.due <= :today),
                   count(c.id) FILTER (WHERE c.retired = 1),
                   min(c.due) FILTER (WHERE c.retired = 0)
            FROM decks d LEFT JOIN cards c ON c.deck_id = d.id
            GROUP BY d.id ORDER BY d.position
            """,
            {"today": today.isoformat()},
        )
        return [DeckStatus(*row) for row in rows]

    def next_due(self, deck_id: str | None = None) -> date | None:
        sql = "SELECT min(due) FROM cards WHERE retired = 0"
        params: list[Any] = []
        if deck_id:
            sql += " AND deck_id = ?"
            params.append(deck_id)
        value = self.conn.execute(sql, params).fetchone()[0]
        return date.fromisoformat(value) if value else None

    def reviews(self, deck_id: str | None = None) -> Iterator[dict[str, Any]]:
        sql = "SELECT * FROM reviews"
        params: list[Any] = []
        if deck_id:
            sql += " WHERE deck_id = ?"
            params.append(deck_id)
        yield from self.db.query(sql + " ORDER BY id", params)

    def card_states(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The cached schedule of every card, keyed by (deck id, card id)."""
        rows = self.conn.execute(
            "SELECT deck_id, id, repetitions, easiness, interval, due, last_review_id, "
            "last_review_day, schedule_from FROM cards"
        )
        return {
            (r[0], r[1]): {
                "repetitions": r[2],
                "easiness": r[3],
                "interval": r[4],
                "due": r[5],
                "last_review_id": r[6],
                "last_review_day": r[7],
                "schedule_from": r[8],
            }
            for r in rows
        }


class _DryRun(Exception):
    """Raised inside the import transaction to roll it back after computing the summary."""
