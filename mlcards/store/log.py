"""The review log: append an answer, take one back (undo), load many (reads: ``log_reads``).

The log (``reviews``) is append-only (triggers refuse UPDATE and DELETE, except the delete
an undo token allows) and is the source of truth; each write here also updates the card's
cached schedule in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from mlcards import rules
from mlcards.errors import StoreError, UndoRefused
from mlcards.models import NEW_SCHEDULE, CachedSchedule, CardKey, Rebuild, ScheduledCard, utc_iso
from mlcards.rules import SchedulerSpec
from mlcards.store.cards import CARD_SELECT, row_to_scheduled
from mlcards.store.db import Database
from mlcards.store.events import Stamp, Stamper, stamps, tombstone
from mlcards.store.health import REPLAY_COLUMNS, replay_row
from mlcards.store.log_reads import LogReads
from mlcards.store.marks import reset_points, unleech
from mlcards.store.schedules import rebuild_in, write_schedule_changes, write_schedules
from mlcards.store.settings import Compute, spec_in
from mlcards.store.totals import add_from, take_back

TYPE_CHECKING = False
if TYPE_CHECKING:  # (records load where they are made: see records.py)
    from mlcards.records import ReviewRecord, StoredCard

_INSERT = (
    "INSERT INTO reviews (deck_id, card_id, reviewed_at, study_day, chosen, correct, quality, "
    "response_ms, same_day_repeat, was_new, repetitions, easiness, interval, due, mode, "
    "session, prev_repetitions, prev_interval, stability, difficulty, uid, device, seq, ord) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


_STORED_CARD = (
    f"{CARD_SELECT}, c.reset_ord, EXISTS (SELECT 1 FROM reviews r INDEXED BY reviews_history "
    "WHERE r.deck_id = c.deck_id AND r.card_id = c.id AND r.mode = 'review' "
    "AND r.study_day = ? AND r.ord > c.reset_ord) AS answered_today "
    "FROM cards c JOIN decks d ON d.id = c.deck_id WHERE c.deck_id = ? AND c.id = ?"
)
"""The card an answer grades, as stored, and whether it was answered (graded) today since
its answer last changed (the reset point): one read."""


def record_to_row(record: ReviewRecord, stamp: Stamp) -> tuple[object, ...]:
    """The row of an answer given here, stamped with its event id and place in the order."""
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
        record.stability,
        record.difficulty,
        stamp.uid,
        stamp.device,
        stamp.seq,
        stamp.ord,
    )


def _schedule_after(record: ReviewRecord, review_id: int, lapses: int) -> CachedSchedule:
    return {
        "repetitions": record.repetitions,
        "easiness": record.easiness,
        "interval": record.interval,
        "due": record.due.isoformat(),
        "last_review_id": review_id,
        "last_review_day": record.study_day.isoformat(),
        "lapses": lapses,
        "stability": record.stability,
        "difficulty": record.difficulty,
    }


BALANCED_DAYS = 100
"""How far ahead a load-balancing answer counts the deck's due cards at once (the widest fuzz
range of a balanced interval, 90 days, ends at 97); a later day is counted when asked."""


class _DueCounts(Mapping[date, int]):
    """The deck's other cards due on each day after ``today``, as the cache holds them now
    (inside the answer's transaction). The next ``BALANCED_DAYS`` are read at once; a later
    day only a card whose passing answer keeps a longer interval than it is now scheduled
    (``minimum_for``) asks, and it is counted then: every day a draw weighs is counted as a
    replay counts it. Iterating gives the days read at once."""

    def __init__(self, conn: sqlite3.Connection, shown: ScheduledCard, today: date) -> None:
        self._conn = conn
        self._card = (shown.deck_id, shown.card.id)
        self._end = date.fromordinal(today.toordinal() + BALANCED_DAYS)
        self._near: dict[date, int] = {
            date.fromisoformat(due): count
            for due, count in conn.execute(
                "SELECT due, count(*) FROM cards WHERE deck_id = ? AND id != ? "
                "AND due > ? AND due <= ? GROUP BY due",
                (*self._card, today.isoformat(), self._end.isoformat()),
            )
        }

    def __getitem__(self, day: date) -> int:
        if day <= self._end:
            return self._near.get(day, 0)
        row = self._conn.execute(
            "SELECT count(*) FROM cards WHERE deck_id = ? AND id != ? AND due = ?",
            (*self._card, day.isoformat()),
        ).fetchone()
        return int(row[0])

    def __iter__(self) -> Iterator[date]:
        return iter(self._near)

    def __len__(self) -> int:
        return len(self._near)


@dataclass(frozen=True)
class _Taken:
    """The answer an undo takes back, as the log holds it."""

    review_id: int
    mode: str
    key: CardKey
    ord: int
    uid: str | None
    spec: SchedulerSpec


def _undoable(conn: sqlite3.Connection, review_id: int, session: str) -> _Taken:
    """The answer, if this session may take it back now; else the refusal."""
    row = conn.execute(
        "SELECT mode, session, deck_id, card_id, ord, uid FROM reviews WHERE id = ?",
        (review_id,),
    ).fetchone()
    if row is None:  # the database under the session was replaced (a restore)
        raise UndoRefused(
            "that answer is no longer in the log (the database was restored from a "
            "backup since it was given)"
        )
    if row[1] != session:
        raise StoreError("only an answer of the current session can be undone")
    mode, key, ord_ = row[0], (row[2], row[3]), row[4]
    latest = conn.execute(
        "SELECT max(ord) FROM reviews WHERE deck_id = ? AND card_id = ?", key
    ).fetchone()[0]
    if latest != ord_:
        raise UndoRefused(
            f"{key[0]}/{key[1]} was answered again since (another session?); both answers are kept"
        )
    spec = spec_in(conn, key[0])
    if (
        mode == "review"
        and spec.effective().load_balance
        and conn.execute(
            "SELECT 1 FROM reviews WHERE deck_id = ? AND ord > ? AND mode = 'review' LIMIT 1",
            (key[0], ord_),
        ).fetchone()
    ):  # a later answer's draw saw this one's due day: taking it back would move it
        raise UndoRefused(
            f"deck {key[0]} balances its due days, and another of its cards was "
            "answered since; both answers are kept"
        )
    return _Taken(review_id, mode, key, ord_, row[5], spec)


def _remove(conn: sqlite3.Connection, taken: _Taken, now: datetime) -> None:
    """The answer out of the running totals and the log (under an undo token), and, when it
    was synced as an event, tombstoned."""
    take_back(conn, taken.review_id)
    if taken.uid is not None:  # (a row written by hand has no event id)
        tombstone(conn, [taken.uid], now)
    delete_review(conn, taken.review_id)


def delete_review(conn: sqlite3.Connection, review_id: int) -> None:
    """The one delete the log allows: an undone answer (here, or synced in), with its undo
    token."""
    conn.execute("INSERT INTO undo_tokens (review_id) VALUES (?)", (review_id,))
    conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
    conn.execute("DELETE FROM undo_tokens WHERE review_id = ?", (review_id,))


def _rebuild_after(conn: sqlite3.Connection, path: Path, taken: _Taken, rebuild: Rebuild) -> None:
    """The card's cached schedule replayed from what remains of its log (of its deck's, when
    the deck balances due days), unless it was reset since the answer."""
    key = taken.key
    reset_ord = conn.execute(
        "SELECT reset_ord FROM cards WHERE deck_id = ? AND id = ?", key
    ).fetchone()[0]
    if reset_ord >= taken.ord:
        return  # reset since: the card is new now, whatever this answer did
    if taken.spec.effective().load_balance:  # its draws saw the deck: replay the deck
        starts = reset_points(conn, [key[0]])
        where, args = "deck_id = ?", [key[0]]
    else:
        starts = {key: reset_ord}
        where = "deck_id = ? AND card_id = ? AND ord > ?"
        args = [key[0], key[1], reset_ord]
    graded = [
        replay_row(r, path)
        for r in conn.execute(
            f"SELECT {REPLAY_COLUMNS} FROM reviews WHERE {where} AND mode = 'review' ORDER BY ord",
            args,
        )
    ]
    rebuilt = rebuild(key, graded, starts, taken.spec)
    write_schedules(conn, [(key, rebuilt or NEW_SCHEDULE)])


class ReviewLog(LogReads):
    """The log's writer: answers appended (one, or many at once) and taken back."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def record(self, record: ReviewRecord) -> int:
        """Append one answer already graded by the caller, and update the card's cached
        state, atomically (tests and tools; the review screen uses ``answer``)."""
        with self.database.write() as conn:
            row = conn.execute(
                "SELECT lapses FROM cards WHERE deck_id = ? AND id = ?",
                (record.deck_id, record.card_id),
            ).fetchone()
            if row is None:
                raise StoreError(f"card {record.deck_id}/{record.card_id} is not in the database")
            return self._append(conn, record, row[0])

    def answer(
        self,
        shown: ScheduledCard,
        today: date,
        decide: Callable[[StoredCard], ReviewRecord],
        meanwhile: Callable[[], object] | None = None,
        then: Callable[[], object] | None = None,
    ) -> tuple[int, ReviewRecord]:
        """Grade and log one answer from what is stored, in one ``BEGIN IMMEDIATE``
        transaction: read the card as it is now and whether it was answered today, let
        ``decide`` make the review record from that (it may raise to refuse, e.g. when the
        card changed since it was shown), append it, update the cache, commit. ``then`` runs
        after the append, inside the transaction (the reads of the card drawn next);
        ``meanwhile`` (work that needs no database: the next screen) while the commit syncs."""
        with self.database.write(meanwhile) as conn:
            cursor = conn.cursor()
            cursor.row_factory = sqlite3.Row
            row = cursor.execute(_STORED_CARD, (today.isoformat(), shown.deck_id, shown.card.id))
            row = row.fetchone()
            if row is None:
                raise StoreError(f"card {shown.key} is not in the database")
            answered_today = bool(row["answered_today"])
            spec = self.database.kept.get(
                f"spec {shown.deck_id}", lambda: spec_in(conn, shown.deck_id)
            )
            counts = _DueCounts(conn, shown, today) if spec.effective().load_balance else None
            from mlcards.records import StoredCard

            record = decide(StoredCard(row_to_scheduled(row), answered_today, spec, counts))
            review_id = self._append(conn, record, row["lapses"], row)
            if then is not None:
                then()
        return review_id, record

    def _append(
        self,
        conn: sqlite3.Connection,
        record: ReviewRecord,
        lapses: int,
        stored: sqlite3.Row | None = None,
    ) -> int:
        (stamp,) = stamps(conn, record.reviewed_at, kept=self.database.kept)
        review_id = int(conn.execute(_INSERT, record_to_row(record, stamp)).lastrowid or 0)
        add_from(conn, review_id)
        if record.mode == "review":
            key = (record.deck_id, record.card_id)
            after = _schedule_after(record, review_id, lapses + int(record.lapse))
            if stored is None:
                write_schedules(conn, [(key, after)])
            else:
                write_schedule_changes(conn, key, after, stored)
            if record.leech_action:
                conn.execute(
                    "UPDATE cards SET leech = 1, suspended = max(suspended, ?) "
                    "WHERE deck_id = ? AND id = ?",
                    (int(record.leech_action == "suspend"), *key),
                )
        return review_id

    def undo(
        self,
        review_id: int,
        session: str,
        rebuild: Rebuild,
        *,
        clear_leech: bool = False,
        lift_suspension: bool = False,
    ) -> None:
        """Take back an answer of this session: remove its row and rebuild the card's cached
        schedule from what remains of its log (``rebuild(card, graded rows, each card's
        reset point, the deck's scheduling spec as stored now)``; with load balancing the
        rows are the whole deck's, since each draw depended on the deck's due counts).

        The one exception to the append-only log, and only for the session that wrote it,
        and only while it is the card's latest answer: if another session answered the card
        since, both answers stay (``UndoRefused``). ``clear_leech`` / ``lift_suspension``
        when this answer made the card a leech / suspended it; a suspension the learner chose
        stays. If the card's answer changed after this review (its schedule was reset), it
        stays new.
        """
        with self.database.write() as conn:
            taken = _undoable(conn, review_id, session)
            _remove(conn, taken, self.database.clock())
            if clear_leech or lift_suspension:  # what this answer did, whatever came since
                unleech(conn, taken.key, keep_leech=not clear_leech)
            if taken.mode == "review":
                _rebuild_after(conn, self.database.path, taken, rebuild)

    def append_deciding(
        self,
        decide: Callable[[], tuple[list[ReviewRecord], list[str]]],
        compute: Compute,
    ) -> int:
        """Append the answers ``decide`` makes from what it reads through this store, and
        replay the decks it names with ``compute``, all in one write transaction: what it
        decided from is what is stored when the answers land."""
        with self.database.write() as conn:
            records, replay = decide()
            count = append_in(conn, records) if records else 0
            if replay and records:
                rebuild_in(conn, self.database.path, replay, compute)
        return count

    def append(self, records: Iterable[ReviewRecord]) -> int:
        """Append many answers in one transaction; returns how many.

        The bulk twin of ``record``, for loading a history at once (a migration from another
        tool, the benchmark databases): the same rows, in the order given, and afterwards
        every card's cached schedule is what ``record`` would have left, i.e. its last row.
        A record for a card that is not in the database rolls the whole batch back.
        """
        with self.database.write() as conn:
            return append_in(conn, records)


