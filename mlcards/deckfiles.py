"""Reading deck and question files safely: only regular files (symlinks followed; loops,
FIFOs, sockets and devices refused before they are opened and again on the open file), at
most the size cap whatever ``st_size`` says, decoded as strict UTF-8 by ``read_text`` (the
one reader of decks and of the files converted into decks), and folder walks that are
bounded and report what they cannot read."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from mlcards.bundled import DECK_SUFFIXES
from mlcards.errors import DeckError, InputNotFoundError, UsageError
from mlcards.sanitize import quote_path

MAX_FOLDERS = 10_000
"""A folder import searches at most this many folders (``import /`` stops at once)."""


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symlink loop (the link leads back to itself)"
    return exc.strerror or str(exc)


def read_regular_file(path: Path, max_bytes: int, what: str = "files") -> bytes:
    """At most ``max_bytes`` of a regular file (a symlink is followed), or a DeckError.

    A FIFO would block the read forever and a device (``/dev/zero``) never ends, whatever
    their st_size says: both are refused before they are opened, and checked again on the
    open file, whose read stops one byte past the cap.
    """
    shown = quote_path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            target = quote_path(os.readlink(path))
            raise DeckError([f"{shown}:1: a symlink to {target}, which does not exist"]) from None
        raise InputNotFoundError(f"{shown}: no such file") from None
    except OSError as exc:
        raise DeckError([f"{shown}:1: cannot read: {_os_reason(exc)}"]) from None
    kind = _not_regular(info.st_mode)
    if kind is not None:
        raise DeckError([f"{shown}:1: cannot read: {kind}, not a regular file"])
    if info.st_size > max_bytes:
        limit = f"{what} are limited to {max_bytes:,} bytes"
        raise DeckError([f"{shown}:1: file is {info.st_size:,} bytes; {limit}"])
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise DeckError([f"{shown}:1: cannot read: {_os_reason(exc)}"]) from None
    try:
        kind = _not_regular(os.fstat(fd).st_mode)
        if kind is not None:  # swapped for something else since the check above
            raise DeckError([f"{shown}:1: cannot read: {kind}, not a regular file"])
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise DeckError([f"{shown}:1: cannot read: {_os_reason(exc)}"]) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise DeckError([f"{shown}:1: file grew past the {max_bytes:,}-byte limit while read"])
    return data


def read_text(path: Path, max_bytes: int, what: str = "files") -> str:
    """A regular file of at most ``max_bytes`` as strict UTF-8 text (a BOM dropped), or a
    DeckError naming the line of the first byte that is not UTF-8."""
    data = read_regular_file(path, max_bytes, what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DeckError(
            [
                f"{quote_path(path)}:{line}: not valid UTF-8 (byte {exc.start}); "
                "save the file as UTF-8"
            ]
        ) from None
    return text.removeprefix("\ufeff")


def _real(path: Path) -> str:
    """Where a path leads (loops and missing targets included: no error, just a key)."""
    return os.path.realpath(path)


def find_deck_files(paths: Iterable[Path], problems: list[str] | None = None) -> list[Path]:
    """Expand folders into their *.yaml/*.yml files (recursively, sorted); keep files as given.

    Symlinked subfolders are followed (each folder is read once, however many links lead to
    it). A folder that cannot be read is a problem: added to ``problems``, or raised as a
    DeckError when no list is given.
    """
    found: list[Path] = []
    seen: set[str] = set()
    own = problems if problems is not None else []
    for path in paths:
        if path.is_dir():
            candidates = sorted(_walk(path, own))
        elif os.path.lexists(path):
            candidates = [path]  # a file, or something load_deck explains (loop, FIFO...)
        else:
            raise InputNotFoundError(f"{quote_path(path)}: no such file or folder")
        for candidate in candidates:
            key = _real(candidate)
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    if problems is None and own:
        raise DeckError(own)
    return found


def _walk(folder: Path, problems: list[str]) -> Iterator[Path]:
    visited: set[tuple[int, int]] = set()
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            info = current.stat()
            if (info.st_dev, info.st_ino) in visited:
                continue  # reached again through a symlink: read once
            visited.add((info.st_dev, info.st_ino))
            if len(visited) > MAX_FOLDERS:
                raise UsageError(
                    f"{quote_path(folder)}: more than {MAX_FOLDERS:,} folders to search for "
                    "decks; name the folder that holds your decks"
                )
            with os.scandir(current) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            problems.append(f"{quote_path(current)}: cannot read this folder: {_os_reason(exc)}")
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            is_deck = entry.name.endswith(DECK_SUFFIXES)
            try:
                is_dir = entry.is_dir()  # follows a symlink
            except OSError as exc:  # a link that cannot be followed
                if not is_deck:
                    problems.append(
                        f"{quote_path(entry.path)}: cannot follow this link: {_os_reason(exc)}"
                    )
                is_dir = False
            if is_dir:
                stack.append(Path(entry.path))
            elif is_deck:
                yield Path(entry.path)
