"""Converters from CSV/TSV and Moodle GIFT to mlcards decks, the YAML writer they share, and
per-choice feedback in the deck format.

Fixture files live in tests/data/formats/, one per construct; every test asserts the exact
cards produced (ids, choices, answer, feedback, tags) or the exact FILE:LINE messages.
"""

from __future__ import annotations

import csv as csv_module
import io
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from helpers import DATA, ROOT, mmlu_rows
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.markdown import Markdown

from mlcards.deck import load_deck, parse_deck
from mlcards.deckwriter import DeckValue, dump_deck
from mlcards.errors import DeckError, InputNotFoundError, OutputError, UsageError
from mlcards.formats import (
    FORMATS,
    Conversion,
    convert_file,
    convert_text,
    detect_format,
    write_converted,
)
from mlcards.formats.markdown import escape_markdown, html_to_markdown
from mlcards.models import Card, Choice, Reference
from mlcards.sanitize import UNSAFE

FIXTURES = DATA / "formats"
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
    "separators \u2028 \u2029, marks \ufeff \ufffe \u200f",
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


_REFUSED = [chr(c) for c in range(0x2070) if UNSAFE.fullmatch(chr(c))]  # the loader refuses them
_TEXT = st.text(
    # lone surrogates cannot be UTF-8
    st.characters(blacklist_categories=("Cs",), blacklist_characters=_REFUSED),
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


# -- converters: helpers ------------------------------------------------------------------

CardRow = tuple[
    int,
    str,
    str,
    str,
    tuple[tuple[str, str, str], ...],
    tuple[str, ...],
    bool,
    str,
    tuple[str, ...],
]
NO_EXPLANATION = "No explanation was given in the source file. Keyed answer: "


def rows_of(conversion: Conversion) -> list[CardRow]:
    """Every card as (line, id, title, question, choices, answer, multiple, explanation, tags)."""
    return [
        (
            card.line,
            card.id,
            card.title,
            card.question,
            tuple((c.id, c.text, c.feedback) for c in card.choices),
            card.answer,
            card.multiple,
            card.explanation,
            card.tags,
        )
        for card in conversion.deck.cards
    ]


def document_of(conversion: Conversion) -> dict[str, DeckValue]:
    document = yaml.safe_load(conversion.yaml_text)
    assert isinstance(document, dict)
    return document


def convert_problems(path: Path, fmt: str | None = None) -> list[str]:
    with pytest.raises(DeckError) as excinfo:
        convert_file(path, fmt)
    return excinfo.value.problems


def visible(markdown: str, width: int = 80) -> str:
    """What a person sees when rich renders the Markdown: whitespace runs as single spaces."""
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(Markdown(markdown))
    output = console.file.getvalue()
    assert isinstance(output, str)
    return " ".join(output.split())


def check_valid(conversion: Conversion, tmp_path: Path) -> None:
    """The converted YAML passes the strict loader, PyYAML and the JSON Schema, and the file
    write_converted keeps loads to the same cards (lines aside: the deck keeps source lines)."""
    written = write_converted(conversion, tmp_path / "converted")
    loaded = load_deck(written)
    assert [replace(c, line=0) for c in loaded.cards] == [
        replace(c, line=0) for c in conversion.deck.cards
    ]
    assert yaml.safe_load(conversion.yaml_text) == document_of(conversion)
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document_of(conversion))


def abcd(*texts: str) -> tuple[tuple[str, str, str], ...]:
    return tuple((chr(ord("a") + i), text, "") for i, text in enumerate(texts))


# -- CSV and TSV ----------------------------------------------------------------------------


