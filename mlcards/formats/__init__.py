"""Question sets in other formats -> mlcards decks: CSV/TSV (MMLU layout or named columns)
and Moodle GIFT.

A conversion writes the deck as plain data, dumps it with ``mlcards.deckwriter.dump_deck`` and
reads it back with the strict loader, so what comes out is a valid deck or a DeckError that
lists every problem as ``FILE:LINE: message`` (all-or-nothing, as for YAML decks). The
converted YAML is meant to become the one editable copy: ``write_converted`` keeps it.

Formats by extension: ``.csv`` csv, ``.tsv`` and ``.tab`` tsv, ``.gift`` and ``.txt`` gift
(Moodle exports GIFT as ``.txt``); anything else is a YAML deck unless a format is named.
"""

from __future__ import annotations

from pathlib import Path

from mlcards.atomic import write_text
from mlcards.deck import DEFAULT_MAX_BYTES
from mlcards.errors import DeckError, OutputError, UsageError
from mlcards.formats import csv as csv_format
from mlcards.formats import gift as gift_format
from mlcards.formats._common import (
    Conversion,
    build,
    check_deck_id,
    default_deck_id,
    default_name,
    read_source,
)

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "Conversion",
    "convert_file",
    "convert_text",
    "detect_format",
    "write_converted",
]

FORMATS = ("csv", "tsv", "gift")
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".gift": "gift", ".txt": "gift"}
_YAML_NAMES = ("yaml", "yml")
_LABELS = {"csv": "CSV", "tsv": "TSV", "gift": "Moodle GIFT"}


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


def convert_text(
    text: str,
    fmt: str,
    *,
    path: str,
    deck_id: str,
    name: str,
    description: str = "",
) -> Conversion:
    """Convert source text already read; ``path`` is the name used in messages."""
    check_deck_id(deck_id)
    skipped: list[str] = []
    if fmt in ("csv", "tsv"):
        drafts, problems = csv_format.convert(text, path, "," if fmt == "csv" else "\t")
    elif fmt == "gift":
        drafts, skipped, problems = gift_format.convert(text, path)
    else:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if problems:
        raise DeckError(problems)
    return build(
        drafts,
        path=path,
        deck_id=deck_id,
        name=name,
        description=description,
        skipped=skipped,
    )


def convert_file(
    path: Path,
    fmt: str | None = None,
    *,
    deck_id: str | None = None,
    name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Conversion:
    """Convert one CSV, TSV or GIFT file. The deck id defaults to a slug of the file name,
    the name to the file name in words."""
    chosen = detect_format(path, fmt)
    if chosen is None:
        raise UsageError(
            f"{path}: not a file to convert (expected .csv, .tsv, .gift or .txt); "
            f"name the format: {', '.join(FORMATS)}"
        )
    if deck_id is not None:
        check_deck_id(deck_id)
    text = read_source(path, max_bytes)
    return convert_text(
        text,
        chosen,
        path=str(path),
        deck_id=deck_id or default_deck_id(path),
        name=name or default_name(path),
        description=f"Converted from {path.name} ({_LABELS[chosen]}).",
    )


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
