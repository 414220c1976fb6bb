"""Converters from CSV/TSV and Moodle GIFT to mlcards decks, the YAML writer they share, and
per-choice feedback in the deck format.

Fixture files live in tests/data/formats/, one per construct; every test asserts the exact
cards produced (ids, choices, answer, feedback, tags) or the exact FILE:LINE messages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlcards.deck import load_deck
from mlcards.errors import DeckError
from mlcards.models import Card, Choice

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "data" / "formats"
SCHEMA_FILE = ROOT / "decks" / "deck.schema.json"


def fixture(name: str) -> Path:
    path = FIXTURES / name
    assert path.is_file(), f"missing fixture {path}"
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DeckError) as excinfo:
        load_deck(path)
    return excinfo.value.problems


# -- per-choice feedback in the deck format ------------------------------------------------


def test_feedback_loads_and_is_optional() -> None:
    deck = load_deck(fixture("deck-feedback.yaml"))
    (card,) = deck.cards
    assert card.choices == (
        Choice("small", "0.01", "Too small to diverge; it only converges slowly."),
        Choice("big", "2.5"),
        Choice("half", "0.5", "Converges: the step is below 2/L.\n"),
    )


def test_feedback_gets_the_checks_of_choice_text() -> None:
    path = fixture("deck-bad-feedback.yaml")
    assert problems_of(path) == [
        f"{path}:9: card 'c1' choice 'a': 'feedback' must be text, but YAML reads 42 as a "
        'number; put it in quotes: "42"',
        f"{path}:12: card 'c1' choice 'b': 'feedback' must not be empty",
        f"{path}:16: card 'c1' choice 'c': 'feedback' must be text, not a list",
        f"{path}:19: card 'c1' choice: unknown key 'feedbak' (did you mean 'feedback'?)",
    ]


def test_content_names_feedback_only_when_there_is_some() -> None:
    """The store compares content() to find edited cards: a card without feedback must keep
    exactly the content it had before the field existed."""
    plain = Card("c", "Q?", (Choice("a", "A"), Choice("b", "B")), ("a",), "E.")
    assert plain.content()["choices"] == [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]
    with_feedback = Card("c", "Q?", (Choice("a", "A", "Yes."), Choice("b", "B")), ("a",), "E.")
    content = with_feedback.content()
    assert content["choices"] == [
        {"id": "a", "text": "A", "feedback": "Yes."},
        {"id": "b", "text": "B"},
    ]
    assert Card.from_content("c", content) == with_feedback
    assert Card.from_content("c", json.loads(json.dumps(plain.content()))) == plain


def test_schema_allows_feedback() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    document = yaml.safe_load(fixture("deck-feedback.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    document["cards"][0]["choices"][1]["feedback"] = "   "
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(document)
