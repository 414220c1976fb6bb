"""The synced folder: one append-only JSON Lines file of events per device, moved by another
program (Syncthing, git, Dropbox, rsync) and only read and appended to here. No SQL.

Invariants this module keeps:

- A device appends only to its own file, ``mlcards-<device>.jsonl``, under an exclusive lock
  in the local data dir, whole ``\\n``-terminated lines, fsynced; an event whose ``seq`` the
  file already holds is never written again, so two processes never double an event. The
  own file is never rewritten; the one exception is a torn last line (a write cut by a
  crash), which the next append cuts off before it writes (the event is written again).
  Another device's file is never written, renamed or removed.
- Reading takes whole lines only: a last line without ``\\n`` (a transfer or a write in
  progress) is left for a later read. A complete line that is not a valid event, in any file
  (conflict copies included), is an error naming ``FILE:LINE`` (exit 65), and a file holding
  an event of a newer version is refused whole (exit 78); neither is ever changed here.
- Every value read is data: sizes, types and identifiers are checked before an event is
  handed on, lines are capped (read in chunks, so no line can exhaust memory), and anything
  from a file that goes into a message passes ``sanitize`` first.
- Reading streams batches; per file a mark (size, mtime, the offset and line number of the
  last whole line read, hashes of the 4 KiB at each end of what was read) lets a sync that
  finds nothing new read no file contents at all, an appended file be read from its offset,
  and a file changed before that offset (git rewrites files on a merge) be read whole again.
- A sync tool's conflict copy (Syncthing's ``.sync-conflict-``, Dropbox's "conflicted copy")
  is read as more events, and removed by ``tidy_conflicts`` only when every line of it is in
  its device's own file too and the caller knows every event. A device's file under any other
  name (``mlcards-<device> (1).jsonl``, ``mlcards-<device>-HOST.jsonl``) is read, never removed.

The same event can be handed on more than once (from a conflict copy and its device's file,
or again after a file is read whole): the caller keeps events by id.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcards.atomic import write_text
from mlcards.errors import MlcardsError
from mlcards.sanitize import UNSAFE, quote_path, terminal_safe

VERSION = 1
"""The event version this mlcards reads and writes; a file with a larger one is refused."""

MAX_LINE = 1 << 20
"""The longest line (bytes, without its newline) read or written: a longer one is an error."""

MAX_NAME = 1024
"""The longest identifier (deck, card, action, setting key, event type) in characters."""

MAX_TIME = 64
MAX_DEPTH = 6
"""How deep arrays and objects may nest inside an event (settings values, card data)."""

BATCH = 1000
"""Events per batch handed to the caller."""

CHUNK = 1 << 20
WINDOW = 4096
"""Bytes hashed at each end of what a mark says was read."""

LOCK_NAME = "syncfolder.lock"
LOCK_TIMEOUT = 30.0
"""Seconds an append waits for another mlcards appending on this device."""

GITATTRIBUTES_LINE = "mlcards-*.jsonl merge=union"

TYPES = frozenset({"answer", "undo", "card", "settings"})
_DEVICE = re.compile(r"[0-9a-f]{16}")
_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?"
)
_EVENT_ID = re.compile(r"([0-9a-f]{16})-([1-9][0-9]{0,18})")
_MAIN = re.compile(r"mlcards-([0-9a-f]{16})\.jsonl")
_SYNCTHING = re.compile(
    r"mlcards-([0-9a-f]{16})(\.sync-conflict-[0-9]{8}-[0-9]{6}-[0-9A-Z]{7})+\.jsonl"
)
_DROPBOX = re.compile(
    r"mlcards-([0-9a-f]{16}) \([^()/]*conflicted copy[^()/]*\)( \([0-9]+\))?\.jsonl"
)
_COPY = re.compile(r"mlcards-([0-9a-f]{16})(?![0-9a-f])[^/]*\.jsonl")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_INT = (1 << 63) - 1
_MIN_INT = -(1 << 63)


class SyncFolderError(MlcardsError):
    """A file of the synced folder cannot be used. The message names the file (and line).

    Exit codes: 65 an invalid line, 78 an event from a newer mlcards, 74 the folder or a file
    cannot be read or written, 75 another mlcards holds the append lock too long, 66 the
    folder does not exist."""

    exit_code = 65

    def __init__(self, message: str, exit_code: int = 65) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class FolderRead:
    """``events``: the batches (lists of event dicts), read lazily. ``marks``: the marks to
    pass to the next ``read_folder``, complete only once ``events`` is exhausted (after an
    error they must not be kept). ``conflict_copies``: the sync tools' copies found."""

    events: Iterator[list[dict[str, Any]]]
    marks: dict[str, dict[str, Any]]
    conflict_copies: list[Path]


@dataclass(frozen=True)
class _File:
    name: str
    path: Path
    device: str
    conflict: bool


# ---------------------------------------------------------------------------- validation


class _Invalid(Exception):
    """A line is not a valid event; the reader adds the file and line."""

    def __init__(self, reason: str, exit_code: int = 65) -> None:
        super().__init__(reason)
        self.exit_code = exit_code


def _reject_constant(name: str) -> None:
    raise _Invalid(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)[:80]
    return quote_path(text[:80] + ("..." if len(text) > 80 else ""))


