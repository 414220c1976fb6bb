"""The deck loader: one fixture file per failure mode, generated hostile input, property tests.

Fixture files live in tests/data/decks/: ``bad-*.yaml`` must be refused with exactly the
problems listed in BAD below (FILE:LINE: message, every problem, sorted by line), ``good-*.yaml``
must load. A test checks that every fixture file has an expectation, so none is silently unused.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from helpers import DATA, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlcards.deck as deck_module
from mlcards.bundled import bundled_deck_files, bundled_decks_dir
from mlcards.deck import (
    DEFAULT_MAX_BYTES,
    MAX_DEPTH,
    load_deck,
    load_decks,
    parse_deck,
)
from mlcards.deckfiles import find_deck_files
from mlcards.errors import DeckError, InputNotFoundError
from mlcards.models import Card, Choice, Deck, Reference

FIXTURES = DATA / "decks"
HAVE_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))

SLUG_MESSAGE = "must be a slug: lowercase letters, digits, '-' or '_', at most 64 characters"

# The smallest valid deck, for tests that build their input in code. Line numbers:
# 1 id, 2 name, 3 cards, 4 - id: c1, 5 question, 6 choices, 7 - id: a, 8 text, 9 - id: b,
# 10 text, 11 answer, 12 explanation.
MINIMAL = """\
id: minimal
name: Minimal deck
cards:
  - id: c1
    question: What is 1 + 1?
    choices:
      - id: a
        text: Two
      - id: b
        text: Three
    answer: a
    explanation: One plus one is two.
"""


def fixture(name: str) -> Path:
    path = FIXTURES / name
    assert path.is_file(), f"missing fixture {path}"
    return path


def problems_of(call: Callable[[], object]) -> list[str]:
    with pytest.raises(DeckError) as excinfo:
        call()
    return excinfo.value.problems


@pytest.fixture(
    params=[
        pytest.param(
            "libyaml", marks=pytest.mark.skipif(not HAVE_LIBYAML, reason="PyYAML without libyaml")
        ),
        "pure-python",
    ]
)
def yaml_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the libyaml parser and with the pure-Python fallback the loader supports."""
    loader = yaml.CSafeLoader if request.param == "libyaml" else yaml.SafeLoader
    monkeypatch.setattr(deck_module, "_BaseLoader", loader)
    return str(request.param)


def test_default_parser_is_libyaml_when_available() -> None:
    expected = yaml.CSafeLoader if HAVE_LIBYAML else yaml.SafeLoader
    assert deck_module._BaseLoader is expected


# --------------------------------------------------------------------------------------------
# Bad fixtures: every problem, exact line, exact message.

