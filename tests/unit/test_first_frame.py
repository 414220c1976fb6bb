"""The review's first question drawn without rich (``render/first.py``) is exactly what the
review's rich Console writes for the same view: compared over generated cards and sizes,
with colours and with ``NO_COLOR``; where it is not certain it declines (None)."""

from __future__ import annotations

import io
from datetime import date
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from mlcards.models import Card, Choice, ScheduledCard
from mlcards.render.first import first_frame as drawn_first
from mlcards.render.first import plain_enough
from mlcards.render.review import CardView, question_screen

WORD = st.text("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789,.?!'()=+-", min_size=1, max_size=12)
SENTENCE = st.lists(WORD, min_size=1, max_size=30).map(" ".join)


def scheduled(question: str, choices: list[str], **kw: object) -> ScheduledCard:
    card = Card(
        id="c1",
        title=str(kw.pop("title", "")),
        question=question,
        choices=tuple(Choice(chr(97 + i), text) for i, text in enumerate(choices)),
        answer=("a",),
        explanation="Because.",
        multiple=bool(kw.pop("multiple", False)),
    )
    due = date(2026, 3, 1) if kw.pop("due", True) else None
    return ScheduledCard(
        "deck",
        str(kw.pop("deck_name", "Deck")),
        card,
        1,
        2.5,
        1,
        due,
        None,
        **kw,  # type: ignore[arg-type]
    )


def rich_frame(view: FirstView, no_color: bool, color_system: str = "truecolor") -> str:
    """What the review loop writes: the Screenful printed by a terminal Console."""
    console = Console(
        file=io.StringIO(),
        force_terminal=True,
        color_system=color_system,  # type: ignore[arg-type]
        no_color=no_color,
        width=view.width,
        height=view.height,
        highlight=False,
    )
    shown = CardView(
        view.item, tuple(view.order), view.position, view.total, width=view.width,
        height=view.height,
    )  # fmt: skip
    console.print(question_screen(shown), end="", crop=False)
    output = console.file.getvalue()
    assert isinstance(output, str)
    return output


class FirstView(NamedTuple):
    item: ScheduledCard
    order: list[Choice]
    position: int
    total: int
    width: int
    height: int


def view_of(item: ScheduledCard, width: int = 80, height: int = 24, at: int = 1) -> FirstView:
    return FirstView(item, list(item.card.choices), at, 200, width, height)


def first_frame(view: FirstView, no_color: bool = False) -> str | None:
    return drawn_first(
        view.item, view.order, (view.position, view.total), (view.width, view.height), no_color
    )


BATCHNORM_LIKE = scheduled(
    "Which statement about topic 12 holds?", ["The first one", "The second one", "The third"]
)


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (100, 40), (40, 15)])
@pytest.mark.parametrize("no_color", [False, True])
@pytest.mark.parametrize("color_system", ["standard", "256", "truecolor"])
def test_a_plain_card_is_drawn_as_rich_draws_it(
    size: tuple[int, int], no_color: bool, color_system: str
) -> None:
    view = view_of(BATCHNORM_LIKE, *size)
    drawn = first_frame(view, no_color)
    assert drawn is not None  # (the common card is drawn: the test cannot pass by declining)
    assert drawn == rich_frame(view, no_color, color_system)


@settings(max_examples=400, deadline=None)
@given(
    question=SENTENCE.filter(lambda s: s[0].isalpha()),
    choices=st.lists(SENTENCE, min_size=2, max_size=10),
    title=st.one_of(st.just(""), SENTENCE),
    deck_name=SENTENCE,
    width=st.integers(20, 130),
    height=st.integers(8, 50),
    at=st.integers(1, 2000),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    no_color=st.booleans(),
)
def test_generated_cards_are_drawn_as_rich_draws_them_or_left_to_rich(
    question: str,
    choices: list[str],
    title: str,
    deck_name: str,
    width: int,
    height: int,
    at: int,
    flags: tuple[bool, bool, bool],
    no_color: bool,
) -> None:
    item = scheduled(
        question, choices, title=title, deck_name=deck_name, flagged=flags[0], leech=flags[1],
        due=flags[2],
    )  # fmt: skip
    view = view_of(item, width, height, at)
    drawn = first_frame(view, no_color)
    if drawn is not None:
        assert drawn == rich_frame(view, no_color)


@pytest.mark.parametrize(
    "item",
    [
        scheduled("Which *one* holds?", ["a", "b"]),  # Markdown would read it
        scheduled("Which one holds?", ["a", "b"], multiple=True),
        scheduled("Which one holds? \u00e9t\u00e9", ["a", "b"]),  # not ASCII
        scheduled("Which one holds?", ["a", "b\x1b[31m"]),  # not printable
        scheduled("Which one holds?", ["a", "b"], deck_name="x" * 90),  # title cut by rich
        scheduled(" ".join(["Which one holds?"] * 150), ["a", "b"]),  # more than the screen
        scheduled("Which " + "y" * 90 + " holds?", ["a", "b"]),  # a word longer than a line
    ],
)
def test_what_is_not_certain_is_left_to_rich(item: ScheduledCard) -> None:
    assert first_frame(view_of(item)) is None


def test_environments_that_change_rich_output_are_left_to_rich() -> None:
    assert plain_enough({"TERM": "xterm-256color", "NO_COLOR": "1"})
    for name in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        assert not plain_enough({"TERM": "xterm", name: "1"})


@pytest.mark.parametrize(
    ("drawn", "size", "frames"),
    [
        ("same", (80, 24), 0),  # on the screen already: not drawn again
        ("same", (60, 20), 1),  # drawn at another size
        ("edited", (80, 24), 1),  # the same card key, changed since it was drawn
    ],
)
def test_the_loop_draws_the_first_card_unless_that_very_card_is_on_the_screen(
    drawn: str, size: tuple[int, int], frames: int
) -> None:
    from dataclasses import replace

    from helpers import at
    from screen_helpers import FakeJournal, NoActions, Recorder

    from mlcards.review.reviewer import _Reviewer
    from mlcards.session import Session

    item = BATCHNORM_LIKE
    edited = replace(item, card=replace(item.card, question="Which statement holds now?"))
    screen = Recorder()
    session = Session([item], date(2026, 3, 1), journal=FakeJournal())
    now = lambda: at("2026-03-01")  # noqa: E731
    reviewer = _Reviewer(screen, session, NoActions(), lambda: "q", now)  # type: ignore[arg-type]
    reviewer.on_screen = (item if drawn == "same" else edited, *size)
    reviewer.run()
    assert len(screen.frames) == frames
