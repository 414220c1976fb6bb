"""The connection: pragmas, the one write transaction, migrations, refusal of foreign files.

Every write is one ``BEGIN IMMEDIATE`` transaction (an answer, an import, a migration): all
of it lands, or none of it. Nothing is written to a file that turns out not to be an mlcards
database, or to one from a newer mlcards: the version check runs before any pragma that
writes.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from mlcards import __version__
from mlcards.errors import (
    BusyError,
    DatabaseTooNewError,
    InputNotFoundError,
    MlcardsError,
    StoreError,
    UsageError,
)
from mlcards.sanitize import quote_path
from mlcards.store.alongside import alongside
from mlcards.store.kept import Kept
from mlcards.store.migrations import (
    FLUSH_CARD_TEXT,
    MIGRATIONS,
    MIGRATIONS_TABLE,
    SCHEMA_VERSION,
)

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 5000
MAX_BUSY_TIMEOUT_MS = 24 * 3600 * 1000


def busy_timeout_s() -> float:
    """How long a write waits for another mlcards before giving up (``MLCARDS_BUSY_TIMEOUT_MS``)."""
    raw = os.environ.get("MLCARDS_BUSY_TIMEOUT_MS", "").strip()
    if not raw:
        return BUSY_TIMEOUT_MS / 1000
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or int(raw) > MAX_BUSY_TIMEOUT_MS:
        shown = raw if len(raw) <= 20 else raw[:20] + "..."
        raise UsageError(
            f"MLCARDS_BUSY_TIMEOUT_MS={shown!r} is not a whole number of milliseconds from 0 "
            f"to {MAX_BUSY_TIMEOUT_MS:,} (default {BUSY_TIMEOUT_MS})"
        )
    return int(raw) / 1000


SQLITE_MAGIC = b"SQLite format 3\x00"


def _not_mlcards(path: Path, why: str) -> StoreError:
    return StoreError(
        f"{quote_path(path)}: not an mlcards database ({why}); it was left exactly as it is. "
        "If it held your reviews, `mlcards backup restore latest` puts back the newest sound backup"
    )


def refuse_empty_or_truncated(path: Path) -> None:
    """Refuse a file SQLite would quietly treat as a new empty database, or read past its end.

    An empty file (``: > mlcards.db``) is a valid empty SQLite database to SQLite, and a copy
    cut short reads as zeros where its pages are missing: neither is ever initialised or
    written. A file that is not an SQLite database at all is left to SQLite, which says so.
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise StoreError(f"{quote_path(path)}: not a regular file, so not an mlcards database")
        if info.st_size == 0:
            raise _not_mlcards(path, "the file is empty")
        with open(path, "rb") as stream:
            header = stream.read(100)
    except OSError as exc:
        raise StoreError(
            f"{quote_path(path)}: cannot read the database: {exc.strerror or exc}"
        ) from None
    if not header.startswith(SQLITE_MAGIC[: len(header)]):
        return  # not SQLite's: the first query says "not a database"
    if len(header) < 100:
        raise _not_mlcards(path, f"a truncated SQLite file of {len(header)} bytes")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    size_is_valid = header[24:28] == header[92:96]  # the in-header size is kept up to date
    try:  # with a WAL beside it, a checkpoint may be growing the file right now
        checkpointing = os.stat(f"{path}-wal").st_size > 0
    except OSError:
        checkpointing = False
    if size_is_valid and not checkpointing and info.st_size < pages * page_size:
        raise _not_mlcards(
            path,
            f"truncated: {info.st_size:,} bytes of the {pages * page_size:,} its header records",
        )


