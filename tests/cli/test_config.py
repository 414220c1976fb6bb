"""The config file and `mlcards config set/unset`: hostile files are clear errors, unknown
decks and out-of-range values are refused, unset goes back to the default, symlinks kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import no_traceback, write
from helpers import run_here as run


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("new_per_day: " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        ("new_per_day: " + "9" * 5000, "a number too long to read (over 4,300 digits)"),
        ("new_per_day: " + "9" * 100, "must be between 0 and 10,000, not a number with hundreds"),
        ("decks:\n  toy:\n    new_per_day: " + "[" * 3000 + "]" * 3000, "nested too deeply"),
    ],
    ids=["nested-5000-deep", "5000-digit-number", "100-digit-number", "nested-in-a-deck"],
)
def test_a_hostile_config_file_is_a_clear_error(
    home: Path, db: Path, text: str, message: str
) -> None:
    write(home / "config.yaml", text)
    result = run(home, "status")
    assert result.code == 2, result.err
    no_traceback(result)
    assert message in result.err


def test_config_set_for_an_unknown_deck_is_refused(home: Path, db: Path) -> None:
    result = run(home, "config", "set", "--deck", "nosuchdeck", "new_per_day", "5")
    assert (
        result.code == 2
        and "no deck 'nosuchdeck'; deck ids (see `mlcards status`): toy" in result.err
    )
    assert not (home / "config.yaml").exists()
    assert run(home, "config", "set", "--deck", "toy", "new_per_day", "5").code == 0


def test_config_set_a_negative_number_names_the_range(home: Path) -> None:
    result = run(home, "config", "set", "new_per_day", "-3")
    assert result.code == 2
    assert "new_per_day must be between 0 and 10,000, not -3" in result.err
    assert "No such option" not in result.err


def test_config_unset_goes_back_to_the_default(home: Path, db: Path) -> None:
    assert run(home, "config", "set", "new_per_day", "7").code == 0
    assert run(home, "config", "set", "--deck", "toy", "new_per_day", "3").code == 0
    result = run(home, "config", "unset", "--deck", "toy", "new_per_day")
    assert result.code == 0 and result.out.strip() == "new_per_day = 7 (deck toy)"
    result = run(home, "config", "unset", "new_per_day")
    assert result.code == 0 and result.out.strip() == "new_per_day = 20"
    result = run(home, "config", "unset", "new_per_day")
    assert result.out.strip() == "new_per_day = 20 (it was not set)"
    assert json.loads(run(home, "config", "show", "--json").out)["decks"] == {}
    assert run(home, "config", "unset", "nope").code == 2


def test_config_set_writes_through_a_symlinked_config_file(home: Path, tmp_path: Path) -> None:
    home.mkdir()
    real = write(tmp_path / "dotfiles-config.yaml", "rollover_hour: 5\n")
    (home / "config.yaml").symlink_to(real)
    assert run(home, "config", "set", "new_per_day", "9").code == 0
    assert (home / "config.yaml").is_symlink()
    assert "new_per_day: 9" in real.read_text() and "rollover_hour: 5" in real.read_text()