def test_csv_headerless_mmlu_layout(tmp_path: Path) -> None:
    """Question, 2-10 choices, answer last; letters or 1-based numbers; RFC 4180 quoting,
    a quoted newline, a BOM and a CRLF line ending."""
    path = fixture("csv-mmlu.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    conversion = convert_file(path)
    assert document_of(conversion)["id"] == "csv-mmlu"
    assert document_of(conversion)["name"] == "Csv mmlu"
    assert document_of(conversion)["description"] == "Converted from csv-mmlu.csv (CSV)."
    assert conversion.skipped == ()
    assert rows_of(conversion) == [
        (
            1,
            "which-of-the-following-is-a-convex-loss-181d096f",
            "",
            "Which of the following is a convex loss for linear models?",
            abcd("Hinge loss", "0-1 loss", "Ramp loss", "Truncated squared loss"),
            ("a",),
            False,
            NO_EXPLANATION + "Hinge loss",
            (),
        ),
        (
            2,
            "statement-1-the-vc-dimension-of-a-line-92473f03",
            "",
            "Statement 1| The VC dimension of a line in R^2 is 3. Statement 2| k-NN has no "
            "training phase, strictly speaking.",
            abcd("True, True", "False, False", "True, False", "False, True"),
            ("a",),
            False,
            NO_EXPLANATION + "True, True",
            (),
        ),
        (
            3,
            "a-question-over-two-lines-what-does-890e12a5",
            "",
            'A question over two lines:\\\nwhat does "dropout" drop?',
            abcd("Units", "Layers", "Gradients", "Batches"),
            ("a",),
            False,
            NO_EXPLANATION + "Units",
            (),
        ),
        (
            5,
            "which-optimizer-does-not-keep-a-moving-0c724b8c",
            "",
            "Which optimizer does not keep a moving average of past gradients?",
            abcd("Adam", "RMSprop", "Plain SGD", "Adagrad"),
            ("c",),
            False,
            NO_EXPLANATION + "Plain SGD",
            (),
        ),
        (
            6,
            "two-choices-only-6d3fcc97",
            "",
            "Two choices only?",
            abcd("Yes", "No"),
            ("b",),
            False,
            NO_EXPLANATION + "No",
            (),
        ),
    ]
    check_valid(conversion, tmp_path)
    (ten, _) = convert_file(fixture("csv-ten-choices.csv")).deck.cards
    assert ten.id == "ten-choices-which-letter-is-the-last-bddc20dd"
    assert [c.text for c in ten.choices] == list("ABCDEFGHIJ") and ten.answer == ("j",)


def test_csv_with_named_columns(tmp_path: Path) -> None:
    """A header row: explicit id, title, explanation, tags (slugged, deduplicated),
    reference (a URL with its title; text without a URL joins the explanation), empty choice
    cells left out, a select-all answer."""
    conversion = convert_file(fixture("csv-header.csv"))
    assert rows_of(conversion) == [
        (
            2,
            "adam-default",
            "Adam default",
            "Which learning rate does the Adam paper suggest?",
            abcd("0.1", "0.01", "0.001", "0.0001"),
            ("c",),
            False,
            "Algorithm 1 of the paper uses alpha = 0.001.",
            ("optimization", "adam"),
        ),
        (
            3,
            "which-are-regularizers-3afc166e",
            "",
            "Which are regularizers?",
            abcd("Dropout", "Weight decay", "A larger batch"),
            ("a", "b"),
            True,
            "No explanation was given in the source file. Keyed answers: Dropout; Weight decay",
            ("regularization",),
        ),
        (
            4,
            "which-has-three-choices-ba506670",
            "",
            "Which has three choices?",
            abcd("One", "Two", "Three"),
            ("b",),
            False,
            "Only a, b and c are filled.\n\nReference: Goodfellow et al. Deep Learning ch. 7",
            (),
        ),
    ]
    refs = [card.references for card in conversion.deck.cards]
    assert refs == [
        (
            Reference(
                "Adam: A Method for Stochastic Optimization", "https://arxiv.org/abs/1412.6980"
            ),
        ),
        (),
        (),
    ]
    check_valid(conversion, tmp_path)


def test_csv_numbered_choice_columns_in_any_order() -> None:
    """choice_1... columns, header names in any case and order, answers as numbers."""
    conversion = convert_file(fixture("csv-choice-columns.csv"))
    assert [(c.id, c.choices, c.answer, c.multiple) for c in conversion.deck.cards] == [
        (
            "which-choice-is-first-f5e1c227",
            (Choice("a", "first"), Choice("b", "second"), Choice("c", "third")),
            ("a",),
            False,
        ),
        (
            "which-are-not-first-cda31496",
            (Choice("a", "first"), Choice("b", "second"), Choice("c", "third")),
            ("b", "c"),
            True,
        ),
    ]


def test_tsv(tmp_path: Path) -> None:
    conversion = convert_file(fixture("questions.tsv"))
    assert detect_format(fixture("questions.tsv")) == "tsv"
    assert rows_of(conversion) == [
        (
            2,
            "which-character-separates-tsv-fields-8c0f507d",
            "",
            "Which character separates TSV fields?",
            abcd("tab", "comma", "semicolon"),
            ("a",),
            False,
            NO_EXPLANATION + "tab",
            ("formats",),
        ),
        (
            3,
            "a-quoted-field-with-a-newline-and-a-508617b8",
            "",
            'A quoted field\\\nwith a newline and a "quote"',
            abcd("yes", "no", "maybe"),
            ("a",),
            False,
            NO_EXPLANATION + "yes",
            ("formats",),
        ),
    ]
    check_valid(conversion, tmp_path)


def test_csv_text_renders_literally_as_markdown() -> None:
    """Plain CSV text is escaped: rich shows exactly what the cell holds."""
    conversion = convert_file(fixture("csv-markdown.csv"))
    with fixture("csv-markdown.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv_module.reader(handle))
    for card, row in zip(conversion.deck.cards, rows[1:], strict=True):
        assert visible(card.question) == " ".join(row[0].split()), (row[0], card.question)
        for cell, choice in zip(row[1:5], card.choices, strict=True):  # shown as plain text
            assert " ".join(choice.text.split()) == " ".join(cell.split()), (cell, choice)
    first = conversion.deck.cards[0]
    assert first.question == (
        "P(H) \\* P(W) \\* P(X) is the joint probability if the events are \\_?"
    )
    assert [c.text for c in first.choices] == [
        "independent",
        "disjoint",
        "<b>bold</b>",
        "O(N^2)",
    ]
    # Escaping is minimal where that is safe, so the YAML stays readable.
    assert escape_markdown("snake_case a < b 0.1 #tag P(A|B)") == "snake_case a < b 0.1 #tag P(A|B)"


@pytest.mark.parametrize(
    "text",
    [
        "P(H) * P(W)",
        "_ refers to a model",
        "O(N^2)",
        "<b>not bold</b>",
        "# not a heading",
        "1. not a list",
        "2) nor this",
        "- nor this",
        "+ nor this",
        "> not a quote",
        "a\n===",
        "a\n---",
        "***",
        "`x`",
        "[x](http://example.com)",
        "![x](y.png)",
        "&amp; &#42;",
        "~~x~~",
        "a | b\n--|--\n1 | 2",
        "C:\\temp\\",
        "<http://example.com>",
        "    four spaces\n\ttab",
        "line one\nline two",
        "|\n-:",  # a rule without pipes under a pipe: a one-column table (hypothesis found it)
    ],
)
def test_escape_markdown_shows_text_as_written(text: str) -> None:
    assert visible(escape_markdown(text)) == " ".join(text.split())


_MARKDOWN_BITS = st.sampled_from(
    list("*_`[]()<>&#+-=.!|~\\:x1 \n\t") + ["ab", "1.", "&amp;", "<b>", "http://x.y", "    "]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_MARKDOWN_BITS, max_size=25).map("".join))
def test_escape_markdown_property(text: str) -> None:
    # wider than any drawn text: a word longer than the width is broken by rich, which
    # would read as a space here (hypothesis found an 82-character run of URLs)
    assert visible(escape_markdown(text), width=1000) == " ".join(text.split())


WIDER = (
    "where the other rows have 4: a cell holding a comma must be in double quotes "
    "(or give the file a header row)"
)


def test_csv_problems_are_all_reported_with_lines() -> None:
    path = fixture("csv-broken.csv")
    assert convert_problems(path) == [
        f"{path}:1: answer C names no choice: the row has choices A, B",
        f"{path}:2: answer '0': numbers count from 1 (1 is the first choice), not from 0",
        f"{path}:3: choice B is empty",
        f"{path}:3: 5 cells {WIDER}",
        f"{path}:4: found 3 cells; a row without a header holds the question, 2 to 10 "
        "choices and the answer",
        f"{path}:5: answer 'A,A' names A twice",
        f"{path}:5: 5 cells {WIDER}",
        f"{path}:6: the question (first cell) is empty",
        f"{path}:7: answer 'first' must be a letter A-J or a number 1-10; several answers "
        "are separated by commas, as in A,C",
        f"{path}:8: found 13 cells; a row without a header holds the question, 2 to 10 "
        "choices and the answer",
        f"{path}:8: 13 cells {WIDER}",
    ]


def test_csv_header_problems() -> None:
    path = fixture("csv-bad-header.csv")
    assert convert_problems(path) == [
        f"{path}:1: header: unknown column 'answr' (did you mean 'answer'?)",
        f"{path}:1: header: column 'a' appears twice",
        f"{path}:1: header: name the choices a, b, c... or choice_1, choice_2..., not both",
    ]


def test_csv_unclosed_quote_names_the_row_it_opened_on() -> None:
    path = fixture("csv-unclosed-quote.csv")
    assert convert_problems(path) == [
        f"{path}:2: CSV syntax error: unexpected end of data: a quoted field opened on this "
        'row is never closed (a " is missing)'
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "1: no questions: the file has no rows"),
        ("question,a,b,answer\n", "1: no questions: the file has only a header row"),
        ("question,a,answer\nQ?,x,A\n", "1: header: at least two choice columns are needed"),
        ("question,a,b,answer\nQ?,x,y,A,extra\n", "2: the row has 5 cells; the header names 4"),
        ("question,a,b,answer,id\nQ?,x,y,A,!!\n", "2: id '!!' has no letters or digits"),
        ("question,a,b,answer,tags\nQ?,x,y,A,ok !!\n", "2: tag '!!' has no letters or digits"),
        ("question,a,b,answer\n,x,y,A\n", "2: the question is empty"),
        ("question,a,b,c,answer\nQ?,x,,z,B\n", "2: answer B names no choice: the row has "),
        ("question,a,b,answer\nQ?,x,,A\n", "2: a card needs at least 2 choices, found 1"),
        ("question,a,b,answer,\nQ?,x,y,A,oops\n", "1: header: column 5 has values but no name"),
        ("Q?,x,y,\n", "1: found 3 cells (empty cells at the end not counted); a row"),
        ('Q?,"x"y,z,A\n', "1: CSV syntax error: ',' expected after '\"': a \" inside a quoted"),
    ],
)
def test_csv_small_problems(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "small.csv"
    path.write_text(text, encoding="utf-8")
    (problem,) = convert_problems(path)
    assert problem.startswith(f"{path}:{message}"), problem


def test_csv_explicit_ids_must_be_unique(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("id,question,a,b,answer\nQ1,One?,x,y,A\nq1,Two?,x,y,B\n", encoding="utf-8")
    assert convert_problems(path) == [f"{path}:3: duplicate id 'q1' (first at line 2)"]


def test_header_is_detected_only_by_question_and_answer_cells(tmp_path: Path) -> None:
    """A first row ending in an answer key is data even when it offers "question" and
    "answer" as choices; a header is found whatever the case, spacing or BOM."""
    path = tmp_path / "h.csv"
    path.write_text("Which question has an answer?,question,answer,A\n", encoding="utf-8")
    (card,) = convert_file(path).deck.cards
    assert card.choices == (Choice("a", "question"), Choice("b", "answer"))
    path.write_text("\ufeff Question ,A,B,ANSWER\nQ?,x,y,b\n", encoding="utf-8")
    (card,) = convert_file(path).deck.cards
    assert (card.question, card.answer, card.line) == ("Q?", ("b",), 2)


# -- GIFT -----------------------------------------------------------------------------------


def tf(true_feedback: str = "", false_feedback: str = "") -> tuple[tuple[str, str, str], ...]:
    return (("true", "True", true_feedback), ("false", "False", false_feedback))


def test_gift_multiple_choice(tmp_path: Path) -> None:
    conversion = convert_file(fixture("gift-multiple-choice.gift"))
    assert conversion.skipped == ()
    assert document_of(conversion)["description"] == (
        "Converted from gift-multiple-choice.gift (Moodle GIFT)."
    )
    assert rows_of(conversion) == [
        (
            2,
            "adam-default-lr",
            "Adam default lr",
            "Which learning rate does the Adam paper suggest as a default?",
            (
                ("a", "0.001", "Right: alpha = 0.001 in Algorithm 1."),
                ("b", "0.1", "Far too large for Adam."),
                ("c", "1e-5", ""),
                ("d", "0.01", "Ten times the suggested value."),
            ),
            ("a",),
            False,
            "Kingma and Ba suggest alpha = 0.001, beta1 = 0.9, beta2 = 0.999.",
            (),
        ),
        (
            10,
            "which-activation-is-zero-for-every-72a72456",
            "",
            "Which activation is zero for every negative input?",
            abcd("tanh", "sigmoid", "ReLU"),
            ("c",),
            False,
            NO_EXPLANATION + "ReLU",
            (),
        ),
    ]
    check_valid(conversion, tmp_path)


def test_gift_true_false_and_its_two_feedbacks(tmp_path: Path) -> None:
    """{T} {TRUE} {F} {FALSE}; the first feedback goes to the wrong choice, the second to
    the right one, as in Moodle."""
    conversion = convert_file(fixture("gift-true-false.gift"))
    assert [(r[0], r[1], r[4], r[5], r[7]) for r in rows_of(conversion)] == [
        (
            2,
            "dropout-is-active-at-test-time-in-a-84471893",
            tf(),
            ("false",),
            NO_EXPLANATION + "False",
        ),
        (
            4,
            "batch-normalization-has-learnable-scale-40ca5c53",
            tf(),
            ("true",),
            NO_EXPLANATION + "True",
        ),
        (
            6,
            "l1-sparsity",
            tf(
                "Yes: the penalty has corners on the axes.",
                "No: the L1 corner solutions are sparse.",
            ),
            ("true",),
            NO_EXPLANATION + "True",
        ),
        (
            8,
            "weight-decay-and-l2-regularization-are-4e3a1455",
            tf("They are the same only for plain SGD.", "Right: AdamW decouples them."),
            ("false",),
            "See Loshchilov and Hutter, Decoupled Weight Decay Regularization.",
        ),
    ]
    check_valid(conversion, tmp_path)


def test_gift_select_all_from_weights(tmp_path: Path) -> None:
    """No '=' answer: positive weights are right (a select-all card), zero and negative
    weights wrong; 3 x 33.333% counts as 100%."""
    conversion = convert_file(fixture("gift-select-all.gift"))
    assert [(r[0], r[4], r[5], r[6]) for r in rows_of(conversion)] == [
        (
            2,
            (
                ("a", "Dropout", "Yes."),
                ("b", "Weight decay", "Yes."),
                (
                    "c",
                    "A larger learning rate",
                    "No: it changes optimisation, not the model class.",
                ),
                ("d", "Batch size 1", ""),
            ),
            ("a", "b"),
            True,
        ),
        (9, abcd("SGD", "Adam", "RMSprop", "ReLU"), ("a", "b", "c"), True),
        (11, abcd("Adagrad", "ReLU", "GELU"), ("a",), True),
    ]
    check_valid(conversion, tmp_path)


def test_gift_missing_word() -> None:
    conversion = convert_file(fixture("gift-missing-word.gift"))
    blank = "\\_\\_\\_\\_\\_"
    assert [(r[0], r[3], r[5]) for r in rows_of(conversion)] == [
        (2, f"The {blank} function squashes its input into (0, 1).", ("b",)),
        (4, f"{blank} combines momentum with per-parameter step sizes.", ("a",)),
        (
            6,
            "Answers before the closing punctuation still make a blank: Adam uses two "
            f"{blank} estimates.",
            ("a",),
        ),
    ]
    assert visible(conversion.deck.cards[0].question) == (
        "The _____ function squashes its input into (0, 1)."
    )


def test_gift_escapes() -> None:
    conversion = convert_file(fixture("gift-escapes.gift"))
    assert [(r[3], r[4]) for r in rows_of(conversion)] == [
        ("What is 1 + 1 = ?", abcd("2 # two", "3 ~ about three", "{1}")),
        (
            "Which is a ratio: TP / (TP + FP)?",
            (("a", "precision", ""), ("b", "recall", "recall: TP / (TP + FN)")),
        ),
        (
            "Which line ends a Python block?\\\nFirst line\\\nSecond line",
            abcd("neither", "the first", "a path C:\\temp"),
        ),
    ]


def test_gift_text_formats() -> None:
    """[markdown] is kept, [html] and [moodle] become Markdown with no HTML left, [plain]
    is escaped; an answer or feedback may name its own format, else takes the question's."""
    conversion = convert_file(fixture("gift-formats.gift"))
    assert [(r[3], r[4]) for r in rows_of(conversion)] == [
        (
            "Which **norm** gives `w / ||w||`?",
            (
                ("a", "L2 *norm*", ""),
                ("b", "L1", "L1 divides by the sum of |w|"),
            ),
        ),
        (
            "What does `torch.no_grad()` turn off?\n\n- in eval\n- in inference",
            abcd("gradient tracking", "dropout", "batch statistics updates"),
        ),
        (
            "Which is O(N^2)?\\\nPick one.",
            abcd("self-attention over N tokens", "a 1x1 convolution"),
        ),
        (
            "P(H) \\* P(W) and \\_ are shown as written",
            abcd("yes", "<b>no</b>"),
        ),
    ]
    cards = conversion.deck.cards
    assert (
        visible(cards[1].question) == "What does torch.no_grad() turn off? • in eval • in inference"
    )
    assert visible(cards[3].question) == "P(H) * P(W) and _ are shown as written"
    assert cards[3].choices[1].text == "<b>no</b>"  # [plain] text stays as written


def test_gift_category_becomes_a_tag() -> None:
    conversion = convert_file(fixture("gift-category.gift"))
    assert [(r[0], r[3], r[8]) for r in rows_of(conversion)] == [
        (2, "Untagged question?", ()),
        (6, "Tagged optimization?", ("optimization",)),
        (10, "Tagged evaluation?", ("evaluation",)),
    ]
    assert document_of(conversion)["name"] == "Gift category"


def test_gift_skipped_questions_are_each_reported() -> None:
    path = fixture("gift-skipped.gift")
    conversion = convert_file(path)
    assert [(r[0], r[1]) for r in rows_of(conversion)] == [(14, "partial"), (20, "kept")]
    assert conversion.skipped == (
        f"{path}:2: skipped short answer question",
        f"{path}:4: skipped numerical question",
        f"{path}:6: skipped matching question",
        f"{path}:8: skipped essay question",
        f"{path}:10: skipped description question",
        f"{path}:12: skipped multiple choice question: 2 answers are right ('Adam', "
        "'RMSprop'); GIFT accepts any one of them, a card has one right answer",
        f"{path}:16: skipped multiple choice question: the positive weights add up to 75%, "
        "not 100%, so which answers make a right selection is unclear",
        f"{path}:18: skipped multiple choice question: 11 answers; a card has at most 10",
    )


def test_gift_with_nothing_to_keep_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "none.gift"
    path.write_text("Who?{=nobody}\n\n// only a comment\n\nWhat year?{#2014}\n", encoding="utf-8")
    assert convert_problems(path) == [
        f"{path}:1: no multiple-choice question to convert (2 skipped)",
        f"{path}:1: skipped short answer question",
        f"{path}:5: skipped numerical question",
    ]


def test_gift_problems_are_all_reported_with_lines() -> None:
    path = fixture("gift-broken.gift")
    assert convert_problems(path) == [
        f"{path}:2: '{{' opens the answers but no '}}' closes them",
        f"{path}:4: '}}' without a '{{' before it (write a literal brace as \\}})",
        f"{path}:6: the title opened with '::' is not closed by '::'",
        f"{path}:8: a second '{{': a question has one answer block (write a literal brace as \\{{)",
        f"{path}:10: text 'junk' before the first answer: each answer starts with = or ~",
        f"{path}:12: answer 1: weight '%5O%' is not a number",
        f"{path}:14: a multiple-choice question needs at least 2 answers",
        f"{path}:16: no answer is right: mark one with = or give the right ones a positive "
        "%weight%",
        f"{path}:19: a $CATEGORY: line stands alone: put a blank line after it",
        f"{path}:21: answer 2 has no text",
    ]


def test_gift_problem_lines_point_into_multiline_questions(tmp_path: Path) -> None:
    path = tmp_path / "lines.gift"
    path.write_text(
        "// header\n\nWhich?\n{\n  =a\n  // a comment inside\n  ~%x%b\n}\n", encoding="utf-8"
    )
    assert convert_problems(path) == [f"{path}:7: answer 2: weight '%x%' is not a number"]


def test_gift_comments_are_whole_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "urls.gift"
    path.write_text(
        "  // an indented comment\nSee https://example.com//x first?{=a // not a comment\n~b}\n",
        encoding="utf-8",
    )
    (card,) = convert_file(path).deck.cards
    assert card.question == "See https://example.com//x first?"
    assert card.choices == (Choice("a", "a // not a comment"), Choice("b", "b"))
    assert card.line == 2


EVERYTHING_PATH = "gift-everything.gift"


def test_gift_file_with_every_construct(tmp_path: Path) -> None:
    path = fixture(EVERYTHING_PATH)
    conversion = convert_file(path)
    opt, ev = ("optimization",), ("evaluation",)
    blank = "\\_\\_\\_\\_\\_"
    assert rows_of(conversion) == [
        (
            6,
            "adam-default-lr",
            "Adam default lr",
            "Which learning rate does the Adam paper suggest as a default?",
            (
                ("a", "0.001", "Right: alpha = 0.001 in Algorithm 1."),
                ("b", "0.1", "Far too large for Adam."),
                ("c", "1e-5", ""),
            ),
            ("a",),
            False,
            "Kingma and Ba suggest alpha = 0.001 with beta1 = 0.9.",
            opt,
        ),
        (
            14,
            "adam-keeps-a-running-mean-of-squared-b4b5fe43",
            "",
            "Adam keeps a running mean of squared gradients.",
            tf(),
            ("true",),
            False,
            NO_EXPLANATION + "True",
            opt,
        ),
        (
            16,
            "plain-sgd-adapts-the-step-size-per-41f6b932",
            "",
            "Plain SGD adapts the step size per parameter.",
            tf(),
            ("false",),
            False,
            NO_EXPLANATION + "False",
            opt,
        ),
        (
            18,
            "momentum-tf",
            "Momentum TF",
            "Momentum can speed up progress along shallow ravines.",
            tf(
                "Yes: it accumulates the consistent direction.",
                "No: it accumulates the consistent direction.",
            ),
            ("true",),
            False,
            NO_EXPLANATION + "True",
            opt,
        ),
        (
            20,
            "nesterov-momentum-evaluates-the-gradient-e834d6b5",
            "",
            "Nesterov momentum evaluates the gradient at the current point.",
            tf(
                "It looks ahead, at the point momentum moves to.",
                "Right: it evaluates at the look-ahead point.",
            ),
            ("false",),
            False,
            "Sutskever et al. 2013 describe it as a look-ahead.",
            opt,
        ),
        (
            22,
            "which-of-these-are-adaptive-optimizers-caf135ff",
            "",
            "Which of these are adaptive optimizers?",
            (
                ("a", "Adam", "Yes: per-parameter steps."),
                ("b", "Adagrad", "Yes."),
                ("c", "Plain SGD", "No: one global step size."),
                ("d", "Step decay", ""),
            ),
            ("a", "b"),
            True,
            "No explanation was given in the source file. Keyed answers: Adam; Adagrad",
            opt,
        ),
        (
            29,
            "the-update-is-theta-minus-the-learning-7f6156c7",
            "",
            f"The {blank} update is theta minus the learning rate times the gradient.",
            abcd("Adam", "SGD", "Lion"),
            ("b",),
            False,
            NO_EXPLANATION + "SGD",
            opt,
        ),
        (
            32,
            "escapes",
            "escapes",
            "Which is a set literal in Python:",
            (("a", "{} is a dict", ""), ("b", "{1}", "a set: {1}"), ("c", "~set=", "no")),
            ("b",),
            False,
            NO_EXPLANATION + "{1}",
            opt,
        ),
        (
            34,
            "which-norm-divides-by-w-dcaa6cf6",
            "",
            "Which **norm** divides by `||w||`?",
            (("a", "the L2 norm", ""), ("b", "the *L1* norm", "L1 divides by the sum")),
            ("a",),
            False,
            NO_EXPLANATION + "the L2 norm",
            opt,
        ),
        (
            36,
            "what-does-torch-no-grad-turn-off-e4108127",
            "",
            "What does `torch.no_grad()` turn off?",
            abcd("gradient tracking", "dropout"),
            ("a",),
            False,
            NO_EXPLANATION + "gradient tracking",
            opt,
        ),
        (
            38,
            "which-cost-is-o-n-2-in-n-tokens-pick-one-bc086c35",
            "",
            "Which cost is O(N^2) in N tokens?\\\nPick one.",
            abcd("self-attention", "a 1x1 convolution"),
            ("a",),
            False,
            NO_EXPLANATION + "self-attention",
            opt,
        ),
        (
            40,
            "which-is-p-h-p-w-when-h-and-w-are-ba4d9b9c",
            "",
            "Which is P(H) \\* P(W) when H and W are \\_?",
            abcd("independent", "disjoint"),
            ("a",),
            False,
            NO_EXPLANATION + "independent",
            opt,
        ),
        (
            44,
            "precision",
            "precision",
            "Which metric is TP / (TP + FP)?",
            (
                ("a", "precision", ""),
                ("b", "recall", "recall: TP / (TP + FN)"),
                ("c", "accuracy", ""),
            ),
            ("a",),
            False,
            NO_EXPLANATION + "precision",
            ev,
        ),
        (
            59,
            "partial",
            "partial",
            "Which first optimizer to try?",
            (("a", "Adam", ""), ("b", "AdamW", "(50% credit in the source)"), ("c", "SGD", "")),
            ("a",),
            False,
            NO_EXPLANATION + "Adam",
            ev,
        ),
    ]
    assert conversion.skipped == (
        f"{path}:47: skipped short answer question",
        f"{path}:49: skipped numerical question",
        f"{path}:51: skipped matching question",
        f"{path}:53: skipped essay question",
        f"{path}:55: skipped description question",
        f"{path}:57: skipped multiple choice question: 2 answers are right ('Adam', "
        "'Adagrad'); GIFT accepts any one of them, a card has one right answer",
    )
    check_valid(conversion, tmp_path)
    assert "<" not in "".join(
        c.question + "".join(x.text + x.feedback for x in c.choices) for c in conversion.deck.cards
    ), "no raw HTML is left"


# -- HTML to Markdown ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "markdown", "shown"),
    [
        ("<p>a <b>b</b> <i>c</i></p><p>d</p>", "a **b** *c*\n\nd", "a b c d"),
        ("x<br>y<br/><br>z", "x\\\ny\n\nz", "x y z"),
        ("<ol><li>one</li><li>two</li></ol>", "1. one\n2. two", "1 one 2 two"),
        (
            "<a href='https://e.org/x'>site</a> <a href='javascript:x()'>bad</a>",
            "[site](https://e.org/x) bad",
            "site bad",
        ),
        (
            "<code>a*b</code> and <pre>x  = 1\n  y</pre>",
            "`a*b` and\n\n```\nx  = 1\n  y\n```",
            "a*b and x = 1 y",
        ),
        ("5 &lt; 6 &amp;&amp; <script>alert(1)</script>ok", "5 < 6 && ok", "5 < 6 && ok"),
        ("<b> spaced </b>out", "**spaced** out", "spaced out"),
        ("<img src='x.png' alt='a cat'> <b></b>", "\\[image: a cat]", "[image: a cat]"),
        ("&lt;b&gt;literal&lt;/b&gt; * _", "\\<b>literal\\</b> \\* \\_", "<b>literal</b> * _"),
    ],
)
def test_html_to_markdown(html: str, markdown: str, shown: str) -> None:
    assert html_to_markdown(html) == markdown
    assert visible(markdown) == shown


def test_moodle_format_reads_newlines_as_breaks() -> None:
    assert html_to_markdown("a\nb <b>c</b>", newlines_break=True) == "a\\\nb **c**"


# -- stable ids -----------------------------------------------------------------------------


def _ids_by_question(conversion: Conversion) -> dict[tuple[str, tuple[str, ...]], str]:
    return {
        (card.question, tuple(c.text for c in card.choices)): card.id
        for card in conversion.deck.cards
    }


def test_content_ids_survive_reordering_and_tell_shared_stems_apart(tmp_path: Path) -> None:
    rows = [
        "Which of the following is true?,ReLU is linear,ReLU is piecewise linear,A\n",
        "Which of the following is true?,Adam has no state,Adam keeps two moments,B\n",
        "What does SGD stand for?,Stochastic gradient descent,Simple gradient descent,A\n",
        "What does SGD stand for?,Stochastic gradient descent,Simple gradient descent,A\n",
    ]
    forward, backward = tmp_path / "forward.csv", tmp_path / "backward.csv"
    forward.write_text("".join(rows), encoding="utf-8")
    backward.write_text("".join(reversed(rows[:3])) + rows[3], encoding="utf-8")
    first = convert_file(forward)
    assert [c.id for c in first.deck.cards] == [
        "which-of-the-following-is-true-b11a53f9",
        "which-of-the-following-is-true-9b0d98f2",
        "what-does-sgd-stand-for-048f51c9",
        "what-does-sgd-stand-for-048f51c9-2",
    ]
    assert [c.id for c in convert_file(forward).deck.cards] == [c.id for c in first.deck.cards]
    again = convert_file(backward, deck_id="forward")
    assert _ids_by_question(again) == _ids_by_question(first)


def test_gift_ids_survive_reordering(tmp_path: Path) -> None:
    text = fixture(EVERYTHING_PATH).read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    shuffled = blocks[:2] + list(reversed(blocks[2:]))
    path = tmp_path / "gift-everything.gift"
    path.write_text("\n\n".join(shuffled), encoding="utf-8")
    original = convert_file(fixture(EVERYTHING_PATH))
    reordered = convert_file(path)
    assert {c.id for c in reordered.deck.cards} == {c.id for c in original.deck.cards}
    assert convert_file(fixture(EVERYTHING_PATH)).yaml_text == original.yaml_text


def test_title_ids_win_and_repeated_titles_are_numbered(tmp_path: Path) -> None:
    path = tmp_path / "titles.gift"
    path.write_text(
        "::Q1::One?{=a ~b}\n\n::Q1::Two?{=a ~b}\n\n::Ünïcode title!::Three?{=a ~b}\n\n"
        "::日本::Four?{=a ~b}\n",
        encoding="utf-8",
    )
    assert [(c.id, c.title) for c in convert_file(path).deck.cards] == [
        ("q1", "Q1"),
        ("q1-2", "Q1"),
        ("unicode-title", "Ünïcode title!"),
        ("four-1e05025e", "日本"),
    ]


def test_explicit_id_column_wins(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(
        "question,a,b,answer,id\nSame?,x,y,A,First One\nSame?,x,y,A,\n", encoding="utf-8"
    )
    assert [c.id for c in convert_file(path).deck.cards] == ["first-one", "same-b3dcbcb2"]


# -- a large MMLU-style file ----------------------------------------------------------------


def test_a_hundred_and_twenty_mmlu_rows_convert_with_every_key_right(tmp_path: Path) -> None:
    rows = mmlu_rows(120)
    path = tmp_path / "mmlu_machine_learning_test.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv_module.writer(handle).writerows(cells for cells, _ in rows)
    conversion = convert_file(path)
    cards = conversion.deck.cards
    assert len(cards) == 120
    assert conversion.deck.id == "mmlu-machine-learning-test"
    assert conversion.deck.name == "Mmlu machine learning test"
    for card, (cells, key) in zip(cards, rows, strict=True):
        assert card.answer == (key,)
        assert not card.multiple
        assert visible(card.question, width=200) == " ".join(cells[0].split())
        assert [c.text for c in card.choices] == cells[1:-1]  # choices are plain text
    assert len({c.id for c in cards}) == 120
    assert [c.id for c in convert_file(path).deck.cards] == [c.id for c in cards]
    check_valid(conversion, tmp_path)


# -- the API: formats, files, errors --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "override", "expected"),
    [
        ("q.csv", None, "csv"),
        ("q.CSV", None, "csv"),
        ("q.tsv", None, "tsv"),
        ("q.tab", None, "tsv"),
        ("q.gift", None, "gift"),
        ("q.txt", None, "gift"),
        ("q.yaml", None, None),
        ("q.yml", None, None),
        ("q.json", None, "json"),
        ("q.jsonl", None, "jsonl"),
        ("q.NDJSON", None, "jsonl"),
        ("q.yml", None, None),
        ("q.txt", "csv", "csv"),
        ("q.csv", "TSV", "tsv"),
        ("q.csv", "yaml", None),
    ],
)
def test_detect_format(name: str, override: str | None, expected: str | None) -> None:
    assert detect_format(Path(name), override) == expected


def test_detect_format_refuses_unknown_names() -> None:
    assert FORMATS == ("csv", "tsv", "gift", "jsonl", "json")
    with pytest.raises(UsageError, match="unknown format 'xls'; choose one of csv, tsv, gift, js"):
        detect_format(Path("q.csv"), "xls")


def test_convert_file_options_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "Deep Learning quiz.txt"
    path.write_text("Which?{=a ~b}\n", encoding="utf-8")
    conversion = convert_file(path, deck_id="dl", name="Deep learning")
    assert (conversion.deck.id, conversion.deck.name) == ("dl", "Deep learning")
    assert conversion.deck.path == str(path)
    default = convert_file(path)
    assert (default.deck.id, default.deck.name) == ("deep-learning-quiz", "Deep Learning quiz")
    with pytest.raises(UsageError, match="deck id 'Not A Slug' must be a slug"):
        convert_file(path, deck_id="Not A Slug")
    with pytest.raises(UsageError, match="not a file to convert"):
        convert_file(tmp_path / "deck.yaml")
    with pytest.raises(InputNotFoundError):
        convert_file(tmp_path / "missing.csv")
    with pytest.raises(DeckError, match="sources are limited to 5 bytes"):
        convert_file(path, max_bytes=5)
    assert convert_text("Q?,a,b,B\n", "csv", path="<stdin>", deck_id="s", name="S").deck.cards[
        0
    ].answer == ("b",)


def test_source_encoding_and_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes("Q?,a,b,A\nQ\u00e9?,a,b,A\n".encode("latin-1"))
    assert convert_problems(path) == [
        f"{path}:2: not valid UTF-8 (byte 10); save the file as UTF-8"
    ]
    path.write_text(
        "Q?,a,b,A\r\nQ\x1b[31m?,a,b,A\r\nok?,a\x07,b,A\r\nWhat \u202e?,a,b,A\r\n",
        encoding="utf-8",
    )
    assert convert_problems(path) == [  # CRLF line ends are not control characters
        f"{path}:2: control character U+001B (ESC) is not allowed in deck text; remove it",
        f"{path}:3: control character U+0007 (BEL) is not allowed in deck text; remove it",
        f"{path}:4: control character U+202E (right-to-left override) is not allowed in deck "
        "text; remove it",  # the source's line, not the converted YAML's
    ]


def test_write_converted_is_atomic_and_loadable(tmp_path: Path) -> None:
    conversion = convert_file(fixture("gift-everything.gift"))
    folder = tmp_path / "data" / "converted"
    target = write_converted(conversion, folder)
    assert target == folder / "gift-everything.yaml"
    assert target.read_text(encoding="utf-8") == conversion.yaml_text
    assert os.listdir(folder) == ["gift-everything.yaml"], "no temporary file is left"
    assert target.stat().st_mode & 0o777 == 0o644
    assert load_deck(target).id == "gift-everything"
    # Converting again replaces the file: the same deck id, the same path.
    assert write_converted(convert_file(fixture("gift-everything.gift")), folder) == target
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(OutputError, match="cannot write"):
        write_converted(conversion, blocker)


_SOURCE_BITS = st.sampled_from(
    list("{}=~#%:\\[]<>/-\n \t\"',;aT")
    + ["::", "####", "TRUE", "[html]", "[plain]", "$CATEGORY:", "->", "%50%", "%-100%"]
    + ["<b>", "</b>", "<br>", "<li>", "<pre>", "\n\n", "//", "A", "1", "question", "answer"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_SOURCE_BITS, max_size=40).map("".join), st.sampled_from(FORMATS))
def test_any_source_gives_a_valid_deck_or_a_deck_error(text: str, fmt: str) -> None:
    try:
        conversion = convert_text(text, fmt, path="f", deck_id="d", name="n")
    except DeckError as exc:
        assert exc.problems and all(p.startswith("f:") for p in exc.problems)
    else:
        assert conversion.deck.cards
        assert parse_deck(conversion.yaml_text).id == "d"


# -- strict CSV, huge answer cells, GIFT partial credit ---------------------------------------


def test_a_csv_row_with_more_cells_than_the_others_is_an_error(tmp_path: Path) -> None:
    """An unquoted comma in a question: once a silent card whose choices and key were
    fragments of the question."""
    path = tmp_path / "comma.csv"
    rows = [f"Question {n}?,w,x,y,z,A" for n in range(5)]
    rows.insert(2, "Which is right, then?,w,x,y,z,A")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert convert_problems(path) == [
        f"{path}:3: 7 cells where the other rows have 6: a cell holding a comma must be in "
        "double quotes (or give the file a header row)"
    ]
    path.write_text("\n".join([*rows[:2], *rows[3:], "Fewer choices?,x,y,B"]), encoding="utf-8")
    assert len(convert_file(path).deck.cards) == 6, "a row with fewer choices is fine"
    tsv = tmp_path / "tab.tsv"
    tsv.write_text("Q1?\tx\ty\tA\nQ2?\tx\ty\tA\nQ3\textra?\tx\ty\tA\n", encoding="utf-8")
    (problem,) = convert_problems(tsv)
    assert problem.startswith(f"{tsv}:3: 5 cells where the other rows have 4: a cell holding a tab")


@pytest.mark.parametrize("cell", ["7" * 5000, "1" * 5000 + ",A"])
def test_a_huge_answer_number_is_not_an_answer(tmp_path: Path, cell: str) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(f'Which?,yes,no,"{cell}"\n', encoding="utf-8")
    (problem,) = convert_problems(path)
    assert problem == (
        f"{path}:1: answer '{cell[:39]}…' is not an answer: a letter A-J or a number 1-10; "
        "several answers are separated by commas, as in A,C"
    )


def test_gift_partial_credit_next_to_a_full_answer_goes_into_the_feedback() -> None:
    conversion = convert_text(
        "::p::Best first optimizer? {=Adam ~%50%AdamW#Close. ~%25%SGD ~%-50%none}\n\n"
        "::q::No full credit? {=%50%half ~%50%other}\n",
        "gift",
        path="p.gift",
        deck_id="p",
        name="P",
    )
    (card,) = conversion.deck.cards
    assert card.answer == ("a",)
    assert [(c.text, c.feedback) for c in card.choices] == [
        ("Adam", ""),
        ("AdamW", "Close. (50% credit in the source)"),
        ("SGD", "(25% credit in the source)"),
        ("none", ""),
    ]
    assert conversion.skipped == (
        "p.gift:3: skipped multiple choice question: no answer has full credit, only 'half' "
        "(50%), 'other' (50%); a card's answer is right or wrong",
    )
