"""Question sets in other formats -> mlcards decks: CSV/TSV (MMLU layout or named columns),
Moodle GIFT, and the JSON Lines / JSON layouts of the public data sets.

Every card a conversion writes has been read back by the strict loader, so what comes out is
a valid deck or a DeckError that lists every problem as ``FILE:LINE: message``, the line
being the source file's (all-or-nothing, as for YAML decks). ``convert_stream`` writes a
card at a time in flat memory (``mlcards convert``); ``convert_file`` keeps the deck in
memory for ``import``. The converted YAML is meant to become the one editable copy:
``write_converted`` keeps it.

Formats by extension: ``.csv`` csv, ``.tsv`` and ``.tab`` tsv, ``.gift`` and ``.txt`` gift
(Moodle exports GIFT as ``.txt``), ``.jsonl`` and ``.ndjson`` jsonl, ``.json`` json;
anything else is a YAML deck unless a format is named.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

from mlcards.atomic import write_text
from mlcards.deck import DEFAULT_MAX_BYTES
from mlcards.errors import OutputError, UsageError
from mlcards.formats import csv as csv_format
from mlcards.formats import gift as gift_format
from mlcards.formats import jsonl as jsonl_format
from mlcards.formats._common import (
    Conversion,
    Draft,
    Issue,
    SourceLines,
    default_deck_id,
    default_name,
    read_source,
)
from mlcards.formats.layouts import FieldMap, parse_map
from mlcards.formats.writer import Written, build, check_deck_id, conversion_of, write_deck
from mlcards.sanitize import quote_path

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "Conversion",
    "FieldMap",
    "Written",
    "convert_file",
    "convert_stream",
    "convert_text",
    "detect_format",
    "parse_map",
    "write_converted",
]

FORMATS = ("csv", "tsv", "gift", "jsonl", "json")
SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".gift": "gift",
    ".txt": "gift",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}
_YAML_NAMES = ("yaml", "yml")
_LABELS = {
    "csv": "CSV",
    "tsv": "TSV",
    "gift": "Moodle GIFT",
    "jsonl": "JSON Lines",
    "json": "JSON",
}

Rows = Callable[[], Iterator[Draft | Issue]]


def detect_format(path: Path, override: str | None = None) -> str | None:
    """The converter for ``path``: the named one, else by extension; None for a YAML deck."""
    if override is not None:
        name = override.strip().lower()
        if name in FORMATS:
            return name
        if name in _YAML_NAMES:
            return None
        raise UsageError(f"unknown format {override!r}; choose one of {', '.join(FORMATS)}")
    return SUFFIXES.get(path.suffix.lower())


def _rows(
    fmt: str, lines: Iterable[str], path: str, mapping: FieldMap | None, found: list[str]
) -> Iterator[Draft | Issue]:
    if fmt in ("csv", "tsv"):
        return csv_format.rows(lines, path, "," if fmt == "csv" else "\t")
    if fmt == "jsonl":
        return jsonl_format.rows(jsonl_format.read_lines(lines), path, mapping, found)
    if fmt == "json":
        return jsonl_format.rows(jsonl_format.read_array(lines, path), path, mapping, found)
    raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _check_map(fmt: str, mapping: FieldMap | None) -> None:
    if mapping is not None and fmt not in ("jsonl", "json"):
        raise UsageError("--map names the fields of a JSON or JSON Lines file, not of " + fmt)


def convert_text(
    text: str,
    fmt: str,
    *,
    path: str,
    deck_id: str,
    name: str,
    description: str = "",
    mapping: FieldMap | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Conversion:
    """Convert source text already read; ``path`` is the name used in messages."""
    check_deck_id(deck_id)
    _check_map(fmt, mapping)
    if fmt == "gift":
        items = gift_format.rows(text, path)
    else:
        lines = io.StringIO(text, newline="") if fmt in ("csv", "tsv") else text.splitlines(True)
        items = list(_rows(fmt, lines, path, mapping, []))
    return build(
        items, path=path, deck_id=deck_id, name=name, description=description, max_bytes=max_bytes
    )


def _prepare(
    path: Path,
    fmt: str | None,
    deck_id: str | None,
    name: str | None,
    max_bytes: int,
    mapping: FieldMap | None,
) -> tuple[str, Rows, SourceLines | None, dict[str, str], list[str]]:
    chosen = detect_format(path, fmt)
    if chosen is None:
        raise UsageError(
            f"{quote_path(path)}: not a file to convert (expected .csv, .tsv, .gift, .txt, "
            f".jsonl or .json); name the format: {', '.join(FORMATS)}"
        )
    _check_map(chosen, mapping)
    if deck_id is not None:
        check_deck_id(deck_id)
    shown = quote_path(path)
    found: list[str] = []
    source: SourceLines | None = None
    if chosen == "gift":
        items = gift_format.rows(read_source(path, max_bytes), shown)

        def rows() -> Iterator[Draft | Issue]:
            return iter(items)
    else:
        source = SourceLines(path, max_bytes)
        lines = source

        def rows() -> Iterator[Draft | Issue]:
            found.clear()
            return _rows(chosen, lines, shown, mapping, found)

    names = {
        "path": shown,
        "deck_id": deck_id or default_deck_id(path),
        "name": name or default_name(path),
        "description": f"Converted from {path.name} ({_LABELS[chosen]}).",
    }
    return chosen, rows, source, names, found


def convert_file(
    path: Path,
    fmt: str | None = None,
    *,
    deck_id: str | None = None,
    name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    mapping: FieldMap | None = None,
) -> Conversion:
    """Convert one source file in memory (what ``import`` needs: the deck itself). The deck
    id defaults to a slug of the file name, the name to the file name in words."""
    out = io.StringIO()
    notes: list[str] = []
    written, _, shown = _write(
        path, out, fmt, deck_id, name, max_bytes, mapping, notes.append, keep_lines=True
    )
    return conversion_of(out.getvalue(), shown, written, notes)


def convert_stream(
    path: Path,
    out: TextIO,
    fmt: str | None = None,
    *,
    deck_id: str | None = None,
    name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    mapping: FieldMap | None = None,
    note: Callable[[str], None] = lambda _line: None,
) -> tuple[Written, str]:
    """Convert one source file to ``out`` a card at a time, in memory that stays flat
    however long the file is (``mlcards convert``). Returns what was written, and the
    layout found in a JSON file ("" for other formats)."""
    written, found, _ = _write(path, out, fmt, deck_id, name, max_bytes, mapping, note)
    return written, found


def _write(
    path: Path,
    out: TextIO,
    fmt: str | None,
    deck_id: str | None,
    name: str | None,
    max_bytes: int,
    mapping: FieldMap | None,
    note: Callable[[str], None],
    keep_lines: bool = False,
) -> tuple[Written, str, str]:
    """The one conversion both entries share: what was written, the JSON layout found
    ("" for other formats), and the source's name as messages show it."""
    _, rows, source, names, found = _prepare(path, fmt, deck_id, name, max_bytes, mapping)
    written = write_deck(
        rows,
        out,
        path=names["path"],
        deck_id=names["deck_id"],
        name=names["name"],
        description=names["description"],
        max_bytes=max_bytes,
        note=note,
        source=source,
        keep_lines=keep_lines,
    )
    return written, found[0] if found else "", names["path"]


def write_converted(conversion: Conversion, folder: Path) -> Path:
    """Write ``<folder>/<deck id>.yaml`` atomically (``atomic.write_text``), so a reader sees
    the old deck or the new one, never half of it."""
    target = folder / f"{conversion.deck.id}.yaml"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text(target, conversion.yaml_text, mode=0o644)  # readable like any deck file
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    return target
