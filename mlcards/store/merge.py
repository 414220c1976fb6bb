"""The union of other devices' events into this database (``mlcards sync``), inside the
caller's one write transaction.

Union by event id: an event already here, or one an undo tombstoned, changes nothing, so
applying the same events twice, or in any order, gives the same database. Answers are
inserted verbatim (the facts and the states they recorded; a new local id, the sender's
stamps), answers for cards this database lacks wait in ``pending``, undos delete their
target's row (with an undo token, as a local undo does) and record the tombstone, card and
settings events are kept. What they change (marks, settings, schedules) is then recomputed
from the events by the caller, in ``ord`` order, in the same transaction.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from mlcards.errors import MlcardsError
from mlcards.rules import EARLIEST_YEAR, LATEST_YEAR
from mlcards.store.events import (
    Stamp,
    format_t,
    insert_remote_card_event,
    insert_settings_event,
    insert_tombstone,
    make_ord,
    read_state,
    winning_settings,
    write_state,
)
from mlcards.store.log import delete_review
from mlcards.store.outbox import ANSWER_FIELDS, INT_FIELDS, own_fingerprint
from mlcards.store.settings import KEYS, read_in, write_in


class SyncDataError(MlcardsError):
    """An event whose content cannot be applied (exit 65, as a bad line of a file)."""

    exit_code = 65


@dataclass
class Merged:
    """What one union did."""

    read: int = 0
    applied: int = 0
    pending: int = 0
    decks: set[str] = field(default_factory=set)
    """Decks whose schedules must be replayed."""
    settings: set[tuple[str, str]] = field(default_factory=set)
    """(deck, key) pairs that got a settings event."""


_FIXED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def normal_t(text: str) -> str:
    """An event's time in the fixed width ``ord`` needs (every device computes the same)."""
    if _FIXED.fullmatch(text):
        instant = datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)  # a real time?
    else:
        instant = datetime.fromisoformat(text)
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        text = format_t(instant)
    if not EARLIEST_YEAR <= instant.year <= LATEST_YEAR:
        raise ValueError(text)
    return text


def stamp_of(event: Mapping[str, Any]) -> Stamp:
    device, seq = str(event["device"]), int(event["seq"])
    try:
        t = normal_t(str(event["t"]))
    except (ValueError, OverflowError):
        raise _bad(event, f"its time {str(event['t'])[:40]!r} cannot be read") from None
    return Stamp(f"{device}-{seq}", device, seq, t, make_ord(t, device, seq))


def _bad(event: Mapping[str, Any], why: str) -> SyncDataError:
    return SyncDataError(
        f"event {str(event.get('id'))[:60]} (in the file of device "
        f"{str(event.get('device'))[:20]}): {why}; nothing was merged"
    )


_CHOSEN_SEEN: set[str] = set()
_DAYS_SEEN: set[str] = set()
"""``chosen`` texts and dates that passed their check (few distinct ones); bounded."""
_SEEN_MAX = 1 << 16


def _seen(seen: set[str], text: str, check: Any) -> bool:
    if text in seen:
        return True
    try:
        check(text)
    except ValueError:
        return False
    if len(seen) >= _SEEN_MAX:
        seen.clear()
    seen.add(text)
    return True


def _chosen_ok(text: str) -> None:
    chosen = json.loads(text)
    if not isinstance(chosen, list) or not all(isinstance(v, str) for v in chosen):
        raise ValueError(text)


def _finite(value: object) -> bool:
    kind = type(value)
    return kind is int or (kind is float and math.isfinite(value))  # type: ignore[arg-type]