BAD: dict[str, list[tuple[int, str]]] = {
    "bad-duplicate-card-id.yaml": [(14, "duplicate card id 'c1' (first at line 5)")],
    "bad-duplicate-key.yaml": [(14, "duplicate key 'answer' (first at line 12)")],
    "bad-unknown-key.yaml": [
        (5, "card 'c1': missing required key 'explanation'"),
        (13, "card 'c1': unknown key 'explaination' (did you mean 'explanation'?)"),
    ],
    "bad-answer-unknown-choice.yaml": [
        (12, "card 'c1': answer 'c' names no choice of this card (choice ids: a, b)")
    ],
    "bad-number-as-text.yaml": [
        (
            9,
            "card 'c1' choice 'a': 'text' must be text, but YAML reads 3.10 as a number; "
            'put it in quotes: "3.10"',
        )
    ],
    "bad-bool-as-text.yaml": [
        (
            9,
            "card 'c1' choice 'a': 'text' must be text, but YAML reads true as true/false; "
            'put it in quotes: "true"',
        )
    ],
    "bad-int-id.yaml": [
        (2, "deck: 'id' must be text, but YAML reads 42 as a number; put it in quotes: \"42\"")
    ],
    "bad-too-few-choices.yaml": [(7, "card 'c1': a card needs 2 to 10 choices, found 1")],
    "bad-too-many-choices.yaml": [(7, "card 'c1': a card needs 2 to 10 choices, found 11")],
    "bad-alias.yaml": [(13, "aliases (*shared-explanation) are not allowed in decks")],
    "bad-anchor.yaml": [(3, "anchors (&deck-name) are not allowed in decks")],
    "bad-python-tag.yaml": [
        (9, "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed in decks")
    ],
    "bad-binary-tag.yaml": [(13, "YAML tag 'tag:yaml.org,2002:binary' is not allowed in decks")],
    "bad-set-tag.yaml": [(14, "YAML tag 'tag:yaml.org,2002:set' is not allowed in decks")],
    "bad-two-documents.yaml": [(14, "a deck file holds one YAML document; remove the '---'")],
    "bad-not-mapping.yaml": [(2, "a deck file must be a mapping with id, name and cards")],
    "bad-empty-file.yaml": [(1, "a deck file must be a mapping with id, name and cards")],
    "bad-missing-deck-keys.yaml": [
        (2, "deck: missing required key 'id'"),
        (2, "deck: missing required key 'name'"),
        (2, "deck: missing required key 'cards'"),
    ],
    "bad-no-cards.yaml": [(4, "deck: 'cards' must list at least one card")],
    "bad-card-not-mapping.yaml": [(5, "each card must be a mapping, not text")],
    "bad-choices-not-mappings.yaml": [
        (8, "card 'c1': each choice must be a mapping with 'id' and 'text', not text"),
        (9, "card 'c1': each choice must be a mapping with 'id' and 'text', not text"),
        (10, "card 'c1': answer 'a' names no choice of this card (choice ids: none)"),
    ],
    "bad-missing-question.yaml": [(5, "card 'c1': missing required key 'question'")],
    "bad-empty-question.yaml": [
        (6, "card 'c1': 'question' must not be empty"),
        (15, "card 'c2': 'question' must not be empty"),
    ],
    "bad-slug.yaml": [
        (2, f"deck: id 'Batch Norm' {SLUG_MESSAGE}"),
        (8, f"card 'card_1' choice: id 'A' {SLUG_MESSAGE}"),
        (10, f"card 'card_1' choice: id '-b' {SLUG_MESSAGE}"),
    ],
    "bad-date.yaml": [(15, "card 'c1': source published '30/10/2022' must be YYYY-MM-DD")],
    "bad-url.yaml": [
        (
            16,
            "card 'c1': reference url 'arxiv.org/abs/1502.03167' "
            "must start with http:// or https://",
        ),
        (
            18,
            "card 'c1': reference url 'ftp://example.com/paper.pdf' "
            "must start with http:// or https://",
        ),
    ],
    "bad-duplicate-choice-id.yaml": [(12, "card 'c1': duplicate choice id 'a' (first at line 8)")],
    "bad-answer-listed-twice.yaml": [(12, "card 'c1': answer 'a' is listed twice")],
    "bad-empty-answer-list.yaml": [(12, "card 'c1': 'answer' lists no choice")],
    "bad-tags.yaml": [
        (14, "card 'c1': tag 'Batch Norm' must be a slug (e.g. batch-norm)"),
        (14, "card 'c1': tag '2015' must be a slug (e.g. batch-norm)"),
    ],
    "bad-source.yaml": [
        (15, "card 'c1' source: unknown key 'publisher' (did you mean 'published'?)")
    ],
    "bad-complex-key.yaml": [(4, "mapping keys must be plain text")],
    # Problems found while reading the YAML (duplicate keys) and while checking the deck are
    # merged and sorted by line: the duplicate keys at lines 23 and 24 come last.
    "bad-many-problems.yaml": [
        (2, f"deck: id 'Many Problems' {SLUG_MESSAGE}"),
        (5, "card 'c1': missing required key 'explanation'"),
        (
            6,
            "card 'c1': 'question' must be text, but YAML reads 3.10 as a number; "
            'put it in quotes: "3.10"',
        ),
        (12, "card 'c1': answer 'z' names no choice of this card (choice ids: a, b)"),
        (13, "card 'c1': unknown key 'explaination' (did you mean 'explanation'?)"),
        (23, "duplicate key 'explanation' (first at line 22)"),
        (24, "duplicate key 'name' (first at line 3)"),
    ],
}

