"""Numbered schema migrations. Append only: never edit a migration that has shipped.

Each runs once, inside its own ``BEGIN IMMEDIATE`` transaction together with the row that
records it, so a database is always at exactly one schema version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True)
class Migration:
    id: int
    name: str
    apply: Callable[[sqlite_utils.Database], None]


def _m001_initial(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE decks (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            path TEXT NOT NULL DEFAULT '',
            position INTEGER NOT NULL,
            imported_at TEXT NOT NULL
        )"""
    )
    # The schedule columns of cards are a cache of the review log (see Store.replay).
    db.execute(
        """
        CREATE TABLE cards (
            deck_id TEXT NOT NULL REFERENCES decks(id),
            id TEXT NOT NULL,
            position INTEGER NOT NULL,
            content TEXT NOT NULL,
            retired INTEGER NOT NULL DEFAULT 0,
            added_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            schedule_from INTEGER NOT NULL DEFAULT 0,
            repetitions INTEGER NOT NULL DEFAULT 0,
            easiness REAL NOT NULL DEFAULT 2.5,
            interval INTEGER NOT NULL DEFAULT 0,
            due TEXT,
            last_review_id INTEGER,
            last_review_day TEXT,
            PRIMARY KEY (deck_id, id)
        )"""
    )
    db.execute("CREATE INDEX cards_due ON cards(due) WHERE retired = 0")
    db.execute(
        """
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            deck_id TEXT NOT NULL,
            card_id TEXT NOT NULL,
            reviewed_at TEXT NOT NULL,
            study_day TEXT NOT NULL,
            chosen TEXT NOT NULL,
            correct INTEGER NOT NULL,
            quality INTEGER NOT NULL CHECK (quality BETWEEN 0 AND 5),
            response_ms INTEGER NOT NULL,
            same_day_repeat INTEGER NOT NULL,
            was_new INTEGER NOT NULL,
            repetitions INTEGER NOT NULL,
            easiness REAL NOT NULL,
            interval INTEGER NOT NULL,
            due TEXT NOT NULL,
            FOREIGN KEY (deck_id, card_id) REFERENCES cards(deck_id, id)
        )"""
    )
    db.execute("CREATE INDEX reviews_card ON reviews(deck_id, card_id, id)")
    db.execute("CREATE INDEX reviews_day ON reviews(study_day)")
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"""
            CREATE TRIGGER reviews_append_only_{action.lower()} BEFORE {action} ON reviews
            BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END"""
        )


LAPSE_COUNT_SQL = """
    SELECT count(*) FROM (
        SELECT r.quality, lag(r.repetitions, 1, 0) OVER (ORDER BY r.id) AS before
        FROM reviews r
        WHERE r.deck_id = cards.deck_id AND r.card_id = cards.id
          AND r.same_day_repeat = 0 AND r.mode = 'review' AND r.id > cards.schedule_from
    ) WHERE quality < 3 AND before >= 1
"""


def _m002_review_depth(db: sqlite_utils.Database) -> None:
    """Practice mode, undo, suspend/bury/flag, leeches, and each card's line in its file."""
    db.execute("ALTER TABLE reviews ADD COLUMN session TEXT")
    db.execute("ALTER TABLE reviews ADD COLUMN mode TEXT NOT NULL DEFAULT 'review'")
    for column in (
        "suspended INTEGER NOT NULL DEFAULT 0",
        "buried_until TEXT",
        "flagged INTEGER NOT NULL DEFAULT 0",
        "leech INTEGER NOT NULL DEFAULT 0",
        "lapses INTEGER NOT NULL DEFAULT 0",
        "line INTEGER NOT NULL DEFAULT 0",
    ):
        db.execute(f"ALTER TABLE cards ADD COLUMN {column}")
    db.execute(f"UPDATE cards SET lapses = ({LAPSE_COUNT_SQL})")
    # Undo within a session is the one way an answer leaves the log: the store writes a token
    # for exactly that row in the same transaction, and the trigger refuses any other delete.
    db.execute("CREATE TABLE undo_tokens (review_id INTEGER PRIMARY KEY)")
    db.execute("DROP TRIGGER reviews_append_only_delete")
    db.execute(
        """
        CREATE TRIGGER reviews_append_only_delete BEFORE DELETE ON reviews
        WHEN NOT EXISTS (SELECT 1 FROM undo_tokens WHERE review_id = OLD.id)
        BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END"""
    )
    db.execute("CREATE INDEX reviews_session ON reviews(session) WHERE session IS NOT NULL")