def read_only_folder(path: Path) -> bool:
    """The database's folder is on a read-only file system (SQLite then says only "unable to
    open database file": a WAL database writes its shared-memory file beside it)."""
    try:
        return bool(os.statvfs(Path(path).parent).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def translate(exc: sqlite3.Error, path: Path) -> MlcardsError:
    """An SQLite error as the error a user sees: disk full, busy, read-only, damaged..."""
    text = str(exc)
    lowered = text.lower()
    code = getattr(exc, "sqlite_errorname", "")
    if code in ("SQLITE_FULL", "SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_SHMSIZE"):
        return StoreError(
            f"{quote_path(path)}: cannot write: disk full (or the file size limit was reached); "
            "nothing of this step was saved, earlier data is intact"
        )
    if code == "SQLITE_IOERR":  # bare: FTS5 reports a failed write without the detail
        return StoreError(
            f"{quote_path(path)}: cannot write: disk I/O error (disk full, the file size limit "
            "reached, "
            "or a failing disk); nothing of this step was saved, earlier data is intact"
        )
    if "locked" in lowered or "busy" in lowered:
        return BusyError(
            f"{quote_path(path)}: the database is busy (another mlcards is writing); try again"
        )
    if "full" in lowered:
        return StoreError(f"{quote_path(path)}: disk full; nothing was written by this step")
    if "readonly" in lowered or "read-only" in lowered or read_only_folder(path):
        return StoreError(
            f"{quote_path(path)}: the database is read-only (or the file system it is on is): "
            "nothing was written"
        )
    if "not a database" in lowered or "malformed" in lowered:
        return StoreError(
            f"{quote_path(path)}: not an mlcards database, or it is damaged ({text}); it was left "
            "untouched: `mlcards check` tells more, `mlcards backup restore latest` puts back "
            "the newest sound backup"
        )
    return StoreError(f"{quote_path(path)}: database error: {text}")


def as_store_error(exc: BaseException, path: Path) -> MlcardsError | None:
    """A database error met outside the store's own guards, as the error a user sees."""
    if isinstance(exc, sqlite3.Error):
        return translate(exc, path)
    return None


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), or a clear error."""
    if not path.exists():
        if not create:
            raise InputNotFoundError(
                f"{quote_path(path)}: no database here "
                "(`mlcards review` or `mlcards import` creates it)"
            )
        _make_data_folder(path)
    elif not os.access(path, os.R_OK):
        raise StoreError(f"{quote_path(path)}: cannot read the database (permission denied)")
    else:
        refuse_empty_or_truncated(path)
    try:
        return sqlite3.connect(str(path), timeout=busy_timeout_s(), isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, path) from None


def _make_data_folder(path: Path) -> None:
    """The folder ``path`` goes in, made if it is not there."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"{quote_path(path.parent)}: cannot create the data folder: {exc.strerror}"
        ) from None


_NEW_SUFFIX = ".new"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by another user
    return True


