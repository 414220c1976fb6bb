"""Backups: made with SQLite's backup API, rotated, listed, checked, restored.

Rotation keeps the newest backup of each of the last 7 days, 4 weeks and 6 months, with two
exceptions so that it never drops the only copy of recent work (see ``prune_backups``).
"""

from __future__ import annotations

import glob
import os
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mlcards import clock
from mlcards.errors import DatabaseTooNewError, InputNotFoundError, MlcardsError, StoreError
from mlcards.models import Backup
from mlcards.store.db import Database, translate
from mlcards.store.migrations import SCHEMA_VERSION

BACKUP_DIR = "backups"
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 6


class Backups:
    """The backups of one open database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, reason: str) -> Path:
        """Copy the live database with SQLite's backup API (never a file copy), then rotate."""
        path = self.database.path
        folder = backup_folder(path)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{folder}: cannot make the backup folder: {exc.strerror}") from None
        stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
        target = folder / f"{path.stem}-{stamp}-{reason}.db"
        counter = 1
        while target.exists():
            counter += 1
            target = folder / f"{path.stem}-{stamp}-{counter}-{reason}.db"
        partial = target.with_name(target.name + ".part")
        try:
            copy = sqlite3.connect(str(partial))
            try:
                self.database.conn.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                copy.close()
            os.replace(partial, target)
        except (OSError, sqlite3.Error) as exc:
            partial.unlink(missing_ok=True)
            if isinstance(exc, sqlite3.Error):
                raise translate(exc, target) from None
            raise StoreError(f"{target}: cannot write the backup: {exc.strerror}") from None
        prune_backups(path)
        return target

    def _has_reviews(self) -> bool:
        return self.database.conn.execute("SELECT 1 FROM reviews LIMIT 1").fetchone() is not None

    def daily(self) -> Path | None:
        """The first use on each study day backs up a database that holds reviews."""
        if not self._has_reviews():
            return None
        today = clock.study_day(clock.now())
        for existing in list_backups(self.database.path):
            if clock.study_day(existing.created) == today:
                return None
        return self.create("daily")

    def before_import(self) -> Path | None:
        """An import may retire or reset cards that have history: keep a copy first."""
        return self.create("pre-import") if self._has_reviews() else None


_BACKUP_SUFFIX = r"-(\d{8}T\d{6}Z)(?:-(\d+))?-([a-z-]+)\.db"
KEEP_ALL_HOURS = 48
KEEP_SAFETY_DAYS = 30
SAFETY_REASONS = ("manual", "pre-migration", "pre-repair", "pre-restore")


def backup_folder(db_path: Path) -> Path:
    return Path(db_path).parent / BACKUP_DIR


def list_backups(db_path: Path) -> list[Backup]:
    """Backups of this database, newest first."""
    folder = backup_folder(db_path)
    if not folder.is_dir():
        return []
    found = []
    stem = Path(db_path).stem
    pattern = re.compile(re.escape(stem) + _BACKUP_SUFFIX)
    for path in folder.glob(f"{glob.escape(stem)}-*.db"):
        match = pattern.fullmatch(path.name)  # not the backups of "mlcards-work.db"
        if match is None:
            continue
        created = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        order = int(match.group(2) or 1)
        found.append((created, order, Backup(path, created, match.group(3), path.stat().st_size)))
    return [b for _, _, b in sorted(found, key=lambda f: (f[0], f[1]), reverse=True)]


def prune_backups(db_path: Path) -> list[Path]:
    """Keep the newest backup of each of the last 7 days, 4 weeks and 6 months; drop the rest.

    Two exceptions, so that rotation never drops the only copy of recent work: every backup
    of the last 48 hours is kept, and so is every safety copy (manual, pre-migration,
    pre-repair, pre-restore) of the last 30 days, counted back from the newest backup.
    """
    backups = list_backups(db_path)
    if not backups:
        return []
    newest = backups[0].created
    keep: set[Path] = {
        b.path
        for b in backups
        if newest - b.created < timedelta(hours=KEEP_ALL_HOURS)
        or (b.reason in SAFETY_REASONS and newest - b.created < timedelta(days=KEEP_SAFETY_DAYS))
    }
    periods: list[tuple[Callable[[datetime], object], int]] = [
        (lambda d: d.date(), KEEP_DAILY),
        (lambda d: d.isocalendar()[:2], KEEP_WEEKLY),
        (lambda d: (d.year, d.month), KEEP_MONTHLY),
    ]
    for period, count in periods:
        seen: list[object] = []
        for backup in backups:
            key = period(backup.created.astimezone())
            if key in seen:
                continue
            if len(seen) == count:
                break
            seen.append(key)
            keep.add(backup.path)
    removed = []
    for backup in backups:
        if backup.path not in keep:
            backup.path.unlink(missing_ok=True)
            removed.append(backup.path)
    return removed


def find_backup(db_path: Path, name: str) -> Backup:
    backups = list_backups(db_path)
    if not backups:
        raise InputNotFoundError(f"{backup_folder(db_path)}: no backups of {db_path}")
    if name == "latest":
        for backup in backups:  # the newest one that is itself sound
            if backup_is_sound(backup.path):
                return backup
        raise StoreError(f"{backup_folder(db_path)}: no backup passes its integrity check")
    for backup in backups:
        if name in (backup.path.name, str(backup.path)):
            return backup
    raise InputNotFoundError(f"no backup named {name!r}; `mlcards backup list` shows them")


def _open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)


def backup_is_sound(path: Path) -> bool:
    try:
        conn = _open_read_only(path)
        try:
            return bool(conn.execute("PRAGMA quick_check").fetchone()[0] == "ok")
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def restore_backup(db_path: Path, backup: Backup) -> Path | None:
    """Replace the database with a backup. Returns where a damaged database was moved.

    A healthy database is first backed up itself ("pre-restore") and then overwritten through
    the backup API, which is safe with other connections open. A damaged one is moved aside,
    never deleted, with its WAL file.
    """
    db_path = Path(db_path)
    try:
        source = _open_read_only(backup.path)
    except sqlite3.Error as exc:
        raise StoreError(f"{backup.path}: cannot open the backup ({exc})") from None
    try:
        try:
            ok = source.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            version = source.execute("SELECT max(id) FROM migrations").fetchone()[0] or 0
        except sqlite3.Error as exc:
            raise StoreError(f"{backup.path}: not a usable backup ({exc})") from None
        if not ok:
            raise StoreError(f"{backup.path}: the backup itself fails its integrity check")
        if version > SCHEMA_VERSION:
            raise DatabaseTooNewError(f"{backup.path}: written by a newer mlcards")
        from mlcards.store import Store

        moved: Path | None = None
        live: Store | None = None
        if db_path.exists():
            try:
                live = Store.open(db_path, create=False)
                if live.integrity_problems():
                    live.close()
                    live = None
            except (MlcardsError, sqlite3.Error):
                if live is not None:
                    live.close()
                live = None
            if live is None:
                moved = db_path.with_name(
                    f"{db_path.name}.damaged-{clock.now().strftime('%Y%m%dT%H%M%SZ')}"
                )
                for suffix in ("", "-wal", "-shm"):
                    part = Path(str(db_path) + suffix)
                    if part.exists():
                        os.replace(part, Path(str(moved) + suffix))
        try:
            if live is not None:
                live.backups.create("pre-restore")
                source.backup(live.conn)
                live.close()
            else:
                target = sqlite3.connect(str(db_path))
                try:
                    source.backup(target)
                finally:
                    target.close()
        except sqlite3.Error as exc:
            raise translate(exc, db_path) from None
        return moved
    finally:
        source.close()
