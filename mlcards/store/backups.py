"""Backups: made with SQLite's backup API, checked, rotated, listed, restored.

Everything here runs on the real time, never on ``MLCARDS_NOW`` (that clock is for
scheduling): a backup's name and its order come from when it was really made, recorded in a
small JSON file beside it (``NAME.db.json``: the database it belongs to, the real creation
time, the reason, whether the copy passed SQLite's integrity check). A backup belongs to one
database file, named in full at the start of its name: ``mlcards.db-20261125T093000Z-daily.db``
is a backup of ``mlcards.db`` and never of ``mlcards.old``.

Rotation keeps the newest backup of each of the last 7 days, 4 weeks and 6 months, with
exceptions so that it never drops the only copy of recent work (see ``prune_backups``).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from mlcards.errors import (
    InputNotFoundError,
    StoreError,
)
from mlcards.rules import DEFAULT_ROLLOVER_HOUR
from mlcards.sanitize import quote_path
from mlcards.store.db import (
    Database,
    discard,
    process_alive,
    translate,
)
from mlcards.store.migrations import SCHEMA_VERSION

TYPE_CHECKING = False
if TYPE_CHECKING:  # (records load where they are made: see records.py)
    from mlcards.records import Backup

BACKUP_DIR = "backups"
SIDECAR_SUFFIX = ".json"
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 6
KEEP_ALL_HOURS = 48
KEEP_SAFETY_DAYS = 30
SAFETY_REASONS = ("manual", "pre-migration", "pre-repair", "pre-restore")
CHECKED_REASONS = ("daily", "manual")
"""Copies checked with ``integrity_check`` when made. The automatic copies taken before an
import, a migration, a repair or a restore are not (they sit on the path of that command, and
a full check costs about as much as the copy); ``restore latest`` checks every candidate."""
STAMP = "%Y%m%dT%H%M%SZ"
PARTIAL_SUFFIX = ".part"


def real_now() -> datetime:
    """The real time, as an aware UTC datetime (tests replace this function, not the clock)."""
    return datetime.now(UTC)


def _backup_day(instant: datetime) -> date:
    """The local day of a real instant, starting at the default rollover hour."""
    return (instant.astimezone() - timedelta(hours=DEFAULT_ROLLOVER_HOUR)).date()


class Backups:
    """The backups of one open database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, reason: str, *, require_sound: bool = False, prune: bool = True) -> Path:
        """Copy the live database with SQLite's backup API (never a file copy), check the
        copy (``CHECKED_REASONS``), record it beside it, then rotate (unless ``prune`` is
        False: the caller rotates once it keeps the copy). With ``require_sound``, a copy
        that fails its integrity check is removed again and the backup refused (a
        StoreError)."""
        path = self.database.path
        folder = backup_folder(path)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{quote_path(folder)}: cannot make the backup folder: {exc.strerror}"
            ) from None
        created = real_now()
        sweep_partials(path)
        partial = folder / f".{path.name}-{os.getpid()}-{os.urandom(4).hex()}{PARTIAL_SUFFIX}"
        try:
            copy = sqlite3.connect(str(partial))
            try:
                self.database.conn.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
                checked = require_sound or reason in CHECKED_REASONS
                problems = _problems(copy) if checked else []
            finally:
                copy.close()
            if problems and require_sound:
                raise StoreError(
                    f"{quote_path(path)}: not backed up ({reason}): the database fails SQLite's "
                    f"integrity check ({problems[0]}); `mlcards check` says more"
                )
            record = _record(path, created, reason, None if not checked else not problems)
            target = _claim_name(
                folder, path.name, created.strftime(STAMP), reason, partial, record
            )
        except (OSError, sqlite3.Error) as exc:
            if isinstance(exc, sqlite3.Error):
                raise translate(exc, partial) from None
            raise StoreError(
                f"{quote_path(folder)}: cannot write the backup: {exc.strerror or exc}"
            ) from None
        finally:
            discard(partial)
        if prune:
            prune_backups(path)
        return target

    def drop(self, backup: Path) -> None:
        """Remove a backup this process just made and did not need after all (with its
        record), before any rotation counted it."""
        discard(backup)
        discard(_sidecar(backup))

    def _has_reviews(self) -> bool:
        return self.database.conn.execute("SELECT 1 FROM reviews LIMIT 1").fetchone() is not None

    def daily(self) -> Path | None:
        """The first use on each (real, local) day backs up a database that holds reviews,
        and only if it passes its integrity check."""
        if not self._has_reviews():
            return None
        today = _backup_day(real_now())
        for created, *_ in _backup_files(self.database.path):
            if _backup_day(created) == today:
                return None
        return self.create("daily", require_sound=True)

    def before_import(self) -> Path | None:
        """An import may retire or reset cards that have history: keep a copy first."""
        return self.create("pre-import") if self._has_reviews() else None


