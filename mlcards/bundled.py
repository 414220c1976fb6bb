"""Where the decks shipped with mlcards are. No YAML here: the review start-up checks them
on every run, and parsing is only needed when one changed."""

from __future__ import annotations

from pathlib import Path

FIRST_BUNDLED = "batchnorm.yaml"
DECK_SUFFIXES = (".yaml", ".yml")


def bundled_decks_dir() -> Path:
    """The decks shipped with mlcards: inside the wheel, or ``decks/`` in a source checkout."""
    packaged = Path(__file__).resolve().parent / "decks"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "decks"


def bundled_deck_files() -> list[Path]:
    """The bundled deck files, the BatchNorm deck first: it is a newcomer's first question."""
    files = [p for p in bundled_decks_dir().iterdir() if p.suffix in DECK_SUFFIXES and p.is_file()]
    return sorted(files, key=lambda p: (p.name != FIRST_BUNDLED, p.name))