def _m003_review_history_index(db: sqlite_utils.Database) -> None:
    # Covers the stats queries that walk each card's reviews in order (the interval and
    # repetitions *before* an answer come from the previous row): no table lookups.
    db.execute(
        """
        CREATE INDEX reviews_history ON reviews(
            deck_id, card_id, id, study_day, correct, quality, same_day_repeat, was_new,
            repetitions, interval
        )"""
    )


def _m004_hot_path_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for the queries every command runs, so 100,000 cards cost no table scan.

    ``status`` counts from a covering index instead of reading every card's content;
    ``new_cards`` walks the new cards of one deck in file order; ``repeat_cards`` finds the
    cards answered today without scanning the rest.
    """
    db.execute("CREATE INDEX cards_deck_state ON cards(deck_id, retired, due, last_review_id, id)")
    db.execute(
        "CREATE INDEX cards_new ON cards(deck_id, position) "
        "WHERE retired = 0 AND last_review_id IS NULL"
    )
    db.execute("CREATE INDEX cards_last_day ON cards(last_review_day) WHERE retired = 0")


def _m005_state_before_each_answer(db: sqlite_utils.Database) -> None:
    """Each answer also records the card's repetitions and interval before it (as Anki's
    revlog keeps lastIvl), so statistics need no window over the whole log."""
    db.execute("ALTER TABLE reviews ADD COLUMN prev_repetitions INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE reviews ADD COLUMN prev_interval INTEGER NOT NULL DEFAULT 0")
    # The backfill is the one UPDATE the log ever gets: the trigger is lifted and restored
    # inside this migration's transaction.
    db.execute("DROP TRIGGER reviews_append_only_update")
    db.execute(
        """
        WITH p AS (
            SELECT id,
                   CASE WHEN was_new THEN 0 ELSE coalesce(lag(repetitions) OVER w, 0) END AS pr,
                   CASE WHEN was_new THEN 0 ELSE coalesce(lag(interval) OVER w, 0) END AS pi
            FROM reviews WHERE mode = 'review'
            WINDOW w AS (PARTITION BY deck_id, card_id ORDER BY id)
        )
        UPDATE reviews SET prev_repetitions = p.pr, prev_interval = p.pi
        FROM p WHERE reviews.id = p.id"""
    )
    db.execute(
        "UPDATE reviews SET prev_repetitions = repetitions, prev_interval = interval "
        "WHERE mode = 'practice'"
    )
    db.execute(
        """
        CREATE TRIGGER reviews_append_only_update BEFORE UPDATE ON reviews
        BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END"""
    )
    db.execute("DROP INDEX reviews_history")
    db.execute(
        """
        CREATE INDEX reviews_history ON reviews(
            deck_id, card_id, mode, study_day, correct, quality, same_day_repeat, was_new,
            prev_repetitions, prev_interval, id
        )"""
    )


def _m006_status_index_with_hidden_cards(db: sqlite_utils.Database) -> None:
    """``status`` leaves suspended and buried cards out of "due": keep its index covering."""
    db.execute("DROP INDEX cards_deck_state")
    db.execute(
        "CREATE INDEX cards_deck_state ON cards("
        "deck_id, retired, due, last_review_id, suspended, buried_until, id)"
    )


def _m007_review_ids_never_reused(db: sqlite_utils.Database) -> None:
    """AUTOINCREMENT on the review log, so an id taken back by undo is never given again
    (the table is rebuilt with every row and id as it was; indexes and triggers restored)."""
    db.execute(
        """
        CREATE TABLE reviews_v7 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            deck_id TEXT NOT NULL,
            card_id TEXT NOT NULL,
            reviewed_at TEXT NOT NULL,
            study_day TEXT NOT NULL,
            chosen TEXT NOT NULL,
            correct INTEGER NOT NULL,
            quality INTEGER NOT NULL CHECK (quality BETWEEN 0 AND 5),
            response_ms INTEGER NOT NULL,
            same_day_repeat INTEGER NOT NULL,
            was_new INTEGER NOT NULL,
            repetitions INTEGER NOT NULL,
            easiness REAL NOT NULL,
            interval INTEGER NOT NULL,
            due TEXT NOT NULL,
            session TEXT,
            mode TEXT NOT NULL DEFAULT 'review',
            prev_repetitions INTEGER NOT NULL DEFAULT 0,
            prev_interval INTEGER NOT NULL DEFAULT 0,
            FOREIGN KEY (deck_id, card_id) REFERENCES cards(deck_id, id)
        )"""
    )
    columns = (
        "id, deck_id, card_id, reviewed_at, study_day, chosen, correct, quality, response_ms, "
        "same_day_repeat, was_new, repetitions, easiness, interval, due, session, mode, "
        "prev_repetitions, prev_interval"
    )
    db.execute(f"INSERT INTO reviews_v7 ({columns}) SELECT {columns} FROM reviews")
    db.execute("DROP TABLE reviews")  # its indexes and triggers go with it
    db.execute("ALTER TABLE reviews_v7 RENAME TO reviews")
    db.execute("CREATE INDEX reviews_card ON reviews(deck_id, card_id, id)")
    db.execute("CREATE INDEX reviews_day ON reviews(study_day)")
    db.execute("CREATE INDEX reviews_session ON reviews(session) WHERE session IS NOT NULL")
    db.execute(
        """
        CREATE INDEX reviews_history ON reviews(
            deck_id, card_id, mode, study_day, correct, quality, same_day_repeat, was_new,
            prev_repetitions, prev_interval, id
        )"""
    )
    db.execute(
        """
        CREATE TRIGGER reviews_append_only_update BEFORE UPDATE ON reviews
        BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END"""
    )
    db.execute(
        """
        CREATE TRIGGER reviews_append_only_delete BEFORE DELETE ON reviews
        WHEN NOT EXISTS (SELECT 1 FROM undo_tokens WHERE review_id = OLD.id)
        BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END"""
    )


def _m008_daily_counts_index(db: sqlite_utils.Database) -> None:
    """A covering index for today's counts (new cards introduced, reviews done), which each
    card drawn in a session asks for: a busy day's rows are counted without a table lookup."""
    db.execute(
        "CREATE INDEX reviews_day_counts ON reviews(study_day, mode, same_day_repeat, deck_id, "
        "was_new)"
    )


