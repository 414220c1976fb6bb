"""Where command output goes: stdout, or a file replaced atomically once fully written."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import TextIO

from mlcards.atomic import atomic_writer
from mlcards.errors import InputNotFoundError, OutputError
from mlcards.sanitize import quote_path


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_the_database(path: Path, database: Path) -> None:
    """An export or a converted deck never lands on the live database, its WAL or journal,
    or one of its backups: ``-o mlcards.db`` for ``-o mlcards.csv`` would lose every answer
    since the last backup (exit 73, nothing touched)."""
    guarded = [Path(f"{database}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]
    if any(_same(path, g) for g in guarded):
        raise OutputError(
            f"{quote_path(path)}: that is the mlcards database (or its journal); not "
            "written. Name another output file"
        )
    backups = os.path.realpath(Path(database).parent / "backups")
    if os.path.dirname(os.path.realpath(path)) == backups:
        raise OutputError(f"{quote_path(path)}: that is in the backup folder; not written")


@contextmanager
def open_output(path: Path | None, database: Path | None = None) -> Iterator[TextIO]:
    """stdout, or a temp file beside ``path`` that replaces it only once fully written.

    On any failure (or Ctrl-C) the temp file is removed and an existing ``path`` is left
    byte-for-byte as it was. A symlink is written through: its target is replaced and the
    link stays. A FIFO or a character device (``/dev/stdout``, ``/dev/null``) is written
    directly, as asked, since it cannot be replaced; other special files are refused.
    With ``database``, that database's files are never written (``refuse_the_database``).
    """
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    shown = quote_path(path)
    if database is not None:
        refuse_the_database(path, database)
    try:
        info: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"{shown}: cannot write here: {exc.strerror}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{shown}: is a folder, not a file")
    if info is not None and (stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode)):
        with _direct(path, shown) as stream:
            yield stream
        return
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OutputError(f"{shown}: not a regular file (a block device or socket); not written")
    target = Path(os.path.realpath(path))  # through any symlinks, to the file they name
    yield from _replace(target, shown)


@contextmanager
def _direct(path: Path, shown: str) -> Iterator[TextIO]:
    with _opened(lambda: open(path, "w", encoding="utf-8", newline=""), shown, "cannot write") as s:
        yield s


def _replace(path: Path, shown: str) -> Iterator[TextIO]:
    folder = path.parent
    if not folder.is_dir():
        raise InputNotFoundError(f"{quote_path(folder)}: no such folder for the output file")
    with _opened(lambda: atomic_writer(path), shown, "cannot write here") as stream:
        yield stream


@contextmanager
def _opened(
    opening: Callable[[], AbstractContextManager[TextIO]], shown: str, cannot_open: str
) -> Iterator[TextIO]:
    """The stream ``opening()`` gives, every OSError (opening it, writing, closing) said as an
    OutputError naming the file."""
    writing = ExitStack()
    try:
        stream = writing.enter_context(opening())
    except OSError as exc:
        raise OutputError(f"{shown}: {cannot_open}: {exc.strerror or exc}") from None
    try:
        with writing:
            yield stream
    except OSError as exc:
        raise OutputError(f"{shown}: cannot write: {exc.strerror or exc}") from None