# Messages written by the YAML parser differ between libyaml and pure-Python PyYAML (and
# between versions): check the line and a phrase both share.
BAD_SYNTAX: dict[str, tuple[int, str]] = {
    "bad-syntax.yaml": (13, "YAML syntax error: mapping values are not allowed"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_fixture_reports_every_problem_exactly(name: str, yaml_loader: str) -> None:
    path = fixture(name)
    expected = [f"{path}:{line}: {message}" for line, message in BAD[name]]
    assert problems_of(lambda: load_deck(path)) == expected


@pytest.mark.parametrize("name", sorted(BAD_SYNTAX))
def test_bad_syntax_fixture_reports_line_and_phrase(name: str, yaml_loader: str) -> None:
    path = fixture(name)
    line, phrase = BAD_SYNTAX[name]
    [problem] = problems_of(lambda: load_deck(path))
    assert problem.startswith(f"{path}:{line}: {phrase}")


def test_every_fixture_file_has_an_expectation() -> None:
    names = {p.name for p in FIXTURES.iterdir()}
    assert {n for n in names if n.startswith("bad-")} == set(BAD) | set(BAD_SYNTAX)
    assert {n for n in names if n.startswith("good-")} == set(GOOD)
    assert all(n.startswith(("bad-", "good-")) and n.endswith(".yaml") for n in names)


def test_problems_are_sorted_by_line_and_all_reported() -> None:
    path = fixture("bad-many-problems.yaml")
    problems = problems_of(lambda: load_deck(path))
    lines = [int(re.match(rf"{re.escape(str(path))}:(\d+): ", p)[1]) for p in problems]
    assert len(problems) == 7
    assert lines == sorted(lines)
    assert len(set(lines)) == 7  # seven problems on seven different lines, none merged away


def test_deck_error_message_and_exit_code() -> None:
    path = fixture("bad-unknown-key.yaml")
    with pytest.raises(DeckError) as excinfo:
        load_deck(path)
    assert str(excinfo.value) == "\n".join(excinfo.value.problems)
    assert excinfo.value.exit_code == 65


def test_parse_deck_names_the_given_path() -> None:
    text = MINIMAL.replace("answer: a", "answer: q")
    assert problems_of(lambda: parse_deck(text, "decks/x.yaml")) == [
        "decks/x.yaml:11: card 'c1': answer 'q' names no choice of this card (choice ids: a, b)"
    ]
    assert problems_of(lambda: parse_deck(text))[0].startswith("<deck>:11: ")


# --------------------------------------------------------------------------------------------
# Good fixtures.


def check_minimal(deck: Deck) -> None:
    assert deck == Deck(
        id="minimal",
        name="Minimal deck",
        cards=(
            Card(
                id="c1",
                question="What is 1 + 1?",
                choices=(Choice("a", "Two"), Choice("b", "Three")),
                answer=("a",),
                explanation="One plus one is two.",
                multiple=False,
                line=5,
            ),
        ),
        description="",
        path=str(fixture("good-minimal.yaml")),
    )


def check_select_all(deck: Deck) -> None:
    even, one = deck.cards
    assert even.answer == ("a", "c") and even.multiple
    assert even.is_correct({"a", "c"}) and not even.is_correct({"a"})
    # A list of one is still "select all that apply", unlike a bare `answer: b`.
    assert one.answer == ("b",) and one.multiple
    assert (even.line, one.line) == (5, 16)


def check_name_no(deck: Deck) -> None:
    assert deck.name == "no"
    assert [c.text for c in deck.cards[0].choices] == ["yes", "no", "on", "off"]


def check_name_yes(deck: Deck) -> None:
    assert deck.name == "yes"
    assert [(c.id, c.text) for c in deck.cards[0].choices] == [("y", "y"), ("n", "n")]


def check_quoted_number(deck: Deck) -> None:
    assert deck.name == "3.10"
    assert [c.text for c in deck.cards[0].choices] == ["3.10", "3.9", "3.11", "1e3"]
    assert deck.cards[0].explanation == "Python 3.10 (PEP 634). Note that 3.10 is not 3.1."


def check_yaml11_scalars(deck: Deck) -> None:
    # Unquoted 2022-10-30 is a date in YAML 1.1 but text in 1.2, so it is a valid published date.
    assert deck.name == "2022-10-30"
    card = deck.cards[0]
    assert card.question == "12:30:00"
    assert [c.text for c in card.choices] == ["1_000", "0b101", "0777x", ".5."]
    assert card.explanation == "+12:30"
    assert card.source == (("published", "2022-10-30"),)


def check_unicode(deck: Deck) -> None:
    assert deck.name == "Ünïcödé — Δέκα 日本語"
    assert deck.description == "Émojis too 🧠"
    card = deck.cards[0]
    assert card.title == "Softmax σ(z)ᵢ"
    assert card.question == "Quel est le résultat de ∑ᵢ softmax(z)ᵢ ?"
    assert [c.text for c in card.choices] == ["1 — toujours", "∞"]
    assert card.explanation == "確率の合計は1です。"


def check_full(deck: Deck) -> None:
    assert deck.description == "A deck that uses every optional field."
    c1, c2 = deck.cards
    assert c1 == Card(
        id="c1",
        title="All the fields",
        question="First line.\n\n**Which one?**\n",
        choices=(Choice("first", "The first"), Choice("second", "The second")),
        answer=("second",),
        explanation="Because.\n",
        references=(
            Reference("A paper", "https://arxiv.org/abs/1502.03167"),
            Reference("A blog", "http://example.com/post"),
        ),
        tags=("batch-norm", "activations"),  # the repeated tag is kept once
        source=(
            ("author", "Santiago"),
            ("published", "2022-10-30"),
            ("url", "https://example.com/source"),
        ),
        line=8,
    )
    # Optional keys present but empty read as absent.
    assert (c2.title, c2.references, c2.tags, c2.source, c2.line) == ("", (), (), (), 32)


def check_document_markers(deck: Deck) -> None:
    assert deck.id == "markers"
    assert deck.cards[0].choices == (Choice("a", "Yes"), Choice("b", "No"))
    assert deck.cards[0].line == 7


def check_bom(deck: Deck) -> None:
    assert fixture("good-bom.yaml").read_bytes().startswith(b"\xef\xbb\xbf"), "BOM was lost"
    assert deck.id == "bom"
    assert deck.cards[0].line == 5


GOOD: dict[str, Callable[[Deck], None]] = {
    "good-minimal.yaml": check_minimal,
    "good-select-all.yaml": check_select_all,
    "good-name-no.yaml": check_name_no,
    "good-name-yes.yaml": check_name_yes,
    "good-quoted-number.yaml": check_quoted_number,
    "good-yaml11-scalars.yaml": check_yaml11_scalars,
    "good-unicode.yaml": check_unicode,
    "good-full.yaml": check_full,
    "good-document-markers.yaml": check_document_markers,
    "good-bom.yaml": check_bom,
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_fixture_loads(name: str, yaml_loader: str) -> None:
    path = fixture(name)
    deck = load_deck(path)
    assert deck.path == str(path)
    GOOD[name](deck)


def test_crlf_line_endings_keep_line_numbers() -> None:
    text = fixture("bad-unknown-key.yaml").read_text(encoding="utf-8")
    assert problems_of(lambda: parse_deck(text.replace("\n", "\r\n"), "crlf.yaml")) == [
        "crlf.yaml:5: card 'c1': missing required key 'explanation'",
        "crlf.yaml:13: card 'c1': unknown key 'explaination' (did you mean 'explanation'?)",
    ]
    good = parse_deck(MINIMAL.replace("\n", "\r\n"), "crlf.yaml")
    assert good.cards[0].explanation == "One plus one is two."


def test_nulls_in_required_text_are_reported_as_empty() -> None:
    text = MINIMAL.replace("text: Two", "text: ~")
    text = text.replace("explanation: One plus one is two.", "explanation:")
    assert problems_of(lambda: parse_deck(text, "n.yaml")) == [
        "n.yaml:8: card 'c1' choice 'a': 'text' must not be empty",
        "n.yaml:12: card 'c1': 'explanation' must not be empty",
    ]


# --------------------------------------------------------------------------------------------
# Generated hostile input.


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_fast(yaml_loader: str, tmp_path: Path) -> None:
    bomb = billion_laughs()
    assert len(bomb.encode()) < 500  # 9**9 = 387 million "lol"s if expanded
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb, encoding="utf-8")
    start = time.perf_counter()
    problems = problems_of(lambda: load_deck(path))
    assert time.perf_counter() - start < 1.0
    assert problems == [f"{path}:1: anchors (&a) are not allowed in decks"]


def test_alias_bomb_inside_a_valid_deck_is_refused(yaml_loader: str) -> None:
    bomb = "    tags: &t [x, x, x, x, x, x, x, x, x]\n    source: {author: [*t, *t, *t]}\n"
    problems = problems_of(lambda: parse_deck(MINIMAL + bomb, "d.yaml"))
    assert problems == ["d.yaml:13: anchors (&t) are not allowed in decks"]


DEEP = {
    "flow-sequences": "[" * 100_000,
    "flow-mappings": "{a: " * 100_000,
    "block-sequences": "- " * 100_000 + "x\n",
    "block-mappings": "".join(" " * i + "k:\n" for i in range(2_000)),
}


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_deep_nesting_is_refused_cleanly(shape: str, yaml_loader: str, tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(DEEP[shape], encoding="utf-8")
    # pytest.raises(DeckError) lets a RecursionError (or MemoryError) through as a failure.
    [problem] = problems_of(lambda: load_deck(path))
    assert problem.startswith(f"{path}:")
    # The loader's own limit, or (for flow input) libyaml's, which it reports first.
    assert "nesting deeper than 32 levels" in problem or "maximum nesting depth" in problem


def test_nesting_limit_boundary(yaml_loader: str) -> None:
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert problems_of(lambda: parse_deck(at_limit, "d.yaml")) == [
        "d.yaml:1: a deck file must be a mapping with id, name and cards"
    ]
    over = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert problems_of(lambda: parse_deck(over, "d.yaml")) == [
        "d.yaml:1: nesting deeper than 32 levels"
    ]


def nested_tags(levels: int) -> str:
    """MINIMAL with a card whose tags are `levels` lists nested in one another, from line 14.

    The tags list is at depth 4 (deck mapping, cards list, card mapping, tags list); list k
    (from 1) starts on line 13 + k at depth 3 + k.
    """
    return MINIMAL + "    tags:\n" + "".join(" " * (6 + 2 * i) + "-\n" for i in range(levels))


def test_nesting_limit_boundary_inside_a_deck(yaml_loader: str) -> None:
    at_limit = nested_tags(MAX_DEPTH - 3)
    assert problems_of(lambda: parse_deck(at_limit, "d.yaml")) == [
        "d.yaml:15: card 'c1': tag 'a list' must be a slug (e.g. batch-norm)"
    ]
    over = nested_tags(MAX_DEPTH - 2)
    assert problems_of(lambda: parse_deck(over, "d.yaml")) == [
        f"d.yaml:{13 + MAX_DEPTH - 2}: nesting deeper than 32 levels"
    ]


def test_file_over_max_bytes_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"[" * 2_000)  # would be a syntax error if it were parsed

    def must_not_parse(text: str, path: str = "") -> Deck:
        raise AssertionError("parse_deck was called on an oversized file")

    monkeypatch.setattr(deck_module, "parse_deck", must_not_parse)
    expected = [f"{path}:1: file is 2,000 bytes; decks are limited to 1,000 bytes"]
    assert problems_of(lambda: load_deck(path, max_bytes=1_000)) == expected
    assert problems_of(lambda: load_decks([path], max_bytes=1_000)) == expected


def test_file_of_exactly_max_bytes_loads(tmp_path: Path) -> None:
    path = tmp_path / "exact.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    size = path.stat().st_size
    assert load_deck(path, max_bytes=size).id == "minimal"
    assert problems_of(lambda: load_deck(path, max_bytes=size - 1)) == [
        f"{path}:1: file is {size:,} bytes; decks are limited to {size - 1:,} bytes"
    ]


def test_default_size_cap(tmp_path: Path) -> None:
    assert DEFAULT_MAX_BYTES == 5 * 1024 * 1024
    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:
        f.truncate(DEFAULT_MAX_BYTES + 1)  # sparse: cheap to create
    assert problems_of(lambda: load_deck(path)) == [
        f"{path}:1: file is 5,242,881 bytes; decks are limited to 5,242,880 bytes"
    ]


@pytest.mark.parametrize(
    ("data", "line", "bad"),
    [
        (b"\xff" + MINIMAL.encode(), 1, b"\xff"),
        (MINIMAL.encode().replace(b"text: Two", b"text: Tw\xc3o"), 8, b"\xc3"),
        (MINIMAL.encode().replace(b"\n", b"\r\n").replace(b"Two", b"T\x80o"), 8, b"\x80"),
        (MINIMAL.encode() + b"# \xe2\x82", 13, b"\xe2\x82"),  # truncated at the end
        (b"\xef\xbb\xbf" + MINIMAL.encode().replace(b"Three", b"Thr\xfee"), 10, b"\xfe"),
    ],
    ids=["first-byte", "line-8", "crlf-line-8", "truncated-at-end", "after-bom"],
)
def test_invalid_utf8_reports_its_line(tmp_path: Path, data: bytes, line: int, bad: bytes) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(data)
    assert problems_of(lambda: load_deck(path)) == [
        f"{path}:{line}: not valid UTF-8 (byte {data.index(bad)}); save the file as UTF-8"
    ]


def test_latin1_file_is_refused_not_misread(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.replace("Two", "Deux é").encode("latin-1"))
    [problem] = problems_of(lambda: load_deck(path))
    assert problem.startswith(f"{path}:8: not valid UTF-8")


def test_missing_file_is_input_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InputNotFoundError, match="nope.yaml"):
        load_deck(missing)
    with pytest.raises(InputNotFoundError, match="nope.yaml"):
        find_deck_files([missing])
    with pytest.raises(InputNotFoundError, match="nope.yaml"):
        load_decks([fixture("good-minimal.yaml"), missing])


def test_load_deck_on_a_folder_is_a_deck_error(tmp_path: Path) -> None:
    [problem] = problems_of(lambda: load_deck(tmp_path))
    assert problem.startswith(f"{tmp_path}:1: cannot read: ")


# --------------------------------------------------------------------------------------------
# Folders and several files.


def write(path: Path, text: str = MINIMAL) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def deck_tree(tmp_path: Path) -> Path:
    root = tmp_path / "decks"
    for rel in (
        "zeta.yaml",
        "alpha.yml",
        "sub/beta.yaml",
        "sub/deeper/gamma.yml",
        "sub/a-first.yaml",
        # Not decks: hidden files and folders, other extensions.
        ".hidden.yaml",
        ".git/config.yaml",
        "sub/.cache/x.yaml",
        "notes.txt",
        "README.md",
        "yaml",
        "backup.yaml.bak",
    ):
        deck_id = re.sub(r"[^a-z0-9]", "-", rel.lower()).strip("-")
        write(root / rel, MINIMAL.replace("id: minimal", f"id: {deck_id}"))
    return root


def test_find_deck_files_walks_folders_sorted_skipping_hidden(deck_tree: Path) -> None:
    found = find_deck_files([deck_tree])
    expected = [
        deck_tree / rel
        for rel in (
            "alpha.yml",
            "sub/a-first.yaml",
            "sub/beta.yaml",
            "sub/deeper/gamma.yml",
            "zeta.yaml",
        )
    ]
    assert found == expected
    assert found == sorted(found)


def test_find_deck_files_keeps_files_as_given(deck_tree: Path) -> None:
    notes, zeta = deck_tree / "notes.txt", deck_tree / "zeta.yaml"
    sub = deck_tree / "sub"
    assert find_deck_files([zeta, notes, sub]) == [
        zeta,
        notes,
        sub / "a-first.yaml",
        sub / "beta.yaml",
        sub / "deeper" / "gamma.yml",
    ]
    assert find_deck_files([]) == []


def test_load_decks_loads_a_folder_in_sorted_order(deck_tree: Path) -> None:
    decks = load_decks([deck_tree])
    assert [d.id for d in decks] == [
        "alpha-yml",
        "sub-a-first-yaml",
        "sub-beta-yaml",
        "sub-deeper-gamma-yml",
        "zeta-yaml",
    ]
    assert [d.path for d in decks] == [str(p) for p in find_deck_files([deck_tree])]


def test_load_decks_collects_problems_of_every_file(tmp_path: Path) -> None:
    bad1 = fixture("bad-unknown-key.yaml")
    bad2 = fixture("bad-duplicate-key.yaml")
    problems = problems_of(lambda: load_decks([bad1, fixture("good-minimal.yaml"), bad2]))
    assert problems == [
        f"{bad1}:5: card 'c1': missing required key 'explanation'",
        f"{bad1}:13: card 'c1': unknown key 'explaination' (did you mean 'explanation'?)",
        f"{bad2}:14: duplicate key 'answer' (first at line 12)",
    ]


def test_load_decks_reports_a_deck_id_used_by_two_files(tmp_path: Path) -> None:
    first = write(tmp_path / "a" / "one.yaml")
    second = write(tmp_path / "b" / "two.yaml")
    other = write(tmp_path / "c.yaml", MINIMAL.replace("id: minimal", "id: other"))
    problems = problems_of(lambda: load_decks([tmp_path]))
    assert problems == [f"{second}:1: deck id 'minimal' is also used by {first}"]
    assert [d.id for d in load_decks([first, other])] == ["minimal", "other"]


def test_load_decks_reports_duplicate_ids_and_bad_files_together(tmp_path: Path) -> None:
    first = write(tmp_path / "1.yaml")
    bad = write(tmp_path / "2.yaml", MINIMAL.replace("answer: a", "answer: [a, a]"))
    second = write(tmp_path / "3.yaml")
    assert problems_of(lambda: load_decks([tmp_path])) == [
        f"{bad}:11: card 'c1': answer 'a' is listed twice",
        f"{second}:1: deck id 'minimal' is also used by {first}",
    ]


# --------------------------------------------------------------------------------------------
# Bundled decks.

BUNDLED = sorted(bundled_decks_dir().glob("*.yaml"))


def test_there_are_bundled_decks() -> None:
    assert BUNDLED, f"no decks in {bundled_decks_dir()}"
    assert (bundled_decks_dir() / "batchnorm.yaml") in BUNDLED


@pytest.mark.parametrize("path", BUNDLED, ids=[p.name for p in BUNDLED])
def test_bundled_deck_loads(path: Path) -> None:
    deck = load_deck(path)
    assert deck.cards
    assert deck.path == str(path)
    check_deck_invariants(deck)


def test_bundled_decks_load_together_with_unique_ids() -> None:
    decks = load_decks(bundled_deck_files())
    ids = [d.id for d in decks]
    assert len(ids) == len(set(ids)) == len(BUNDLED)
    assert decks[0].id == "batchnorm"  # a newcomer's first question
    names = [p.name for p in bundled_deck_files()]
    assert names[0] == "batchnorm.yaml" and names[1:] == sorted(names[1:])


# --------------------------------------------------------------------------------------------
# Property tests: whatever the input, a Deck or a DeckError, never another exception.

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,  # write nothing into the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
BATCHNORM = (ROOT / "decks" / "batchnorm.yaml").read_text(encoding="utf-8")


def yaml_line_breaks(text: str) -> int:
    """Line breaks as YAML counts them (it also breaks lines at CR, NEL, LS and PS).

    Errors at the end of the stream are reported on the line after the last one, so a file
    with N line breaks may see problems on lines 1 to N + 2.
    """
    crlf = text.count("\r\n")
    return sum(text.count(c) for c in "\n\r\x85\u2028\u2029") - crlf


def check_deck_invariants(deck: Deck) -> None:
    """What every Deck the loader returns guarantees, whatever the file said."""
    assert deck.id and deck.name.strip() and deck.cards
    card_ids = [c.id for c in deck.cards]
    assert len(card_ids) == len(set(card_ids))
    for card in deck.cards:
        assert card.question.strip() and card.explanation.strip()
        choice_ids = [c.id for c in card.choices]
        assert 2 <= len(choice_ids) <= 10
        assert len(choice_ids) == len(set(choice_ids))
        assert all(isinstance(c.text, str) and c.text.strip() for c in card.choices)
        assert card.answer and len(card.answer) == len(set(card.answer))
        assert set(card.answer) <= set(choice_ids)
        assert card.multiple or len(card.answer) == 1
        assert card.line >= 1


def check_outcome(call: Callable[[], Deck], path: str, max_line: int) -> None:
    try:
        deck = call()
    except DeckError as exc:
        assert exc.problems
        lines = []
        for problem in exc.problems:
            match = re.match(rf"{re.escape(path)}:(\d+): \S", problem)
            assert match, problem
            lines.append(int(match[1]))
        assert lines == sorted(lines)
        assert all(1 <= n <= max_line for n in lines), (lines, max_line)
    else:
        assert isinstance(deck, Deck)
        check_deck_invariants(deck)


@PROPERTY_SETTINGS
@given(st.text())
def test_any_text_gives_a_deck_or_a_deck_error(text: str) -> None:
    check_outcome(lambda: parse_deck(text, "t.yaml"), "t.yaml", yaml_line_breaks(text) + 2)


@PROPERTY_SETTINGS
@given(data=st.binary())
def test_any_bytes_give_a_deck_or_a_deck_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    text = data.decode("utf-8", errors="replace")
    check_outcome(lambda: load_deck(path), str(path), yaml_line_breaks(text) + 2)


# Pieces of YAML and of the deck format, glued at random: reaches the parser's corners faster
# than arbitrary text does.
# fmt: off
YAML_TOKENS = [
    "id: ", "name: ", "cards:", "choices:", "answer:", "- ", "- id: a\n", "  ", "\t", "a",
    "3.10", "true", "no", ": ", "? ", ", ", "#", "'", '"', "[", "]", "{", "}", "&x ", "*x",
    "!!str ", "! ", "\\", "\n", "---\n", "...\n", "%YAML 1.2\n", "\ufeff",
]
# fmt: on


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from(YAML_TOKENS)))
def test_yaml_shaped_text_gives_a_deck_or_a_deck_error(tokens: list[str]) -> None:
    text = "".join(tokens)
    check_outcome(lambda: parse_deck(text, "t.yaml"), "t.yaml", text.count("\n") + 2)