def _plain_row(row: dict[str, Any]) -> list[Any] | None:
    """The values of a row that is plainly valid (what ``_checked_row`` accepts, in fewer
    steps), else None: ``_checked_row`` then decides and words the reason."""
    try:
        values = [row[name] for name in ANSWER_FIELDS]
    except KeyError:
        return None
    (at, day, chosen, *ints1, easiness, interval, due, session, mode, pr, pi, st, di) = values
    if not all(type(v) is int for v in (*ints1, interval, pr, pi)):
        return None
    if not _finite(easiness) or not (st is None or _finite(st)) or not (di is None or _finite(di)):
        return None
    if not (session is None or type(session) is str) or mode not in ("review", "practice"):
        return None
    if type(at) is not str or type(day) is not str or type(due) is not str:
        return None
    if type(chosen) is not str or not 0 <= ints1[1] <= 5:
        return None
    if not (
        _seen(_CHOSEN_SEEN, chosen, _chosen_ok)
        and _seen(_DAYS_SEEN, day, date.fromisoformat)
        and _seen(_DAYS_SEEN, due, date.fromisoformat)
    ):
        return None
    try:
        datetime.fromisoformat(at)
    except ValueError:
        return None
    return values


def answer_row(event: Mapping[str, Any]) -> list[Any]:
    """The ``ANSWER_FIELDS`` values of an answer event, checked as the log stores them."""
    row = event.get("row")
    if type(row) is dict:
        values = _plain_row(row)
        if values is not None:
            return values
    return _checked_row(event, row)


def _checked_row(event: Mapping[str, Any], row: object) -> list[Any]:
    if not isinstance(row, dict):
        raise _bad(event, '"row" is not an object')
    values = []
    for name in ANSWER_FIELDS:
        value = row.get(name)
        if name == "chosen":  # the JSON text of a list of choice ids, as the log keeps it
            try:
                chosen = json.loads(value) if isinstance(value, str) else None
            except ValueError:
                chosen = None
            if not isinstance(chosen, list) or not all(isinstance(v, str) for v in chosen):
                raise _bad(event, '"chosen" is not the JSON text of a list of choice ids')
        elif name in INT_FIELDS:
            if not isinstance(value, int) or isinstance(value, bool):
                raise _bad(event, f'"{name}" is not a whole number')
        elif name in ("easiness", "stability", "difficulty"):
            if value is None and name != "easiness":
                pass
            elif (
                not isinstance(value, int | float)
                or isinstance(value, bool)
                or not math.isfinite(value)
            ):
                raise _bad(event, f'"{name}" is not a number')
        elif name == "session":
            if value is not None and not isinstance(value, str):
                raise _bad(event, '"session" is not a text')
        elif not isinstance(value, str):
            raise _bad(event, f'"{name}" is not a text')
        values.append(value)
    fields: dict[str, Any] = dict(zip(ANSWER_FIELDS, values, strict=True))
    try:
        date.fromisoformat(fields["study_day"])
        date.fromisoformat(fields["due"])
        datetime.fromisoformat(fields["reviewed_at"])
    except ValueError:
        raise _bad(event, "a date in its row is not a date") from None
    if not 0 <= fields["quality"] <= 5 or fields["mode"] not in ("review", "practice"):
        raise _bad(event, "its quality or mode is out of range")
    return values


def card_data(event: Mapping[str, Any]) -> dict[str, Any]:
    """A card event's data, checked where the marks will hold it (an action this mlcards
    does not know is kept and changes nothing)."""
    data = event.get("data", {})
    if not isinstance(data, dict):
        raise _bad(event, '"data" is not an object')
    action = event.get("action")
    if action == "bury":
        try:
            date.fromisoformat(str(data.get("until")))
        except ValueError:
            raise _bad(event, 'a burial\'s "until" is not a date') from None
        if not isinstance(data.get("until"), str):
            raise _bad(event, 'a burial\'s "until" is not a date')
    if action == "flag" and "note" in data and not isinstance(data["note"], str):
        raise _bad(event, 'a flag\'s "note" is not a text')
    return data


_INSERT = (
    f"INSERT INTO reviews (deck_id, card_id, {', '.join(ANSWER_FIELDS)}, uid, device, seq, ord) "
    f"VALUES ({', '.join('?' for _ in range(len(ANSWER_FIELDS) + 6))})"
)


_CHUNK = 500
"""Parameters per ``IN (...)`` query."""

_DEFER_FROM = 20_000
"""Answers a union inserts (and more than the log held) before it drops the log's indexes
but ``reviews_uid`` and builds them again at its end, in the same transaction: sorting
once is much cheaper than keeping six indexes in order row by row."""


