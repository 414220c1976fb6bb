"""The .apkg / .colpkg zip: writing ours, and finding the collection inside another's.

A package holds ``meta`` (a tiny protobuf message: field 1 is the format version), one
collection and a media map. Version 3 means ``collection.anki21b`` (zstd-compressed SQLite;
the ``collection.anki2`` beside it is a dummy that only asks the user to update), version 2
``collection.anki21``, version 1 (or no ``meta``) ``collection.anki2``. The version chosen by
``meta`` is the only collection read: never the dummy. Everything read is capped in bytes,
compressed or not, so a zip bomb stops at the cap instead of filling the disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from mlcards.errors import DeckError, OutputError
from mlcards.sanitize import quote_path

MAX_COLLECTION_BYTES = 512 * 1024 * 1024
"""The most bytes a collection may unpack to: far above a real deck collection, far below
what a zip bomb would write."""
MAX_META_BYTES = 1024
_CHUNK = 1024 * 1024

COLLECTIONS = {1: "collection.anki2", 2: "collection.anki21", 3: "collection.anki21b"}


def decode_meta(data: bytes) -> int:
    """The version in a ``meta`` message (protobuf: field 1, a varint). Other fields are
    skipped by their wire type; anything malformed is a ValueError."""
    position, version = 0, 1

    def varint() -> int:
        nonlocal position
        value, shift = 0, 0
        while True:
            if position >= len(data) or shift > 63:
                raise ValueError("truncated varint")
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while position < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            value = varint()
            if number == 1:
                version = value
        elif wire == 2:
            length = varint()  # read first: ``position += varint()`` adds to the old position
            position += length
        elif wire == 1:
            position += 8
        elif wire == 5:
            position += 4
        else:
            raise ValueError(f"wire type {wire}")
        if position > len(data):
            raise ValueError("truncated field")
    return version


def _copy_capped(source: IO[bytes], target: IO[bytes], limit: int, shown: str) -> None:
    total = 0
    while chunk := source.read(_CHUNK):
        total += len(chunk)
        if total > limit:
            raise DeckError(
                [
                    f"{shown}: the collection inside unpacks to more than {limit // 2**20} MiB; "
                    "not read (a damaged file or a zip bomb?)"
                ]
            )
        target.write(chunk)


@contextlib.contextmanager
def extracted_collection(path: Path, max_bytes: int | None = None) -> Iterator[Path]:
    """The collection of the package at ``path``, unpacked into a temporary file that is
    removed afterwards. A file that is not a package, an unknown ``meta`` version, a missing
    or oversized collection: a DeckError naming the file (exit 65)."""
    shown = quote_path(path)
    max_bytes = MAX_COLLECTION_BYTES if max_bytes is None else max_bytes
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        from mlcards.errors import InputNotFoundError

        raise InputNotFoundError(f"{shown}: no such file") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DeckError([f"{shown}: not an Anki package (not a zip file: {exc})"]) from None
    with archive, tempfile.TemporaryDirectory(prefix="mlcards-anki-") as folder:
        names = set(archive.namelist())
        version = 1
        if "meta" in names:
            try:
                with archive.open("meta") as stream:
                    version = decode_meta(stream.read(MAX_META_BYTES + 1)[:MAX_META_BYTES])
            except (ValueError, zipfile.BadZipFile, OSError) as exc:
                raise DeckError([f"{shown}: its meta entry cannot be read ({exc})"]) from None
        if version not in COLLECTIONS:
            raise DeckError(
                [
                    f"{shown}: made by a newer Anki (package version {version}); mlcards reads "
                    "versions 1-3: export again with 'Support older Anki versions' ticked"
                ]
            )
        name = COLLECTIONS[version]
        if version == 1 and name not in names and "collection.anki21" in names:
            name = "collection.anki21"
        if name not in names:
            raise DeckError([f"{shown}: not an Anki package (no {name} inside)"])
        target = Path(folder) / "collection.sqlite"
        try:
            info = archive.getinfo(name)
            if info.file_size > max_bytes and version != 3:
                raise DeckError(
                    [
                        f"{shown}: the collection inside unpacks to more than "
                        f"{max_bytes // 2**20} MiB; not read"
                    ]
                )
            with archive.open(name) as packed, open(target, "wb") as out:
                if version == 3:
                    import zstandard

                    with zstandard.ZstdDecompressor().stream_reader(packed) as unpacked:
                        _copy_capped(unpacked, out, max_bytes, shown)
                else:
                    _copy_capped(packed, out, max_bytes, shown)
        except DeckError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
            raise DeckError(
                [f"{shown}: the collection inside is damaged and cannot be unpacked ({exc})"]
            ) from None
        except Exception as exc:  # zstandard.ZstdError is not an OSError
            if type(exc).__module__.startswith("zstandard"):
                raise DeckError(
                    [f"{shown}: the collection inside is damaged and cannot be unpacked ({exc})"]
                ) from None
            raise
        yield target


def write_package(target: Path, collection: Path) -> None:
    """Zip ``collection`` (schema 11) as a legacy package, atomically: a temporary file in
    the target's folder, then a rename, so a reader never finds half a package."""
    temp: str | None = None
    folder = target.parent
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
        os.chmod(temp, 0o644)
        with os.fdopen(handle, "wb") as raw:
            with zipfile.ZipFile(
                raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
            ) as archive:
                archive.write(collection, "collection.anki2")
                archive.writestr("media", json.dumps({}))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temp, target)
        temp = None
    except OSError as exc:
        raise OutputError(f"{quote_path(target)}: cannot write: {exc.strerror or exc}") from None
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
