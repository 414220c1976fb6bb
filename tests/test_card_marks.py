"""Suspending, burying and flagging cards: the commands that clear marks check every
card before changing any, and marked cards are not counted as due."""

from __future__ import annotations

from pathlib import Path

from helpers import review_count
from helpers import run_child as run

from mlcards.store import Store


def test_unflag_checks_every_card_before_clearing_any(home: Path, db: Path) -> None:
    with Store.open(db) as store:
        store.cards.flag("toy", "c1")
    before = db.read_bytes()
    result = run(home, "unflag", "toy/c1", "toy/nope")
    assert result.code == 2 and "no card toy/nope" in result.err
    with Store.open(db) as store:
        assert [c["card"] for c in store.cards.marked("flagged")] == ["c1"]
    assert review_count(db) == 1 and len(db.read_bytes()) == len(before)
    assert run(home, "unflag", "toy/c1").code == 0
