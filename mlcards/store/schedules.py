"""The writers of the per-card caches the log decides: schedules (``write_schedules``), a
deck's schedules and totals replayed inside a write (``rebuild_in``), and card actions
logged as events with their marks folded in (``act_in``), each inside the caller's
transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from mlcards.models import (
    NEW_SCHEDULE,
    CachedSchedule,
    CardKey,
)
from mlcards.store.events import CARD_ACTIONS, CardAction, append_card_events
from mlcards.store.health import REPLAY_COLUMNS, replay_row
from mlcards.store.marks import MARK_COLUMNS, NO_MARKS, fold, marks_of, reset_points, unleech
from mlcards.store.settings import Compute, spec_of
from mlcards.store.settings import read_in as read_settings
from mlcards.store.totals import rebuild as rebuild_totals

_WRITE_SCHEDULE = (
    "UPDATE cards SET repetitions = :repetitions, easiness = :easiness, interval = :interval, "
    "due = :due, last_review_id = :last_review_id, last_review_day = :last_review_day, "
    "lapses = :lapses, stability = :stability, difficulty = :difficulty "
    "WHERE deck_id = :deck_id AND id = :card_id"
)


def write_schedules(
    conn: sqlite3.Connection, schedules: Iterable[tuple[CardKey, CachedSchedule]]
) -> None:
    """The one writer of cards' cached schedules (inside the caller's transaction)."""
    conn.executemany(
        _WRITE_SCHEDULE,
        ({**schedule, "deck_id": key[0], "card_id": key[1]} for key, schedule in schedules),
    )


def write_schedule_changes(
    conn: sqlite3.Connection, key: CardKey, schedule: CachedSchedule, stored: sqlite3.Row
) -> None:
    """One card's schedule written over ``stored`` (its row as read in this transaction),
    setting only the columns whose value changes: SQLite rewrites an index only for the
    columns an UPDATE sets, so an answer that keeps the card's lapses or easiness leaves
    their indexes alone. (``last_review_id``, absent from ``stored``, always changes.)"""
    read = set(stored.keys())
    changed = {c: v for c, v in schedule.items() if c not in read or stored[c] != v}
    conn.execute(
        f"UPDATE cards SET {', '.join(f'{c} = ?' for c in changed)} WHERE deck_id = ? AND id = ?",
        (*changed.values(), *key),
    )


def rebuild_in(
    conn: sqlite3.Connection, path: Path, deck_ids: Sequence[str], compute: Compute
) -> int:
    """``Cards.rebuild_decks`` inside the caller's write transaction (a sync, an undo of a
    forget): the decks' schedules and running totals from their log, streamed."""
    decks = list(deck_ids)
    marks = ", ".join("?" for _ in decks)
    stored = read_settings(conn)
    starts = reset_points(conn, decks)
    rows = (
        replay_row(r, path)
        for r in conn.cursor().execute(
            f"SELECT {REPLAY_COLUMNS} FROM reviews "
            f"WHERE mode = 'review' AND deck_id IN ({marks}) ORDER BY ord",
            decks,
        )
    )
    states = compute(rows, starts, lambda deck_id: spec_of(stored, deck_id))
    write_schedules(conn, ((key, states.get(key, NEW_SCHEDULE)) for key in starts))
    rebuild_totals(conn, decks)
    return len(starts)


def act_in(
    conn: sqlite3.Connection,
    now: datetime,
    actions: Sequence[CardAction],
    *,
    batch: bool = False,
) -> list[str]:
    """``Cards.act_logged`` inside the caller's transaction. Each event is the latest in the order
    (``events``), so folding it onto the cached marks is what a replay of the events gives."""
    wanted: list[CardAction] = []
    for deck_id, card_id, action, data in actions:
        if action not in CARD_ACTIONS:
            raise ValueError(action)
        row = conn.execute(
            f"SELECT last_review_id, leech, {', '.join(MARK_COLUMNS)} FROM cards "
            "WHERE deck_id = ? AND id = ?",
            (deck_id, card_id),
        ).fetchone()
        if row is None:
            continue
        marks = dict(zip(MARK_COLUMNS, row[2:], strict=True))
        if action in ("forget", "reset"):
            if row[0] is None:
                continue  # never answered: nothing to forget
        elif fold(marks, "", action, data) == marks and not (
            action == "suspend" and row[1] and not _chosen_suspension(conn, (deck_id, card_id))
        ):
            continue  # (a leech's suspension is its answer's: the learner's own is logged)
        wanted.append((deck_id, card_id, action, data))
    stamps = append_card_events(conn, wanted, now, batch=batch)
    for (deck_id, card_id, action, data), stamp in zip(wanted, stamps, strict=True):
        key = (deck_id, card_id)
        row = conn.execute(
            f"SELECT {', '.join(MARK_COLUMNS)} FROM cards WHERE deck_id = ? AND id = ?", key
        ).fetchone()
        marks = fold(dict(zip(MARK_COLUMNS, row, strict=True)), stamp.ord, action, data)
        conn.execute(
            f"UPDATE cards SET {', '.join(f'{c} = ?' for c in MARK_COLUMNS)} "
            "WHERE deck_id = ? AND id = ?",
            (*(marks[c] for c in MARK_COLUMNS), *key),
        )
        if action in ("forget", "reset"):
            write_schedules(conn, [(key, NEW_SCHEDULE)])
            unleech(conn, key)
    return [stamp.uid for stamp in stamps]


def _chosen_suspension(conn: sqlite3.Connection, key: CardKey) -> bool:
    """Whether the card's events suspend it (not only its leech answer)."""
    return bool(marks_of(conn, card=key).get(key, NO_MARKS)["suspended"])