def drop_log_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the indexes of ``reviews`` a union does not read (all but ``reviews_uid``),
    inside the caller's transaction; the statements that make them again."""
    found = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reviews' "
        "AND sql IS NOT NULL AND name != 'reviews_uid' ORDER BY name"
    ).fetchall()
    for name, _ in found:
        conn.execute(f'DROP INDEX "{name}"')
    return [str(sql) for _, sql in found]


class Union:
    """Events applied one batch at a time, inside the caller's write transaction."""

    def __init__(self, conn: sqlite3.Connection, device: str) -> None:
        self.conn = conn
        self.device = device
        self.result = Merged()
        self.latest_t = ""
        self.own_seq = 0
        self.rows_before = int(
            conn.execute("SELECT coalesce(max(id), 0) FROM reviews").fetchone()[0]
        )
        self.deferred: list[str] = []

    def apply(self, batch: Iterable[Mapping[str, Any]]) -> None:
        """The events of ``batch`` in their order. A run of consecutive answers is applied
        at once (``_answers``: a few queries per run instead of a few per event); answers
        do not act on one another, so this is what applying them one by one gives."""
        run: list[tuple[Mapping[str, Any], Stamp]] = []
        for event in batch:
            self.result.read += 1
            stamp = stamp_of(event)
            if stamp.t > self.latest_t:
                self.latest_t = stamp.t
            if stamp.device == self.device and stamp.seq > self.own_seq:
                self.own_seq = stamp.seq
            kind = event.get("type")
            if kind == "answer":
                run.append((event, stamp))
                continue
            if run:
                self._answers(run)
                run = []
            if known(self.conn, stamp.uid):
                continue
            if kind == "undo":
                self._undo(str(event["target"]), stamp)
            elif kind == "card":
                data = card_data(event)
                deck_id, card_id = str(event["deck"]), str(event["card"])
                if insert_remote_card_event(
                    self.conn, stamp, deck_id, card_id, str(event["action"]), data
                ):
                    self.result.applied += 1
                    self.result.decks.add(deck_id)
            elif kind == "settings":
                deck_id, key = str(event["deck"]), str(event["key"])
                value = json.dumps(event.get("value"))
                if insert_settings_event(self.conn, stamp, deck_id, key, value):
                    self.result.applied += 1
                    self.result.settings.add((deck_id, key))
        if run:
            self._answers(run)

    def _found(self, sql: str, keys: list[str], *head: str) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), _CHUNK):
            part = keys[start : start + _CHUNK]
            query = sql.format(", ".join("?" for _ in part))
            found.update(str(r[0]) for r in self.conn.execute(query, [*head, *part]))
        return found

    def _answers(self, run: list[tuple[Mapping[str, Any], Stamp]]) -> None:
        """Answers in their order: one already here, undone or waiting is skipped (and a
        second copy of one in the same run), one for a card this database lacks waits in
        ``pending``, the others go into the log verbatim."""
        uids = [stamp.uid for _, stamp in run]
        known = set()
        for sql in (
            "SELECT uid FROM reviews WHERE uid IN ({})",
            "SELECT target FROM tombstones WHERE target IN ({})",
            "SELECT uid FROM pending WHERE uid IN ({})",
        ):
            known |= self._found(sql, uids)
        fresh: list[tuple[Mapping[str, Any], Stamp, str, str]] = []
        by_deck: dict[str, list[str]] = {}
        for event, stamp in run:
            if stamp.uid in known:
                continue
            known.add(stamp.uid)
            deck_id, card_id = str(event["deck"]), str(event["card"])
            fresh.append((event, stamp, deck_id, card_id))
            by_deck.setdefault(deck_id, []).append(card_id)
        if not fresh:
            return
        here = {
            (deck_id, card_id)
            for deck_id, card_ids in by_deck.items()
            for card_id in self._found(
                "SELECT id FROM cards WHERE deck_id = ? AND id IN ({})", card_ids, deck_id
            )
        }
        rows: list[tuple[Any, ...]] = []
        waiting: list[tuple[str, str, str, str]] = []
        for event, stamp, deck_id, card_id in fresh:
            values = answer_row(event)
            if (deck_id, card_id) in here:
                rows.append(
                    (deck_id, card_id, *values, stamp.uid, stamp.device, stamp.seq, stamp.ord)
                )
                self.result.decks.add(deck_id)
            else:
                waiting.append(
                    (stamp.uid, deck_id, card_id, json.dumps(dict(event), sort_keys=True))
                )
        if rows:
            if not self.deferred and self.result.applied + len(rows) > max(
                _DEFER_FROM, self.rows_before
            ):
                self.deferred = drop_log_indexes(self.conn)
            self.conn.executemany(_INSERT, rows)
            self.result.applied += len(rows)
        if waiting:
            self.conn.executemany(
                "INSERT OR IGNORE INTO pending (uid, deck_id, card_id, event) VALUES (?, ?, ?, ?)",
                waiting,
            )
            self.result.pending += len(waiting)

    def _undo(self, target: str, stamp: Stamp) -> None:
        if not insert_tombstone(self.conn, stamp, target):
            return
        self.result.applied += 1
        row = self.conn.execute(
            "SELECT id, deck_id FROM reviews WHERE uid = ?", (target,)
        ).fetchone()
        if row is not None:
            delete_review(self.conn, int(row[0]))
            self.result.decks.add(str(row[1]))
        self.conn.execute("DELETE FROM pending WHERE uid = ?", (target,))
        card = self.conn.execute(
            "SELECT deck_id FROM card_events WHERE uid = ?", (target,)
        ).fetchone()
        if card is not None:
            self.result.decks.add(str(card[0]))

    def finish(self) -> None:
        """Keep this device's clock and sequence after everything merged; the log's indexes
        a large union went without are built again."""
        for sql in self.deferred:
            self.conn.execute(sql)
        self.deferred = []
        if self.latest_t:
            last = read_state(self.conn, "t")
            if last is None or self.latest_t > last:
                write_state(self.conn, "t", self.latest_t)
        if self.own_seq > int(read_state(self.conn, "seq") or 0):
            write_state(self.conn, "seq", str(self.own_seq))


