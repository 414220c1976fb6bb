"""`status` shows deck ids and `--deck` takes a deck's id or name, case-insensitively, in
every command (issue 20, item 10): one resolver, ``services.decks.check_deck``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import at, deck_yaml, mlcards, toy_deck, write

from mlcards.errors import UsageError
from mlcards.render.text import wrap_id
from mlcards.services.decks import check_deck
from mlcards.store import Store


def test_check_deck_resolves_ids_and_names(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.decks.import_decks([toy_deck("toy"), toy_deck("other-deck")], at("2026-03-01"))
        assert check_deck(store, None) is None
        assert check_deck(store, "toy") == "toy"
        assert check_deck(store, "TOY") == "toy"
        assert check_deck(store, "Toy other-deck") == "other-deck"  # its name
        assert check_deck(store, "toy OTHER-DECK") == "other-deck"
        with pytest.raises(UsageError, match="deck ids .*toy, other-deck"):
            check_deck(store, "nope")


def test_a_name_two_decks_share_is_refused(db_path: Path) -> None:
    same = "id: {}\nname: Same\ncards:\n" + deck_yaml("x").split("cards:\n", 1)[1]
    from mlcards.deck import parse_deck

    with Store.open(db_path) as store:
        decks = [parse_deck(same.format(i), f"{i}.yaml") for i in ("one", "two")]
        store.decks.import_decks(decks, at("2026-03-01"))
        with pytest.raises(UsageError, match="names 2 decks"):
            check_deck(store, "same")


def test_status_shows_ids_and_commands_take_names(isolated_home: Path, tmp_path: Path) -> None:
    deck = write(tmp_path / "long.yaml", deck_yaml("optimization-conditioning-hpo"))
    assert mlcards(isolated_home, "import", str(deck))[0] == 0
    for columns in ("80", "60"):
        code, out, _ = mlcards(isolated_home, "status", COLUMNS=columns)
        assert code == 0
        joined = out.replace("-\n", "-")
        assert "optimization-" in out and all(
            len(line) <= int(columns) for line in out.splitlines()
        )
        assert "Cards" in out  # no number column dropped to make room
        assert (
            "optimization-conditioning-hpo"
            in "".join(line.split()[0] for line in joined.splitlines() if line.strip())
            or "optimization-conditioning-hpo" in out
        )
    code, out, err = mlcards(
        isolated_home, "stats", "--json", "--deck", "toy OPTIMIZATION-CONDITIONING-HPO"
    )
    assert code == 0, err
    assert json.loads(out)["filter"]["deck"] == "optimization-conditioning-hpo"
    code, out, err = mlcards(
        isolated_home, "export", "cards", "--deck", "Toy optimization-conditioning-hpo"
    )
    assert code == 0, err


def test_wrap_id_breaks_after_hyphens_only() -> None:
    assert wrap_id("optimization-conditioning-hpo", 16) == "optimization-\nconditioning-hpo"
    assert wrap_id("batchnorm", 16) == "batchnorm"
    assert wrap_id("interpretability-fairness", 16) == "interpretability\n-fairness"