def _leftovers(path: Path) -> Iterator[Path]:
    """Temporary databases that a killed ``create_whole`` left beside ``path``."""
    prefix = f".{path.name}.{_NEW_SUFFIX.strip('.')}-"
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        pid = name[len(prefix) :].split("-", 1)[0].split(".", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            yield path.parent / name


def discard(path: Path) -> None:
    """Remove a temporary file if it is there; a failure (a read-only file system says
    EROFS even for a file that is not there) is not worth an error of its own."""
    with suppress(OSError):
        os.unlink(path)


def create_whole(path: Path, build: Callable[[Path], None]) -> None:
    """Make a new database at ``path`` whole or not at all.

    ``build`` makes it under a temporary name beside ``path`` (same folder, so the final link
    is atomic); it is synced and then hard-linked into place, which never replaces a file
    that appeared meanwhile (another mlcards won the race: its database is kept and this one
    dropped). Temporary databases of killed processes are removed first."""
    _make_data_folder(path)
    for leftover in _leftovers(path):
        for suffix in ("", "-wal", "-shm", "-journal"):
            discard(Path(str(leftover) + suffix))
    temp = path.parent / f".{path.name}{_NEW_SUFFIX}-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        build(temp)
        _fsync(temp)
        with suppress(FileExistsError):  # made by another mlcards meanwhile: use that one
            os.link(temp, path)
        _fsync(path.parent)
    except OSError as exc:
        raise StoreError(
            f"{quote_path(path)}: cannot create the database: {exc.strerror or exc}"
        ) from None
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            discard(Path(str(temp) + suffix))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _folder(path: str) -> str:
    return os.path.basename(os.path.dirname(path))


@lru_cache(maxsize=64)
def _under(home: Path, relative: str) -> str:
    """A relative deck-file record under the data dir (asked once per card row, the same
    few decks each time)."""
    return str(home / relative)


class Database:
    """One SQLite connection and what every part of the store shares: the write
    transaction, the schema version and migrations, SQLite's own integrity checks.

    The sqlite-utils wrapper (``db``) is built on first use: importing sqlite_utils costs
    about 50 ms, and the hot read paths (``status``, the review queue) need only ``conn``.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._db: sqlite_utils.Database | None = None
        self.warnings: list[str] = []
        self.clock: Callable[[], datetime] = _utc_now
        """When events written here happen (their order key's time; an answer's is its own
        time): the real time, unless the caller passes ``clock.now`` (``MLCARDS_NOW``)."""
        self.kept = Kept(conn)
        """Reads every answer repeats, kept while nothing changes them (``kept.py``)."""
        self.home: Path | None = None
        """The data dir: deck files inside it are recorded relative to it (see ``stored``)."""
        conn.create_function("deck_file", 1, self.deck_file)

    def stored(self, path: str) -> str:
        """How a deck file is recorded: relative to the data dir when inside it (so that a
        moved data dir, a restore on another machine or a new $HOME keeps it), else
        resolved and absolute; "" for none."""
        if not path:
            return ""
        resolved = Path(path).resolve()
        if self.home is not None:
            with suppress(ValueError, OSError):
                return resolved.relative_to(self.home.resolve()).as_posix()
        return str(resolved)

    def deck_file(self, stored: str | None) -> str | None:
        """Where a recorded deck file is now: a relative record under the data dir; an
        absolute one from before records were relative, which named a data dir since moved
        (or copied: a copy must not open the old copy's files), found again under
        ``decks/`` or ``converted/`` of this one."""
        if not stored:
            return stored
        if self.home is not None and not os.path.isabs(stored):  # (every card row asks)
            return _under(self.home, stored)
        if os.path.isabs(stored) and _folder(stored) not in ("decks", "converted"):
            return stored  # (a deck file imported from elsewhere, where it still is)
        path = Path(stored)
        if not path.is_absolute():
            return str(Path.cwd() / path)
        if self.home is not None:
            here = self.home / path.parent.name / path.name
            elsewhere = path.parent.parent
            moved = not os.path.lexists(path)
            copied = elsewhere != self.home and os.path.lexists(elsewhere / "mlcards.db")
            if (moved or copied) and os.path.lexists(here):
                return str(here)
        return stored

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    def close(self) -> None:
        self.conn.close()

    def configure(self) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s() * 1000)}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA recursive_triggers = ON")  # as sqlite-utils sets it
        self.refuse_foreign_or_newer()
        mode = self.conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")

    def _begin(self, statement: str) -> None:
        try:
            self.conn.execute(statement)
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None

    @contextmanager
    def write(self, meanwhile: Callable[[], object] | None = None) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: all of it lands, or none of it. ``meanwhile``
        runs on another thread while the commit writes and syncs (``alongside``)."""
        self._begin("BEGIN IMMEDIATE")
        self.kept.begin()
        try:
            yield self.conn
            self._flush_card_text()
            with alongside(meanwhile):
                self.conn.execute("COMMIT")
            self.kept.committed()
        except sqlite3.Error as exc:
            self.kept.dropped()
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise translate(exc, self.path) from None
        except BaseException:
            self.kept.dropped()
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    _card_text = False
    """Whether this database has the search index (migration 10); found once, then kept."""

    def _flush_card_text(self) -> None:
        """Index the cards whose text this transaction changed (``FLUSH_CARD_TEXT``)."""
        if not self._card_text:
            self._card_text = (
                self.conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'card_text_pending'"
                ).fetchone()
                is not None
            )
            if not self._card_text:
                return
        if self.conn.execute("SELECT 1 FROM card_text_pending LIMIT 1").fetchone() is None:
            return
        for statement in FLUSH_CARD_TEXT:
            self.conn.execute(statement)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every query in it sees the same snapshot of the database
        (WAL), whatever another mlcards commits meanwhile."""
        self._begin("BEGIN")
        try:
            yield self.conn
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    # -- schema -------------------------------------------------------------------------------

    def schema_version(self) -> int:
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        if "migrations" not in tables:
            return 0
        row = self.conn.execute("SELECT max(id) FROM migrations").fetchone()
        return int(row[0] or 0)

    def refuse_foreign_or_newer(self) -> None:
        """Refuse, before anything is written, a database from a newer mlcards or one that
        belongs to another program (an SQLite file with tables but no mlcards migrations)."""
        current = self.schema_version()
        if current == 0:
            names = [r[0] for r in self.conn.execute("SELECT name FROM sqlite_master LIMIT 5")]
            if names:
                raise StoreError(
                    f"{quote_path(self.path)}: an SQLite database of another program (it has "
                    f"{', '.join(names)}); mlcards left it unchanged. Pick another --db path."
                )
        if current > SCHEMA_VERSION:
            needed = self.conn.execute(
                "SELECT mlcards_version FROM migrations ORDER BY id DESC LIMIT 1"
            ).fetchone()[0]
            raise DatabaseTooNewError(
                f"{quote_path(self.path)}: this database was written by a newer mlcards (schema "
                f"{current}); it needs mlcards >= {needed}, this is {__version__}. "
                "It was left unchanged."
            )

    def needs_migration(self) -> bool:
        return 0 < self.schema_version() < SCHEMA_VERSION

    def migrate(self) -> None:
        """Apply each migration past the schema version, each in its own transaction, unless
        that transaction finds it applied already (another mlcards opening the same database
        upgraded it meanwhile). One that fails leaves the database at the version before it
        (its error says which)."""
        current = self.schema_version()
        for migration in MIGRATIONS:
            if migration.id <= current:
                continue
            try:
                with self.write():
                    self.conn.execute(MIGRATIONS_TABLE)
                    applied = self.conn.execute(
                        "SELECT 1 FROM migrations WHERE id = ?", (migration.id,)
                    ).fetchone()
                    if applied is None:
                        migration.apply(self.db)
                        self.conn.execute(
                            "INSERT INTO migrations (id, name, applied_at, mlcards_version) "
                            "VALUES (?, ?, datetime('now'), ?)",
                            (migration.id, migration.name, __version__),
                        )
            except MlcardsError as exc:
                if exc.args and isinstance(exc.args[0], str):
                    exc.args = (
                        f"{exc.args[0]} (upgrading the database to schema {migration.id}, "
                        f'"{migration.name}", failed: it is left at schema {migration.id - 1}, '
                        "as it was before that step)",
                        *exc.args[1:],
                    )
                raise

    def integrity_problems(self) -> list[str]:
        """What SQLite's own checks find wrong; a check that cannot even run is one finding."""
        try:
            problems = [
                str(row[0]) for row in self.conn.execute("PRAGMA integrity_check") if row[0] != "ok"
            ]
            for table, rowid, parent, _ in self.conn.execute("PRAGMA foreign_key_check"):
                problems.append(f"{table} row {rowid} points to a missing {parent} row")
        except sqlite3.DatabaseError as exc:
            return [f"the integrity check itself failed: {exc}"]
        return problems
