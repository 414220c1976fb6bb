"""Reads every answer repeats, kept between one connection's write transactions (``Kept``).

An answer reads its deck's scheduling settings and this device's stamp state (its id, the
last sequence number and time) inside its write transaction, as stored. Both change rarely,
and only through a commit: so they are kept from the last write transaction of this
connection, and trusted only while nothing was committed since. Inside the next write
transaction ``PRAGMA data_version`` says whether another connection committed (SQLite
changes it for exactly that), and the connection's ``total_changes`` whether this one
changed a row outside the answers that kept them; either way everything kept is read
again. What is used is what is stored, read or not.

The same check tells a review session whether the cards it queued are still as it read
them (``unchanged_since``): when every write transaction since the queue was read found
nothing changed since the one before, the store changed only by those transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar, cast

_T = TypeVar("_T")
State = tuple[int, int]
"""A connection's view of the database: (``PRAGMA data_version``, ``total_changes``)."""


class Kept:
    """Values read inside write transactions of ``conn``, by key (see the module)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._values: dict[str, object] = {}
        self._as_of: State | None = None
        """The state at the end of the last commit that checked it."""
        self._since: State | None = None
        """The state at the start of a run of checked transactions, each of which found the
        state the one before it left: since then only they changed the database."""
        self._changes_at_begin = 0
        self._version: int | None = None
        """This transaction's data_version, once asked (the first ``get``)."""

    def state(self) -> State:
        """The state now, outside a transaction (before a review session reads its queue)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0]), self.conn.total_changes

    def begin(self) -> None:
        """A write transaction began (the write lock is held)."""
        self._changes_at_begin = self.conn.total_changes
        self._version = None

    def _check(self) -> None:
        if self._version is None:
            self._version = int(self.conn.execute("PRAGMA data_version").fetchone()[0])
            state = (self._version, self._changes_at_begin)
            if state != self._as_of:
                self._values.clear()
                self._since = state

    def unchanged_since(self, state: State) -> bool:
        """Inside a write transaction that checked (``get``): whether the database changed
        since ``state`` only through this transaction and the checked ones before it."""
        return self._version is not None and self._since == state

    def get(self, key: str, read: Callable[[], _T]) -> _T:
        """What ``read`` reads now, inside the write transaction: kept, or read and kept."""
        self._check()
        if key not in self._values:
            self._values[key] = read()
        return cast(_T, self._values[key])

    def put(self, key: str, value: object) -> None:
        """What this transaction wrote for ``key`` (kept once it commits)."""
        self._check()
        self._values[key] = value

    def committed(self) -> None:
        """The transaction committed: what it kept holds until something else changes."""
        self._as_of = None if self._version is None else (self._version, self.conn.total_changes)
        self._version = None

    def dropped(self) -> None:
        """The transaction rolled back: what it read or wrote may not be stored."""
        self._values.clear()
        self._as_of = self._since = self._version = None
