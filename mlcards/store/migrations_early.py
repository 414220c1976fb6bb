"""Migrations 1 to 9, shipped: the schema up to FSRS's state (the list is in
``migrations.py``). Moved here whole; never edited."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils


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
