"""Choice order that keeps meaning (issue 20, item 7): choices that name other choices stay
after them, True stays before False, and a deck or card can say ``shuffle: false``."""

from __future__ import annotations

import random
from datetime import date

import pytest

from mlcards.deck import parse_deck
from mlcards.errors import DeckError
from mlcards.models import ScheduledCard
from mlcards.rules import pinned_choices
from mlcards.session import Session

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    "text",
    [
        "All of the above",
        "None of the above.",
        "none of these",
        "Both A and B",
        "Both (a) and (b)",
        "Neither",
        "A and B",
        "A, B and C",
        "I and III only",
        "Only B",
        "Both demographic parity and equalized odds",
        "Neither demographic parity nor equalized odds",
        "*All of the above*",
    ],
)
def test_choices_that_name_others_are_pinned(text: str) -> None:
    assert pinned_choices(["x", "y", text]) == [False, False, True]


@pytest.mark.parametrize(
    "text",
    [
        "Both average independent trees; boosting simply uses deeper trees.",
        "Both rank A first, because A points closer to the direction of q.",
        "A linear model and a tree",
        "All weights are updated at once",
    ],
)
def test_ordinary_statements_are_not_pinned(text: str) -> None:
    assert pinned_choices(["x", text]) == [False, False]


def test_true_false_pins_both() -> None:
    assert pinned_choices(["True", "False"]) == [True, True]
    assert pinned_choices(["False.", "true"]) == [True, True]


def _deck(*, deck_shuffle: str = "", card_shuffle: str = "", texts: tuple[str, ...]) -> str:
    choices = "".join(f'      - id: c{i}\n        text: "{t}"\n' for i, t in enumerate(texts))
    return (
        f"id: toy\nname: Toy\n{deck_shuffle}cards:\n  - id: q1\n    question: Which?\n"
        f"{card_shuffle}    choices:\n{choices}    answer: c0\n    explanation: Because.\n"
    )


def _orders(yaml_text: str) -> set[tuple[str, ...]]:
    card = parse_deck(yaml_text).cards[0]
    item = ScheduledCard("toy", "Toy", card, 0, 2.5, 0, None, None)
    return {
        tuple(c.text for c in Session([item], TODAY, random.Random(seed)).choice_order(item))
        for seed in range(40)
    }


def test_all_of_the_above_stays_last_while_the_rest_shuffle() -> None:
    orders = _orders(_deck(texts=("p", "q", "r", "All of the above")))
    assert len(orders) > 1
    assert all(order[-1] == "All of the above" for order in orders)


def test_true_stays_first() -> None:
    assert _orders(_deck(texts=("True", "False"))) == {("True", "False")}


def test_a_deck_or_a_card_can_say_shuffle_false() -> None:
    texts = ("p", "q", "r", "s")
    assert _orders(_deck(deck_shuffle="shuffle: false\n", texts=texts)) == {texts}
    assert _orders(_deck(card_shuffle="    shuffle: false\n", texts=texts)) == {texts}
    both = _deck(deck_shuffle="shuffle: false\n", card_shuffle="    shuffle: true\n", texts=texts)
    assert len(_orders(both)) > 1  # the card's own word wins


def test_shuffle_must_be_a_boolean() -> None:
    with pytest.raises(DeckError) as error:
        parse_deck(_deck(card_shuffle="    shuffle: no\n", texts=("p", "q")), "toy.yaml")
    assert error.value.problems == [
        "toy.yaml:6: card 'q1': 'shuffle' must be true or false, not 'no'"
    ]


def test_shuffle_false_survives_the_store() -> None:
    from mlcards.models import Card

    card = parse_deck(_deck(card_shuffle="    shuffle: false\n", texts=("p", "q"))).cards[0]
    assert not Card.from_content(card.id, card.content()).shuffle
    plain = parse_deck(_deck(texts=("p", "q"))).cards[0]
    assert "shuffle" not in plain.content()  # cards stored before keep comparing equal
