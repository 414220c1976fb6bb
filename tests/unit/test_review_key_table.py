"""The review keys come from one table: what the loop does with a key, what the footer hints
and what the help screen says are all read from ``render.keys.KEYS``; the loop's code keeps
to the size limits of the architecture issue."""

from __future__ import annotations

import ast
import inspect
from datetime import date

from helpers import toy_deck

from mlcards.models import ScheduledCard
from mlcards.render import keys
from mlcards.render import review as render
from mlcards.render.glyphs import ASCII
from mlcards.render.keys import ANSWER, KEYMAPS, KEYS, QUESTION, RATING, SCREENS, help_screen, hints
from mlcards.render.review import Answer, CardView
from mlcards.review import common, pages, reviewer
from mlcards.review import session as review_session

HANDLERS = {
    QUESTION: pages._Question,
    RATING: pages._Answered,
    ANSWER: pages._Answered,
}


def item() -> ScheduledCard:
    deck = toy_deck()
    return ScheduledCard(deck.id, deck.name, deck.cards[0], 0, 2.5, 0, None, None)


def words(text: str) -> str:
    return " ".join(text.split())


def test_every_action_of_the_table_is_handled_on_its_screen() -> None:
    for screen in SCREENS:
        source = inspect.getsource(HANDLERS[screen])
        for action in set(KEYMAPS[screen].values()) - set(keys.SCROLLS):
            spelt = "QUIT" if action == common.QUIT else f'"{action}"'
            assert spelt in source, f"{action} on the {screen} screen has no handler"


def test_the_footers_are_the_tables_hints() -> None:
    card = item()
    order = card.card.choices
    question = render.question_screen(CardView(card, order, position=1, total=1, height=24))
    rating = render.answer_screen(
        CardView(card, order, answer=Answer(("a",), True, rating={3: 1, 4: 1, 5: 1}), height=24)
    )
    answered = render.answer_screen(CardView(card, order, answer=Answer(("b",), False), height=24))
    for view, screen in ((question, QUESTION), (rating, RATING), (answered, ANSWER)):
        shown = hints(screen, choices=len(order))
        assert " ".join(shown) in words(view.text).replace("· ", ""), screen
    assert hints(QUESTION, choices=2)[:2] == ["1-2 answer", "d don't know"]
    assert hints(QUESTION, choices=3, multiple=True)[:2] == ["1-3 toggle", "Enter submit"]
    assert "u choose again" in hints(RATING) and "u undo" in hints(ANSWER)
    assert "j/k PgUp PgDn scroll" in hints(ANSWER, ascii=True)


def test_the_help_screen_lists_every_labelled_binding() -> None:
    text = words(help_screen(100, None).text)
    for binding in KEYS:
        if binding.label:
            assert words(binding.help) in text
    assert "up down j k" in words(help_screen(100, None, glyphs=ASCII).text)


def test_keys_do_what_the_table_says() -> None:
    """A key the table does not give a screen does nothing there: 3 on the answer screen
    of a wrong answer is no rating, s after an answer is no suspend."""
    from screen_helpers import NoActions, drive_screens

    frames, journal = drive_screens(["2", "3", "s", "enter", "q"], [item()], NoActions())
    assert len(journal.records) == 1 and not journal.records[0].correct
    assert "Question c1?" in frames[-1]  # Enter went on; the wrong card comes back
    assert all("suspended" not in frame for frame in frames)
    assert date(2026, 3, 1) == journal.records[0].study_day


def _sizes(module: object) -> list[tuple[str, int, str]]:
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            assert node.end_lineno is not None
            found.append((node.name, node.end_lineno - node.lineno + 1, kind))
    return found


def test_no_class_over_250_lines_and_no_function_over_80() -> None:
    from mlcards import terminal
    from mlcards.render import screen

    for module in (common, pages, reviewer, review_session, render, keys, screen, terminal):
        for name, lines, kind in _sizes(module):
            assert lines <= (250 if kind == "class" else 80), f"{module}.{name}: {lines} lines"


def test_footer_hints_are_packed_in_order_broken_only_between_hints() -> None:
    """``keys.hint_rows``, the packing the footers and the first frame share: every hint
    once, in order; a line holds what fits with " · " between; the next hint did not fit."""
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.lists(st.integers(1, 30), max_size=12), st.integers(1, 60))
    def check(lengths: list[int], room: int) -> None:
        rows = keys.hint_rows(lengths, room)
        assert [i for row in rows for i in row] == list(range(len(lengths)))

        def used(row: list[int]) -> int:
            return sum(lengths[i] for i in row) + 3 * (len(row) - 1)

        for row, after in zip(rows, rows[1:], strict=False):
            assert row and used([*row, after[0]]) > room
        assert all(len(row) == 1 or used(row) <= room for row in rows if row)

    check()
    assert keys.hint_rows([5, 5, 5], 13) == [[0, 1], [2]]  # "aaaaa · bbbbb" is 13 cells
    assert keys.hint_rows([20, 2], 10) == [[0], [1]]  # a hint longer than the line: alone