def _m009_fsrs_state(db: sqlite_utils.Database) -> None:
    """FSRS memory state (stability, difficulty): cached per card like SM-2's state, and kept
    in each answer's row as the state it produced. NULL where SM-2 graded (or nothing did).
    Adding columns fires no trigger: the log's rows stay as they were."""
    for table in ("cards", "reviews"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN stability REAL")
        db.execute(f"ALTER TABLE {table} ADD COLUMN difficulty REAL")


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


def _m015_running_totals(db: sqlite_utils.Database) -> None:
    """Running totals of the log for ``stats`` (``store/totals.py``): per card, per study day
    and deck, per study day, deck and tag. A cache of the log like the schedule columns,
    filled from the log here."""
    from mlcards.store.totals import SCHEMA, rebuild

    for statement in SCHEMA:
        db.execute(statement)
    rebuild(db.conn)


def _m016_count_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for counting without a sort or a scan: the stats' histograms and due days in
    value order (``store/stats_cards.py``), the top of the cards' totals
    (``store/stats_totals.py``), each deck's suspended and buried cards for ``status``
    (``store/decks.py``)."""
    from mlcards.store.decks import HIDDEN_SCHEMA
    from mlcards.store.stats_cards import SCHEMA
    from mlcards.store.stats_totals import BOUND_SCHEMA

    for statement in SCHEMA + HIDDEN_SCHEMA + BOUND_SCHEMA:
        db.execute(statement)


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
    Migration(16, "indexes for the stats' histograms and status", _m016_count_indexes),
)

SCHEMA_VERSION = MIGRATIONS[-1].id

MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    mlcards_version TEXT NOT NULL
)"""
