"""The deck composer's shortcuts give what the long way gives: lines read from YAML's own
count where ``_direct_lines`` allows it, scalars screened for control characters only where
one can appear, plain scalars tried against the YAML 1.2 patterns only when they could match;
and the cycle collector paused while a deck is read comes back on every way out.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest
import yaml
from helpers import deck_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import mlcards.deck as deck_module
from mlcards.deck import parse_deck
from mlcards.deckcheck import Mapping, Scalar
from mlcards.errors import DeckError

SETTINGS = settings(max_examples=300, deadline=None, database=None)

# fmt: off
PIECES = [
    "id: ", "name: ", "cards:", "- ", "- id: a\n", "  ", "a", "3.10", "true", ": ", "? ",
    ", ", "#", "'", '"', "[", "]", "{", "}", "|\n", ">-\n", "\n", "\n\n", "---\n", "...\n",
    "é", "\u2028", "\x85", "\ufeff", "text: x\n",
]
# fmt: on


def node_marks(text: str) -> list[Any]:
    """The start marks of the events that become nodes (or fail), as far as YAML parses."""
    marks = []
    loader = yaml.CSafeLoader(text)
    try:
        while not isinstance(event := loader.get_event(), yaml.StreamEndEvent):
            if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
                marks.append(event.start_mark)
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return marks


@SETTINGS
@given(st.lists(st.sampled_from(PIECES)).map("".join))
def test_yaml_lines_are_read_directly_only_where_they_are_the_editors(text: str) -> None:
    text = text.lstrip("\ufeff")  # as ``_compose`` gives it to the parser
    by_index = deck_module._lines_by_index(text)
    if deck_module._direct_lines(text):
        for mark in node_marks(text):
            assert mark.line + 1 == by_index(mark), (text, mark)


def test_the_long_way_is_kept_where_yaml_counts_lines_otherwise() -> None:
    assert deck_module._direct_lines("id: a\n")
    for text in ("id: a", "a: 'x\x85y'\n", "a: x\u2028y\n", "a: x\u2029\n"):
        assert not deck_module._direct_lines(text)


def problems(text: str) -> list[str]:
    try:
        parse_deck(text, "d.yaml")
    except DeckError as exc:
        return exc.problems
    return []


def test_lines_after_a_yaml_only_line_break_are_the_editors() -> None:
    text = 'id: d\nname: "one\u2028two"\ncards: 3\nextra: 1\n'
    assert problems(text) == [
        "d.yaml:3: deck: 'cards' must be a list, not a number",
        "d.yaml:3: deck: 'cards' must list at least one card",
        "d.yaml:4: deck: unknown key 'extra'",
    ]


@pytest.mark.parametrize("loader", [yaml.CSafeLoader, yaml.SafeLoader], ids=["libyaml", "pure"])
@pytest.mark.parametrize("end", ["\n", ""], ids=["final-break", "no-final-break"])
def test_a_byte_order_mark_moves_no_line(
    loader: type, end: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text given with its BOM (a learner's copy of a bundled deck, read as it is) has its
    problems on the lines an editor shows, as the same text without it: libyaml's mark
    indexes do not count a leading BOM, so a line found from them was one too few."""
    monkeypatch.setattr(deck_module, "_BaseLoader", loader)
    text = "id: d\nname: n\ncards: 3\nextra: 1" + end
    expected = [
        "d.yaml:3: deck: 'cards' must be a list, not a number",
        "d.yaml:3: deck: 'cards' must list at least one card",
        "d.yaml:4: deck: unknown key 'extra'",
    ]
    assert problems(text) == expected
    assert problems("\ufeff" + text) == expected


def test_an_empty_document_without_a_final_line_break_is_on_line_one() -> None:
    assert problems("---") == ["d.yaml:1: a deck file must be a mapping with id, name and cards"]


CONTROL = "is a terminal control character"


@pytest.mark.parametrize(
    "written",
    ['title: "\\e]52;c;x\\a"', "question: Which &#x202e;one?", "explanation: |\n  a\u202eb"],
    ids=["double-quoted-escape", "html-reference", "raw-bidi-override"],
)
def test_control_characters_are_found_however_they_are_written(written: str) -> None:
    """Escapes in double quotes and HTML references anywhere (the only scalars screened
    when the file itself holds no control character), and raw ones (every scalar)."""
    found = [p for p in problems(f"id: d\nname: n\n{written}\n") if CONTROL in p]
    assert [p.split(":")[1] for p in found] == ["3"]