def _name(event: dict[str, Any], key: str, *, empty: bool = False) -> str:
    value = event.get(key)
    if not isinstance(value, str):
        raise _Invalid(f'"{key}" must be a string')
    if not value and not empty:
        raise _Invalid(f'"{key}" is empty')
    if len(value) > MAX_NAME:
        raise _Invalid(f'"{key}" is longer than {MAX_NAME} characters')
    if UNSAFE.search(value) or "\n" in value or "\t" in value:
        raise _Invalid(f'"{key}" holds a control character: {_shown(value)}')
    return value


def _check_values(values: Iterable[object], key: object, surrogates: bool, depth: int) -> None:
    """JSON values from a file (of the event's field ``key``): finite numbers, 64-bit
    integers, bounded nesting and, when the line has a ``\\u`` escape, no lone surrogate
    (it cannot be stored as UTF-8)."""
    for value in values:
        if isinstance(value, str):
            if surrogates and _SURROGATE.search(value):
                raise _Invalid(f'"{_shown(key)}": a lone surrogate (\\ud800-\\udfff)')
        elif value is None or isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if not _MIN_INT <= value <= _MAX_INT:
                raise _Invalid(f'"{_shown(key)}": an integer out of range')
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise _Invalid(f'"{_shown(key)}": a number out of range')
        elif isinstance(value, list | dict):
            if depth >= MAX_DEPTH:
                raise _Invalid(f'"{_shown(key)}": nested deeper than {MAX_DEPTH}')
            if isinstance(value, dict):
                if surrogates:  # keys read from JSON are strings; a caller's may not be
                    if not all(isinstance(name, str) for name in value):
                        raise _Invalid(f'"{_shown(key)}": a key that is not a string')
                    _check_values(value, key, surrogates, depth + 1)
                value = value.values()
            _check_values(value, key, surrogates, depth + 1)
        else:
            raise _Invalid(f'"{_shown(key)}": not a JSON value')


def _check_event(
    event: object, device: str | None = None, *, surrogates: bool = True
) -> dict[str, Any]:
    """``event`` if it is a valid version-1 event (of ``device``, when given), else
    ``_Invalid`` with the reason. The payloads (``row``, ``data``, ``value``) are checked as
    JSON values (types, depth, integer range) here; what their fields mean is the caller's."""
    if not isinstance(event, dict):
        raise _Invalid("not a JSON object")
    version = event.get("v")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise _Invalid(
            f"event version {_shown(version)} is newer than this mlcards reads ({VERSION}): "
            "update mlcards; the file is left as it is",
            exit_code=78,
        )
    if version != VERSION or isinstance(version, bool):
        raise _Invalid(f'"v" must be {VERSION}')
    dev = event.get("device")
    if not isinstance(dev, str) or not _DEVICE.fullmatch(dev):
        raise _Invalid('"device" must be 16 lowercase hexadecimal digits')
    if device is not None and dev != device:
        raise _Invalid(f"an event of device {dev} in the file of device {device}")
    seq = event.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= _MAX_INT:
        raise _Invalid('"seq" must be a whole number from 1')
    if event.get("id") != f"{dev}-{seq}":
        raise _Invalid(f'"id" must be "{dev}-{seq}" (device-seq)')
    when = event.get("t")
    if not isinstance(when, str) or len(when) > MAX_TIME or not _TIME.fullmatch(when):
        raise _Invalid('"t" must be an ISO 8601 time')
    kind = _name(event, "type")
    if kind not in TYPES:
        raise _Invalid(f"an unknown event type {_shown(kind)}")
    if surrogates:
        _check_values(event, "a key", surrogates, 0)
    for key, item in event.items():
        if isinstance(item, str) and not surrogates:
            continue
        _check_values((item,), key, surrogates, 0)
    if kind == "answer":
        _name(event, "deck")
        _name(event, "card")
        row = event.get("row")
        if not isinstance(row, dict):
            raise _Invalid('"row" must be an object')
        for key, item in row.items():
            if isinstance(item, list | dict):
                raise _Invalid(f'"row": "{_shown(key)}" must be a number, a string or null')
    elif kind == "undo":
        target = _name(event, "target")
        if not _EVENT_ID.fullmatch(target):
            raise _Invalid('"target" must be an event id (device-seq)')
    elif kind == "card":
        _name(event, "deck")
        _name(event, "card")
        _name(event, "action")
        if not isinstance(event.get("data", {}), dict):
            raise _Invalid('"data" must be an object')
    else:
        _name(event, "deck", empty=True)
        _name(event, "key")
        if "value" not in event:
            raise _Invalid('"value" is missing')
    return event


def _parse(line: bytes, device: str) -> dict[str, Any]:
    if len(line) > MAX_LINE:
        raise _Invalid(f"a line longer than {MAX_LINE} bytes")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise _Invalid("not UTF-8") from None
    try:
        event = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise _Invalid(f"not JSON ({exc.msg} at column {exc.colno})") from None
    except (RecursionError, ValueError):
        raise _Invalid("not JSON (nested too deep, or a number too long)") from None
    return _check_event(event, device, surrogates="\\u" in text)


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
    """Create ``folder`` and give it a ``.gitattributes`` that has git merge the event files
    by keeping the lines of both sides (``merge=union``); a line the file lacks is added,
    the rest of the file kept."""
    attributes = folder / ".gitattributes"
    try:
        folder.mkdir(parents=True, exist_ok=True)
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


__all__ = [
    "BATCH",
    "GITATTRIBUTES_LINE",
    "MAX_LINE",
    "VERSION",
    "FolderRead",
    "SyncFolderError",
    "append_events",
    "ensure_layout",
    "last_seq",
    "read_folder",
    "tidy_conflicts",
]
