"""Converters from CSV/TSV and Moodle GIFT to mlcards decks, the YAML writer they share, and
per-choice feedback in the deck format.

Fixture files live in tests/data/formats/, one per construct; every test asserts the exact
cards produced (ids, choices, answer, feedback, tags) or the exact FILE:LINE messages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcards.deck import DeckValue, dump_deck, load_deck, parse_deck
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
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    document = yaml.safe_load(fixture("deck-feedback.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    document["cards"][0]["choices"][1]["feedback"] = "   "
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(document)


# -- dump_deck: the YAML writer ------------------------------------------------------------

AWKWARD = [
    "key: value",
    "# not a comment",
    "a #b",
    "  two leading spaces",
    "trailing space ",
    "trailing\nspace on the first line \nof two",
    "'single' and \"double\" quotes",
    "back\\slash \\n not a newline",
    "ünïcödé — ∑ 数学 🙂",
    "",
    " ",
    "yes",
    "no",
    "null",
    "~",
    "true",
    "1e3",
    "0x1F",
    "2024-01-01",
    "1_000",
    "- a list?",
    "[flow]",
    "{flow: map}",
    "&anchor",
    "*alias",
    "!tag",
    "%directive",
    "@reserved",
    "`backtick`",
    "|",
    ">",
    "---",
    "...",
    "line one\nline two",
    "ends with newline\n",
    "ends with two newlines\n\n",
    "\nstarts with a newline",
    "\n  starts with a newline and indentation",
    "tab\there",
    "crlf\r\nline",
    "control \x01 \x7f \x85 \u2028 \ufeff \ufffe",
    "a\n\n\nb",
]


def _or(text: str, fallback: str) -> str:
    """Required fields refuse blank text: use the fallback there."""
    return text if text.strip() else fallback


def _deck_with(text: str) -> dict[str, DeckValue]:
    return {
        "id": "awkward",
        "name": "Awkward",
        "description": text,
        "cards": [
            {
                "id": "c1",
                "title": text,
                "question": _or(text, "Q"),
                "choices": [
                    {"id": "a", "text": _or(text, "A"), "feedback": _or(text, "F")},
                    {"id": "b", "text": "B"},
                ],
                "answer": ["a", "b"],
                "explanation": _or(text, "E"),
                "tags": ["yes", "no-1", "null"],
                "source": {"author": "by " + text},
            }
        ],
    }


def _values_of(document: dict[str, DeckValue]) -> tuple[object, ...]:
    deck = parse_deck(dump_deck(document))
    (card,) = deck.cards
    return (
        deck.description,
        card.title,
        card.question,
        card.choices,
        card.explanation,
        card.tags,
        dict(card.source),
        card.answer,
        card.multiple,
    )


@pytest.mark.parametrize("text", AWKWARD)
def test_dump_deck_round_trips_awkward_text(text: str) -> None:
    document = _deck_with(text)
    assert _values_of(document) == (
        text,
        text,
        _or(text, "Q"),
        (Choice("a", _or(text, "A"), _or(text, "F")), Choice("b", "B")),
        _or(text, "E"),
        ("yes", "no-1", "null"),
        {"author": "by " + text},
        ("a", "b"),
        True,
    )
    # Other YAML readers (PyYAML's YAML 1.1 safe_load, as the JSON Schema check uses) agree.
    assert yaml.safe_load(dump_deck(document)) == document


def test_dump_deck_writes_readable_yaml() -> None:
    document: dict[str, DeckValue] = {
        "id": "demo",
        "name": "Demo: a deck",
        "cards": [
            {
                "id": "c1",
                "question": "What is `x`?\n\nPick one.",
                "choices": [{"id": "a", "text": "It's 1"}, {"id": "b", "text": "2"}],
                "answer": "a",
                "explanation": "Because.",
                "tags": [],
            }
        ],
    }
    assert dump_deck(document) == (
        "id: demo\n"
        "name: 'Demo: a deck'\n"
        "cards:\n"
        "  - id: c1\n"
        "    question: |-\n"
        "      What is `x`?\n"
        "\n"
        "      Pick one.\n"
        "    choices:\n"
        "      - id: a\n"
        "        text: 'It''s 1'\n"
        "      - id: b\n"
        "        text: '2'\n"
        "    answer: a\n"
        "    explanation: |-\n"
        "      Because.\n"
        "    tags: []\n"
    )


_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",)),  # lone surrogates cannot be UTF-8
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_dump_deck_round_trips_any_text(text: str) -> None:
    document = _deck_with(text)
    deck = parse_deck(dump_deck(document))
    assert deck.description == text
    assert deck.cards[0].title == text
    assert deck.cards[0].question == (_or(text, "Q"))
    assert deck.cards[0].choices[0].feedback == (_or(text, "F"))
