"""The review screen's pieces as values: the question, the answer, the keys, the summary.

``question_screen``, ``answer_screen`` and ``help_screen`` lay a card out to a width and a
height (the terminal's) and return a ``Screenful``: fixed parts that stay in view (header,
choices, verdict, key footer) and a region that scrolls. ``render_question`` and
``render_answer`` are the same views at their natural height, for printing and tests.
User text goes in as ``Text`` (choices, feedback, titles) or ``Markdown`` (question,
explanation), never as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mlcards.clock import describe_due as describe_due
from mlcards.models import Choice, LeftToday, ScheduledCard
from mlcards.render.screen import (
    MIN_REGION,
    UNICODE,
    Glyphs,
    Line,
    Region,
    Screenful,
    blank,
    box_line,
    boxed,
    compose,
    lines_of,
    rule_line,
    trim_blank,
    url_lines,
)
from mlcards.sanitize import terminal_safe

CHOICE_KEYS = "1234567890"
RATING_WORDS = {3: "hard", 4: "good", 5: "easy"}
DEFAULT_RATING = 4


@dataclass
class ReviewOutcome:
    answered: int
    correct: int
    quit_early: bool


def _markdown(text: str) -> RenderableType:
    """Deck Markdown, with every control character made visible first: a deck is data."""
    from rich.markdown import Markdown  # imported here: it costs ~30 ms; `status` needs none

    return Markdown(terminal_safe(text.strip()))


def key_range(count: int) -> str:
    """The keys of ``count`` choices: "1-4", or "1-0" for ten."""
    return f"1-{CHOICE_KEYS[count - 1]}" if count > 1 else "1"


def _status(
    item: ScheduledCard, position: int, total: int, elapsed_s: float, mode: str, g: Glyphs
) -> str:
    minutes, seconds = divmod(int(elapsed_s), 60)
    kind = "practice" if mode == "practice" else "new" if item.is_new else "review"
    flags = "".join(
        (f" {g.dot} flagged" if item.flagged else "", f" {g.dot} leech" if item.leech else "")
    )
    return f"{kind}{flags} {g.dot} {position} of {total} {g.dot} {minutes}:{seconds:02d}"


def _title(item: ScheduledCard, g: Glyphs) -> str:
    title = g.text(item.deck_name)
    return title + (f" {g.dot} {g.text(item.card.title)}" if item.card.title else "")


def _footer(parts: list[Text | str], width: int, g: Glyphs) -> list[Line]:
    """Key hints packed into lines, broken only between hints ("a · b · c")."""
    room = max(width - 2, 1)
    rows: list[Text] = []
    row = Text()
    for part in parts:
        hint = Text(part, style="dim") if isinstance(part, str) else part
        if row.plain and row.cell_len + 3 + hint.cell_len > room:
            rows.append(row)
            row = Text()
        if row.plain:
            row.append(f" {g.dot} ", style="dim")
        row.append_text(hint)
    rows.append(row)
    lines: list[Line] = []
    for text in rows:
        lines += lines_of(Padding(text, (0, 1)), width, g)
    return lines


def _choice_label(key: str, choice: Choice, selected: set[str] | None) -> str:
    if selected is None:
        return f"[{key}]"
    return f"[{'x' if choice.id in selected else ' '}]{key}"


def _question_choices(order: list[Choice], selected: set[str] | None, g: Glyphs) -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(width=4, no_wrap=True)
    table.add_column(ratio=1)
    for key, choice in zip(CHOICE_KEYS, order, strict=False):
        style = "bold" if selected is not None and choice.id in selected else ""
        table.add_row(
            Text(_choice_label(key, choice, selected), style="bold cyan"),
            Text(g.text(choice.text.strip()), style=style),
        )
    return table


@lru_cache(maxsize=16)
def _question_lines(question: str, width: int, g: Glyphs) -> list[Line]:
    return trim_blank(lines_of(_markdown(g.text(question)), width, g))


QUESTION_KEYS = ("d don't know", "u undo", "s suspend", "b bury", "f flag", "e edit", "? keys")


def question_screen(
    item: ScheduledCard,
    order: list[Choice],
    *,
    position: int,
    total: int,
    elapsed_s: float = 0.0,
    selected: set[str] | None = None,
    mode: str = "review",
    message: str = "",
    width: int = 80,
    height: int | None = None,
    scroll: int = 0,
    glyphs: Glyphs = UNICODE,
) -> Screenful:
    """The question in a box that scrolls when it is long ("more ↓"), then the choices, any
    message and the keys, which stay in view."""
    g = glyphs
    top: list[Line] = []
    if mode == "practice":
        banner = Text(" PRACTICE: answers are logged, your schedule is not changed", "bold")
        top += lines_of(banner, width, g)
    question = _question_lines(item.card.question, width - 4, g)
    choices = lines_of(Padding(_question_choices(order, selected, g), (0, 0, 0, 1)), width, g)
    select: list[Line] = []
    if item.card.multiple:
        select = lines_of(Text(" Select all that apply.", style="italic"), width, g)
    notes: list[Line] = []
    if message:
        notes = lines_of(Padding(Text(g.text(message), style="bold yellow"), (0, 1)), width, g)
    keys = [f"{key_range(len(order))} toggle", "Enter submit"] if item.card.multiple else []
    keys = keys or [f"{key_range(len(order))} answer"]
    footer = _footer([*keys, *QUESTION_KEYS, "q quit"], width, g)
    region = Region(boxed(question, width, g))
    bottom = [*select, *choices, *notes, *footer]
    if height is not None:

        def room(fixed: list[Line]) -> int:
            return height - len(top) - len(fixed) - 2

        if room(bottom) < min(len(question), MIN_REGION):
            bottom = [*choices, *notes, *footer]  # the key footer says "toggle" anyway
        if room(bottom) < 1:
            # the choices leave the question no line at all: they scroll with it
            inner = lines_of(_question_choices(order, selected, g), width - 4, g)
            region = Region(boxed([*question, blank(width - 4), *inner], width, g))
            bottom = [*select, *notes, *footer]
    status = Text(_status(item, position, total, elapsed_s, mode, g))
    title = Text(_title(item, g), style="bold")
    filler = boxed([blank(width - 4)], width, g)[0]
    view = compose(
        top, region, bottom, height=height, scroll=scroll, above=[], below=[], shrink=True
    )
    hint = ""
    if view.max_scroll:
        hint = f"more {g.down}" if view.scroll < view.max_scroll else f"{g.up} top: Home"
        if view.scroll and view.scroll < view.max_scroll:
            hint = f"{g.up} more {g.down}"
    right = Text(f"{hint}  {status.plain}" if hint else status.plain)
    above = box_line(width, g, True, title)
    below = box_line(width, g, False, None, right)
    return compose(
        top,
        region,
        bottom,
        height=height,
        scroll=scroll,
        above=above,
        below=below,
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
    order: list[Choice],
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
        body = Text(g.text(choice.text.strip()), style=style)
        if marker:
            body.append(f"  {marker}", style=style)
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


def format_interval(days: int) -> str:
    if days < 60:
        return f"{days}d"
    if days < 365:
        return f"{days / 30:.0f}mo"
    return f"{days / 365:.1f}y"


def rating_parts(
    previews: Mapping[int, int], g: Glyphs = UNICODE, mode: str = "review"
) -> list[Text]:
    """ "Rate it: 3 hard → 1d", "4 good → 6d (Enter)", "5 easy → 15d": the scheduler's own
    intervals; without them (practice, a repeat today) it says the schedule stays."""
    parts = []
    for rating, word in RATING_WORDS.items():
        part = Text(f"{rating} {word}", style="bold")
        if rating in previews:
            part.append(f" {g.arrow} {format_interval(previews[rating])}", style="bold")
        if rating == DEFAULT_RATING:
            part.append(" (Enter)", style="bold")
        parts.append(part)
    parts[0] = Text("Rate it: ", style="bold") + parts[0]
    if not previews:
        why = "practice" if mode == "practice" else "a repeat today"
        parts.append(Text(f"{why}: the schedule stays", style="dim"))
    return parts


@lru_cache(maxsize=16)
def _answer_region(
    item: ScheduledCard,
    order: tuple[Choice, ...],
    chosen: tuple[str, ...],
    width: int,
    glyphs: Glyphs,
    links: bool,
    with_marked: bool,
) -> Region:
    """The question, the other choices, the explanation and the references, laid out once
    per card and width (scrolling only slices them)."""
    g = glyphs
    region = Region()
    card = item.card
    pad = (0, 1)
    if with_marked:
        marked = _answer_choices(item, list(order), chosen, g, True)
        region.add(lines_of(Padding(marked, (0, 0, 0, 1)), width, g))
        region.add([blank(width)])
    region.add(lines_of(Padding(Text("Question", style="bold"), pad), width, g))
    region.add(trim_blank(lines_of(Padding(_markdown(g.text(card.question)), pad), width, g)))
    others = _answer_choices(item, list(order), chosen, g, False)
    if others.row_count:
        region.add([blank(width)])
        region.add(lines_of(Padding(others, pad), width, g))
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
    return region


def answer_screen(
    item: ScheduledCard,
    order: list[Choice],
    chosen: tuple[str, ...],
    *,
    correct: bool,
    dont_know: bool,
    rating: Mapping[int, int] | None = None,
    message: str = "",
    position: int = 0,
    total: int = 0,
    elapsed_s: float = 0.0,
    mode: str = "review",
    width: int = 80,
    height: int | None = None,
    scroll: int = 0,
    glyphs: Glyphs = UNICODE,
    links: bool = False,
) -> Screenful:
    """Verdict and the marked choices at the top, the keys at the bottom, and between them
    the question, explanation and references, scrolling, with where you are in them.

    ``rating`` is given while a correct answer awaits its rating: the interval each rating
    key would give (empty when the schedule does not change).
    """
    g = glyphs
    verdict = _verdict(item, chosen, correct, dont_know, g)
    status = _status(item, position, total, elapsed_s, mode, g) if total else ""
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
        Padding(_answer_choices(item, order, chosen, g, True), (0, 0, 0, 1)), width, g
    )
    bottom: list[Line] = []
    if message:
        bottom += lines_of(Padding(Text(g.text(message), style="bold yellow"), (0, 1)), width, g)
    scroll_keys = "j/k PgUp PgDn scroll" if g.ascii else f"{g.up}{g.down} PgUp PgDn scroll"
    if rating is not None:
        bottom += _footer(list(rating_parts(rating, g, mode)), width, g)
        keys = [scroll_keys, "u choose again", "f flag", "e edit", "? keys", "q save+quit"]
        bottom += _footer(list(keys), width, g)
    else:
        keys = [scroll_keys, "u undo", "f flag", "e edit", "? keys", "q quit"]
        bottom += _footer([Text("Enter continue", style="bold"), *keys], width, g)
    with_marked = (
        height is not None and height - len(top) - len(marked) - len(bottom) - 2 < MIN_REGION + 1
    )
    if not with_marked:
        top += marked
    region = _answer_region(item, tuple(order), chosen, width, g, links, with_marked)
    probe = compose(top, region, bottom, height=height, scroll=scroll, above=[], below=[])
    above = rule_line(width, g, Text(f"{g.up} more" if probe.scroll else "", style="bold"))
    first, last = probe.scroll + 1, min(probe.scroll + probe.page, len(region.lines))
    where = f"lines {first}-{last} of {len(region.lines)}"
    if probe.max_scroll:
        more = f"more {g.down}" if probe.scroll < probe.max_scroll else "end"
        below = rule_line(width, g, Text(more, style="bold"), where)
    else:
        below = rule_line(width, g, "", "all shown" if height is not None else "")
    return compose(top, region, bottom, height=height, scroll=scroll, above=above, below=below)


HELP_ROWS = [
    ("1-9, 0", "pick that choice (select-all cards: toggle it)"),
    ("Enter", "submit the selection; rate a correct answer good (4); go on"),
    ("d", "I don't know: show the answer (quality 0)"),
    ("3 / 4 / 5", "rate a correct answer: hard or guessed / good / easy (each shows its interval)"),
    ("↑ ↓  j k", "scroll a line (a long question, the explanation)"),
    ("PgUp PgDn space", "scroll a page"),
    ("Home End", "to the top, to the end"),
    (
        "u",
        "undo the last action: an answer, a suspend, a bury or a flag (again for the one before)",
    ),
    ("s", "suspend the card until `mlcards unsuspend`"),
    ("b", "bury the card until the next study day"),
    ("f", "flag the card for editing (`mlcards flagged`); again to unflag"),
    ("e", "edit the card's deck file in $EDITOR, then re-import it"),
    ("?", "show these keys"),
    ("q", "end the session (answers given are saved; an unrated right answer as good, 4)"),
]


def help_screen(
    width: int = 80, height: int | None = None, scroll: int = 0, glyphs: Glyphs = UNICODE
) -> Screenful:
    g = glyphs
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key, meaning in HELP_ROWS:
        if g.ascii:
            key = key.replace("↑ ↓", "up down")
        table.add_row(key, meaning)
    region = Region(lines_of(table, width, g))
    top = lines_of(Text(" Keys", style="bold"), width, g)
    bottom = lines_of(Text(" any key to go back", style="dim"), width, g)
    probe = compose(top, region, bottom, height=height, scroll=scroll, above=[], below=[])
    more = ""
    if probe.max_scroll:
        more = f"more {g.down} (scroll keys)" if probe.scroll < probe.max_scroll else "end"
    above = rule_line(width, g)
    below = rule_line(width, g, Text(more, style="bold"))
    return compose(top, region, bottom, height=height, scroll=scroll, above=above, below=below)


class _Natural:
    """A screen laid out at the width it is printed at, at its natural height."""

    def __init__(self, build: Callable[[int], Screenful]) -> None:
        self.build = build

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.build(options.max_width).__rich_console__(console, options)


def render_question(
    item: ScheduledCard,
    order: list[Choice],
    *,
    position: int,
    total: int,
    elapsed_s: float = 0.0,
    selected: set[str] | None = None,
    mode: str = "review",
    message: str = "",
) -> _Natural:
    """The question screen, all of it, at the width it is printed at."""
    return _Natural(
        lambda width: question_screen(
            item,
            order,
            position=position,
            total=total,
            elapsed_s=elapsed_s,
            selected=selected,
            mode=mode,
            message=message,
            width=width,
        )
    )


def render_answer(
    item: ScheduledCard,
    order: list[Choice],
    chosen: tuple[str, ...],
    *,
    correct: bool,
    dont_know: bool,
) -> _Natural:
    """The answer screen, all of it, at the width it is printed at."""
    return _Natural(
        lambda width: answer_screen(
            item, order, chosen, correct=correct, dont_know=dont_know, width=width
        )
    )


def render_help() -> _Natural:
    return _Natural(lambda width: help_screen(width))


def render_summary(
    outcome: ReviewOutcome, next_due: date | None, today: date, left: LeftToday | None = None
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
    return Panel(table, title=title, title_align="left", border_style="green", expand=False)


def left_today_text(left: LeftToday) -> str:
    """``3 new, 2 reviews, 1 repeat`` (parts that are 0 left out)."""
    parts = [(left.new, "new", "new"), (left.reviews, "review", "reviews")]
    parts.append((left.repeats, "repeat", "repeats"))
    return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts if n)
