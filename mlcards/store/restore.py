"""Restoring a backup: over a sound live database (copied into it, event and review ids kept
going so none is ever given twice), or, with none or a damaged one, as a whole new file made
under a temporary name and linked into place."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from mlcards.errors import (
    BusyError,
    DatabaseTooNewError,
    MlcardsError,
    StoreError,
)
from mlcards.sanitize import quote_path
from mlcards.store.backups import STAMP, Backups, backup_problems, open_read_only, real_now
from mlcards.store.db import (
    Database,
    create_whole,
    read_only_folder,
    translate,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # (records load where they are made: see records.py)
    from mlcards.records import Backup


def _live_or_damaged(db_path: Path) -> Database | None:
    """The current database, open, when it is sound; None when it is damaged or not a
    database at all (it is then moved aside). A database this mlcards must not replace (from
    a newer mlcards, busy, unreadable) stops the restore."""
    from mlcards.store import Store

    if not os.access(db_path, os.R_OK | os.W_OK):
        why = (
            "it is on a read-only file system" if read_only_folder(db_path) else "permission denied"
        )
        raise StoreError(
            f"{quote_path(db_path)}: cannot read and write the database ({why}); nothing was "
            "restored"
        )
    try:
        live = Store.open(db_path, create=False)
    except DatabaseTooNewError as exc:
        raise DatabaseTooNewError(
            f"{exc} Restoring an older backup over it would lose that newer work: not restored."
        ) from None
    except BusyError:
        raise
    except (MlcardsError, sqlite3.Error):
        return None
    if live.integrity_problems():
        live.close()
        return None
    return live


def source_copier(source: sqlite3.Connection) -> Callable[[Path], None]:
    """A builder for ``create_whole`` that copies ``source`` (a restore with no live database
    to copy into: the whole copy is made under a temporary name, so a kill during it leaves
    nothing that a later command would take for a new, empty database)."""

    def build(temp: Path) -> None:
        target = sqlite3.connect(str(temp))
        try:
            source.backup(target)
        finally:
            target.close()

    return build


def _ids_issued(conn: sqlite3.Connection) -> dict[str, int]:
    """The highest id each AUTOINCREMENT table has ever handed out, and (as ``sync:seq``)
    the last number of this device's event sequence."""
    try:
        issued = {
            str(name): int(seq) for name, seq in conn.execute("SELECT * FROM sqlite_sequence")
        }
    except sqlite3.Error:
        return {}
    try:
        for key, value in conn.execute("SELECT key, value FROM sync_state WHERE key = 'seq'"):
            issued[f"sync:{key}"] = int(value)
    except (sqlite3.Error, ValueError):
        pass
    return issued


def _never_reuse(conn: sqlite3.Connection, issued: dict[str, int]) -> None:
    """After a restore, ids keep growing from where the replaced database had got to: an
    open session's undo (or a synced copy) that names a review id of the replaced database
    can never name a different review of the restored one."""
    with_write = not conn.in_transaction
    if with_write:
        conn.execute("BEGIN IMMEDIATE")
    try:
        for name, seq in issued.items():
            if name.startswith("sync:"):  # this device's events never reuse a number
                if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_state'").fetchone():
                    conn.execute(
                        "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) "
                        "DO UPDATE SET value = max(CAST(value AS INTEGER), excluded.value)",
                        (name.removeprefix("sync:"), seq),
                    )
                continue
            conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (seq, name))
            conn.execute(
                "INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? "
                "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
                (name, seq, name),
            )
        if with_write:
            conn.execute("COMMIT")
    except BaseException:
        if with_write and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def restore_backup(db_path: Path, backup: Backup) -> Path | None:
    """Replace the database with a backup. Returns where a damaged database was moved.

    A healthy database is first backed up itself ("pre-restore") and then overwritten through
    the backup API, which is safe with other connections open. A damaged one is moved aside,
    never deleted, with its WAL file. One from a newer mlcards, or one that cannot be read,
    is not called damaged: the restore stops and leaves it as it is.
    """
    db_path = Path(db_path)
    problems = backup_problems(backup.path)
    if problems:
        raise StoreError(f"{quote_path(backup.path)}: not a usable backup: {problems[0]}")
    try:
        source = open_read_only(backup.path)
    except sqlite3.Error as exc:
        raise StoreError(f"{quote_path(backup.path)}: cannot open the backup ({exc})") from None
    try:
        moved: Path | None = None
        live: Database | None = None
        if os.path.lexists(db_path):
            live = _live_or_damaged(db_path)
            if live is None:
                stamp = real_now().strftime(STAMP)
                moved = db_path.with_name(f"{db_path.name}.damaged-{stamp}")
                for suffix in ("", "-wal", "-shm"):
                    part = Path(str(db_path) + suffix)
                    if os.path.lexists(part):
                        os.replace(part, Path(str(moved) + suffix))
        try:
            if live is not None:
                Backups(live).create("pre-restore")
                issued = _ids_issued(live.conn)
                source.backup(live.conn)
                _never_reuse(live.conn, issued)
                live.close()
            else:
                create_whole(db_path, source_copier(source))
        except sqlite3.Error as exc:
            raise translate(exc, db_path) from None
        return moved
    finally:
        source.close()
