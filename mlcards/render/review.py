"""The review screen's pieces as values: the question, the answer, the summary.

``question_screen`` and ``answer_screen`` lay out one ``CardView`` (a value: the card, the
session's progress, the terminal's size, the scroll); each returns a ``Screenful``: fixed
parts that stay in view (header, choices, verdict, key footer) and a region that scrolls.
``render_card`` is the same view at its natural height, for printing and tests. Footer
hints, the rating line and the help screen come from ``render.keys``, the table the loop
dispatches on. User text goes in as ``Text`` (choices, feedback, titles) or ``Markdown``
(question, explanation), never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.padding import Padding
from rich.panel import Panel
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from mlcards.clock import describe_due
from mlcards.models import Choice, ScheduledCard
from mlcards.records import LeftToday
from mlcards.render.first import status_note
from mlcards.render.glyphs import UNICODE, Glyphs
from mlcards.render.keys import (
    ANSWER,
    CHOICE_KEYS,
    QUESTION,
    RATING,
    Preview,
    hints,
    rating_parts,
)
from mlcards.render.pieces import (
    KEY_CELLS,
    Marked,
    choice_lines,
    choices_table,
    prepare_choices,
)
from mlcards.render.pieces import footer as _footer
from mlcards.render.pieces import markdown as _markdown
from mlcards.render.screen import (
    MIN_REGION,
    Line,
    Region,
    Screenful,
    blank,
    bottom_line,
    box_line,
    boxed,
    compose,
    is_blank,
    lines_of,
    rule_line,
    trim_blank,
    url_lines,
)
from mlcards.wording import counted


@dataclass(frozen=True)
class Answer:
    """What was answered, for the answer screen."""

    chosen: tuple[str, ...]
    correct: bool
    dont_know: bool = False
    rating: Mapping[int, Preview] | None = None
    """Given while a correct answer awaits its rating: the interval each rating key would
    give (empty when the schedule does not change)."""


@dataclass(frozen=True)
class CardView:
    """Everything one review screen shows: the card, where the session stands, the
    terminal's size and where the scrolling part stands; with ``answer``, the answer screen.

    ``height`` None lays the screen out at its natural height (printing, tests);
    ``scroll`` None opens it where it opens (the top of the question; after an answer, the
    explanation)."""

    item: ScheduledCard
    order: tuple[Choice, ...]
    position: int = 0
    total: int = 0
    elapsed_s: float = 0.0
    mode: str = "review"
    message: str = ""
    selected: frozenset[str] | None = None
    answer: Answer | None = None
    width: int = 80
    height: int | None = None
    scroll: int | None = None
    glyphs: Glyphs = UNICODE
    links: bool = False


@dataclass
class ReviewOutcome:
    answered: int
    correct: int
    quit_early: bool


def _status(view: CardView) -> str:
    at = (view.position, view.total)
    return status_note(view.item, view.mode, at, view.elapsed_s, view.glyphs.dot)


def _title(item: ScheduledCard, g: Glyphs) -> str:
    title = g.text(item.deck_name)
    return title + (f" {g.dot} {g.text(item.card.title)}" if item.card.title else "")


def _choice_label(key: str, choice: Choice, selected: Set[str] | None) -> str:
    if selected is None:
        return f"[{key}]"
    return f"[{'x' if choice.id in selected else ' '}]{key}"


def _question_choices(
    order: Sequence[Choice], selected: Set[str] | None, g: Glyphs, width: int, indent: int
) -> list[Line]:
    """The choices with their keys (ticked ones in bold), as a two-column table of a key
    and the text wrapped beside it, ``indent`` cells in."""
    rows = _choice_rows(order, selected, g)
    if width - indent <= KEY_CELLS + 1:  # no room for the text: rich squeezes the keys
        table = choices_table(rows)
        return lines_of(Padding(table, (0, 0, 0, indent)) if indent else table, width, g)
    return choice_lines(rows, width, g, indent)


def _choice_rows(
    order: Sequence[Choice], selected: Set[str] | None, g: Glyphs
) -> list[tuple[str, str, str]]:
    return [
        (
            _choice_label(key, choice, selected),
            g.text(choice.text.strip()),
            "bold" if selected is not None and choice.id in selected else "",
        )
        for key, choice in zip(CHOICE_KEYS, order, strict=False)
    ]


@lru_cache(maxsize=16)
def _question_lines(question: str, width: int, g: Glyphs) -> list[Line]:
    return trim_blank(lines_of(_markdown(g.text(question)), width, g))


def prepare_question(question: str, width: int, g: Glyphs) -> None:
    """Lay out a question's Markdown for a screen ``width`` wide before it is shown (while
    the previous answer is read), so the key that brings it spends no time on it."""
    _question_lines(question, width - 4, g)


def prepare_card(item: ScheduledCard, width: int, g: Glyphs) -> None:
    """Lay out what a card's question screen shows in any choice order and at any point of
    the session: its question, its box's title and its choices' texts (unticked)."""
    prepare_question(item.card.question, width, g)
    _title_line(_title(item, g), width, g)
    selected = set[str]() if item.card.multiple else None
    prepare_choices(_choice_rows(item.card.choices, selected, g), width, g)


def _message(view: CardView) -> list[Line]:
    if not view.message:
        return []
    text = Text(view.glyphs.text(view.message), style="bold yellow")
    return lines_of(Padding(text, (0, 1)), view.width, view.glyphs)


def _fit_question(lines: list[Line], room: int) -> tuple[list[Line], list[Line]]:
    """The question for a box of ``room`` lines: (the part that scrolls, the part pinned
    under it). All of it when it fits; else without its blank lines (Markdown's space around
    code blocks and between paragraphs); else its last paragraph, the ask, pinned at the
    bottom of the box, so the actual question is always in view, and the rest scrolling."""
    if len(lines) <= room:
        return lines, []
    dense = [line for line in lines if not is_blank(line)]
    if len(dense) <= room or room < 3:
        return dense, []
    gaps = [i for i, line in enumerate(lines) if is_blank(line)]
    ask = lines[gaps[-1] + 1 if gaps else 0 :][-(room - 2) :]
    body = [line for line in lines[: len(lines) - len(ask)] if not is_blank(line)]
    return body, ask


def question_screen(view: CardView) -> Screenful:
    """The question in a box that scrolls when it is long ("more ↓"), its ask kept in view,
    then the choices, any message and the keys, which stay in view."""
    g, width, height, item = view.glyphs, view.width, view.height, view.item
    top: list[Line] = []
    if view.mode == "practice":
        banner = Text(" PRACTICE: answers are logged, your schedule is not changed", "bold")
        top += lines_of(banner, width, g)
    question = _question_lines(item.card.question, width - 4, g)
    choices = _question_choices(view.order, view.selected, g, width, 1)
    select: list[Line] = []
    if item.card.multiple:
        select = lines_of(Text(" Select all that apply.", style="italic"), width, g)
    notes = _message(view)
    keys = hints(QUESTION, choices=len(view.order), multiple=item.card.multiple, ascii=g.ascii)
    footer = _footer(list(keys), width, g)
    body, pinned = question, list[Line]()
    bottom = [*select, *choices, *notes, *footer]
    if height is not None:

        def room(fixed: list[Line]) -> int:
            return height - len(top) - len(fixed) - 2

        if room(bottom) < len(question):  # the essential keys; ? shows the others
            keys = hints(QUESTION, choices=len(view.order), multiple=item.card.multiple,
                         ascii=g.ascii, essential=True)  # fmt: skip
            footer = _footer(list(keys), width, g)
            bottom = [*select, *choices, *notes, *footer]
        if room(bottom) < min(len(question), MIN_REGION):
            bottom = [*choices, *notes, *footer]  # the key footer says "toggle" anyway
        if room(bottom) < min(sum(not is_blank(line) for line in question), MIN_REGION):
            # the choices leave the question too little room to end in view: they scroll
            # with it, under it
            inner = _question_choices(view.order, view.selected, g, width - 4, 0)
            body = [*question, blank(width - 4), *inner]
            bottom = [*select, *notes, *footer]
        else:
            body, pinned = _fit_question(question, room(bottom))
    return _question_box(view, top, body, pinned, bottom)


@lru_cache(maxsize=16)
def _title_line(title: str, width: int, g: Glyphs) -> tuple[Segment, ...]:
    """The question box's top border with the deck and card title, once per title and
    width (prepared with the question)."""
    return tuple(box_line(width, g, True, Text(title, style="bold")))


def _question_box(
    view: CardView, top: list[Line], body: list[Line], pinned: list[Line], bottom: list[Line]
) -> Screenful:
    """The question screen put together: the box's ``body`` scrolls; ``pinned`` lines stay
    at its bottom, under a rule that says whether there is more above them."""
    g, width, height = view.glyphs, view.width, view.height
    region = Region(boxed(body, width, g))
    scroll = view.scroll or 0

    def boxed_end(rule: Line, border: Line) -> list[Line]:
        return [rule, *boxed(pinned, width, g), border] if pinned else [border]

    spare = blank(width)
    probe = compose(
        top, region, [*boxed_end(spare, spare), *bottom], height=height, scroll=scroll,
        shrink=True, above=[],
    )  # fmt: skip
    hint = ""
    if probe.max_scroll:
        hint = f"more {g.down}" if probe.scroll < probe.max_scroll else f"{g.up} top: Home"
        if probe.scroll and probe.scroll < probe.max_scroll:
            hint = f"{g.up} more {g.down}"
    status = _status(view)
    right = f"{hint}  {status}" if hint and not pinned else status
    above = list(_title_line(_title(view.item, g), width, g))
    rule = boxed([rule_line(width - 4, g, Text(hint, style="bold"))], width, g)[0] if pinned else []
    border = bottom_line(width, g, right)
    filler = boxed([blank(width - 4)], width, g)[0]
    return compose(
        top,
        region,
        [*boxed_end(rule, border), *bottom],
        height=height,
        scroll=scroll,
        above=above,
        filler=filler,
        shrink=True,
    )


def _mark(
    choice: Choice, chosen: tuple[str, ...], correct: tuple[str, ...], multiple: bool, g: Glyphs
) -> tuple[str, str]:
    """(marker, style) of a choice on the answer screen; ("", "dim") when it needs none."""
    picked, right = choice.id in chosen, choice.id in correct
    if not multiple:
        if right:
            return f"{g.right} correct", "bold green"
        if picked:
            return f"{g.wrong} your choice", "red"
        return "", "dim"
    if picked and right:
        return f"{g.right} ticked: right", "bold green"
    if picked:
        return f"{g.wrong} ticked: wrong", "red"
    if right:
        return f"{g.missed} missed: right", "bold yellow"
    return "", "dim"


def _answer_choices(
    item: ScheduledCard,
    order: Sequence[Choice],
    chosen: tuple[str, ...],
    g: Glyphs,
    marked_only: bool,
) -> Table:
    """Choices with their marks; a picked choice's feedback (and a missed right one's, on
    select-all cards) under it."""
    multiple = item.card.multiple
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(width=4, no_wrap=True)
    table.add_column(ratio=1)
    for key, choice in zip(CHOICE_KEYS, order, strict=False):
        marker, style = _mark(choice, chosen, item.card.answer, multiple, g)
        if marked_only and not marker:
            continue
        if not marked_only and marker:
            continue
        label = _choice_label(key, choice, set(chosen) if multiple else None)
        text = Text(g.text(choice.text.strip()), style=style)
        body = Marked(text, Text(marker, style=style)) if marker else text
        table.add_row(Text(label, style=style or "bold cyan"), body)
        shows_feedback = choice.id in chosen or (multiple and choice.id in item.card.answer)
        if choice.feedback.strip() and shows_feedback:
            feedback = Text(f"{g.arrow} ", style="dim")
            feedback.append(g.text(" ".join(choice.feedback.split())), style="italic")
            table.add_row(Text(""), feedback)
    return table


def _verdict(
    item: ScheduledCard, chosen: tuple[str, ...], correct: bool, dont_know: bool, g: Glyphs
) -> Text:
    if dont_know:
        return Text(" ? Not known: here is the answer", style="bold yellow")
    if correct:
        return Text(f" {g.right} Correct", style="bold green")
    verdict = Text(f" {g.wrong} Wrong", style="bold red")
    if item.card.multiple:
        right = sum(c in item.card.answer for c in chosen)
        wrong = len(chosen) - right
        verdict.append(
            f": {right} of {len(item.card.answer)} right choices ticked, {wrong} wrong",
            style="red",
        )
    return verdict


@lru_cache(maxsize=16)
def _answer_region(
    item: ScheduledCard,
    order: tuple[Choice, ...],
    chosen: tuple[str, ...],
    width: int,
    glyphs: Glyphs,
    links: bool,
    with_marked: bool,
) -> tuple[Region, int]:
    """The question and the other choices, then the explanation and the references, laid
    out once per card and width (scrolling only slices them); and the line the screen
    opens at: the explanation (or the marked choices, when they scroll), the question
    above it, one key (Home) away."""
    g = glyphs
    region = Region()
    card = item.card
    pad = (0, 1)
    region.add(lines_of(Padding(Text("Question", style="bold"), pad), width, g))
    region.add(trim_blank(lines_of(Padding(_markdown(g.text(card.question)), pad), width, g)))
    others = _answer_choices(item, order, chosen, g, False)
    if others.row_count:
        region.add([blank(width)])
        region.add(lines_of(Padding(others, pad), width, g))
    region.add([blank(width)])
    opens = len(region.lines)
    if with_marked:
        marked = _answer_choices(item, order, chosen, g, True)
        region.add(lines_of(Padding(marked, (0, 0, 0, 1)), width, g))
        region.add([blank(width)])
    region.add(lines_of(Padding(Text("Explanation", style="bold"), pad), width, g))
    region.add(trim_blank(lines_of(Padding(_markdown(g.text(card.explanation)), pad), width, g)))
    if card.references:
        region.add([blank(width)])
        region.add(lines_of(Padding(Text("References", style="bold"), pad), width, g))
        for ref in card.references:
            title = Text(f"{g.bullet} ", style="dim")
            title.append(g.text(ref.title))
            region.add(lines_of(Padding(title, pad), width, g))
            url, continued = url_lines(g.text(ref.url), width, links=links)
            region.add(url, continued)
    return region, opens


def answer_screen(view: CardView) -> Screenful:
    """Verdict and the marked choices at the top, the keys at the bottom, and between them
    the question, explanation and references, scrolling, with where you are in them."""
    assert view.answer is not None, "the answer screen needs an answer"
    g, width, height, item, answer = view.glyphs, view.width, view.height, view.item, view.answer
    verdict = _verdict(item, answer.chosen, answer.correct, answer.dont_know, g)
    status = _status(view) if view.total else ""
    head = Table.grid(expand=True)
    head.add_column(ratio=1)
    head.add_column(justify="right", no_wrap=True)
    head.add_row(verdict, Text(status + " ", style="dim"))
    top = (
        lines_of(head, width, g)
        if status and verdict.cell_len + len(status) < width - 2
        else lines_of(verdict, width, g)
    )
    marked = lines_of(
        Padding(_answer_choices(item, view.order, answer.chosen, g, True), (0, 0, 0, 1)), width, g
    )
    bottom = _message(view)
    if answer.rating is not None:
        bottom += _footer(list(rating_parts(answer.rating, g, view.mode)), width, g)
        bottom += _footer(list(hints(RATING, ascii=g.ascii)), width, g)
    else:
        keys = hints(ANSWER, ascii=g.ascii)
        bottom += _footer([Text(keys[0], style="bold"), *keys[1:]], width, g)
    with_marked = (
        height is not None and height - len(top) - len(marked) - len(bottom) - 2 < MIN_REGION + 1
    )
    if not with_marked:
        top += marked
    region, opens = _answer_region(
        item, view.order, answer.chosen, width, g, view.links, with_marked
    )
    scroll = opens if view.scroll is None else view.scroll
    probe = compose(top, region, bottom, height=height, scroll=scroll, above=[], below=[])
    above_label = f"{g.up} question: Home" if probe.scroll else ""
    above = rule_line(width, g, Text(above_label, style="bold"))
    first, last = probe.scroll + 1, min(probe.scroll + probe.page, len(region.lines))
    where = f"lines {first}-{last} of {len(region.lines)}"
    if probe.max_scroll:
        more = f"more {g.down}" if probe.scroll < probe.max_scroll else "end"
        below = rule_line(width, g, Text(more, style="bold"), where)
    else:
        below = rule_line(width, g, "", "all shown" if height is not None else "")
    return compose(top, region, bottom, height=height, scroll=scroll, above=above, below=below)


def card_screen(view: CardView) -> Screenful:
    """The question screen, or with an answer the answer screen."""
    return question_screen(view) if view.answer is None else answer_screen(view)


class _Natural:
    """A screen laid out at the width it is printed at, at its natural height."""

    def __init__(self, view: CardView) -> None:
        self.view = view

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        view = replace(self.view, width=options.max_width, height=None)
        yield from card_screen(view).__rich_console__(console, options)


def render_card(view: CardView) -> _Natural:
    """The question (or answer) screen, all of it, at the width it is printed at."""
    return _Natural(view)


def render_summary(
    outcome: ReviewOutcome,
    next_due: date | None,
    today: date,
    glyphs: Glyphs = UNICODE,
    left: LeftToday | None = None,
) -> Panel:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Answered", str(outcome.answered))
    accuracy = f"{100 * outcome.correct / outcome.answered:.0f}%" if outcome.answered else "-"
    table.add_row("Correct", f"{outcome.correct} ({accuracy})")
    if left is not None and left.total:
        table.add_row("Left today", left_today_text(left))
    else:
        table.add_row("Next due", describe_due(next_due, today))
    title = "Session ended early" if outcome.quit_early else "Session complete"
    frame = box.ASCII if glyphs.ascii else box.ROUNDED
    return Panel(
        table, box=frame, title=title, title_align="left", border_style="green", expand=False
    )


def left_today_text(left: LeftToday) -> str:
    """``3 new, 2 reviews, 1 repeat`` (parts that are 0 left out)."""
    parts = [(left.new, "new", "new"), (left.reviews, "review", "reviews")]
    parts.append((left.repeats, "repeat", "repeats"))
    return ", ".join(counted(n, one, many) for n, one, many in parts if n)
