"""The full-screen layout, judged by what fits on a terminal of a given size: every bundled
card at 80x24 and 60x20, marks, feedback, intervals, links and the ASCII screen."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import at, deck_yaml, toy_deck
from rich.console import Console
from screen_helpers import (
    CARDS,
    RULE,
    answer_screen,
    bundled,
    explanation,
    question_screen,
    scheduled,
    wrong_pick,
)

from mlcards.bundled import bundled_deck_files
from mlcards.deck import parse_deck
from mlcards.models import Card, Choice, Quality, Reference, ScheduledCard
from mlcards.render.glyphs import ASCII, UNICODE, to_ascii
from mlcards.render.keys import help_screen, rating_parts
from mlcards.render.screen import Screenful
from mlcards.review import scrolled
from mlcards.session import RATINGS, Session
from mlcards.terminal import END, PAGE_DOWN

TODAY = date(2026, 3, 1)
SIZES = [(80, 24), (60, 20)]


def pages(build: Callable[[int], Screenful]) -> list[Screenful]:  # from the top
    """Every screen a person sees paging from the top to the end with PgDn."""
    views = [build(0)]
    while views[-1].scroll < views[-1].max_scroll:
        views.append(build(scrolled(PAGE_DOWN, views[-1]) or 0))
        assert views[-1].scroll > views[-2].scroll
    return views


def words(text: str) -> str:
    return " ".join(text.split())


def assert_fills(view: Screenful, width: int, height: int) -> None:
    assert len(view.lines) == height
    assert all(sum(s.cell_length for s in line) == width for line in view.lines)


def seen_lines(views: list[Screenful]) -> set[str]:
    return {line.rstrip() for view in views for line in view.text.splitlines()}


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["80x24", "60x20"])
@pytest.mark.parametrize(("path", "index"), CARDS, ids=[f"{p.stem}-{i}" for p, i in CARDS])
def test_every_bundled_question_fits(path: Path, index: int, width: int, height: int) -> None:
    item = bundled(path, index)
    order = list(item.card.choices)
    selected: frozenset[str] | None = frozenset() if item.card.multiple else None

    def build(scroll: int, h: int | None = height) -> Screenful:
        return question_screen(
            item,
            order,
            position=1,
            total=9,
            selected=selected,
            width=width,
            height=h,
            scroll=scroll,
        )

    views = pages(build)
    for view in views:
        assert_fills(view, width, height)
        assert "q quit" in view.text  # the key footer, on every page
    whole = build(0, None)
    seen = seen_lines(views)
    box = [line.rstrip() for line in whole.text.splitlines() if line.startswith("│")]
    box = [line for line in box if line.strip("│ ")]  # blank lines go when room is short
    assert all(line in seen for line in box), "a line of the question is never shown"
    first = words(views[0].text)
    assert box[-1] in [line.rstrip() for line in views[0].text.splitlines()], "the ask is hidden"
    choices = [words(c.text)[:40] for c in order]
    if views[0].max_scroll:
        assert "more ↓" in views[0].text
    folded = any(line.startswith("│ [") for line in views[0].text.splitlines())
    if not folded:
        assert all(c in first for c in choices), "a choice is not on the first screen"
    else:  # taller than the screen: they scroll inside the box, below the question
        assert all(any(c in words(v.text) for v in views) for c in choices)


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["80x24", "60x20"])
@pytest.mark.parametrize(("path", "index"), CARDS, ids=[f"{p.stem}-{i}" for p, i in CARDS])
def test_every_bundled_answer_fits_and_scrolls_to_its_end(
    path: Path, index: int, width: int, height: int
) -> None:
    item = bundled(path, index)
    order = list(item.card.choices)
    chosen = wrong_pick(item.card)

    def build(scroll: int | None, h: int | None = height) -> Screenful:
        return answer_screen(
            item, order, chosen, correct=False, dont_know=False, position=1, total=9,
            width=width, height=h, scroll=scroll,
        )  # fmt: skip

    views = pages(build)
    first = words(build(None).text)  # where it opens
    assert "Wrong" in views[0].text.splitlines()[0]
    for choice in order:  # the right choice(s) and the one picked, at once
        if choice.id in item.card.answer or choice.id in chosen:
            assert words(choice.text)[:40] in first
    for view in views:
        assert_fills(view, width, height)
        assert "Enter continue" in view.text and "q quit" in view.text
    assert "lines" in views[0].text  # where you are in the scrolling part
    seen = seen_lines(views)
    whole = [line.rstrip() for line in build(0, None).text.splitlines() if not RULE.match(line)]
    missing = [line for line in whole if line not in seen]
    assert not missing, f"never shown: {missing[:3]}"
    assert views[-1].scroll == views[-1].max_scroll and "end" in views[-1].text
    joined = "".join(views[-1].text.split("\n"))
    if item.card.references:
        assert item.card.references[-1].url in joined.replace(" ", "")
    end = build(scrolled(END, views[0]) or 0)
    assert end.scroll == views[-1].scroll


TARGETS = [(80, 24, 2, 1.0), (60, 20, 1, 0.9)]


@pytest.mark.slow  # every bundled card drawn four times: 15 s of the fast loop
@pytest.mark.parametrize("right", [False, True], ids=["wrong", "right"])
@pytest.mark.parametrize(("width", "height", "lines", "share"), TARGETS, ids=["80x24", "60x20"])
def test_the_answer_opens_at_the_explanation(
    width: int, height: int, lines: int, share: float, right: bool
) -> None:
    """Every bundled card: the first screen after an answer shows the explanation's first
    ``lines`` lines (on ``share`` of the cards at least), the question one key (Home) away."""
    shown = 0
    for path, index in CARDS:
        item = bundled(path, index)
        card = item.card
        chosen = card.answer if right else wrong_pick(card)
        rating = {3: 6, 4: 6, 5: 6} if right else None
        view = answer_screen(
            item, list(card.choices), chosen, correct=right, dont_know=False, rating=rating,
            position=1, total=9, width=width, height=height,
        )  # fmt: skip
        seen = [line.rstrip() for line in view.text.splitlines()]
        shown += all(line in seen for line in explanation(item, width)[:lines])
        assert ("Correct" if right else "Wrong") in seen[0]
        assert " Question" not in seen and "Home question" in view.text
    assert shown >= share * len(CARDS), f"{shown} of {len(CARDS)}"


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["80x24", "60x20"])
def test_rating_footer_fits_with_the_intervals(width: int, height: int) -> None:
    item = bundled(bundled_deck_files()[0], 0)
    view = answer_screen(
        item, list(item.card.choices), item.card.answer, correct=True, dont_know=False,
        rating={3: 6, 4: 6, 5: 6}, width=width, height=height,
    )  # fmt: skip
    assert_fills(view, width, height)
    text = words(view.text)
    assert "Correct" in view.text.splitlines()[0]
    line = (
        "Rate it: 3 hard → again today, then 6d · 4 good → 6d (Enter) · 5 easy → 6d, longer after"
    )
    assert words(line).replace("· ", "") in text.replace("· ", "")
    assert "q save+quit" in text


def multi_card(feedback: bool = False) -> Card:
    text = deck_yaml("multi", ("m1",), answer="[a, c]")
    if feedback:
        for old, said in (
            ('text: "Alpha"', '"[bold]Yes[/bold]: alpha is right."'),
            ("text: Beta", "Beta is the classic mistake."),
            ("text: Gamma", "Gamma is right too."),
        ):
            text = text.replace(old, f"{old}\n      feedback: {said}")
    return parse_deck(text, "multi.yaml").cards[0]


def test_select_all_answer_marks_ticked_right_ticked_wrong_and_missed() -> None:
    card = multi_card()
    view = answer_screen(
        scheduled(card), list(card.choices), ("a", "b"), correct=False, dont_know=False,
        width=80, height=24,
    )  # fmt: skip
    lines = view.text.splitlines()
    assert "✘ Wrong: 1 of 2 right choices ticked, 1 wrong" in lines[0]
    assert any("[x]1 Alpha  ✔ ticked: right" in line for line in lines)
    assert any("[x]2 Beta  ✘ ticked: wrong" in line for line in lines)
    assert any("[ ]3 Gamma  ○ missed: right" in line for line in lines)


def test_feedback_of_the_picked_and_missed_choices_is_shown_as_plain_text() -> None:
    card = multi_card(feedback=True)
    view = answer_screen(
        scheduled(card), list(card.choices), ("b",), correct=False, dont_know=False,
        width=80, height=24,
    )  # fmt: skip
    text = view.text
    assert "→ Beta is the classic mistake." in text  # picked
    assert "→ [bold]Yes[/bold]: alpha is right." in text  # missed, and no markup
    assert "→ Gamma is right too." in text
    single = toy_deck().cards[0]
    single = Card(
        single.id, single.question,
        (Choice("a", "Alpha", "Right: the first."), Choice("b", "Beta", "Beta *is* a trap.")),
        ("a",), single.explanation,
    )  # fmt: skip
    wrong = answer_screen(
        scheduled(single), list(single.choices), ("b",), correct=False, dont_know=False,
        width=60, height=20,
    ).text  # fmt: skip
    assert "→ Beta *is* a trap." in wrong  # picked: shown, not Markdown
    assert "Right: the first." not in wrong  # not picked, single choice: not shown
    lines = wrong.splitlines()
    beta = next(i for i, line in enumerate(lines) if "Beta  ✘ your choice" in line)
    assert "Beta *is* a trap." in lines[beta + 1]  # next to its choice


def test_ten_choice_cards_say_1_to_0() -> None:
    base = toy_deck().cards[0]
    choices = tuple(Choice(f"c{i}", f"Choice {i}") for i in range(10))
    card = Card(base.id, base.question, choices, ("c0",), base.explanation)
    view = question_screen(scheduled(card), list(choices), position=1, total=1, width=80, height=24)
    assert "1-0 answer" in view.text and "[0]" in view.text


def test_preview_intervals_are_what_answering_gives() -> None:
    card = toy_deck().cards[0]
    for item in (
        scheduled(card),
        ScheduledCard("toy", "Toy", card, 2, 2.5, 6, TODAY, TODAY - timedelta(days=6)),
    ):
        preview = Session([item], TODAY).preview(item, RATINGS)
        ranges = Session([item], TODAY).preview_range(item, RATINGS)
        assert sorted(preview) == sorted(ranges) == [3, 4, 5]
        for rating, days in preview.items():
            session = Session([item], TODAY)
            record = session.answer(item, ("a",), Quality(rating), 1000, at("2026-03-01"))
            low, high = ranges[rating]
            assert low <= days <= high  # the scheduler's interval, and the fuzz around it
            assert TODAY + timedelta(days=low) <= record.due <= TODAY + timedelta(days=high)
    reviewed = ScheduledCard("toy", "Toy", card, 2, 2.5, 6, TODAY, TODAY - timedelta(days=6))
    assert Session([reviewed], TODAY).preview(reviewed, RATINGS)[4] == 15  # 6 days x easiness 2.5
    assert Session([reviewed], TODAY).preview_range(reviewed, RATINGS)[4] == (13, 17)
    repeat = ScheduledCard("toy", "Toy", card, 1, 2.5, 1, TODAY, TODAY)
    assert Session([repeat], TODAY).preview(repeat) == {}  # a repeat today: schedule stays
    assert Session([reviewed], TODAY, mode="practice").preview(reviewed) == {}


def test_the_rating_line_says_what_differs_under_sm2() -> None:
    """SM-2 gives the three ratings one interval (it multiplies by the easiness from before
    the answer); the line says what differs instead, and each claim is what SM-2 does."""
    card = toy_deck().cards[0]
    reviewed = ScheduledCard("toy", "Toy", card, 2, 2.5, 6, TODAY, TODAY - timedelta(days=6))
    preview = Session([reviewed], TODAY).preview(reviewed, RATINGS)
    assert preview == {3: 15, 4: 15, 5: 15}
    line = " · ".join(part.plain for part in rating_parts(preview))
    assert line == (
        "Rate it: 3 hard → again today, then 15d · 4 good → 15d (Enter)"
        " · 5 easy → 15d, longer after"
    )
    after: dict[int, int] = {}
    from mlcards.rules import DeckRules, SchedulerSpec

    def exact(deck_id: str | None) -> DeckRules:  # textbook SM-2: no fuzz
        return DeckRules(scheduler=SchedulerSpec(fuzz=False))

    for rating in RATINGS:
        session = Session([reviewed], TODAY, rules=exact)
        record = session.answer(reviewed, ("a",), Quality(rating), 1000, at("2026-03-01"))
        assert (session.next() is not None) == (rating == 3)  # 3: again today
        later = replace(
            reviewed, repetitions=record.repetitions, easiness=record.easiness,
            interval=record.interval, due=record.due, last_review_day=TODAY,
        )  # fmt: skip
        assert record.due is not None
        after[rating] = Session([later], record.due, rules=exact).preview(later, RATINGS)[4]
    assert after[3] < after[4] < after[5]  # 5: longer after (and 3 shorter)
    fsrs_like = {3: 2, 4: 9, 5: 30}
    assert " · ".join(p.plain for p in rating_parts(fsrs_like)) == (
        "Rate it: 3 hard → again today, then 2d · 4 good → 9d (Enter) · 5 easy → 30d"
    )
    assert " · ".join(p.plain for p in rating_parts({})) == (
        "Rate it: 3 hard → again today · 4 good (Enter) · 5 easy"
        " · a repeat today: the schedule stays"
    )


def test_urls_are_whole_lines_and_links_only_for_http() -> None:
    base = toy_deck().cards[0]
    long_url = "https://example.org/" + "a-long-path/" * 12
    refs = (
        Reference("Long", long_url),
        Reference("Short", "https://arxiv.org/abs/1502.03167"),
        Reference("Odd", "ftp://example.org/file"),
    )
    card = Card(base.id, base.question, base.choices, base.answer, base.explanation,
                references=refs)  # fmt: skip
    view = answer_screen(
        scheduled(card), list(card.choices), ("a",), correct=True, dont_know=False,
        width=60, height=None, links=True,
    )  # fmt: skip
    lines = view.text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("https://example.org/"))
    assert "".join(lines[start : start + 3]).rstrip() == long_url  # cut only at the edge
    assert len(view.soft) == 2  # the terminal is to join the three pieces again
    plain = io.StringIO()
    Console(file=plain, width=60, color_system=None).print(view)
    assert max(len(line) for line in plain.getvalue().splitlines()) == 60  # not a terminal
    links = {s.style.link for line in view.lines for s in line if s.style and s.style.link}
    assert links == {long_url, "https://arxiv.org/abs/1502.03167"}
    framed = answer_screen(
        scheduled(card), list(card.choices), ("a",), correct=True, dont_know=False,
        width=60, height=20, links=True, scroll=10_000,
    )  # fmt: skip
    buffer = io.StringIO()
    terminal = Console(file=buffer, width=60, height=20, force_terminal=True, color_system=None)
    terminal.print(framed, end="", crop=False)
    assert long_url in buffer.getvalue()  # the terminal wraps it; nothing breaks it


def test_ascii_screen_for_a_terminal_without_unicode() -> None:
    base = toy_deck().cards[0]
    card = Card(
        base.id, "Is **α → β** ≤ γ — “quoted”?",
        (Choice("a", "Yes ✔ 😀"), Choice("b", "No…")), ("a",), "Because • reasons.",
        title="Ünïcode", references=(Reference("Ref – one", "https://example.org/x"),),
    )  # fmt: skip
    order = list(card.choices)
    for width, height in SIZES:
        views = [
            question_screen(scheduled(card), order, position=1, total=1, width=width,
                            height=height, glyphs=ASCII),
            answer_screen(scheduled(card), order, ("b",), correct=False, dont_know=False,
                          width=width, height=height, glyphs=ASCII, position=1, total=1),
            answer_screen(scheduled(card), order, ("a",), correct=True, dont_know=False,
                          rating={3: 1, 4: 1, 5: 1}, width=width, height=height, glyphs=ASCII),
            help_screen(width, height, glyphs=ASCII),
        ]  # fmt: skip
        for view in views:
            assert_fills(view, width, height)
            assert view.text.isascii(), view.text
    text = views[0].text
    assert "alpha -> beta" in text and "<= gamma" in text and "Unicode" in text
    assert "x Wrong" in views[1].text and "+ correct" in views[1].text
    assert "3 hard -> again today, then 1d" in words(views[2].text)
    assert to_ascii("naïve café – ok") == "naive cafe - ok"


G = UNICODE
MARKS = (
    f"{G.right} correct",
    f"{G.wrong} your choice",
    f"{G.right} ticked: right",
    f"{G.wrong} ticked: wrong",
    f"{G.missed} missed: right",
)


@pytest.mark.parametrize("width", [80, 60, 44])
@pytest.mark.parametrize(("path", "index"), CARDS, ids=[f"{p.stem}-{i}" for p, i in CARDS])
def test_a_choice_mark_is_never_cut_across_lines(path: Path, index: int, width: int) -> None:
    """The mark after a choice on the answer screen ("✘ your choice") stays whole: when it
    does not fit after the choice's last line, it starts the next line."""
    item = bundled(path, index)
    chosen = wrong_pick(item.card)
    text = answer_screen(
        item, list(item.card.choices), chosen, correct=False, dont_know=False,
        width=width, height=None,
    ).text  # fmt: skip
    lines = text.splitlines()
    whole = {m for m in MARKS if any(m in line for line in lines)}
    expected = set(MARKS[3:]) if item.card.multiple else set(MARKS[:2])
    assert expected <= whole, (expected - whole, text)
