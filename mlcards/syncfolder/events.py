"""The events of the synced folder as data: the line format, its limits, and the checks every
line read passes before an event is handed on (``mlcards.syncfolder`` holds the whole story)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcards.errors import MlcardsError
from mlcards.sanitize import UNSAFE, quote_path

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


_NAMES_SEEN: set[str] = set()
"""Deck and card ids that passed ``_name`` (they repeat on most lines); bounded."""
_NAMES_MAX = 1 << 16


def _plain_name(value: object) -> bool:
    if value in _NAMES_SEEN:
        return True
    try:
        _name({"n": value}, "n")
    except _Invalid:
        return False
    if len(_NAMES_SEEN) >= _NAMES_MAX:
        _NAMES_SEEN.clear()
    _NAMES_SEEN.add(value)  # type: ignore[arg-type]
    return True


def _plain_answer(event: object, device: str) -> bool:
    """Whether ``event`` is an answer of ``device`` made only of the fields it needs, each
    plainly valid: what ``_check_event`` accepts, decided with fewer steps. False means
    "not sure" (``_check_event`` then decides, and words the reason)."""
    if type(event) is not dict or len(event) != 9 or event.get("type") != "answer":
        return False
    version, seq, row = event.get("v"), event.get("seq"), event.get("row")
    if type(version) is not int or version != VERSION or type(seq) is not int:
        return False
    if not 1 <= seq <= _MAX_INT or event.get("device") != device or type(row) is not dict:
        return False
    if not _DEVICE.fullmatch(device):
        return False
    when = event.get("t")
    if event.get("id") != f"{device}-{seq}" or type(when) is not str or len(when) > MAX_TIME:
        return False
    if not _TIME.fullmatch(when):
        return False
    if not _plain_name(event.get("deck")) or not _plain_name(event.get("card")):
        return False
    for value in row.values():
        kind = type(value)
        if kind is str or value is None or kind is bool:
            continue
        if kind is int:
            if not _MIN_INT <= value <= _MAX_INT:
                return False
        elif kind is not float or not math.isfinite(value):
            return False
    return True


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
    surrogates = "\\u" in text
    if not surrogates and _plain_answer(event, device):
        return event  # type: ignore[no-any-return]
    return _check_event(event, device, surrogates=surrogates)
