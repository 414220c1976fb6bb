"""``mlcards.services.browse``: custom study from a query (``review QUERY``, ``practice
QUERY``) and a card named by its bare id."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from helpers import at, build_history, tagged_deck

from mlcards.config import Settings
from mlcards.errors import UsageError
from mlcards.services.browse import query_practice, query_queue, resolve_ref
from mlcards.store import Store

TODAY = date(2026, 3, 20)


@pytest.fixture
def history(db_path: Path) -> Store:
    store = Store.open(db_path)
    build_history(store)
    return store


def keys(items: list) -> list[str]:  # type: ignore[type-arg]
    return [item.key for item in items]


def test_review_query_is_todays_queue_of_the_cards_found(history: Store) -> None:
    queue = query_queue(history, Settings(), TODAY, "tag:optim")
    assert keys(queue) == ["alpha/m2", "alpha/a2", "alpha/leech", "alpha/a3", "alpha/m1"]
    assert keys(query_queue(history, Settings(), TODAY, "deck:beta")) == []
    assert keys(query_queue(history, Settings(), TODAY, "tag:optim", limit=2)) == [
        "alpha/m2",
        "alpha/a2",
    ]


def test_review_query_spends_the_new_limit_on_the_cards_asked_for(history: Store) -> None:
    history.decks.import_decks(
        [tagged_deck("gamma", [(f"g{i}", ["other"]) for i in range(5)] + [("g9", ["pick"])])],
        at("2026-03-20", 8),
    )
    settings = Settings(new_per_day=1)
    assert keys(query_queue(history, settings, TODAY, "tag:pick is:new")) == ["gamma/g9"]


def test_practice_query_lowest_ef_first_and_wrong_only(history: Store) -> None:
    assert keys(query_practice(history, Settings(), TODAY, "tag:optim", 3)) == [
        "alpha/a2",
        "alpha/leech",
        "alpha/m1",
    ]
    wrong = query_practice(history, Settings(), TODAY, "tag:optim", 10, wrong_only=True)
    assert keys(wrong) == ["alpha/a2"]


def test_a_bare_id_names_a_card_of_one_deck_only(history: Store) -> None:
    assert resolve_ref(history, "m1") == ("alpha", "m1")
    history.decks.import_decks([tagged_deck("gamma", [("m1", ["x"])])], at("2026-03-20", 8))
    with pytest.raises(UsageError, match="several decks; name one: alpha/m1, gamma/m1"):
        resolve_ref(history, "m1")
