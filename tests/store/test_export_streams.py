"""The streamed reads an export takes: the same cards and graded rows as the listed reads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from helpers import answer_all, at, toy_deck

from mlcards.errors import StoreError
from mlcards.models import Quality
from mlcards.store import Scope, Store


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store.open(db_path)
    s.decks.import_decks([toy_deck(), toy_deck("other", ("d1", "d2"))], at("2026-01-01"))
    answer_all(s, "2026-01-01", Quality.GOOD)
    answer_all(s, "2026-01-03", Quality.WRONG)
    s.cards.suspend("toy", "c2")
    yield s
    s.close()


@pytest.mark.parametrize("deck", [None, "other"])
def test_the_card_stream_is_active_less_path_and_line(store: Store, deck: str | None) -> None:
    listed = [
        replace(item, path="", card=replace(item.card, line=0)) for item in store.cards.active(deck)
    ]
    streamed = list(store.cards.active_stream(deck))
    assert streamed == listed
    assert ("toy", "c2") not in {(item.deck_id, item.card.id) for item in streamed}
    assert any(item.due is not None for item in streamed)


def test_graded_rows_are_the_graded_log_in_id_order(store: Store) -> None:
    wanted = [
        (r["deck_id"], r["card_id"], r["reviewed_at"], r["quality"], r["response_ms"])
        + (r["was_new"], r["repetitions"], r["easiness"], r["interval"])
        for r in store.log.rows()
        if r["mode"] == "review"
    ]
    assert len(wanted) > 5
    assert list(store.log.graded_rows(Scope())) == wanted
    assert {r[0] for r in store.log.graded_rows(Scope(deck="other"))} == {"other"}


def test_a_hand_edited_card_row_is_reported_by_both_reads(store: Store) -> None:
    store.conn.execute("UPDATE cards SET content = '{\"title\": 1}' WHERE id = 'd1'")
    with pytest.raises(StoreError, match=r"card other/d1 cannot be read"):
        store.cards.active("other")
    with pytest.raises(StoreError, match=r"card other/d1 cannot be read"):
        list(store.cards.active_stream("other"))


def test_the_card_stream_leaves_the_parsed_cards_cache_alone(store: Store) -> None:
    from mlcards.store.cards import _card

    before = _card.cache_info()
    streamed = list(store.cards.active_stream())
    assert streamed and _card.cache_info() == before  # neither asked nor filled