def _problems(conn: sqlite3.Connection) -> list[str]:
    """What SQLite's full checks find wrong in a database (empty when it is sound)."""
    try:
        problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [f"{r[0]} row {r[1]}" for r in conn.execute("PRAGMA foreign_key_check")]
    except sqlite3.Error as exc:
        return [str(exc)]
    return problems


def _claim_name(
    folder: Path, name: str, stamp: str, reason: str, partial: Path, record: dict[str, object]
) -> Path:
    """Give the finished copy its name: the first free one of ``NAME-STAMP[-N]-REASON.db``.
    The record beside it is put in place first, with a hard link, which fails rather than
    replace one another mlcards made in the same second (an "exists?" test would race); so
    a listed backup always has its record. Then the copy is linked to the name."""
    record_partial = folder / (
        f".{name}-{os.getpid()}-{os.urandom(4).hex()}{SIDECAR_SUFFIX}{PARTIAL_SUFFIX}"
    )
    try:
        record_partial.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        counter = 1
        while True:
            middle = stamp if counter == 1 else f"{stamp}-{counter}"
            target = folder / f"{name}-{middle}-{reason}.db"
            counter += 1
            try:
                os.link(record_partial, _sidecar(target))
            except FileExistsError:
                continue
            try:
                os.link(partial, target)
                return target
            except FileExistsError:  # a copy without a record, from an older mlcards
                discard(_sidecar(target))
    finally:
        discard(record_partial)


def sweep_partials(db_path: Path) -> list[Path]:
    """Remove the half-written copies that killed backups of this database left behind
    (those of a process still running are left alone). Returns what was removed."""
    folder = backup_folder(db_path)
    prefix = f".{Path(db_path).name}-"
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        path = folder / name
        if name.startswith(prefix) and name.endswith(PARTIAL_SUFFIX):
            pid = name[len(prefix) :].split("-", 1)[0]
            if pid.isdigit() and process_alive(int(pid)):
                continue
        elif not (name.startswith(f"{Path(db_path).name}-") and name.endswith(".db.part")):
            continue  # (copies named the old way, NAME-STAMP-REASON.db.part, are ours too)
        discard(path)
        if not os.path.lexists(path):
            removed.append(path)
    return removed


def _sidecar(backup: Path) -> Path:
    return backup.with_name(backup.name + SIDECAR_SUFFIX)


def _record(db_path: Path, created: datetime, reason: str, ok: bool | None) -> dict[str, object]:
    return {
        "database": db_path.name,
        "database_path": str(Path(db_path).absolute()),
        "created": created.astimezone(UTC).isoformat(),
        "reason": reason,
        "sound": ok,
        "schema": SCHEMA_VERSION,
    }


