"""Appending this device's events to its own file under a local lock, tidying conflict
copies, and the folder's layout (``.gitattributes``)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from mlcards.atomic import write_text
from mlcards.sanitize import quote_path, terminal_safe
from mlcards.syncfolder.events import (
    CHUNK,
    GITATTRIBUTES_LINE,
    LOCK_NAME,
    LOCK_TIMEOUT,
    MAX_LINE,
    SyncFolderError,
    _check_event,
    _Invalid,
    _parse,
    _shown,
)
from mlcards.syncfolder.reading import _check_device, _classify, _io_error, _lines, _open_regular

# ---------------------------------------------------------------------------- appending


@contextmanager
def _locked(lock_dir: Path) -> Iterator[None]:
    path = lock_dir / LOCK_NAME
    try:
        lock_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise _io_error(path, exc, "cannot be opened") from None
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SyncFolderError(
                        f"{quote_path(path)}: another mlcards is writing the synced folder",
                        75,
                    ) from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)


def _last_newline(fd: int, end: int) -> int | None:
    """The offset just after the last newline before ``end`` (0 if none), or None when there
    is none in the ``MAX_LINE`` + 1 bytes before ``end`` (a line too long)."""
    stop = max(0, end - MAX_LINE - 1)
    while end > stop:
        start = max(stop, end - CHUNK)
        found = os.pread(fd, end - start, start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0 if stop == 0 else None


def _count_lines(fd: int, end: int) -> int:
    count, pos = 0, 0
    while pos < end:
        chunk = os.pread(fd, min(CHUNK, end - pos), pos)
        if not chunk:
            break
        count += chunk.count(b"\n")
        pos += len(chunk)
    return count


def _last_seq(fd: int, path: Path, device: str, *, repair: bool) -> int:
    """The seq of the last event in the file (0 when it holds none); with ``repair``, a torn
    last line (this device's write cut short) is cut off first."""
    size = os.fstat(fd).st_size
    end = _last_newline(fd, size)
    if end is None:
        raise SyncFolderError(
            f"{quote_path(path)}:{_count_lines(fd, size) + 1}: a line longer than {MAX_LINE} bytes"
        )
    if end < size and repair:
        os.ftruncate(fd, end)
        os.fsync(fd)
    while end > 0:
        start = _last_newline(fd, end - 1)
        if start is None:
            line = _count_lines(fd, end)
            raise SyncFolderError(f"{quote_path(path)}:{line}: a line longer than {MAX_LINE} bytes")
        raw = os.pread(fd, end - 1 - start, start)
        if raw.strip():
            try:
                return int(_parse(raw.removesuffix(b"\r"), device)["seq"])
            except _Invalid as exc:
                line = _count_lines(fd, end)
                raise SyncFolderError(f"{quote_path(path)}:{line}: {exc}", exc.exit_code) from None
        end = start
    return 0


def last_seq(folder: Path, device: str) -> int:
    """The seq of the last whole event in ``device``'s own file (0 if none or no file); a
    few KiB read, no lock. For the caller to pass ``append_events`` only the events after
    it, so that an own file deleted or cut short by a sync tool is written again."""
    _check_device(device)
    path = folder / f"mlcards-{device}.jsonl"
    fd = _open_regular(path, os.O_RDONLY)
    if fd is None:
        return 0
    try:
        return _last_seq(fd, path, device, repair=False)
    except OSError as exc:
        raise _io_error(path, exc, "cannot be read") from None
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _line_of(event: object, device: str) -> bytes:
    shown = _shown(event.get("id") if isinstance(event, dict) else None)
    try:  # a lone surrogate fails the encoding, a key or value JSON lacks the dumping
        _check_event(event, device, surrogates=False)
        text = json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        data = text.encode("utf-8")
    except (_Invalid, ValueError, TypeError) as exc:
        raise SyncFolderError(
            f"event {shown} cannot be written: {terminal_safe(str(exc))}"
        ) from None
    if len(data) > MAX_LINE:
        raise SyncFolderError(f"event {shown} cannot be written: longer than {MAX_LINE} bytes")
    return data + b"\n"


def append_events(
    folder: Path, device: str, events: Iterable[dict[str, Any]], lock_dir: Path
) -> int:
    """Append to ``folder``'s file of ``device`` each of ``events`` (in increasing ``seq``)
    that comes after the file's last event, whole lines, fsynced; return how many were
    written. ``lock_dir``: a local folder (the data dir) holding the lock that keeps two
    processes of this device from appending at once; never the synced folder."""
    _check_device(device)
    path = folder / f"mlcards-{device}.jsonl"
    with _locked(lock_dir):
        existed = path.exists()
        fd = _open_regular(path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
        if fd is None:
            raise SyncFolderError(f"{quote_path(folder)}: no such folder", 66)
        try:
            if not existed:
                _fsync_dir(folder)
            in_file = last = _last_seq(fd, path, device, repair=True)
            written, pending, size = 0, [], 0
            for event in events:
                seq = event.get("seq") if isinstance(event, dict) else None
                if isinstance(seq, int) and not isinstance(seq, bool) and seq <= last:
                    if seq > in_file:
                        raise ValueError(f"events out of seq order: {seq} after {last}")
                    continue
                data = _line_of(event, device)
                last = event["seq"]
                pending.append(data)
                size += len(data)
                written += 1
                if size >= CHUNK:
                    _write_all(fd, b"".join(pending))
                    pending, size = [], 0
            if pending:
                _write_all(fd, b"".join(pending))
            if written:
                os.fsync(fd)
            return written
        except OSError as exc:
            raise _io_error(path, exc, "cannot be written") from None
        finally:
            os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ---------------------------------------------------------------------------- tidying


def _redundant(path: Path, device: str, known: Callable[[str], bool]) -> bool:
    """Whether every whole line of the copy ``path`` is a valid event the caller knows and
    a line of its device's own file too, so that removing it loses nothing for any device."""
    fd = _open_regular(path, os.O_RDONLY)
    if fd is None:
        return False
    digests: set[bytes] = set()
    try:
        for _, _, raw in _lines(fd, path, 0, os.fstat(fd).st_size, 0):
            raw = raw.removesuffix(b"\r")
            if not raw.strip():
                continue
            if not known(_parse(raw, device)["id"]):
                return False
            digests.add(hashlib.blake2b(raw, digest_size=16).digest())
            if len(digests) >= 100_000 and not _all_in_main(path, device, digests):
                return False
    finally:
        os.close(fd)
    return _all_in_main(path, device, digests)


def _all_in_main(path: Path, device: str, digests: set[bytes]) -> bool:
    """Whether each line hashed in ``digests`` is in the device's own file; empties the set."""
    main = path.parent / f"mlcards-{device}.jsonl"
    if digests:
        fd = _open_regular(main, os.O_RDONLY)
        if fd is None:
            return False
        try:
            for _, _, raw in _lines(fd, main, 0, os.fstat(fd).st_size, 0):
                digests.discard(hashlib.blake2b(raw.removesuffix(b"\r"), digest_size=16).digest())
                if not digests:
                    break
        finally:
            os.close(fd)
    found = not digests
    digests.clear()
    return found


def tidy_conflicts(paths: Iterable[Path], known: Callable[[str], bool]) -> list[Path]:
    """Remove each sync-tool conflict copy among ``paths`` whose every event is ``known`` to
    the caller and is also in its device's own file; return those removed. A copy holding
    anything else (an event found nowhere else, a line that is not a valid event) is kept,
    and a file that is not a conflict copy is never removed. Never raises for a file: what
    cannot be read or removed is kept."""
    removed = []
    for path in paths:
        kind = _classify(path.name)
        if kind is None or not kind[1] or path.name == f"mlcards-{kind[0]}.jsonl":
            continue
        try:
            if not _redundant(path, kind[0], known):
                continue
            path.unlink()
        except (SyncFolderError, _Invalid, OSError):
            continue
        removed.append(path)
    return removed


# ---------------------------------------------------------------------------- layout


def ensure_layout(folder: Path) -> None:
    """Give ``folder`` a ``.gitattributes`` that has git merge the event files by keeping
    the lines of both sides (``merge=union``); a line the file lacks is added, the rest of
    the file kept. A folder that is not there is never made (exit 66): it is a mistyped path
    or a sync tool not set up yet, and a typo would start a second, empty sync folder."""
    if not folder.exists():
        raise SyncFolderError(
            f"{quote_path(folder)}: no such folder (make it, or let your sync tool make it, "
            "then sync again)",
            66,
        )
    attributes = folder / ".gitattributes"
    try:
        try:
            with open(attributes, encoding="utf-8", errors="replace") as handle:
                text: str | None = handle.read(MAX_LINE + 1)
        except FileNotFoundError:
            text = None
        if text is None:
            write_text(
                attributes,
                f"# mlcards: a merge keeps every event line of both sides\n{GITATTRIBUTES_LINE}\n",
            )
        elif len(text) <= MAX_LINE and GITATTRIBUTES_LINE not in (
            " ".join(line.split()) for line in text.splitlines()
        ):
            write_text(
                attributes,
                text
                + ("\n" if text and not text.endswith("\n") else "")
                + GITATTRIBUTES_LINE
                + "\n",
            )
    except OSError as exc:
        raise _io_error(folder, exc, "cannot be created or written") from None
