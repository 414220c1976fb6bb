"""Reading the synced folder: which files are a device's, whole lines only, in batches, and
the per-file marks that let a sync that finds nothing new read no file contents."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlcards.sanitize import quote_path, terminal_safe
from mlcards.syncfolder.events import (
    _COPY,
    _DEVICE,
    _DROPBOX,
    _MAIN,
    _SYNCTHING,
    BATCH,
    CHUNK,
    MAX_LINE,
    WINDOW,
    FolderRead,
    SyncFolderError,
    _File,
    _Invalid,
    _parse,
)

# ---------------------------------------------------------------------------- the folder


def _classify(name: str) -> tuple[str, bool] | None:
    """(device, is a conflict copy to tidy) for a file to read, else None. A device's file
    under another name than these (another tool's copy, ``mlcards-<device> (1).jsonl``) is
    read as more events too, but never removed."""
    for pattern, conflict in ((_MAIN, False), (_SYNCTHING, True), (_DROPBOX, True)):
        match = pattern.fullmatch(name)
        if match:
            return match.group(1), conflict
    match = _COPY.fullmatch(name)
    return (match.group(1), False) if match else None


def _files(folder: Path) -> list[_File]:
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except FileNotFoundError:
        raise SyncFolderError(f"{quote_path(folder)}: no such folder", 66) from None
    except OSError as exc:
        raise _io_error(folder, exc, "cannot be read") from None
    found = []
    for name in names:
        kind = _classify(name)
        if kind is not None:
            found.append(_File(name, folder / name, kind[0], kind[1]))
    return found


def _io_error(path: Path, exc: OSError, what: str) -> SyncFolderError:
    reason = exc.strerror or type(exc).__name__
    return SyncFolderError(f"{quote_path(path)}: {what} ({terminal_safe(reason)})", 74)


def _open_regular(path: Path, flags: int) -> int | None:
    """A descriptor of the regular file ``path``, or None when it is gone."""
    try:
        fd = os.open(path, flags | os.O_CLOEXEC | os.O_NONBLOCK, 0o666)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _io_error(path, exc, "cannot be opened") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SyncFolderError(f"{quote_path(path)}: not a regular file")
    return fd


def _lines(
    fd: int, path: Path, start: int, end: int, line: int
) -> Iterator[tuple[int, int, bytes]]:
    """(line number, offset after its newline, bytes) of each whole line in [start, end),
    read in chunks; a last line without newline is not given."""
    pos = start
    pending = b""
    while pos < end:
        try:
            chunk = os.pread(fd, min(CHUNK, end - pos), pos)
        except OSError as exc:
            raise _io_error(path, exc, "cannot be read") from None
        if not chunk:
            return  # the file shrank meanwhile: what is gone is read on a later sync
        offset = pos - len(pending)
        pos += len(chunk)
        parts = (pending + chunk).split(b"\n")
        pending = parts.pop()
        for part in parts:
            line += 1
            offset += len(part) + 1
            yield line, offset, part
        if len(pending) > MAX_LINE:
            raise SyncFolderError(
                f"{quote_path(path)}:{line + 1}: a line longer than {MAX_LINE} bytes"
            )


def _digest(fd: int, start: int, end: int) -> str:
    return hashlib.sha256(os.pread(fd, end - start, start) if end > start else b"").hexdigest()


def _mark_of(fd: int, size: int, mtime_ns: int, offset: int, line: int) -> dict[str, Any]:
    return {
        "size": size,
        "mtime_ns": mtime_ns,
        "offset": offset,
        "line": line,
        "head": _digest(fd, 0, min(WINDOW, offset)),
        "tail": _digest(fd, max(0, offset - WINDOW), offset),
    }


def _valid_mark(mark: object) -> dict[str, Any] | None:
    """A mark as ``_mark_of`` makes it, or None (a caller's value is checked, not trusted)."""
    if not isinstance(mark, dict):
        return None
    mark = dict(mark)
    for key in ("size", "mtime_ns", "offset", "line"):
        value = mark.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return None
    if mark["offset"] > mark["size"]:
        return None
    if not all(isinstance(mark.get(key), str) for key in ("head", "tail")):
        return None
    return mark


def _resume(fd: int, size: int, mark: dict[str, Any] | None) -> tuple[int, int]:
    """(offset, line) to read from: the mark's when what it read is still there as it was."""
    if mark is None or mark["offset"] > size:
        return 0, 0
    offset = mark["offset"]
    try:
        same = (
            _digest(fd, 0, min(WINDOW, offset)) == mark["head"]
            and _digest(fd, max(0, offset - WINDOW), offset) == mark["tail"]
        )
    except OSError:
        return 0, 0
    return (offset, mark["line"]) if same else (0, 0)


def _read_file(
    entry: _File, mark: dict[str, Any] | None, marks: dict[str, dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    try:
        before = os.stat(entry.path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _io_error(entry.path, exc, "cannot be read") from None
    if mark and mark["size"] == before.st_size and mark["mtime_ns"] == before.st_mtime_ns:
        marks[entry.name] = mark
        return
    fd = _open_regular(entry.path, os.O_RDONLY)
    if fd is None:
        return
    try:
        info = os.fstat(fd)
        size = info.st_size
        start, first = _resume(fd, size, mark)
        offset, line = start, first
        for line, offset, raw in _lines(fd, entry.path, start, size, first):  # noqa: B007
            if not raw.strip():
                continue
            try:
                yield _parse(raw.removesuffix(b"\r"), entry.device)
            except _Invalid as exc:
                raise SyncFolderError(
                    f"{quote_path(entry.path)}:{line}: {exc}", exc.exit_code
                ) from None
        try:
            marks[entry.name] = _mark_of(fd, size, info.st_mtime_ns, offset, line)
        except OSError as exc:
            raise _io_error(entry.path, exc, "cannot be read") from None
    finally:
        os.close(fd)


def _batches(
    files: list[_File], old: dict[str, dict[str, Any]], marks: dict[str, dict[str, Any]]
) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for entry in files:
        for event in _read_file(entry, _valid_mark(old.get(entry.name)), marks):
            batch.append(event)
            if len(batch) >= BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def _check_device(device: str) -> None:
    if not isinstance(device, str) or not _DEVICE.fullmatch(device):
        raise ValueError(f"a device id is 16 lowercase hexadecimal digits: {device!r}")


def read_folder(folder: Path, device: str, marks: dict[str, dict[str, Any]]) -> FolderRead:
    """Every event of the folder's files not read before (per ``marks``), in batches.

    The device's own file is read too (a restored backup or a second copy of the database
    learns its own events back). Files are listed now, read as ``events`` is consumed; a
    file unchanged since its mark costs one ``stat``."""
    _check_device(device)
    files = _files(folder)
    new: dict[str, dict[str, Any]] = {}
    old = marks if isinstance(marks, dict) else {}
    return FolderRead(
        events=_batches(files, old, new),
        marks=new,
        conflict_copies=[entry.path for entry in files if entry.conflict],
    )
