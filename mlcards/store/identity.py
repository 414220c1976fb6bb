"""A new device id for a database that shares its id with another (a copied data dir):
its own events after the last one both share get the new id and new sequence numbers.

Invariants: every row keeps its facts and its time ``t`` (only ``uid``, ``device``, ``seq``
and the ``ord`` built from them change), tombstones follow the events they name, the
append-only triggers are lifted only inside the caller's write transaction and put back
exactly as they were, and the folder marks are forgotten so that the next sync reads every
file again (the other database's events under the old id become new here)."""

from __future__ import annotations

import os
import sqlite3

from mlcards.store.events import device_of, event_id, make_ord, write_state

_TABLES = ("reviews", "card_events", "settings_events", "tombstones")


def own_after(conn: sqlite3.Connection, device: str, seq: int) -> list[tuple[str, str, int]]:
    """(table, uid, seq) of this database's events under ``device`` after ``seq``, in seq
    order; an answer undone here (its row gone) is named by its tombstone (table "")."""
    found = [
        (table, str(r[0]), int(r[1]))
        for table in _TABLES
        for r in conn.execute(
            f"SELECT uid, seq FROM {table} WHERE device = ? AND seq > ?", (device, seq)
        )
    ]
    present = {item[1] for item in found}
    for (target,) in conn.execute(
        "SELECT target FROM tombstones WHERE substr(target, 1, 17) = ?", (f"{device}-",)
    ):
        number = int(str(target)[17:])
        if number > seq and target not in present:
            found.append(("", str(target), number))
    return sorted(found, key=lambda item: item[2])


def take_new_device(conn: sqlite3.Connection, shared_upto: int) -> tuple[str, int]:
    """Give this database a new device id; its events under the old id with a sequence
    number above ``shared_upto`` (the ones the other database does not share) move to the
    new id, numbered from 1. Returns (the new id, how many events moved). Call inside a
    write transaction; the caller replays the decks (orders of equal times may change)."""
    old = device_of(conn)
    new = os.urandom(8).hex()
    moving = own_after(conn, old, shared_upto)
    triggers = [
        (str(r[0]), str(r[1]))
        for r in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
            f"({', '.join('?' for _ in _TABLES)}) AND name LIKE '%append_only_update'",
            _TABLES,
        )
    ]
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    for seq, (table, uid, _) in enumerate(moving, start=1):
        fresh = event_id(new, seq)
        if table:
            (ord_,) = conn.execute(f"SELECT ord FROM {table} WHERE uid = ?", (uid,)).fetchone()
            t = str(ord_).split("|", 1)[0]
            conn.execute(
                f"UPDATE {table} SET uid = ?, device = ?, seq = ?, ord = ? WHERE uid = ?",
                (fresh, new, seq, make_ord(t, new, seq), uid),
            )
        conn.execute("UPDATE tombstones SET target = ? WHERE target = ?", (fresh, uid))
    for _, sql in triggers:
        conn.execute(sql)
    write_state(conn, "device", new)
    write_state(conn, "seq", str(len(moving)))
    conn.execute("DELETE FROM sync_state WHERE key LIKE 'marks:%' OR key LIKE 'written:%'")
    return new, len(moving)