# fmt: off
SCREENED = [
    "id: d\n", "name: ", "title: ", "- ", "  ", "x", '"', "'", "\\e", "\\x1b", "\\u202e",
    "\\N", "&#x1b;", "&#8238;", "&amp;", "&", "|\n", ">-\n", "\n", "#", ": ", "\u202e",
    "é", "[", "]", "{", "}", ", ", "? ", '"a\\e"', '"\\u202e"', "'&#x1b;'", "|\n  &#27;\n",
]
# fmt: on


class _ScreenAll(deck_module._Tree):
    def __init__(self, problems: list[tuple[int, str]], screen_all: bool) -> None:
        super().__init__(problems, screen_all=True)


@SETTINGS
@given(st.lists(st.sampled_from(SCREENED)).map("".join))
def test_screening_only_where_a_control_character_can_be_finds_what_screening_all_does(
    text: str,
) -> None:
    found = problems(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(deck_module, "_Tree", _ScreenAll)
        assert found == problems(text)


def test_escapes_outside_double_quotes_stay_text() -> None:
    text = "id: d\nname: 'a \\e b'\nshuffle: x\n"
    assert [p for p in problems(text) if CONTROL in p] == []


def long_way(value: str) -> str:
    for kind, pattern in deck_module._CORE_SCHEMA:
        if pattern.match(value):
            return kind
    return "str"


PLAIN = st.text(alphabet="tTrRuUeEfFaAlLsSnN~-+.0123456789xXoOiI_ ", max_size=8)
WORDS = st.sampled_from(["true", "False", "NULL", "~", "", ".inf", "-.INF", ".NaN", "0o17"])


NUMBER = st.from_regex(r"[-+]?[0-9]*\.?[0-9]*([eE][-+]?[0-9]+)?", fullmatch=True)


@SETTINGS
@given(st.one_of(PLAIN, WORDS, NUMBER))
def test_plain_scalars_read_as_the_yaml_12_patterns_say(value: str) -> None:
    try:
        root = deck_module._compose(f"k: {value}\n", [])
    except deck_module._Fatal:
        return  # not a scalar at all ("- ")
    assert isinstance(root, Mapping)
    node = root.items["k"][1]
    if isinstance(node, Scalar) and node.value == value.strip():  # plain, as written
        assert node.kind == long_way(node.value), node


@pytest.mark.parametrize("char", ["\x1b", "\x7f", "\x0b"], ids=["esc", "del", "vt"])
def test_a_control_character_in_ascii_text_is_refused_where_it_is(char: str) -> None:
    """ASCII text is cleared of control characters by one fast pass; one found there is
    looked for again by the pattern that names it."""
    text = f"id: d\nname: n\ncards:\n  - id: c\n    title: a{char}b\n"
    code = f"U+{ord(char):04X}"
    assert problems(text) == [
        f"d.yaml:5: character {code} is not allowed in YAML; remove it, or write it as an "
        "escape inside double quotes"
    ]


def test_the_cycle_collector_is_paused_while_a_deck_is_read_and_resumed_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Paused for the tree's build and check, resumed on every way out (a deck, its
    problems, a fatal one, an exception), and left off when it was off before."""
    enabled: list[bool] = []
    check = deck_module.DeckChecker.deck

    def spy(self: deck_module.DeckChecker, root: Any) -> Any:
        enabled.append(gc.isenabled())
        return check(self, root)

    monkeypatch.setattr(deck_module.DeckChecker, "deck", spy)
    assert gc.isenabled()
    parse_deck(deck_yaml(), "d.yaml")
    assert enabled == [False] and gc.isenabled()
    assert problems("id: d\n") and gc.isenabled()
    assert problems("a: [\n") and gc.isenabled()
    gc.disable()
    try:
        assert problems("id: d\n")
        assert not gc.isenabled()
    finally:
        gc.enable()
    monkeypatch.setattr(deck_module, "_compose", lambda *_: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        parse_deck("id: d\n")
    assert gc.isenabled()