# Characters inserted by the mutation test: YAML's punctuation and any other character except
# the ones YAML (but not editors) treat as line breaks; see the xfail test for those.
INSERTED = st.text(
    st.sampled_from(list(":-[]{}&*!|>'\"#%@`?, \t\n"))
    | st.characters(exclude_characters="\r\x85\u2028\u2029", exclude_categories=["Cs"]),
    min_size=1,
    max_size=8,
)


@st.composite
def mutated_batchnorm(draw: st.DrawFn) -> str:
    lines = BATCHNORM.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        index = st.integers(0, len(lines) - 1)
        operation = draw(st.sampled_from(["delete", "duplicate", "insert", "swap"]))
        if operation == "delete" and len(lines) > 1:
            del lines[draw(index)]
        elif operation == "duplicate":
            i = draw(index)
            lines.insert(i, lines[i])
        elif operation == "swap":
            i, j = draw(index), draw(index)
            lines[i], lines[j] = lines[j], lines[i]
        else:
            text = "\n".join(lines)
            at = draw(st.integers(0, len(text)))
            lines = (text[:at] + draw(INSERTED) + text[at:]).split("\n")
    return "\n".join(lines)


def test_batchnorm_is_valid_before_mutation() -> None:
    check_deck_invariants(parse_deck(BATCHNORM, "batchnorm.yaml"))


