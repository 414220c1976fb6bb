"""Shared fixtures. Every test runs with its own data dir: no test touches a real user's files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs every property test on the same examples, so a red run is one anybody can repeat
# and a green one is not luck; elsewhere hypothesis keeps searching with fresh examples.
settings.register_profile("ci", derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "mlcards-home"
    monkeypatch.setenv("MLCARDS_HOME", str(home))
    monkeypatch.delenv("MLCARDS_DB", raising=False)
    monkeypatch.delenv("MLCARDS_NOW", raising=False)
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    import time

    time.tzset()
    yield home
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def db_path(isolated_home: Path) -> Path:
    return isolated_home / "mlcards.db"


@pytest.fixture
def toy(isolated_home: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """tmp_path/toy.yaml, imported by the real program: cards c1 c2 c3, or the test
    module's ``TOY_CARDS``."""
    from helpers import deck_yaml, write
    from pty_helpers import import_deck

    cards = getattr(request.module, "TOY_CARDS", ("c1", "c2", "c3"))
    deck = write(tmp_path / "toy.yaml", deck_yaml(cards=cards))
    import_deck(isolated_home, tmp_path, deck)
    return deck


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A data dir for child processes (helpers.run_child), made by the first command."""
    return tmp_path / "home"


@pytest.fixture
def db(home: Path, tmp_path: Path) -> Path:
    """A database holding the toy deck and one review; ``home/mlcards.db``."""
    from helpers import add_review, deck_yaml, run_here, write

    path = home / "mlcards.db"
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    assert run_here(home, "import", str(deck), "--json").code == 0
    add_review(path)
    return path