def append_in(conn: sqlite3.Connection, records: Iterable[ReviewRecord]) -> int:
    """``ReviewLog.append`` inside the caller's write transaction (an import that decides its
    records from what it reads in that same transaction)."""
    start = conn.execute("SELECT coalesce(max(id), 0) FROM reviews").fetchone()[0]
    state = {
        (r[0], r[1]): (r[2], r[3], r[4])
        for r in conn.execute(
            "SELECT deck_id, id, repetitions, interval, lapses FROM cards "
            "WHERE last_review_id IS NOT NULL"
        )
    }
    last: dict[CardKey, ReviewRecord] = {}
    lapses_after: dict[CardKey, int] = {}
    leech_actions: dict[CardKey, str] = {}

    def with_state_before(record: ReviewRecord) -> tuple[object, ...]:
        key = (record.deck_id, record.card_id)
        reps, interval, lapses = state.get(key, (0, 0, 0))
        if record.was_new:
            reps, interval = 0, 0
        if record.mode == "review":
            if not record.same_day_repeat and rules.is_lapse(record.quality, reps):
                lapses += 1
            state[key] = (record.repetitions, record.interval, lapses)
            last[key], lapses_after[key] = record, lapses
            # as ``record`` marks a leech (a suspension, once made, stays)
            if record.leech_action and leech_actions.get(key) != "suspend":
                leech_actions[key] = record.leech_action
        return record_to_row(
            replace(record, prev_repetitions=reps, prev_interval=interval),
            stamper.next(record.reviewed_at),
        )

    stamper = Stamper(conn)
    cursor = conn.executemany(_INSERT, map(with_state_before, records))
    stamper.save()
    add_from(conn, start + 1)
    last_ids = conn.execute(
        "SELECT deck_id, card_id, max(id) FROM reviews WHERE id > ? AND mode = 'review' "
        "GROUP BY deck_id, card_id",
        (start,),
    )
    write_schedules(
        conn,
        (
            ((d, c), _schedule_after(last[d, c], review_id, lapses_after[d, c]))
            for d, c, review_id in last_ids.fetchall()
        ),
    )
    conn.executemany(
        "UPDATE cards SET leech = 1, suspended = max(suspended, ?) WHERE deck_id = ? AND id = ?",
        [(int(action == "suspend"), *key) for key, action in leech_actions.items()],
    )
    return int(cursor.rowcount)
