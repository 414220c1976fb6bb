"""The only package that talks SQL. ``Store`` owns the connection; each concept has its
own part with its own SQL: ``decks``, ``cards`` (queues, marks, the schedule cache),
``log`` (the review log), ``stats`` (aggregates), ``search`` (queries and the full-text
index), ``backups``, and for sync ``events`` (event ids, the device's order, card, undo and
settings events) and ``merge`` (other devices' events united with this log).

The review log is append-only and the source of truth; the schedule columns of ``cards``
are a cache that replaying the log rebuilds exactly (``mlcards check``).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from mlcards.errors import BusyError, MlcardsError, StoreError
from mlcards.store.backups import (
    Backups,
    backup_folder,
    backup_is_sound,
    find_backup,
    list_backups,
    prune_backups,
    sweep_partials,
)
from mlcards.store.cards import Cards
from mlcards.store.db import (
    Database,
    as_store_error,
    busy_timeout_s,
    connect,
    create_whole,
    translate,
)
from mlcards.store.decks import Decks
from mlcards.store.health import schema_problems, value_problems
from mlcards.store.log import ReviewLog
from mlcards.store.restore import restore_backup
from mlcards.store.scope import Scope
from mlcards.store.settings import ScheduleSettings
from mlcards.store.totals import RunningTotals

if TYPE_CHECKING:
    from mlcards.store.search import CardSearch
    from mlcards.store.stats import StatsQueries


class Store(Database):
    """A database holding decks, cards and the review log; migrates on open."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        super().__init__(conn, path)
        self.backups = Backups(self)
        self.decks = Decks(self, self.backups)
        self.cards = Cards(self)
        self.log = ReviewLog(self)
        self.settings = ScheduleSettings(self)
        self.totals = RunningTotals(self)
        self._search: CardSearch | None = None
        self._stats: StatsQueries | None = None

    @property
    def search(self) -> CardSearch:
        """Searches and the full-text index; built on first use, so that the commands that
        never search (``status``, the review) do not import the query language."""
        if self._search is None:
            from mlcards.store.search import CardSearch

            self._search = CardSearch(self)
        return self._search

    @property
    def stats(self) -> StatsQueries:
        """The aggregates ``stats`` reads; built on first use, as ``search`` (the review and
        ``status`` never import them, nor the stats' data types)."""
        if self._stats is None:
            from mlcards.store.stats import StatsQueries

            self._stats = StatsQueries(self)
        return self._stats

    @classmethod
    def open(cls, path: Path, *, create: bool = True, daily_backup: bool = False) -> Store:
        """Open (creating it only if ``create``), refuse a newer schema, migrate, back up.

        A new database is built whole under a temporary name and only then linked into place
        (``create_whole``): a kill at any moment leaves no database or a whole empty one."""
        path = Path(path)
        if create and not os.path.lexists(path):
            create_whole(path, cls._build_empty)
        conn = connect(path, create=create)
        store = cls(conn, path)
        try:
            store.configure()
            store.migrate_with_backup()
            if daily_backup:
                try:
                    store.backups.daily()
                except StoreError as exc:  # a missed backup must not block studying
                    store.warnings.append(f"daily backup skipped: {exc}")
        except sqlite3.Error as exc:
            conn.close()
            error = translate(exc, path)
            backups = list_backups(path)
            if backups and not isinstance(error, BusyError):
                error.args = (
                    f"{error.args[0]}; latest backup: {backups[0].path.name} "
                    "(`mlcards backup restore latest`)",
                )
            raise error from None
        except BaseException:
            conn.close()
            raise
        return store

    def migrate_with_backup(self) -> None:
        """Migrate, after a backup of a database that holds an older schema. When no
        migration could be applied (the first one failed), the database is as it was and the
        copy is dropped again: a migration that fails every time does not leave a copy of
        the whole database at every attempt. Backups rotate once one is kept."""
        if not self.needs_migration():
            self.migrate()  # (a new database: nothing to back up)
            return
        before = self.schema_version()
        backup = self.backups.create("pre-migration", prune=False)
        try:
            self.migrate()
        except BaseException:
            with suppress(Exception):  # (a database that cannot say keeps its copy)
                if self.schema_version() == before:
                    self.backups.drop(backup)
            raise
        prune_backups(self.path)

    def health_problems(self) -> list[str]:
        """The whole schema mlcards relies on, and the values its readers trust."""
        return schema_problems(self.conn) + value_problems(self.conn)

    @classmethod
    def _build_empty(cls, path: Path) -> None:
        store = cls(connect(path, create=True), path)
        try:
            store.configure()
            # Each migration's commit need not reach the disk: create_whole syncs the file
            # once it is whole, before it links it into place.
            store.conn.execute("PRAGMA synchronous = OFF")
            store.migrate()
        finally:
            store.close()

    @classmethod
    def in_memory(cls) -> Store:
        """An empty, migrated database that lives only in memory (for dry runs)."""
        store = cls(sqlite3.connect(":memory:", isolation_level=None), Path(":memory:"))
        store.migrate()
        return store

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        """Close; an SQLite error met inside the block (a page found damaged after the
        database opened, say) leaves as the error a user sees, naming this database."""
        self.close()
        if isinstance(exc, sqlite3.Error):
            raise translate(exc, self.path) from None


__all__ = [
    "MlcardsError",
    "Scope",
    "Store",
    "as_store_error",
    "backup_folder",
    "backup_is_sound",
    "busy_timeout_s",
    "find_backup",
    "list_backups",
    "prune_backups",
    "restore_backup",
    "sweep_partials",
]