def known(conn: sqlite3.Connection, uid: str) -> bool:
    """Whether the event ``uid`` is in this database: applied, waiting, or undone."""
    return own_fingerprint(conn, uid) is not None


def settle_settings(
    conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]], deck_ids: Iterable[str]
) -> set[str]:
    """Write for each (deck, key) the value its latest event holds; the decks whose stored
    settings changed (a global one: every deck)."""
    stored = read_in(conn)
    changed: set[str] = set()
    every = list(deck_ids)
    for (deck_id, key), value in winning_settings(conn, pairs).items():
        if key not in KEYS:
            continue
        current = stored.get(deck_id, {}).get(key)
        if isinstance(current, tuple):
            current = list(current)
        if current == value:
            continue
        write_in(conn, {deck_id: {key: tuple(value) if isinstance(value, list) else value}})
        changed.update(every if deck_id == "" else [deck_id])
    return changed


def take_pending(conn: sqlite3.Connection) -> tuple[set[str], int]:
    """Answers that waited for their card, now that it is here: into the log. The decks
    they went to, and how many still wait."""
    decks: set[str] = set()
    rows = conn.execute(
        "SELECT p.uid, p.event FROM pending p JOIN cards c "
        "ON c.deck_id = p.deck_id AND c.id = p.card_id"
    ).fetchall()
    for uid, text in rows:
        event = json.loads(text)
        stamp = stamp_of(event)
        conn.execute("DELETE FROM pending WHERE uid = ?", (uid,))
        if known(conn, uid):
            continue
        conn.execute(
            _INSERT,
            (
                str(event["deck"]),
                str(event["card"]),
                *answer_row(event),
                stamp.uid,
                stamp.device,
                stamp.seq,
                stamp.ord,
            ),
        )
        decks.add(str(event["deck"]))
    return decks, pending_count(conn)


def pending_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM pending").fetchone()[0])


def folder_marks(conn: sqlite3.Connection, key: str) -> dict[str, dict[str, Any]]:
    text = read_state(conn, key)
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
