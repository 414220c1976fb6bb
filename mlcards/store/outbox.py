"""This device's events read back from the log, in ``ord`` order, as the lines the synced
folder holds (``own_events``): answers, undos, card actions and settings changes."""

import heapq
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from mlcards.statsdata import REVIEW_COLUMNS
from mlcards.store.events import device_of

# -- reading this device's events back, for the folder ---------------------------------------


def own_events(conn: sqlite3.Connection, after_ord: str) -> Iterator[dict[str, Any]]:
    """This device's events whose ``ord`` is after ``after_ord``, in order, as event lines
    (its own events have increasing ``ord`` with their sequence numbers)."""
    device = device_of(conn)
    streams = [
        _answers(conn, device, after_ord),
        _rows(
            conn,
            "SELECT ord, uid, seq, target FROM tombstones WHERE ord > ? AND device = ? "
            "ORDER BY ord",
            (after_ord, device),
            lambda r: {"type": "undo", "target": r[3]},
        ),
        _rows(
            conn,
            "SELECT ord, uid, seq, deck_id, card_id, action, data FROM card_events "
            "WHERE ord > ? AND device = ? ORDER BY ord",
            (after_ord, device),
            lambda r: {
                "type": "card",
                "deck": r[3],
                "card": r[4],
                "action": r[5],
                "data": json.loads(r[6]),
            },
        ),
        _rows(
            conn,
            "SELECT ord, uid, seq, deck_id, key, value FROM settings_events "
            "WHERE ord > ? AND device = ? ORDER BY ord",
            (after_ord, device),
            lambda r: {"type": "settings", "deck": r[3], "key": r[4], "value": json.loads(r[5])},
        ),
    ]
    for _, event in heapq.merge(*streams, key=lambda pair: pair[0]):
        yield event


ANSWER_FIELDS = (
    *REVIEW_COLUMNS[REVIEW_COLUMNS.index("reviewed_at") : REVIEW_COLUMNS.index("mode")],
    *("session", "mode", "prev_repetitions", "prev_interval", "stability", "difficulty"),
)
"""The columns of a review row an answer event carries (not the local id or the stamps):
the exported columns from ``reviewed_at`` to ``due``, in that order, and the rest."""
INT_FIELDS = frozenset(
    ("correct", "quality", "response_ms", "same_day_repeat", "was_new", "repetitions")
    + ("interval", "prev_repetitions", "prev_interval")
)
"""The fields of ``ANSWER_FIELDS`` that hold integers."""


def _line(ord_: str, uid: str, seq: int) -> dict[str, Any]:
    t, device, _ = ord_.split("|")
    return {"v": 1, "id": uid, "device": device, "seq": seq, "t": t}


def _rows(
    conn: sqlite3.Connection,
    sql: str,
    args: tuple[Any, ...],
    body: Any,
) -> Iterator[tuple[str, dict[str, Any]]]:
    for r in conn.cursor().execute(sql, args):
        yield r[0], {**_line(r[0], r[1], r[2]), **body(r)}


def _answers(
    conn: sqlite3.Connection, device: str, after_ord: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    cursor = conn.cursor()
    cursor.execute(
        f"SELECT ord, uid, seq, deck_id, card_id, {', '.join(ANSWER_FIELDS)} FROM reviews "
        "WHERE ord > ? AND device = ? ORDER BY ord",
        (after_ord, device),
    )
    for r in cursor:
        row = dict(zip(ANSWER_FIELDS, r[5:], strict=True))  # chosen: its JSON text, as stored
        yield (
            r[0],
            {**_line(r[0], r[1], r[2]), "type": "answer", "deck": r[3], "card": r[4], "row": row},
        )


# -- one of this device's events, to compare with a line of its own file -----------------------


def own_fingerprint(conn: sqlite3.Connection, uid: str) -> tuple[Any, ...] | None:
    """What this database holds as the event ``uid`` (type, ord, deck or target, card or
    key), ``("undone",)`` for an answer undone here (its row is gone), None if it has none.
    Two databases that share a device id give different events the same uid: comparing
    these with the own file's lines is how ``mlcards sync`` notices (``services.sync``)."""
    for sql, kind in (
        ("SELECT ord, deck_id, card_id FROM reviews WHERE uid = ?", "answer"),
        ("SELECT ord, deck_id, card_id FROM card_events WHERE uid = ?", "card"),
        ("SELECT ord, target, '' FROM tombstones WHERE uid = ?", "undo"),
        ("SELECT ord, deck_id, key FROM settings_events WHERE uid = ?", "settings"),
    ):
        row = conn.execute(sql, (uid,)).fetchone()
        if row is not None:
            return (kind, *row)
    undone = "SELECT 1 FROM tombstones WHERE target = ? UNION SELECT 1 FROM pending WHERE uid = ?"
    if conn.execute(undone, (uid, uid)).fetchone() is not None:
        return ("undone",)
    return None
