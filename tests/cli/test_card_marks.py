"""Suspending, burying and flagging cards: the commands that clear marks check every
card before changing any, and marked cards are not counted as due."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import at, deck_yaml, mlcards, review_count, session_for, toy_deck, write
from helpers import run_here as run

from mlcards.models import Quality
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


def test_status_does_not_count_suspended_or_buried_cards_as_due(db_path: Path) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1", "c2", "c3"))], at("2026-03-01"))
    session = session_for(store)
    while (item := session.next()) is not None:
        session.answer(item, item.card.answer, Quality.GOOD, 10, at("2026-03-01"))
    store.cards.suspend("toy", "c1")
    store.cards.bury("toy", "c2", date(2026, 3, 5))
    (deck,) = store.decks.status(date(2026, 3, 2))
    assert deck.due == 1
    assert store.cards.next_due() == date(2026, 3, 2)
    store.cards.suspend("toy", "c3")
    assert store.cards.next_due() == date(2026, 3, 5)
    store.close()


@pytest.mark.slow
def test_unsuspend_checks_every_card_before_changing_any(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = home / "mlcards.db"
    assert mlcards(home, "import", str(write(tmp_path / "t.yaml", deck_yaml())))[0] == 0
    with Store.open(db) as store:
        store.cards.suspend("toy", "c1")
    code, _, err = mlcards(home, "unsuspend", "toy/c1", "toy/nope")
    assert code == 2 and "no card toy/nope" in err
    with Store.open(db) as store:
        assert [c["card"] for c in store.cards.marked("suspended")] == ["c1"]
    code, out, _ = mlcards(home, "unsuspend", "toy/c1", "toy/c2")
    assert code == 0 and "unsuspended 1 card" in out


@pytest.mark.parametrize("kind", ["suspend", "bury"])
def test_the_reviews_undo_says_when_the_card_stays_marked(db_path: Path, kind: str) -> None:
    """``u`` after ``s`` (or ``b``) takes back only this screen's event: a card another
    session suspended (buried) meanwhile stays so, and the message says that rather than
    "no longer suspended"."""
    from contextlib import nullcontext

    from mlcards.services.actions import StoreActions

    day = date(2026, 3, 1)
    with Store.open(db_path) as store:
        store.decks.import_decks([toy_deck(cards=("c1", "c2"))], at("2026-03-01"))
        first, second = store.cards.new(2)
        screen = StoreActions(store, day, nullcontext, lambda: at("2026-03-01"))
        do, undo = (
            (screen.suspend, screen.unsuspend)
            if kind == "suspend"
            else (screen.bury, screen.unbury)
        )
        marked = "suspended" if kind == "suspend" else "buried"
        do(first)
        assert undo(first) == f"Undone: toy/c1 is no longer {marked}."
        assert store.cards.one("toy", "c1", day) is not None
        if kind == "suspend":  # the other session's mark, given after this screen drew c2
            store.cards.suspend("toy", "c2")
        else:
            store.cards.bury("toy", "c2", day + timedelta(days=1))
        do(second)
        assert (
            undo(second)
            == f"Undone here, but toy/c2 stays {marked}: another session {marked} it too."
        )
        assert store.cards.one("toy", "c2", day) is None