@PROPERTY_SETTINGS
@given(mutated_batchnorm())
def test_mutated_deck_gives_a_deck_or_a_deck_error(text: str) -> None:
    check_outcome(lambda: parse_deck(text, "m.yaml"), "m.yaml", text.count("\n") + 2)


# --------------------------------------------------------------------------------------------
# Known loader bugs. Each is strict: when the bug is fixed the test passes, and pytest reports
# XPASS as a failure so the marker gets removed.


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("id: minimal", 'id: "minimal\\n"', 1),
        ("- id: c1", "- id: |\n      c1", 4),
        ("- id: a", '- id: "a\\n"', 7),
        ("    explanation: One plus one is two.", '    explanation: Yes.\n    tags: ["x\\n"]', 13),
        (
            "    explanation: One plus one is two.",
            '    explanation: Yes.\n    source: {published: "2022-10-30\\n"}',
            13,
        ),
        (
            "    explanation: One plus one is two.",
            '    explanation: Yes.\n    references: [{title: T, url: "https://x.org\\n"}]',
            13,
        ),
    ],
    ids=["deck-id", "card-id", "choice-id", "tag", "published", "reference-url"],
)
def test_trailing_newline_is_refused_in_slugs_dates_and_urls(old: str, new: str, line: int) -> None:
    text = MINIMAL.replace(old, new)
    assert text != MINIMAL
    problems = problems_of(lambda: parse_deck(text, "nl.yaml"))
    # a refused choice id also leaves the answer naming no choice: report both, first the id
    assert problems[0].startswith(f"nl.yaml:{line}: ")
    assert len(problems) == (2 if new.startswith('- id: "a') else 1)