def _read_sidecar(backup: Path) -> dict[str, object] | None:
    try:
        with open(_sidecar(backup), "rb") as stream:
            record = json.loads(stream.read(64 * 1024).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def _created(record: dict[str, object] | None, mtime: float) -> datetime:
    """The recorded real creation time; without a readable record, the file's mtime."""
    value = record.get("created") if record else None
    if isinstance(value, str):
        try:
            created = datetime.fromisoformat(value)
            if created.tzinfo is not None:
                return created.astimezone(UTC)
        except (ValueError, OverflowError):
            pass
    try:
        return datetime.fromtimestamp(mtime, UTC)
    except (ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, UTC)


def backup_folder(db_path: Path) -> Path:
    return Path(db_path).parent / BACKUP_DIR


def list_backups(db_path: Path) -> list[Backup]:
    """Backups of exactly this database file, newest (by real creation time) first.

    Anything else in the folder is passed over: other databases' backups, files with odd
    names, folders, links to nowhere, half-written copies.
    """
    from mlcards.records import Backup

    found = [
        (created, order, Backup(path, created, reason, size, sound))
        for created, order, path, reason, size, sound in _backup_files(db_path)
    ]
    return [b for _, _, b in sorted(found, key=lambda f: (f[0], f[1]), reverse=True)]


def _backup_files(
    db_path: Path,
) -> Iterator[tuple[datetime, int, Path, str, int, bool | None]]:
    """Each backup file of this database: (created, its order within the second, path,
    reason, size, sound), in no order (``daily`` needs only the days, ``list_backups``
    the records)."""
    folder = backup_folder(db_path)
    name = Path(db_path).name
    pattern = re.compile(re.escape(name) + r"-(\d{8}T\d{6}Z)(?:-(\d+))?-([a-z-]+)\.db")
    try:
        with os.scandir(folder) as scan:
            entries = [entry for entry in scan if pattern.fullmatch(entry.name)]
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        assert match is not None
        try:
            info = os.stat(entry.path)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        path = Path(entry.path)
        record = _read_sidecar(path)
        if record is not None and record.get("database") not in (None, name):
            continue  # renamed from another database's backup: not ours
        created = _created(record, info.st_mtime)
        sound = record.get("sound") if record else None
        order = int(match.group(2) or 1)
        yield (
            created,
            order,
            path,
            match.group(3),
            info.st_size,
            (sound if isinstance(sound, bool) else None),
        )


def prune_backups(db_path: Path) -> list[Path]:
    """Keep the newest backup of each of the last 7 days, 4 weeks and 6 months; drop the rest.

    Exceptions, so that rotation never drops the only copy of recent work: every backup of
    the last 48 hours is kept, and so is every safety copy (manual, pre-migration,
    pre-repair, pre-restore) of the last 30 days, counted back from the newest backup; and
    the newest backup that passed its integrity check is always kept.
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
    for wanted in (True, None):  # the newest known-sound copy, else the newest not known bad
        sound = next((b for b in backups if b.sound is wanted), None)
        if sound is not None:
            keep.add(sound.path)
            break
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
            _sidecar(backup.path).unlink(missing_ok=True)
            removed.append(backup.path)
    return removed


def find_backup(db_path: Path, name: str) -> Backup:
    """A backup of this database by name, or ``latest``: the newest one that passes the full
    check (``backup_problems``), falling back past any that do not."""
    backups = list_backups(db_path)
    if not backups:
        raise InputNotFoundError(f"{backup_folder(db_path)}: no backups of {db_path}")
    if name == "latest":
        for backup in backups:
            if not backup_problems(backup.path):
                return backup
        raise StoreError(
            f"{backup_folder(db_path)}: none of the {len(backups)} backups of {db_path.name} "
            "passes its integrity check"
        )
    for backup in backups:
        if name in (backup.path.name, str(backup.path)):
            return backup
    raise InputNotFoundError(f"no backup named {name!r}; `mlcards backup list` shows them")


def open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)


def backup_problems(path: Path) -> list[str]:
    """Why a backup cannot be restored: SQLite's full integrity and foreign-key checks, and
    it must be an mlcards database this version can read. Empty when it is sound."""
    try:
        conn = open_read_only(path)
    except sqlite3.Error as exc:
        return [f"cannot open it ({exc})"]
    try:
        problems = _problems(conn)
        if problems:
            return problems
        try:
            version = conn.execute("SELECT max(id) FROM migrations").fetchone()[0] or 0
        except sqlite3.Error:
            return ["not an mlcards database"]
        if version > SCHEMA_VERSION:
            return [f"written by a newer mlcards (schema {version})"]
        return []
    finally:
        conn.close()


def backup_is_sound(path: Path) -> bool:
    return not backup_problems(path)
