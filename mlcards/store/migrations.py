"""Numbered schema migrations. Append only: never edit a migration that has shipped.

Each runs once, inside its own ``BEGIN IMMEDIATE`` transaction together with the row that
records it, so a database is always at exactly one schema version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlcards.store.migrations_early import (
    _m001_initial,
    _m002_review_depth,
    _m003_review_history_index,
    _m004_hot_path_indexes,
    _m005_state_before_each_answer,
    _m006_status_index_with_hidden_cards,
    _m007_review_ids_never_reused,
    _m008_daily_counts_index,
    _m009_fsrs_state,
)

if TYPE_CHECKING:
    import sqlite3

    import sqlite_utils


@dataclass(frozen=True)
class Migration:
    id: int
    name: str
    apply: Callable[[sqlite_utils.Database], None]


def _m010_schedule_settings(db: sqlite_utils.Database) -> None:
    """The settings that decide schedules live beside the schedules (``store/settings.py``):
    one row per value set, '' for the global ones."""
    db.execute(
        """
        CREATE TABLE schedule_settings (
            deck_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (deck_id, key)
        )"""
    )


def _m011_flag_note(db: sqlite_utils.Database) -> None:
    """Why a card was flagged, as the learner typed it at `f` (NULL: no note). It belongs
    to the mark, not to the log: unflagging leaves it, so undoing an unflag restores it."""
    db.execute("ALTER TABLE cards ADD COLUMN flag_note TEXT")


def _m012_no_fuzz_for_old_schedules(db: sqlite_utils.Database) -> None:
    """Interval fuzz is on by default, but the schedules an existing log already produced
    were computed without it: a database with reviews keeps ``fuzz: false`` (set explicitly,
    so ``check`` replays as before and nothing moves) until the learner turns it on with
    ``mlcards config set fuzz true``. A new database has no row: the default, fuzzed."""
    if db.execute("SELECT 1 FROM reviews LIMIT 1").fetchone() is None:
        return
    db.execute(
        "INSERT INTO schedule_settings (deck_id, key, value) VALUES ('', 'fuzz', 'false') "
        "ON CONFLICT (deck_id, key) DO NOTHING"
    )


def _m013_deck_file_stamps(db: sqlite_utils.Database) -> None:
    """What each deck's file was when it was imported (size, mtime, SHA-256), so that
    ``review`` notices an edit made outside mlcards with one ``stat`` per deck. NULL until
    the deck is next imported (or checked)."""
    db.execute("ALTER TABLE decks ADD COLUMN file_size INTEGER")
    db.execute("ALTER TABLE decks ADD COLUMN file_mtime_ns INTEGER")
    db.execute("ALTER TABLE decks ADD COLUMN file_sha256 TEXT")


def card_text_sql(alias: str) -> str:
    """The searchable text of the ``cards`` row ``alias``: title, question, each choice and
    the explanation, one per line (a phrase never spans two of them). The triggers, the
    backfill, ``check`` and its repair all use this one expression."""
    content = f"{alias}.content"
    return (
        f"coalesce(json_extract({content}, '$.title'), '') || char(10) || "
        f"coalesce(json_extract({content}, '$.question'), '') || char(10) || "
        "coalesce((SELECT group_concat(json_extract(ch.value, '$.text'), char(10)) "
        f"FROM json_each({content}, '$.choices') ch), '') || char(10) || "
        f"coalesce(json_extract({content}, '$.explanation'), '')"
    )


FILL_CARD_TEXT = (
    "INSERT INTO card_text_keys (deck_id, card_id) SELECT deck_id, id FROM cards ORDER BY rowid",
    f"INSERT INTO card_text (rowid, text) SELECT k.id, {card_text_sql('c')} FROM cards c "
    "JOIN card_text_keys k ON k.deck_id = c.deck_id AND k.card_id = c.id",
)
"""Fill the (empty) search index from every card: the migration, and ``check --repair``."""

FLUSH_CARD_TEXT = (
    "DELETE FROM card_text WHERE rowid IN (SELECT id FROM card_text_pending)",
    f"INSERT INTO card_text (rowid, text) SELECT p.id, {card_text_sql('c')} "
    "FROM card_text_pending p JOIN card_text_keys k ON k.id = p.id "
    "JOIN cards c ON c.deck_id = k.deck_id AND c.id = k.card_id",
    "DELETE FROM card_text_pending",
)
"""Bring the search index up to date with the cards whose text changed in this transaction
(``Database.write`` runs it before every COMMIT that left cards pending)."""


def _m014_card_text_search(db: sqlite_utils.Database) -> None:
    """A full-text index of every card's text (FTS5, trigram tokens: any text of three
    characters or more is found from the index, case-insensitively, as Anki's search finds
    text anywhere in a word). Token positions are kept (``detail=full``): a phrase is then
    answered by the index alone, four times as fast at 100,000 cards as ``detail=none``,
    which must read each candidate's text, for an index six times the size. Its rows are
    keyed by ``card_text_keys.id``, an INTEGER PRIMARY KEY, which (unlike the rowid of
    ``cards``) VACUUM never renumbers.

    A cache of ``cards.content``, kept in step in the same transaction as every import,
    edit and retirement: triggers on ``cards`` note each card whose text changed in
    ``card_text_pending``, and the write transaction indexes them all at once before it
    commits (FTS5 written row by row from a trigger flushes its buffer at every row, which
    made an import five times slower). ``check`` verifies the index."""
    db.execute(
        "CREATE TABLE card_text_keys (id INTEGER PRIMARY KEY, deck_id TEXT NOT NULL, "
        "card_id TEXT NOT NULL, UNIQUE (deck_id, card_id))"
    )
    db.execute("CREATE VIRTUAL TABLE card_text USING fts5(text, tokenize = 'trigram')")
    db.execute("CREATE TABLE card_text_pending (id INTEGER PRIMARY KEY)")
    key = "(SELECT id FROM card_text_keys WHERE deck_id = new.deck_id AND card_id = new.id)"
    db.execute(
        f"""
        CREATE TRIGGER card_text_insert AFTER INSERT ON cards BEGIN
            INSERT INTO card_text_keys (deck_id, card_id) VALUES (new.deck_id, new.id);
            INSERT OR IGNORE INTO card_text_pending (id) VALUES ({key});
        END"""
    )
    db.execute(
        f"""
        CREATE TRIGGER card_text_update AFTER UPDATE OF content ON cards
        WHEN new.content IS NOT old.content BEGIN
            INSERT OR IGNORE INTO card_text_pending (id) VALUES ({key});
        END"""
    )
    db.execute(
        """
        CREATE TRIGGER card_text_delete AFTER DELETE ON cards BEGIN
            INSERT OR IGNORE INTO card_text_pending (id) SELECT id FROM card_text_keys
                WHERE deck_id = old.deck_id AND card_id = old.id;
            DELETE FROM card_text_keys WHERE deck_id = old.deck_id AND card_id = old.id;
        END"""
    )
    for statement in FILL_CARD_TEXT:
        db.execute(statement)


_M015_TOTALS = (
    """CREATE TABLE card_totals (
        deck_id TEXT NOT NULL, card_id TEXT NOT NULL,
        reviews INTEGER NOT NULL, correct INTEGER NOT NULL, lapses INTEGER NOT NULL,
        first_answers INTEGER NOT NULL, first_correct INTEGER NOT NULL,
        dont_know INTEGER NOT NULL,
        PRIMARY KEY (deck_id, card_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE day_totals (
        study_day TEXT NOT NULL, deck_id TEXT NOT NULL,
        answers INTEGER NOT NULL, correct INTEGER NOT NULL, time_ms INTEGER NOT NULL,
        graded INTEGER NOT NULL, graded_correct INTEGER NOT NULL,
        young INTEGER NOT NULL, young_correct INTEGER NOT NULL,
        mature INTEGER NOT NULL, mature_correct INTEGER NOT NULL,
        PRIMARY KEY (study_day, deck_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE day_tag_totals (
        study_day TEXT NOT NULL, tag TEXT NOT NULL, deck_id TEXT NOT NULL,
        answers INTEGER NOT NULL, correct INTEGER NOT NULL, time_ms INTEGER NOT NULL,
        graded INTEGER NOT NULL, graded_correct INTEGER NOT NULL,
        young INTEGER NOT NULL, young_correct INTEGER NOT NULL,
        mature INTEGER NOT NULL, mature_correct INTEGER NOT NULL,
        PRIMARY KEY (study_day, tag, deck_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX day_tag_by_tag ON day_tag_totals(tag, study_day, graded, graded_correct)",
    "CREATE INDEX cards_stats ON cards(deck_id, retired, suspended, last_review_id, "
    "repetitions, interval, easiness, stability, last_review_day, due, lapses, position, id)",
)
"""Migration 15's tables and indexes, as they were made (a migration's DDL is frozen here,
not read from the modules that use the tables, so that no later edit changes it)."""


def _m015_running_totals(db: sqlite_utils.Database) -> None:
    """Running totals of the log for ``stats`` (``store/totals.py``): per card, per study day
    and deck, per study day, deck and tag. A cache of the log like the schedule columns,
    filled from the log here."""
    from mlcards.store.totals import rebuild

    for statement in _M015_TOTALS:
        db.execute(statement)
    rebuild(db.conn, tables=("card_totals", "day_totals", "day_tag_totals"))


CARD_TEXT_HASHSIZE = 8 << 20
"""Bytes of new index entries FTS5 gathers in memory before writing them out (its default is
1 MB). Importing 10,000 cards (8.6 million characters of text) then writes a few large
segments instead of many small ones that must be merged again: the index update took a
third less time (0.74 -> 0.48 s in process); 8 MB is enough, more gained nothing measurable."""


def _m016_card_text_hashsize(db: sqlite_utils.Database) -> None:
    """The search index gathers more in memory before writing (``CARD_TEXT_HASHSIZE``). A
    setting of the FTS5 table, kept in the database; an SQLite whose FTS5 does not know it
    keeps its default, which is only slower."""
    import sqlite3
    from contextlib import suppress

    with suppress(sqlite3.OperationalError):
        db.execute(
            "INSERT INTO card_text (card_text, rank) VALUES ('hashsize', ?)", [CARD_TEXT_HASHSIZE]
        )


def _event_tables(conn: sqlite3.Connection) -> None:
    """Migration 17's new tables: card actions, settings changes and undos as append-only
    events, and the answers that wait for a deck this database has not imported."""
    conn.execute(
        """
        CREATE TABLE card_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            uid TEXT NOT NULL UNIQUE,
            device TEXT NOT NULL,
            seq INTEGER NOT NULL,
            ord TEXT NOT NULL,
            deck_id TEXT NOT NULL,
            card_id TEXT NOT NULL,
            action TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}',
            batch TEXT
        )"""
    )
    conn.execute("CREATE INDEX card_events_card ON card_events(deck_id, card_id, ord)")
    conn.execute("CREATE INDEX card_events_ord ON card_events(ord)")
    conn.execute(
        """
        CREATE TABLE settings_events (
            uid TEXT PRIMARY KEY,
            device TEXT NOT NULL,
            seq INTEGER NOT NULL,
            ord TEXT NOT NULL,
            deck_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX settings_events_ord ON settings_events(ord)")
    conn.execute(
        """
        CREATE TABLE tombstones (
            target TEXT PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            device TEXT NOT NULL,
            seq INTEGER NOT NULL,
            ord TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX tombstones_ord ON tombstones(ord)")
    conn.execute(
        """
        CREATE TABLE pending (
            uid TEXT PRIMARY KEY,
            deck_id TEXT NOT NULL,
            card_id TEXT NOT NULL,
            event TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX pending_deck ON pending(deck_id)")


def _m017_sync_events(db: sqlite_utils.Database) -> None:
    """Sync (#24): every event gets a global identity and a place in one global order.

    A device id (``sync_state``), and on every answer its event id (``uid``), this device's
    sequence number and ``ord`` = "t|device|seq", the key that orders the log on every
    device (``store/events.py``). Card actions, undos and settings changes become append-only
    events of their own; answers for cards this database lacks wait in ``pending``. The
    existing log is backfilled in id order with times that never go back, so ``ord`` order
    is the id order the cache was built in; today's marks and reset points become events.
    """
    from datetime import UTC, datetime

    from mlcards.store.events import backfill

    conn = db.conn
    conn.execute("CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for column in (
        "uid TEXT",  # NULL only in a row written by hand (tests, tools): never synced
        "device TEXT NOT NULL DEFAULT ''",
        "seq INTEGER NOT NULL DEFAULT 0",
        "ord TEXT NOT NULL DEFAULT ''",
    ):
        conn.execute(f"ALTER TABLE reviews ADD COLUMN {column}")
    conn.execute("ALTER TABLE cards ADD COLUMN reset_ord TEXT NOT NULL DEFAULT ''")
    _event_tables(conn)
    conn.execute("DROP TRIGGER reviews_append_only_update")
    backfill(conn, datetime.now(UTC))
    conn.execute(
        """
        CREATE TRIGGER reviews_append_only_update BEFORE UPDATE ON reviews
        BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END"""
    )
    conn.execute("CREATE UNIQUE INDEX reviews_uid ON reviews(uid)")
    conn.execute("CREATE INDEX reviews_ord ON reviews(ord)")
    for table in ("card_events", "settings_events", "tombstones"):
        for action in ("UPDATE", "DELETE"):
            conn.execute(
                f"""
                CREATE TRIGGER {table}_append_only_{action.lower()} BEFORE {action} ON {table}
                BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"""
            )


_M018_INDEXES = (
    "CREATE INDEX cards_easiness ON cards(easiness, retired, last_review_id, stability) "
    "WHERE retired = 0 AND last_review_id IS NOT NULL AND stability IS NULL",
    "CREATE INDEX cards_interval ON cards(interval, retired, last_review_id) "
    "WHERE retired = 0 AND last_review_id IS NOT NULL",
    "CREATE INDEX cards_forecast ON cards(due, retired, suspended, buried_until) "
    "WHERE retired = 0 AND due IS NOT NULL",
    "CREATE INDEX cards_hidden ON cards(deck_id, last_review_id, suspended, retired) "
    "WHERE suspended = 1 AND retired = 0",
    "CREATE INDEX cards_buried ON cards(deck_id, buried_until, suspended, last_review_id, "
    "retired) WHERE buried_until IS NOT NULL AND retired = 0",
    "CREATE INDEX card_totals_lapses ON card_totals(lapses)",
    "CREATE INDEX card_totals_missed ON card_totals(first_correct - first_answers) "
    "WHERE first_answers > first_correct",
    "CREATE INDEX cards_lapses ON cards(lapses, deck_id, id, position)",
)
"""Migration 18's indexes, as they were made (see ``_M015_TOTALS``)."""


def _m018_count_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for counting without a sort or a scan: the stats' histograms and due days in
    value order (``store/stats_cards.py``), the top of the cards' totals
    (``store/stats_totals.py``), each deck's suspended and buried cards for ``status``
    (``store/decks.py``)."""
    for statement in _M018_INDEXES:
        db.execute(statement)


def _m019_drop_unused_buried_index(db: sqlite_utils.Database) -> None:
    """Migration 18's ``cards_buried`` serves no query any more (status counts buried cards
    with the learning repeats' condition): dropped, so answers stop keeping it up."""
    db.execute("DROP INDEX IF EXISTS cards_buried")


def _m020_latest_answer_index(db: sqlite_utils.Database) -> None:
    """Each card's answers in the log's order (``ord``), so its latest one is one index step
    (``store/search.py``: ``cards``' Last column and ``--sort reviewed``)."""
    db.execute("CREATE INDEX reviews_card_ord ON reviews(deck_id, card_id, ord)")


def _m021_fewer_indexes_per_answer(db: sqlite_utils.Database) -> None:
    """Indexes every answer kept up that another index serves as well: ``cards_due`` (the
    due queue and the next due day walk ``cards_forecast``), ``reviews_day`` (the leading
    column of ``reviews_day_counts``), ``reviews_card`` (``reviews_card_ord`` and
    ``reviews_history`` lead with the card too). (The histograms' own indexes stay: read
    from ``cards_stats`` instead, ``stats`` sorted every reviewed card, 65 ms at 74,000.)"""
    for name in ("cards_due", "reviews_day", "reviews_card"):
        db.execute(f"DROP INDEX IF EXISTS {name}")


def _m022_drop_unused_session_index(db: sqlite_utils.Database) -> None:
    """``reviews_session`` serves no query (an undo reads its answer's session by id): every
    answer, import and sync kept it up for nothing."""
    db.execute("DROP INDEX IF EXISTS reviews_session")


def _m023_tag_totals(db: sqlite_utils.Database) -> None:
    """Graded answers per tag and deck over all time (``tag_totals``), summed from the
    per-day tag totals migration 15 made (which ``check`` holds to the log)."""
    from mlcards.store.totals import sum_tag_days

    db.execute(
        """CREATE TABLE tag_totals (
        tag TEXT NOT NULL, deck_id TEXT NOT NULL,
        graded INTEGER NOT NULL, graded_correct INTEGER NOT NULL,
        PRIMARY KEY (tag, deck_id)
    ) WITHOUT ROWID"""
    )
    sum_tag_days(db.conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _m001_initial),
    Migration(2, "practice, undo, suspend, bury, flag, leeches", _m002_review_depth),
    Migration(3, "review history index for stats", _m003_review_history_index),
    Migration(4, "indexes for status and the review queue", _m004_hot_path_indexes),
    Migration(5, "the state before each answer", _m005_state_before_each_answer),
    Migration(6, "status index covers suspended and buried", _m006_status_index_with_hidden_cards),
    Migration(7, "review ids are never reused", _m007_review_ids_never_reused),
    Migration(8, "covering index for today's counts", _m008_daily_counts_index),
    Migration(9, "FSRS memory state", _m009_fsrs_state),
    Migration(10, "scheduling settings in the database", _m010_schedule_settings),
    Migration(11, "a note on a flag", _m011_flag_note),
    Migration(12, "no fuzz for schedules made before it", _m012_no_fuzz_for_old_schedules),
    Migration(13, "deck file stamps", _m013_deck_file_stamps),
    Migration(14, "full-text index of card text", _m014_card_text_search),
    Migration(15, "running totals for stats", _m015_running_totals),
    Migration(16, "the search index writes in larger batches", _m016_card_text_hashsize),
    Migration(17, "sync: event ids, global order, card events", _m017_sync_events),
    Migration(18, "indexes for the stats' histograms and status", _m018_count_indexes),
    Migration(19, "an unused index dropped", _m019_drop_unused_buried_index),
    Migration(20, "each card's answers in the log's order", _m020_latest_answer_index),
    Migration(21, "fewer indexes for each answer to keep up", _m021_fewer_indexes_per_answer),
    Migration(22, "no index on the review's session", _m022_drop_unused_session_index),
    Migration(23, "accuracy by tag over all time", _m023_tag_totals),
)

SCHEMA_VERSION = MIGRATIONS[-1].id

MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    mlcards_version TEXT NOT NULL
)"""
