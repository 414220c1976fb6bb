"""The only module that talks SQL: open and migrate, import decks, record answers, queries.

Every write is one ``BEGIN IMMEDIATE`` transaction: an answer, an import, a migration. The
review log (``reviews``) is append-only (triggers refuse UPDATE and DELETE) and is the source
of truth; the schedule columns of ``cards`` are a cache that ``replay`` rebuilds exactly.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcards import __version__, clock
from mlcards.clock import utc_iso
from mlcards.errors import (
    BusyError,
    DatabaseTooNewError,
    InputNotFoundError,
    MlcardsError,
    StoreError,
)
from mlcards.migrations import LAPSE_COUNT_SQL, MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION
from mlcards.models import (
    MATURE_INTERVAL,
    REVIEW_COLUMNS,
    Card,
    CardSummary,
    DayActivity,
    Deck,
    DistractorCard,
    GroupAccuracy,
    ImportSummary,
    RetentionDay,
    ReviewRecord,
    ScheduledCard,
    StageCounts,
    StatsData,
    StatsQuery,
)

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 5000
BACKUP_DIR = "backups"
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 6


def busy_timeout_s() -> float:
    """How long a write waits for another mlcards before giving up (``MLCARDS_BUSY_TIMEOUT_MS``)."""
    raw = os.environ.get("MLCARDS_BUSY_TIMEOUT_MS", "")
    return (int(raw) if raw.isdigit() else BUSY_TIMEOUT_MS) / 1000


def _canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _translate(exc: sqlite3.Error, path: Path) -> MlcardsError:
    text = str(exc)
    lowered = text.lower()
    code = getattr(exc, "sqlite_errorname", "")
    if code in ("SQLITE_FULL", "SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_SHMSIZE"):
        return StoreError(
            f"{path}: cannot write: disk full (or the file size limit was reached); "
            "nothing of this step was saved, earlier data is intact"
        )
    if "locked" in lowered or "busy" in lowered:
        return BusyError(f"{path}: the database is busy (another mlcards is writing); try again")
    if "full" in lowered:
        return StoreError(f"{path}: disk full; nothing was written by this step")
    if "readonly" in lowered or "read-only" in lowered:
        return StoreError(f"{path}: the database is read-only")
    if "not a database" in lowered or "malformed" in lowered:
        return StoreError(
            f"{path}: not an mlcards database, or it is damaged ({text}); it was left "
            "untouched: `mlcards check` tells more, `mlcards backup restore latest` puts back "
            "the newest sound backup"
        )
    return StoreError(f"{path}: database error: {text}")


_INSERT_REVIEW = (
    "INSERT INTO reviews (deck_id, card_id, reviewed_at, study_day, chosen, correct, quality, "
    "response_ms, same_day_repeat, was_new, repetitions, easiness, interval, due, mode, "
    "session, prev_repetitions, prev_interval) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
        record.mode,
        record.session or None,
        record.prev_repetitions,
        record.prev_interval,
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
        return asdict(self)


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
        self.warnings: list[str] = []

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    @classmethod
    def open(cls, path: Path, *, create: bool = True, daily_backup: bool = False) -> Store:
        """Open (creating it only if ``create``), refuse a newer schema, migrate, back up.

        Nothing is written to a file that turns out not to be an mlcards database, or to one
        from a newer mlcards: the version check runs before any pragma that writes.
        """
        path = Path(path)
        if not path.exists():
            if not create:
                raise InputNotFoundError(
                    f"{path}: no database here (`mlcards review` or `mlcards import` creates it)"
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"{path.parent}: cannot create the data folder: {exc.strerror}"
                ) from None
        elif not os.access(path, os.R_OK):
            raise StoreError(f"{path}: cannot read the database (permission denied)")
        try:
            conn = sqlite3.connect(str(path), timeout=busy_timeout_s(), isolation_level=None)
        except sqlite3.Error as exc:
            raise _translate(exc, path) from None
        store = cls(conn, path)
        try:
            store._configure()
            store._migrate()
            if daily_backup:
                try:
                    store.daily_backup()
                except StoreError as exc:  # a missed backup must not block studying
                    store.warnings.append(f"daily backup skipped: {exc}")
        except sqlite3.Error as exc:
            conn.close()
            error = _translate(exc, path)
            backups = list_backups(path)
            if backups and not isinstance(error, BusyError):
                error.args = (
                    f"{error.args[0]}; latest backup: {backups[0].path.name} "
                    "(`mlcards backup restore latest`)",
                )
            raise error from None
        except BaseException:
            conn.close()
            raise
        return store

    @classmethod
    def in_memory(cls) -> Store:
        """An empty, migrated database that lives only in memory (for dry runs)."""
        store = cls(sqlite3.connect(":memory:", isolation_level=None), Path(":memory:"))
        store._migrate()
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _configure(self) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s() * 1000)}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA recursive_triggers = ON")  # as sqlite-utils sets it
        self._refuse_newer_schema()
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

    def _refuse_newer_schema(self) -> None:
        """Refuse, before anything is written, a database from a newer mlcards or one that
        belongs to another program (an SQLite file with tables but no mlcards migrations)."""
        current = self.schema_version()
        if current == 0:
            names = [r[0] for r in self.conn.execute("SELECT name FROM sqlite_master LIMIT 5")]
            if names:
                raise StoreError(
                    f"{self.path}: an SQLite database of another program (it has "
                    f"{', '.join(names)}); mlcards left it unchanged. Pick another --db path."
                )
        if current > SCHEMA_VERSION:
            needed = self.conn.execute(
                "SELECT mlcards_version FROM migrations ORDER BY id DESC LIMIT 1"
            ).fetchone()[0]
            raise DatabaseTooNewError(
                f"{self.path}: this database was written by a newer mlcards (schema "
                f"{current}); it needs mlcards >= {needed}, this is {__version__}. "
                "It was left unchanged."
            )

    def _migrate(self) -> None:
        current = self.schema_version()
        if 0 < current < SCHEMA_VERSION:
            self.backup("pre-migration")
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

    # -- backups and checks ---------------------------------------------------------------------

    def backup(self, reason: str) -> Path:
        """Copy the live database with SQLite's backup API (never a file copy), then rotate."""
        folder = backup_folder(self.path)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{folder}: cannot make the backup folder: {exc.strerror}") from None
        stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
        target = folder / f"{self.path.stem}-{stamp}-{reason}.db"
        counter = 1
        while target.exists():
            counter += 1
            target = folder / f"{self.path.stem}-{stamp}-{counter}-{reason}.db"
        partial = target.with_name(target.name + ".part")
        try:
            copy = sqlite3.connect(str(partial))
            try:
                self.conn.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                copy.close()
            os.replace(partial, target)
        except (OSError, sqlite3.Error) as exc:
            partial.unlink(missing_ok=True)
            if isinstance(exc, sqlite3.Error):
                raise _translate(exc, target) from None
            raise StoreError(f"{target}: cannot write the backup: {exc.strerror}") from None
        prune_backups(self.path)
        return target

    def has_reviews(self) -> bool:
        return self.conn.execute("SELECT 1 FROM reviews LIMIT 1").fetchone() is not None

    def daily_backup(self) -> Path | None:
        """The first use on each study day backs up a database that holds reviews."""
        if not self.has_reviews():
            return None
        today = clock.study_day(clock.now())
        for existing in list_backups(self.path):
            if clock.study_day(existing.created) == today:
                return None
        return self.backup("daily")

    def integrity_problems(self) -> list[str]:
        """What SQLite's own checks find wrong; a check that cannot even run is one finding."""
        try:
            problems = [
                str(row[0]) for row in self.conn.execute("PRAGMA integrity_check") if row[0] != "ok"
            ]
            for table, rowid, parent, _ in self.conn.execute("PRAGMA foreign_key_check"):
                problems.append(f"{table} row {rowid} points to a missing {parent} row")
        except sqlite3.DatabaseError as exc:
            return [f"the integrity check itself failed: {exc}"]
        return problems

    def replay_rows(self) -> Iterator[dict[str, Any]]:
        """The review log in order, as replay() reads it, streamed."""
        cursor = self.conn.execute(
            "SELECT id, deck_id, card_id, study_day, quality, same_day_repeat "
            "FROM reviews WHERE mode = 'review' ORDER BY id"
        )
        for row in cursor:
            yield {
                "id": row[0],
                "deck_id": row[1],
                "card_id": row[2],
                "study_day": row[3],
                "quality": row[4],
                "same_day_repeat": row[5],
            }

    def rebuild_states(self, states: dict[tuple[str, str], dict[str, Any]]) -> None:
        """Replace every card's cached schedule with ``states`` (cards absent are new)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE cards SET repetitions = 0, easiness = 2.5, interval = 0, due = NULL, "
                "last_review_id = NULL, last_review_day = NULL, lapses = 0"
            )
            conn.executemany(
                "UPDATE cards SET repetitions = :repetitions, easiness = :easiness, "
                "interval = :interval, due = :due, last_review_id = :last_review_id, "
                "last_review_day = :last_review_day, lapses = :lapses "
                "WHERE deck_id = :deck_id AND id = :card_id",
                [
                    {**state, "deck_id": deck_id, "card_id": card_id}
                    for (deck_id, card_id), state in states.items()
                ],
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
        if not dry_run and self.has_reviews():
            self.backup("pre-import")
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
        path = str(Path(deck.path).resolve()) if deck.path else ""
        if conn.execute("SELECT 1 FROM decks WHERE id = ?", (deck.id,)).fetchone() is None:
            summary.new_deck = True
            conn.execute(
                "INSERT INTO decks (id, name, description, path, position, imported_at) "
                "VALUES (?, ?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM decks), ?)",
                (deck.id, deck.name, deck.description, path, stamp),
            )
        else:
            conn.execute(
                "UPDATE decks SET name = ?, description = ?, path = ?, imported_at = ? "
                "WHERE id = ?",
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
            content = _canonical(card.content())
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
                if old_answer != sorted(card.answer) and self._reset_schedule(
                    conn, deck.id, card.id
                ):
                    summary.reset.append(card.id)
            elif not retired:
                summary.unchanged.append(card.id)  # only its place in the file moved
        for card_id, (_, retired, _, _) in stored.items():
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
            "due = NULL, last_review_id = NULL, last_review_day = NULL, lapses = 0, leech = 0 "
            "WHERE deck_id = ? AND id = ?",
            (last, deck_id, card_id),
        )
        return True

    # -- reviewing ------------------------------------------------------------------------------

    def _scheduled(
        self,
        where: str,
        params: Sequence[Any],
        order: str,
        limit: int,
        *,
        deck_id: str | None = None,
        tag: str | None = None,
        today: date | None = None,
    ) -> list[ScheduledCard]:
        """Active cards matching ``where``; suspended and (on ``today``) buried ones excluded."""
        clauses = ["c.retired = 0", "c.suspended = 0", where]
        values = list(params)
        if today is not None:
            clauses.append("(c.buried_until IS NULL OR c.buried_until <= ?)")
            values.append(today.isoformat())
        if deck_id:
            clauses.append("c.deck_id = ?")
            values.append(deck_id)
        if tag:
            clauses.append("EXISTS (SELECT 1 FROM json_each(c.content, '$.tags') WHERE value = ?)")
            values.append(tag)
        sql = (
            "SELECT c.deck_id, d.name, c.id, c.content, c.repetitions, c.easiness, c.interval, "
            "c.due, c.last_review_day, c.lapses, c.leech, c.flagged, c.line, d.path "
            "FROM cards c JOIN decks d ON d.id = c.deck_id "
            f"WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT ?"
        )
        rows = self.conn.execute(sql, (*values, limit))
        return [
            ScheduledCard(
                deck_id=r[0],
                deck_name=r[1],
                card=replace(Card.from_content(r[2], json.loads(r[3])), line=r[12]),
                repetitions=r[4],
                easiness=r[5],
                interval=r[6],
                due=date.fromisoformat(r[7]) if r[7] else None,
                last_review_day=date.fromisoformat(r[8]) if r[8] else None,
                lapses=r[9],
                leech=bool(r[10]),
                flagged=bool(r[11]),
                path=r[13],
            )
            for r in rows
        ]

    def counts_today(self, today: date, deck_id: str | None = None) -> tuple[int, int]:
        """(new cards introduced, due reviews done) on this study day."""
        sql = (
            "SELECT coalesce(sum(was_new), 0), coalesce(sum(1 - was_new), 0) FROM reviews "
            "WHERE study_day = ? AND same_day_repeat = 0 AND mode = 'review'"
        )
        params: list[Any] = [today.isoformat()]
        if deck_id:
            sql += " AND deck_id = ?"
            params.append(deck_id)
        new, reviewed = self.conn.execute(sql, params).fetchone()
        return int(new), int(reviewed)

    def due_cards(
        self, today: date, limit: int, deck_id: str | None = None, tag: str | None = None
    ) -> list[ScheduledCard]:
        """Cards due on or before ``today``, most overdue first."""
        return self._scheduled(
            "c.due IS NOT NULL AND c.due <= ?",
            [today.isoformat()],
            "c.due, d.position, c.position",
            limit,
            deck_id=deck_id,
            tag=tag,
            today=today,
        )

    def new_cards(
        self,
        limit: int,
        deck_id: str | None = None,
        tag: str | None = None,
        today: date | None = None,
    ) -> list[ScheduledCard]:
        """New cards in deck order, then file order; deck by deck, so each query is one
        short walk of the ``cards_new`` index (one query over all decks has SQLite sort every
        new card, content and all, to keep the first few)."""
        found: list[ScheduledCard] = []
        for deck in [deck_id] if deck_id else self.deck_ids():
            wanted = limit - len(found) if limit >= 0 else -1
            if wanted == 0:
                break
            found += self._scheduled(
                "c.last_review_id IS NULL",
                [],
                "c.position",
                wanted,
                deck_id=deck,
                tag=tag,
                today=today,
            )
        return found

    def repeat_cards(
        self, today: date, deck_id: str | None = None, tag: str | None = None
    ) -> list[ScheduledCard]:
        """Cards whose latest answer today was below 4: they come back until answered well."""
        where = (
            "c.last_review_day = ? AND (SELECT quality FROM reviews r WHERE r.deck_id = c.deck_id "
            "AND r.card_id = c.id AND r.mode = 'review' ORDER BY r.id DESC LIMIT 1) < 4"
        )
        return self._scheduled(
            where,
            [today.isoformat()],
            "d.position, c.position",
            -1,
            deck_id=deck_id,
            tag=tag,
            today=today,
        )

    def practice_cards(
        self,
        limit: int,
        deck_id: str | None = None,
        tag: str | None = None,
        wrong_only: bool = False,
    ) -> list[ScheduledCard]:
        """Cards for extra practice: reviewed ones (optionally only those last answered wrong)."""
        where = "c.last_review_id IS NOT NULL"
        if wrong_only:
            where += (
                " AND (SELECT correct FROM reviews r WHERE r.deck_id = c.deck_id "
                "AND r.card_id = c.id ORDER BY r.id DESC LIMIT 1) = 0"
            )
        return self._scheduled(
            where, [], "c.easiness, c.due, d.position, c.position", limit, deck_id=deck_id, tag=tag
        )

    def record(self, record: ReviewRecord) -> int:
        """Append one answer to the log and update the card's cached state, atomically."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT retired FROM cards WHERE deck_id = ? AND id = ?",
                (record.deck_id, record.card_id),
            ).fetchone()
            if row is None:
                raise StoreError(f"card {record.deck_id}/{record.card_id} is not in the database")
            cursor = conn.execute(_INSERT_REVIEW, _review_row(record))
            review_id = int(cursor.lastrowid or 0)
            if record.mode == "review":
                conn.execute(
                    "UPDATE cards SET repetitions = ?, easiness = ?, interval = ?, due = ?, "
                    "last_review_id = ?, last_review_day = ?, lapses = lapses + ?, "
                    "leech = max(leech, ?), suspended = max(suspended, ?) "
                    "WHERE deck_id = ? AND id = ?",
                    (
                        record.repetitions,
                        record.easiness,
                        record.interval,
                        record.due.isoformat(),
                        review_id,
                        record.study_day.isoformat(),
                        int(record.lapse),
                        int(bool(record.leech_action)),
                        int(record.leech_action == "suspend"),
                        record.deck_id,
                        record.card_id,
                    ),
                )
        return review_id

    def undo(
        self,
        review_id: int,
        session: str,
        before: ScheduledCard,
        lift_suspension: bool = False,
    ) -> None:
        """Take back an answer of this session: remove its row and restore the card's state.

        The one exception to the append-only log, and only for the session that wrote it.
        ``lift_suspension`` when the answer itself suspended the card (a leech); a suspension
        the learner chose stays. If the card's answer changed after this review (its
        schedule was reset), it stays new.
        """
        with self._write() as conn:
            row = conn.execute(
                "SELECT mode, session FROM reviews WHERE id = ?", (review_id,)
            ).fetchone()
            if row is None or row[1] != session:
                raise StoreError("only an answer of the current session can be undone")
            conn.execute("INSERT INTO undo_tokens (review_id) VALUES (?)", (review_id,))
            conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            conn.execute("DELETE FROM undo_tokens WHERE review_id = ?", (review_id,))
            if row[0] != "review":
                return
            schedule_from = conn.execute(
                "SELECT schedule_from FROM cards WHERE deck_id = ? AND id = ?",
                (before.deck_id, before.card.id),
            ).fetchone()[0]
            if schedule_from >= review_id:
                return  # reset since: the card is new now, whatever this answer did
            previous = conn.execute(
                "SELECT max(id) FROM reviews WHERE deck_id = ? AND card_id = ? "
                "AND mode = 'review' AND id > ?",
                (before.deck_id, before.card.id, schedule_from),
            ).fetchone()[0]
            conn.execute(
                "UPDATE cards SET repetitions = ?, easiness = ?, interval = ?, due = ?, "
                "last_review_id = ?, last_review_day = ?, lapses = ?, leech = ?, "
                "suspended = suspended * ? WHERE deck_id = ? AND id = ?",
                (
                    before.repetitions,
                    before.easiness,
                    before.interval,
                    before.due.isoformat() if before.due else None,
                    previous,
                    before.last_review_day.isoformat() if before.last_review_day else None,
                    before.lapses,
                    int(before.leech),
                    int(not lift_suspension),
                    before.deck_id,
                    before.card.id,
                ),
            )

    def _set(self, column: str, value: object, deck_id: str, card_id: str) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE cards SET {column} = ? WHERE deck_id = ? AND id = ?",
                (value, deck_id, card_id),
            )
        return cursor.rowcount > 0

    def suspend(self, deck_id: str, card_id: str, suspended: bool = True) -> bool:
        return self._set("suspended", int(suspended), deck_id, card_id)

    def bury(self, deck_id: str, card_id: str, until: date | None) -> bool:
        """Hide the card until the study day ``until`` (None un-buries it)."""
        return self._set("buried_until", until.isoformat() if until else None, deck_id, card_id)

    def flag(self, deck_id: str, card_id: str, flagged: bool = True) -> bool:
        return self._set("flagged", int(flagged), deck_id, card_id)

    def unsuspend_all(self) -> int:
        with self._write() as conn:
            return conn.execute("UPDATE cards SET suspended = 0 WHERE suspended = 1").rowcount

    def marked_cards(self, column: str) -> list[dict[str, Any]]:
        """Cards that are suspended, flagged or leeches, with where to find them."""
        if column not in ("suspended", "flagged", "leech"):
            raise ValueError(column)
        rows = self.conn.execute(
            "SELECT c.deck_id, c.id, json_extract(c.content, '$.title'), d.path, c.line, "
            f"c.lapses FROM cards c JOIN decks d ON d.id = c.deck_id WHERE c.{column} = 1 "
            "AND c.retired = 0 ORDER BY d.position, c.position"
        )
        return [
            {"deck": r[0], "card": r[1], "title": r[2], "path": r[3], "line": r[4], "lapses": r[5]}
            for r in rows
        ]

    def scheduled_card(self, deck_id: str, card_id: str) -> ScheduledCard | None:
        """One active card as the queue sees it (after an edit, say)."""
        found = self._scheduled("c.deck_id = ? AND c.id = ?", [deck_id, card_id], "c.position", 1)
        return found[0] if found else None

    def append_reviews(self, records: Iterable[ReviewRecord]) -> int:
        """Append many answers in one transaction; returns how many.

        The bulk twin of ``record``, for loading a history at once (a migration from another
        tool, the benchmark databases): the same rows, in the order given, and afterwards
        every card's cached schedule is what ``record`` would have left, i.e. its last row.
        A record for a card that is not in the database rolls the whole batch back.
        """
        with self._write() as conn:
            start = conn.execute("SELECT coalesce(max(id), 0) FROM reviews").fetchone()[0]
            state = {
                (r[0], r[1]): (r[2], r[3])
                for r in conn.execute(
                    "SELECT deck_id, id, repetitions, interval FROM cards "
                    "WHERE last_review_id IS NOT NULL"
                )
            }

            def with_state_before(record: ReviewRecord) -> tuple[Any, ...]:
                key = (record.deck_id, record.card_id)
                before = (0, 0) if record.was_new else state.get(key, (0, 0))
                if record.mode == "review":
                    state[key] = (record.repetitions, record.interval)
                return _review_row(
                    replace(record, prev_repetitions=before[0], prev_interval=before[1])
                )

            cursor = conn.executemany(_INSERT_REVIEW, map(with_state_before, records))
            conn.execute(
                "UPDATE cards SET repetitions = r.repetitions, easiness = r.easiness, "
                "interval = r.interval, due = r.due, last_review_id = r.id, "
                "last_review_day = r.study_day "
                "FROM (SELECT max(id) AS id FROM reviews WHERE id > ? AND mode = 'review' "
                "GROUP BY deck_id, card_id) AS last JOIN reviews r ON r.id = last.id "
                "WHERE cards.deck_id = r.deck_id AND cards.id = r.card_id",
                (start,),
            )
            conn.execute(
                f"UPDATE cards SET lapses = ({LAPSE_COUNT_SQL}) WHERE EXISTS (SELECT 1 FROM "
                "reviews n WHERE n.id > ? AND n.deck_id = cards.deck_id AND n.card_id = cards.id)",
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
                   count(c.id) FILTER (WHERE c.retired = 0 AND c.due <= :today
                                       AND c.suspended = 0
                                       AND coalesce(c.buried_until, '') <= :today),
                   count(c.id) FILTER (WHERE c.retired = 1),
                   min(max(c.due, coalesce(c.buried_until, c.due)))
                       FILTER (WHERE c.retired = 0 AND c.suspended = 0)
            FROM decks d LEFT JOIN cards c ON c.deck_id = d.id
            GROUP BY d.id ORDER BY d.position
            """,
            {"today": today.isoformat()},
        )
        return [DeckStatus(*row) for row in rows]

    def next_due(self, deck_id: str | None = None) -> date | None:
        """The first day a card comes up: its due day, or later if it is buried till then.

        Walks the due index in order and stops as soon as no later card can come up sooner,
        so 100,000 cards cost a few index steps, not a scan.
        """
        sql = (
            "SELECT due, buried_until FROM cards "
            "WHERE retired = 0 AND suspended = 0 AND due IS NOT NULL"
        )
        params: list[Any] = []
        if deck_id:
            sql += " AND deck_id = ?"
            params.append(deck_id)
        best: str | None = None
        for due, buried_until in self.conn.execute(sql + " ORDER BY due", params):
            if best is not None and due >= best:
                break
            comes_up = max(due, buried_until or due)
            best = comes_up if best is None else min(best, comes_up)
        return date.fromisoformat(best) if best else None

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
            "last_review_day, schedule_from, lapses FROM cards"
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
                "lapses": r[9],
            }
            for r in rows
        }

    # -- stats and export -----------------------------------------------------------------------
    #
    # Everything is aggregated here with GROUP BY; Python only ever sees one row per day, deck,
    # tag, card or value. Filters are parameters, never formatted into the SQL text.

    @staticmethod
    def _card_filter(alias: str, deck_id: str | None, tag: str | None) -> tuple[str, list[Any]]:
        """SQL terms keeping the rows of one deck and/or one tag (``alias`` names a table with
        ``deck_id`` and a card id column)."""
        card_col = "id" if alias == "c" else "card_id"
        terms, params = ["1"], []
        if deck_id:
            terms.append(f"{alias}.deck_id = ?")
            params.append(deck_id)
        if tag:
            terms.append(
                "EXISTS (SELECT 1 FROM cards tc, json_each(tc.content, '$.tags') tt "
                f"WHERE tc.deck_id = {alias}.deck_id AND tc.id = {alias}.{card_col} "
                "AND tt.value = ?)"
            )
            params.append(tag)
        return " AND ".join(terms), params

    @staticmethod
    def _day_filter(alias: str, since: date | None, until: date) -> tuple[str, list[Any]]:
        if since is None:
            return f"{alias}.study_day <= ?", [until.isoformat()]
        return f"{alias}.study_day BETWEEN ? AND ?", [since.isoformat(), until.isoformat()]

    def _history(self, deck_id: str | None, tag: str | None) -> tuple[str, list[Any]]:
        """A CTE ``h``: every review with the card's repetitions and interval *before* it.

        Each row carries them (``prev_repetitions``, ``prev_interval``: 0 for a card that was
        new, which also covers a card whose schedule was reset by a changed answer).
        """
        where, params = self._card_filter("r", deck_id, tag)
        sql = f"""
            WITH h AS (
                SELECT r.id, r.deck_id, r.card_id, r.study_day, r.correct,
                       r.quality, r.same_day_repeat,
                       r.prev_repetitions AS reps_before, r.prev_interval AS interval_before
                FROM reviews r WHERE r.mode = 'review' AND {where}
            )"""
        return sql, params

    def stats_data(self, query: StatsQuery) -> StatsData:
        """Every aggregate the stats dashboard shows, for one window and filter."""
        deck_id, tag, today = query.deck_id, query.tag, query.today
        where, params = self._card_filter("r", deck_id, tag)
        days, day_params = self._day_filter("r", query.since, today)
        reviews_where, reviews_params = f"{where} AND {days}", params + day_params

        activity = [
            DayActivity(date.fromisoformat(r[0]), r[1], r[2], r[3])
            for r in self.conn.execute(
                "SELECT r.study_day, count(*), sum(r.correct), sum(r.response_ms) FROM reviews r "
                f"WHERE {reviews_where} GROUP BY r.study_day ORDER BY r.study_day",
                reviews_params,
            )
        ]
        history, history_params = self._history(deck_id, tag)
        h_days, h_day_params = self._day_filter("h", query.since, today)
        retention = [
            RetentionDay(date.fromisoformat(r[0]), bool(r[1]), r[2], r[3])
            for r in self.conn.execute(
                f"{history} SELECT h.study_day, h.interval_before >= {MATURE_INTERVAL} AS mature, "
                "count(*), sum(h.correct) FROM h "
                f"WHERE h.same_day_repeat = 0 AND {h_days} "
                "GROUP BY h.study_day, mature ORDER BY h.study_day, mature",
                history_params + h_day_params,
            )
        ]
        card_where, card_params = self._card_filter("c", deck_id, tag)
        deck_where = "d.id = ?" if deck_id else "1"
        stages = [
            StageCounts(*r)
            for r in self.conn.execute(
                f"""
                SELECT d.id,
                    count(c.id) FILTER (WHERE c.retired = 0 AND c.last_review_id IS NULL),
                    count(c.id) FILTER (WHERE c.retired = 0 AND c.last_review_id IS NOT NULL
                                        AND c.repetitions < 2),
                    count(c.id) FILTER (WHERE c.retired = 0 AND c.last_review_id IS NOT NULL
                                        AND c.repetitions >= 2
                                        AND c.interval < {MATURE_INTERVAL}),
                    count(c.id) FILTER (WHERE c.retired = 0 AND c.last_review_id IS NOT NULL
                                        AND c.repetitions >= 2
                                        AND c.interval >= {MATURE_INTERVAL}),
                    count(c.id) FILTER (WHERE c.retired = 1)
                FROM decks d LEFT JOIN cards c ON c.deck_id = d.id AND {card_where}
                WHERE {deck_where} GROUP BY d.id ORDER BY d.position
                """,
                card_params + ([deck_id] if deck_id else []),
            )
        ]
        learned = f"c.retired = 0 AND c.last_review_id IS NOT NULL AND {card_where}"
        easiness = [
            (float(r[0]), int(r[1]))
            for r in self.conn.execute(
                f"SELECT c.easiness, count(*) FROM cards c WHERE {learned} "
                "GROUP BY c.easiness ORDER BY c.easiness",
                card_params,
            )
        ]
        intervals = [
            (int(r[0]), int(r[1]))
            for r in self.conn.execute(
                f"SELECT c.interval, count(*) FROM cards c WHERE {learned} "
                "GROUP BY c.interval ORDER BY c.interval",
                card_params,
            )
        ]
        horizon = date.fromordinal(today.toordinal() + 30).isoformat()
        due = [
            (date.fromisoformat(r[0]), int(r[1]))
            for r in self.conn.execute(
                f"SELECT c.due, count(*) FROM cards c WHERE c.retired = 0 AND {card_where} "
                "AND c.due IS NOT NULL AND c.due < ? GROUP BY c.due ORDER BY c.due",
                [*card_params, horizon],
            )
        ]
        cards = list(self.card_summaries(deck_id, tag, query.since, today, reviewed_in_window=True))
        by_deck, by_tag = self._accuracy_groups(cards)
        return StatsData(
            activity=activity,
            retention=retention,
            by_deck=by_deck,
            by_tag=by_tag,
            stages=stages,
            easiness=easiness,
            intervals=intervals,
            due=due,
            cards=cards,
            distractors=self._distractors(cards, reviews_where, reviews_params),
        )

    def card_summaries(
        self,
        deck_id: str | None,
        tag: str | None,
        since: date | None,
        until: date | None,
        reviewed_in_window: bool = False,
    ) -> Iterator[CardSummary]:
        """Every card (or only those reviewed in the window) with its schedule and counts.

        A lapse is a graded answer (not a same-day repeat) with quality < 3 given when the
        card had been learned (repetitions >= 1 before the answer).
        """
        history, params = self._history(deck_id, tag)
        day_params: list[Any] = []
        h_days = "1"
        if until is not None:
            h_days, day_params = self._day_filter("h", since, until)
        elif since is not None:
            h_days, day_params = "h.study_day >= ?", [since.isoformat()]
        card_where, card_params = self._card_filter("c", deck_id, tag)
        join = "JOIN" if reviewed_in_window else "LEFT JOIN"
        rows = self.conn.execute(
            f"""{history},
            agg AS (
                SELECT h.deck_id, h.card_id, count(*) AS reviews, sum(h.correct) AS correct,
                       sum(h.same_day_repeat = 0 AND h.quality < 3 AND h.reps_before >= 1)
                           AS lapses,
                       max(h.id) AS last_id,
                       sum(h.same_day_repeat = 0) AS first_answers,
                       sum(h.same_day_repeat = 0 AND h.correct) AS first_correct,
                       sum(h.same_day_repeat = 0 AND h.quality = 0) AS dont_know
                FROM h WHERE {h_days} GROUP BY h.deck_id, h.card_id
            )
            SELECT c.deck_id, c.id, json_extract(c.content, '$.title'), c.retired,
                   c.last_review_id IS NOT NULL, c.repetitions, c.easiness, c.interval, c.due,
                   coalesce(a.reviews, 0), coalesce(a.correct, 0), coalesce(a.lapses, 0),
                   last.reviewed_at, coalesce(a.first_answers, 0), coalesce(a.first_correct, 0),
                   coalesce(a.dont_know, 0)
            FROM cards c JOIN decks d ON d.id = c.deck_id
            {join} agg a ON a.deck_id = c.deck_id AND a.card_id = c.id
            LEFT JOIN reviews last ON last.id = a.last_id
            WHERE {card_where}
            ORDER BY d.position, c.position
            """,
            [*params, *day_params, *card_params],
        )
        for r in rows:
            yield CardSummary(
                deck_id=r[0],
                card_id=r[1],
                title=r[2] or "",
                retired=bool(r[3]),
                reviewed=bool(r[4]),
                repetitions=r[5],
                easiness=float(r[6]),
                interval=r[7],
                due=date.fromisoformat(r[8]) if r[8] else None,
                reviews=r[9],
                correct=r[10],
                lapses=r[11],
                last_review=r[12],
                first_answers=r[13],
                first_correct=r[14],
                dont_know=r[15],
            )

    def _accuracy_groups(
        self, cards: list[CardSummary]
    ) -> tuple[list[GroupAccuracy], list[GroupAccuracy]]:
        """Accuracy by deck (in deck order) and by tag (most answered first), summed from the
        per-card counts rather than by scanning the log twice more."""
        decks: dict[str, list[int]] = {}
        tags: dict[str, list[int]] = {}
        counts = {(c.deck_id, c.card_id): (c.reviews, c.correct) for c in cards if c.reviews}
        for c in cards:
            if c.reviews:
                total = decks.setdefault(c.deck_id, [0, 0])
                total[0] += c.reviews
                total[1] += c.correct
        for deck, card, card_tags in self.conn.execute(
            "SELECT deck_id, id, json_extract(content, '$.tags') FROM cards"
        ):
            if (deck, card) not in counts:
                continue
            answers, correct = counts[deck, card]
            for name in json.loads(card_tags):
                total = tags.setdefault(name, [0, 0])
                total[0] += answers
                total[1] += correct
        by_deck = [GroupAccuracy(key, n, k) for key, (n, k) in decks.items()]
        by_tag = [
            GroupAccuracy(key, n, k)
            for key, (n, k) in sorted(tags.items(), key=lambda kv: (-kv[1][0], kv[0]))
        ]
        return by_deck, by_tag

    def _distractors(
        self, cards: list[CardSummary], where: str, params: list[Any]
    ) -> list[DistractorCard]:
        """Per reviewed card: how often each choice id was picked in a wrong first-of-day
        answer (a distractor can only be picked in a wrong answer)."""
        picks: dict[tuple[str, str], dict[str, int]] = {}
        for deck, card, choice, count in self.conn.execute(
            "SELECT r.deck_id, r.card_id, j.value, count(*) FROM reviews r, json_each(r.chosen) j "
            f"WHERE r.same_day_repeat = 0 AND r.correct = 0 AND {where} "
            "GROUP BY r.deck_id, r.card_id, j.value",
            params,
        ):
            picks.setdefault((deck, card), {})[choice] = count
        keys = {(c.deck_id, c.card_id) for c in cards}
        content: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        for deck, card, choices, answer in self.conn.execute(
            "SELECT deck_id, id, json_extract(content, '$.choices'), "
            "json_extract(content, '$.answer') FROM cards"
        ):
            if (deck, card) in keys:
                content[deck, card] = (
                    tuple(c["id"] for c in json.loads(choices)),
                    tuple(json.loads(answer)),
                )
        return [
            DistractorCard(
                deck_id=c.deck_id,
                card_id=c.card_id,
                choices=content[c.deck_id, c.card_id][0],
                answer=content[c.deck_id, c.card_id][1],
                answers=c.first_answers,
                correct=c.first_correct,
                dont_know=c.dont_know,
                picks=picks.get((c.deck_id, c.card_id), {}),
            )
            for c in cards
            if c.first_answers
        ]

    def count_reviews(self, deck_id: str | None = None, since: date | None = None) -> int:
        where, params = self._export_filter(deck_id, since)
        return int(
            self.conn.execute(f"SELECT count(*) FROM reviews r WHERE {where}", params).fetchone()[0]
        )

    @staticmethod
    def _export_filter(deck_id: str | None, since: date | None) -> tuple[str, list[Any]]:
        terms, params = ["1"], []
        if deck_id:
            terms.append("r.deck_id = ?")
            params.append(deck_id)
        if since:
            terms.append("r.study_day >= ?")
            params.append(since.isoformat())
        return " AND ".join(terms), params

    def iter_review_rows(
        self, deck_id: str | None = None, since: date | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """The review log in id order, one tuple per row (``REVIEW_COLUMNS``), streamed from
        the cursor so a million rows never sit in memory at once."""
        where, params = self._export_filter(deck_id, since)
        columns = ", ".join(f"r.{c}" for c in REVIEW_COLUMNS)
        cursor = self.conn.execute(
            f"SELECT {columns} FROM reviews r WHERE {where} ORDER BY r.id", params
        )
        # Not `yield from`: closing the generator late (after the store) would close the cursor
        # of a closed connection and raise.
        for row in cursor:  # noqa: UP028
            yield row


class _DryRun(Exception):
    """Raised inside the import transaction to roll it back after computing the summary."""


@dataclass(frozen=True)
class Backup:
    path: Path
    created: datetime
    reason: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.path.name,
            "path": str(self.path),
            "created": utc_iso(self.created),
            "reason": self.reason,
            "bytes": self.size,
        }


_BACKUP_SUFFIX = r"-(\d{8}T\d{6}Z)(?:-(\d+))?-([a-z-]+)\.db"
KEEP_ALL_HOURS = 48
KEEP_SAFETY_DAYS = 30
SAFETY_REASONS = ("manual", "pre-migration", "pre-repair", "pre-restore")


def backup_folder(db_path: Path) -> Path:
    return Path(db_path).parent / BACKUP_DIR


def list_backups(db_path: Path) -> list[Backup]:
    """Backups of this database, newest first."""
    folder = backup_folder(db_path)
    if not folder.is_dir():
        return []
    found = []
    stem = Path(db_path).stem
    pattern = re.compile(re.escape(stem) + _BACKUP_SUFFIX)
    for path in folder.glob(f"{glob.escape(stem)}-*.db"):
        match = pattern.fullmatch(path.name)  # not the backups of "mlcards-work.db"
        if match is None:
            continue
        created = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        order = int(match.group(2) or 1)
        found.append((created, order, Backup(path, created, match.group(3), path.stat().st_size)))
    return [b for _, _, b in sorted(found, key=lambda f: (f[0], f[1]), reverse=True)]


def prune_backups(db_path: Path) -> list[Path]:
    """Keep the newest backup of each of the last 7 days, 4 weeks and 6 months; drop the rest.

    Two exceptions, so that rotation never drops the only copy of recent work: every backup
    of the last 48 hours is kept, and so is every safety copy (manual, pre-migration,
    pre-repair, pre-restore) of the last 30 days, counted back from the newest backup.
    """
    backups = list_backups(db_path)
    if not backups:
        return []
    newest = backups[0].created
    keep: set[Path] = {
        b.path
        for b in backups
        if newest - b.created < timedelta(hours=KEEP_ALL_HOURS)
        or (b.reason in SAFETY_REASONS and newest - b.created < timedelta(days=KEEP_SAFETY_DAYS))
    }
    periods: list[tuple[Callable[[datetime], object], int]] = [
        (lambda d: d.date(), KEEP_DAILY),
        (lambda d: d.isocalendar()[:2], KEEP_WEEKLY),
        (lambda d: (d.year, d.month), KEEP_MONTHLY),
    ]
    for period, count in periods:
        seen: list[object] = []
        for backup in backups:
            key = period(backup.created.astimezone())
            if key in seen:
                continue
            if len(seen) == count:
                break
            seen.append(key)
            keep.add(backup.path)
    removed = []
    for backup in backups:
        if backup.path not in keep:
            backup.path.unlink(missing_ok=True)
            removed.append(backup.path)
    return removed


def find_backup(db_path: Path, name: str) -> Backup:
    backups = list_backups(db_path)
    if not backups:
        raise InputNotFoundError(f"{backup_folder(db_path)}: no backups of {db_path}")
    if name == "latest":
        for backup in backups:  # the newest one that is itself sound
            if backup_is_sound(backup.path):
                return backup
        raise StoreError(f"{backup_folder(db_path)}: no backup passes its integrity check")
    for backup in backups:
        if name in (backup.path.name, str(backup.path)):
            return backup
    raise InputNotFoundError(f"no backup named {name!r}; `mlcards backup list` shows them")


def _open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)


def backup_is_sound(path: Path) -> bool:
    try:
        conn = _open_read_only(path)
        try:
            return bool(conn.execute("PRAGMA quick_check").fetchone()[0] == "ok")
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def as_store_error(exc: BaseException, path: Path) -> MlcardsError | None:
    """A database error met outside the store's own guards, as the error a user sees."""
    if isinstance(exc, sqlite3.Error):
        return _translate(exc, path)
    return None


def restore_backup(db_path: Path, backup: Backup) -> Path | None:
    """Replace the database with a backup. Returns where a damaged database was moved.

    A healthy database is first backed up itself ("pre-restore") and then overwritten through
    the backup API, which is safe with other connections open. A damaged one is moved aside,
    never deleted, with its WAL file.
    """
    db_path = Path(db_path)
    try:
        source = _open_read_only(backup.path)
    except sqlite3.Error as exc:
        raise StoreError(f"{backup.path}: cannot open the backup ({exc})") from None
    try:
        try:
            ok = source.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            version = source.execute("SELECT max(id) FROM migrations").fetchone()[0] or 0
        except sqlite3.Error as exc:
            raise StoreError(f"{backup.path}: not a usable backup ({exc})") from None
        if not ok:
            raise StoreError(f"{backup.path}: the backup itself fails its integrity check")
        if version > SCHEMA_VERSION:
            raise DatabaseTooNewError(f"{backup.path}: written by a newer mlcards")
        moved: Path | None = None
        live: Store | None = None
        if db_path.exists():
            try:
                live = Store.open(db_path, create=False)
                if live.integrity_problems():
                    live.close()
                    live = None
            except (MlcardsError, sqlite3.Error):
                if live is not None:
                    live.close()
                live = None
            if live is None:
                moved = db_path.with_name(
                    f"{db_path.name}.damaged-{clock.now().strftime('%Y%m%dT%H%M%SZ')}"
                )
                for suffix in ("", "-wal", "-shm"):
                    part = Path(str(db_path) + suffix)
                    if part.exists():
                        os.replace(part, Path(str(moved) + suffix))
        try:
            if live is not None:
                live.backup("pre-restore")
                source.backup(live.conn)
                live.close()
            else:
                target = sqlite3.connect(str(db_path))
                try:
                    source.backup(target)
                finally:
                    target.close()
        except sqlite3.Error as exc:
            raise _translate(exc, db_path) from None
        return moved
    finally:
        source.close()
