"""An empty review says why, `--new N` adds N new cards today, an unknown `--tag` is an
error, and `practice` on a deck never reviewed offers its cards."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import answer_card, at, deck_yaml, toy_deck, write
from pty_helpers import finish, import_deck, run_cli, spawn

from mlcards.config import Settings
from mlcards.services.study import todays_queue, why_nothing_to_review
from mlcards.store import Store

DAY = "2026-03-01"
NOW = f"{DAY}T09:00:00+00:00"


def test_why_there_is_nothing_to_review(db_path: Path) -> None:
    from datetime import date

    settings = Settings(new_per_day=2)
    with Store.open(db_path) as store:
        store.decks.import_decks([toy_deck(cards=("c1", "c2", "c3", "c4"))], at(DAY))
        for card in ("c1", "c2"):
            answer_card(store, DAY, "toy", card, 5)
        today = date.fromisoformat(DAY)
        assert todays_queue(store, settings, today) == []
        why = why_nothing_to_review(store, settings, today)
        assert why.startswith("Today's 2 new cards are done (2 more wait)")
        assert "`mlcards review --new N` adds N more today" in why
        assert "Next review: tomorrow (2026-03-02)." in why
        assert why.endswith("Add the bundled decks with `mlcards import --bundled`.")
        more = todays_queue(store, settings, today, new_limit=1)
        assert [item.card.id for item in more] == ["c3"]  # --new 1: one more, past the limit


@pytest.mark.slow
def test_review_says_why_and_new_adds_more(isolated_home: Path, tmp_path: Path) -> None:
    import_deck(isolated_home, tmp_path, write(tmp_path / "toy.yaml", deck_yaml(cards=("c1",))))
    assert run_cli(isolated_home, tmp_path, "config", "set", "new_per_day", "0")[0] == 0
    child = spawn(isolated_home, tmp_path, "--no-shuffle", MLCARDS_NOW=NOW)
    code, out = finish(child)
    assert code == 0
    assert "Today's 0 new cards are done (1 more wait)" in " ".join(out.split())
    child = spawn(isolated_home, tmp_path, "--no-shuffle", "--new", "1", MLCARDS_NOW=NOW)
    child.expect(r"Question c1\?")
    child.send("q")
    assert finish(child)[0] == 0


@pytest.mark.slow
def test_an_unknown_tag_is_an_error_like_an_unknown_deck(
    isolated_home: Path, tmp_path: Path
) -> None:
    import_deck(isolated_home, tmp_path, write(tmp_path / "toy.yaml", deck_yaml()))
    for command in ("review", "practice"):
        child = spawn(isolated_home, tmp_path, "--tag", "nosuchtag", command=command)
        code, out = finish(child)
        assert code == 2, out
        assert "no card has the tag 'nosuchtag'; tags: testing" in out


@pytest.mark.slow
def test_practice_on_a_deck_never_reviewed_offers_its_cards(
    isolated_home: Path, tmp_path: Path
) -> None:
    import_deck(isolated_home, tmp_path, write(tmp_path / "toy.yaml", deck_yaml()))
    child = spawn(isolated_home, tmp_path, "--deck", "toy", "--no-shuffle", command="practice")
    child.expect("PRACTICE")
    child.expect(r"Question c1\?")
    child.send("q")
    assert finish(child)[0] == 0