def test_control_character_reports_its_line() -> None:
    text = MINIMAL.replace("text: Two", "text: Tw\x07o")
    [problem] = problems_of(lambda: parse_deck(text, "c.yaml"))
    assert problem.startswith("c.yaml:8: ")
    assert "\n" not in problem


@pytest.mark.parametrize("bad", ["\x07", "\x00", "\ud800"], ids=["bel", "nul", "surrogate"])
def test_pure_python_parser_turns_reader_errors_into_deck_errors(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setattr(deck_module, "_BaseLoader", yaml.SafeLoader)
    text = MINIMAL.replace("text: Two", f"text: Tw{bad}o")
    problems_of(lambda: parse_deck(text, "c.yaml"))


@pytest.mark.skipif(not HAVE_LIBYAML, reason="PyYAML without libyaml")
def test_lone_surrogate_in_text_is_a_deck_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deck_module, "_BaseLoader", yaml.CSafeLoader)
    problems_of(lambda: parse_deck(MINIMAL.replace("Two", "Tw\udcffo"), "s.yaml"))


@pytest.mark.parametrize("sep", ["\u2028", "\x85", "\u2029"], ids=["LS", "NEL", "PS"])
def test_unicode_line_separators_do_not_shift_line_numbers(sep: str) -> None:
    text = MINIMAL.replace("text: Two", f'text: "Two{sep}lines"').replace("answer: a", "answer: z")
    [problem] = problems_of(lambda: parse_deck(text, "ls.yaml"))
    assert problem.startswith("ls.yaml:11: card 'c1': answer 'z'")


def test_non_specific_tag_makes_text() -> None:
    deck = parse_deck(MINIMAL.replace("text: Two", "text: ! 3.10"), "t.yaml")
    assert deck.cards[0].choices[0].text == "3.10"


def test_unclosed_quote_reports_the_line_it_opens() -> None:
    text = MINIMAL.replace("text: Two", 'text: "Two')
    [problem] = problems_of(lambda: parse_deck(text, "q.yaml"))
    assert problem.startswith("q.yaml:8: YAML syntax error")
