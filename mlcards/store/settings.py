"""The settings that decide schedules, kept in the database beside the schedules they decide.

A deck's cached schedule is computed with its scheduler, desired retention and FSRS
parameters; keeping those in ``config.yaml`` let the two drift apart (a failed or killed
file write after the reschedule committed, a repair that read the file before a switch).
Here they are rows of ``schedule_settings`` (``deck_id`` '' for the global value), changed
only in the transaction that reschedules the decks they affect (``Cards.rebuild_decks``), and
read by every answer inside its own write transaction (``spec_in``), as it reads the card.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mlcards.rules import SchedulerSpec

if TYPE_CHECKING:
    from mlcards.models import CachedSchedule, CardKey, ResetPoints
    from mlcards.store.db import Database

GLOBAL = ""
KEYS = ("scheduler", "desired_retention", "fsrs_parameters", "fuzz", "load_balance")
"""The settings a deck's cached schedule is computed with (stored here, not in the file)."""
ADOPTED = "_adopted"
"""A marker row: the values of an older ``config.yaml`` were taken over once."""

Stored = dict[str, dict[str, Any]]
"""Scheduling values by deck id ('' for the global ones): only what was set."""


def read_in(conn: sqlite3.Connection, deck_id: str | None = None) -> Stored:
    """The stored values (only the global ones and ``deck_id``'s, when one is named)."""
    stored: Stored = {}
    sql, args = (
        "SELECT deck_id, key, value FROM schedule_settings",
        [] if deck_id is None else [deck_id],
    )
    if deck_id is not None:
        sql += " WHERE deck_id IN ('', ?)"
    for owner, key, value in conn.execute(sql, args):
        if key in KEYS:
            stored.setdefault(str(owner), {})[str(key)] = _decoded(key, json.loads(value))
    return stored


def _decoded(key: str, value: Any) -> Any:
    return tuple(value) if key == "fsrs_parameters" and value is not None else value


def spec_of(stored: Mapping[str, Mapping[str, Any]], deck_id: str) -> SchedulerSpec:
    """A deck's spec: its own values over the global ones over the defaults."""
    values = {**stored.get(GLOBAL, {}), **stored.get(deck_id, {})}
    spec = SchedulerSpec()
    return spec._replace(
        name=values.get("scheduler", spec.name),
        desired_retention=values.get("desired_retention", spec.desired_retention),
        fsrs_parameters=values.get("fsrs_parameters", spec.fsrs_parameters),
        fuzz=values.get("fuzz", spec.fuzz),
        load_balance=values.get("load_balance", spec.load_balance),
    )


def spec_in(conn: sqlite3.Connection, deck_id: str) -> SchedulerSpec:
    """A deck's spec as stored now (read inside the caller's transaction)."""
    return spec_of(read_in(conn, deck_id), deck_id)


Compute = Callable[
    [
        Iterator[dict[str, Any]],
        Mapping["CardKey", "ResetPoints"],
        Callable[[str], SchedulerSpec],
    ],
    dict["CardKey", "CachedSchedule"],
]
"""Replays a log into schedules, given each deck's spec as stored in the same transaction."""


class ScheduleSettings:
    """The ``schedule_settings`` rows of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def read(self) -> Stored:
        return read_in(self.database.conn)

    def adopted(self) -> bool:
        row = self.database.conn.execute(
            "SELECT 1 FROM schedule_settings WHERE deck_id = '' AND key = ?", (ADOPTED,)
        ).fetchone()
        return row is not None

    def adopt(self, values: Stored) -> bool:
        """Take over, once, the scheduling values an older mlcards kept in ``config.yaml``
        (its cache was built with them, so nothing is rescheduled). False if done before."""
        with self.database.write() as conn:
            if conn.execute(
                "SELECT 1 FROM schedule_settings WHERE deck_id = '' AND key = ?", (ADOPTED,)
            ).fetchone():
                return False
            stored = read_in(conn)  # (a migration may have set ``fuzz`` already)
            write_in(
                conn,
                {
                    deck_id: {k: v for k, v in own.items() if k not in stored.get(deck_id, {})}
                    for deck_id, own in values.items()
                },
                self.database.clock(),
            )
            conn.execute(
                "INSERT INTO schedule_settings (deck_id, key, value) VALUES ('', ?, 'true')",
                (ADOPTED,),
            )
            return True


def write_in(
    conn: sqlite3.Connection,
    changes: Mapping[str, Mapping[str, Any]],
    now: datetime | None = None,
) -> None:
    """Set (None: unset) scheduling values; given ``now``, also as settings events of this
    device, so that other devices replay with them (a merge writes what won, unlogged)."""
    from mlcards.store.events import settings_changes

    if now is not None:
        settings_changes(conn, changes, now)
    for deck_id, values in changes.items():
        for key, value in values.items():
            if key not in KEYS:
                raise ValueError(f"{key!r} is not a scheduling setting")
            if value is None:
                conn.execute(
                    "DELETE FROM schedule_settings WHERE deck_id = ? AND key = ?", (deck_id, key)
                )
            else:
                conn.execute(
                    "INSERT INTO schedule_settings (deck_id, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (deck_id, key) DO UPDATE SET value = excluded.value",
                    (deck_id, key, json.dumps(list(value) if isinstance(value, tuple) else value)),
                )
