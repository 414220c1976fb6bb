"""Events: what makes this database's log mergeable with other devices' logs (#24).

Every event this database writes (an answer, an undo, a card action, a settings change)
takes the next number of ONE per-device sequence and an ordering time ``t``, and is placed
in the global order by ``ord`` = "t|device|seq" (fixed-width text, so text order is time
order). ``t`` never goes back: it is the later of now and just after the latest ``t`` this
database has seen, its own or merged from another device (a Lamport clock). So an event
written here always sorts after everything already applied here, and the caches that were
updated incrementally equal a replay of the log in ``ord`` order: ``check`` stays clean.

Card marks (suspended, buried, flagged and its note, the reset point of a forgotten card)
are a cache of ``card_events`` folded in ``ord`` order, tombstoned events left out
(``marks_of``); the leech suspension an answer makes stays the answer's (it is local).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mlcards.store.marks import write_marks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mlcards.store.kept import Kept

T_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
CARD_ACTIONS = ("suspend", "unsuspend", "bury", "unbury", "flag", "unflag", "forget", "reset")
"""What a card event may do; ``forget`` and ``reset`` (an import changed the card's answer)
both start the card over as new from their place in the order."""


def format_t(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime(T_FORMAT)


def parse_t(text: str) -> datetime:
    """A ``t`` as written by ``format_t`` (ValueError otherwise: fixed width is required)."""
    if len(text) != 27 or text[-1] != "Z":
        raise ValueError(text)
    value = datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    if format_t(value) != text:
        raise ValueError(text)
    return value


def make_ord(t: str, device: str, seq: int) -> str:
    return f"{t}|{device}|{seq:012d}"


def event_id(device: str, seq: int) -> str:
    return f"{device}-{seq}"


@dataclass(frozen=True)
class Stamp:
    """One event's identity and place: its id, device, sequence number, time and order key."""

    uid: str
    device: str
    seq: int
    t: str
    ord: str


def read_state(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def write_state(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def device_of(conn: sqlite3.Connection) -> str:
    """This database's device id, made once (16 hex characters)."""
    device = read_state(conn, "device")
    if device is None:
        device = os.urandom(8).hex()
        write_state(conn, "device", device)
    return device


StampState = tuple[str, int, "datetime | None"]
"""This device's id, its last sequence number and its latest event time, as stored."""


def stamp_state(conn: sqlite3.Connection) -> StampState:
    state = dict(
        conn.execute("SELECT key, value FROM sync_state WHERE key IN ('device', 'seq', 't')")
    )
    device = state.get("device") or device_of(conn)
    return device, int(state.get("seq") or 0), parse_t(state["t"]) if state.get("t") else None


class Stamper:
    """This device's next stamps, one after another, inside the caller's write transaction;
    ``save`` records the last one used (call it before the transaction ends). ``state``: as
    ``stamp_state`` reads it now, when the caller has it (``Kept``)."""

    def __init__(self, conn: sqlite3.Connection, state: StampState | None = None) -> None:
        self.conn = conn
        self.device, self.seq, self.last = state or stamp_state(conn)
        self.used = 0

    def next(self, now: datetime) -> Stamp:
        """The next stamp, at ``now`` or just after this database's latest event."""
        self.seq += 1
        self.used += 1
        last = self.last
        now = now.astimezone(UTC)  # a naive time is local, as ``utc_iso`` reads it
        instant = now if last is None or now > last else last + timedelta(microseconds=1)
        self.last = instant
        t = format_t(instant)
        return Stamp(
            event_id(self.device, self.seq),
            self.device,
            self.seq,
            t,
            make_ord(t, self.device, self.seq),
        )

    def save(self) -> None:
        if self.used and self.last is not None:
            self.conn.execute(
                "INSERT INTO sync_state (key, value) VALUES ('seq', ?), ('t', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(self.seq), format_t(self.last)),
            )
            self.used = 0


def stamps(
    conn: sqlite3.Connection, now: datetime, count: int = 1, kept: Kept | None = None
) -> list[Stamp]:
    """The next ``count`` stamps of this device (inside the caller's write transaction);
    with ``kept``, the state read and left through it."""
    stamper = Stamper(conn, None if kept is None else kept.get("stamps", lambda: stamp_state(conn)))
    found = [stamper.next(now) for _ in range(count)]
    stamper.save()
    if kept is not None:
        kept.put("stamps", (stamper.device, stamper.seq, stamper.last))
    return found


# -- the migration's backfill ---------------------------------------------------------------


def backfill(conn: sqlite3.Connection, now: datetime) -> None:
    """Give the existing log its stamps in id order (times made strictly increasing, so
    ``ord`` order is id order), and turn today's marks, reset points and scheduling
    settings into events. Runs inside migration 17, with the log's UPDATE trigger lifted."""
    device = device_of(conn)
    conn.execute("CREATE TEMP TABLE stamped (id INTEGER PRIMARY KEY, seq INTEGER, ord TEXT)")
    resets: dict[int, list[tuple[str, str]]] = {}
    for deck_id, card_id, after in conn.execute(
        "SELECT c.deck_id, c.id, (SELECT max(r.id) FROM reviews r WHERE r.id <= c.schedule_from) "
        "FROM cards c WHERE c.schedule_from > 0 ORDER BY c.deck_id, c.id"
    ).fetchall():
        if after is not None:  # else no answer is before it: nothing to leave out
            resets.setdefault(int(after), []).append((deck_id, card_id))
    reset_events: list[tuple[Stamp, str, str]] = []
    seq, last = 0, None

    def rows() -> Iterator[tuple[int, int, str]]:
        nonlocal seq, last
        cursor = conn.cursor()
        for review_id, reviewed_at in cursor.execute(
            "SELECT id, reviewed_at FROM reviews ORDER BY id"
        ):
            try:
                instant = datetime.fromisoformat(str(reviewed_at)).astimezone(UTC)
            except (ValueError, OverflowError):
                instant = last or datetime(1970, 1, 1, tzinfo=UTC)
            if last is not None and instant <= last:
                instant = last + timedelta(microseconds=1)
            last = instant
            seq += 1
            t = format_t(instant)
            yield review_id, seq, make_ord(t, device, seq)
            for deck_id, card_id in resets.get(review_id, ()):
                # just after the answer it pointed at (the next answer's time is later)
                seq += 1
                stamp = Stamp(event_id(device, seq), device, seq, t, make_ord(t, device, seq))
                reset_events.append((stamp, deck_id, card_id))

    conn.executemany("INSERT INTO stamped (id, seq, ord) VALUES (?, ?, ?)", rows())
    conn.execute(
        "UPDATE reviews SET uid = ? || '-' || s.seq, device = ?, seq = s.seq, ord = s.ord "
        "FROM temp.stamped s WHERE reviews.id = s.id",
        (device, device),
    )
    conn.execute("DROP TABLE temp.stamped")
    if seq and last is not None:
        write_state(conn, "seq", str(seq))
        write_state(conn, "t", format_t(last))
    for stamp, deck_id, card_id in reset_events:
        _insert_card_event(conn, stamp, deck_id, card_id, "reset", {}, None)
        conn.execute(
            "UPDATE cards SET reset_ord = ? WHERE deck_id = ? AND id = ?",
            (stamp.ord, deck_id, card_id),
        )
    marked = conn.execute(
        "SELECT deck_id, id, suspended, buried_until, flagged, flag_note FROM cards "
        "WHERE suspended = 1 OR buried_until IS NOT NULL OR flagged = 1 OR flag_note IS NOT NULL "
        "ORDER BY deck_id, id"
    ).fetchall()
    for deck_id, card_id, suspended, buried_until, flagged, note in marked:
        actions: list[tuple[str, dict[str, Any]]] = []
        if suspended:
            actions.append(("suspend", {}))
        if buried_until is not None:
            actions.append(("bury", {"until": buried_until}))
        if flagged or note is not None:
            actions.append(("flag", {"note": note or ""}))
            if not flagged:
                actions.append(("unflag", {}))
        for (action, data), stamp in zip(actions, stamps(conn, now, len(actions)), strict=True):
            _insert_card_event(conn, stamp, deck_id, card_id, action, dict(data), None)
    settings = conn.execute(
        "SELECT deck_id, key, value FROM schedule_settings WHERE key NOT LIKE '\\_%' ESCAPE '\\' "
        "ORDER BY deck_id, key"
    ).fetchall()
    for (deck_id, key, value), stamp in zip(
        settings, stamps(conn, now, len(settings)), strict=True
    ):
        insert_settings_event(conn, stamp, deck_id, key, value)


# -- card events ----------------------------------------------------------------------------


CardAction = tuple[str, str, str, Mapping[str, Any]]
"""(deck id, card id, action, data)."""


def _insert_card_event(
    conn: sqlite3.Connection,
    stamp: Stamp,
    deck_id: str,
    card_id: str,
    action: str,
    data: Mapping[str, Any],
    batch: str | None,
    *,
    or_ignore: bool = False,
) -> int:
    """One card event's row; how many rows went in (0: ``or_ignore`` and it was there)."""
    cursor = conn.execute(
        f"INSERT {'OR IGNORE ' if or_ignore else ''}INTO card_events "
        "(uid, device, seq, ord, deck_id, card_id, action, data, batch) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            stamp.uid,
            stamp.device,
            stamp.seq,
            stamp.ord,
            deck_id,
            card_id,
            action,
            json.dumps(data, sort_keys=True),
            batch,
        ),
    )
    return cursor.rowcount


def append_card_events(
    conn: sqlite3.Connection, actions: Sequence[CardAction], now: datetime, batch: bool = False
) -> list[Stamp]:
    """Log card actions of this device (inside the caller's transaction, which also changes
    the cards columns they cache). ``batch``: given from the command line, so that
    ``mlcards undo`` can take the whole batch back."""
    found = stamps(conn, now, len(actions))
    tag = f"cli:{found[0].uid}" if batch and found else None
    for (deck_id, card_id, action, data), stamp in zip(actions, found, strict=True):
        _insert_card_event(conn, stamp, deck_id, card_id, action, dict(data), tag)
    if tag is not None:
        write_state(conn, "last_batch", tag)
    return found


def insert_remote_card_event(
    conn: sqlite3.Connection, stamp: Stamp, deck_id: str, card_id: str, action: str, data: Any
) -> bool:
    return _insert_card_event(conn, stamp, deck_id, card_id, action, data, None, or_ignore=True) > 0


def last_batch(conn: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    """The untombstoned events of the last card-action batch given from the command line:
    (uid, deck id, card id, action)."""
    tag = read_state(conn, "last_batch")
    if tag is None:
        return []
    return [
        (r[0], r[1], r[2], r[3])
        for r in conn.execute(
            "SELECT uid, deck_id, card_id, action FROM card_events e WHERE batch = ? "
            "AND NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.target = e.uid) ORDER BY ord",
            (tag,),
        )
    ]


def tombstone(conn: sqlite3.Connection, targets: Iterable[str], now: datetime) -> int:
    """Undo events of this device naming ``targets`` (already undone ones are skipped)."""
    wanted = [
        t
        for t in targets
        if conn.execute("SELECT 1 FROM tombstones WHERE target = ?", (t,)).fetchone() is None
    ]
    for target, stamp in zip(wanted, stamps(conn, now, len(wanted)), strict=True):
        insert_tombstone(conn, stamp, target)
    return len(wanted)


def take_back(conn: sqlite3.Connection, uids: Sequence[str], now: datetime) -> set[str]:
    """Undo card events of this device by id: tombstones, and the marks of their cards
    rebuilt from the events left. The decks whose reset points moved (to replay)."""
    tombstone(conn, uids, now)
    marks = ", ".join("?" for _ in uids)
    decks = [
        str(r[0])
        for r in conn.execute(
            f"SELECT DISTINCT deck_id FROM card_events WHERE uid IN ({marks})", list(uids)
        )
    ]
    return write_marks(conn, sorted(decks)) if decks else set()


def insert_tombstone(conn: sqlite3.Connection, stamp: Stamp, target: str) -> bool:
    cursor = conn.execute(
        "INSERT OR IGNORE INTO tombstones (target, uid, device, seq, ord) VALUES (?, ?, ?, ?, ?)",
        (target, stamp.uid, stamp.device, stamp.seq, stamp.ord),
    )
    return cursor.rowcount > 0


# -- settings events ------------------------------------------------------------------------


def insert_settings_event(
    conn: sqlite3.Connection, stamp: Stamp, deck_id: str, key: str, value: str
) -> bool:
    """``value``: the JSON text of the value ('null': unset)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO settings_events (uid, device, seq, ord, deck_id, key, value) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (stamp.uid, stamp.device, stamp.seq, stamp.ord, deck_id, key, value),
    )
    return cursor.rowcount > 0


def settings_changes(
    conn: sqlite3.Connection, changes: Mapping[str, Mapping[str, Any]], now: datetime
) -> None:
    """Log changes of scheduling settings made here (values as ``write_in`` takes them)."""
    flat = [
        (deck_id, key, json.dumps(list(value) if isinstance(value, tuple) else value))
        for deck_id, values in changes.items()
        for key, value in values.items()
    ]
    for (deck_id, key, value), stamp in zip(flat, stamps(conn, now, len(flat)), strict=True):
        insert_settings_event(conn, stamp, deck_id, key, value)


def winning_settings(
    conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Any]:
    """For each (deck, key), the value of its latest event in ``ord`` order (None: unset)."""
    found = {}
    for deck_id, key in pairs:
        row = conn.execute(
            "SELECT value FROM settings_events WHERE deck_id = ? AND key = ? "
            "ORDER BY ord DESC LIMIT 1",
            (deck_id, key),
        ).fetchone()
        if row is not None:
            found[deck_id, key] = json.loads(row[0])
    return found


def has_card_events(conn: sqlite3.Connection) -> bool:
    """Whether any card action was ever logged here (or synced in)."""
    return conn.execute("SELECT 1 FROM card_events LIMIT 1").fetchone() is not None
