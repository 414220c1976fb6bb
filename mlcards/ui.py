"""The review screen: rich rendering, single-key input, and the loop that ties them to a session.

Rendering functions take a Console so tests can draw into ``Console(file=io.StringIO())``;
key input is injected into ``run_review`` so the loop can be driven without a terminal.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from types import FrameType
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mlcards.models import Choice, ReviewRecord, ScheduledCard
from mlcards.session import Session, quality_for

if TYPE_CHECKING:
    from rich.markdown import Markdown

CHOICE_KEYS = "1234567890"
ENTER = "enter"
DONT_KNOW = "d"
QUIT = "q"
RATING_KEYS = {"3": 3, "4": 4, "5": 5, ENTER: 4}

KeyReader = Callable[[], str]


@dataclass
class ReviewOutcome:
    answered: int
    correct: int
    quit_early: bool


def _choice_table(
    order: list[Choice],
    *,
    selected: set[str] | None = None,
    correct: tuple[str, ...] = (),
    chosen: tuple[str, ...] = (),
    revealed: bool = False,
) -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(width=5, no_wrap=True)
    table.add_column(ratio=1)
    for key, choice in zip(CHOICE_KEYS, order, strict=False):
        label = f"[{key}]"
        if selected is not None:
            label = f"[{'x' if choice.id in selected else ' '}]{key}"
        style = ""
        marker = ""
        if revealed:
            if choice.id in correct:
                style, marker = "bold green", "  ✔ correct"
            elif choice.id in chosen:
                style, marker = "red", "  ✘ your choice"
            else:
                style = "dim"
        body = Text(choice.text.strip(), style=style)
        if marker:
            body.append(marker, style=style)
        table.add_row(Text(label, style="bold cyan" if not revealed else style), body)
    return table


def _header(item: ScheduledCard, position: int, total: int, elapsed_s: float) -> tuple[str, str]:
    title = item.deck_name + (f" · {item.card.title}" if item.card.title else "")
    minutes, seconds = divmod(int(elapsed_s), 60)
    kind = "new" if item.is_new else "review"
    return title, f"{kind} · {position} of {total} · {minutes}:{seconds:02d}"


def render_question(
    console: Console,
    item: ScheduledCard,
    order: list[Choice],
    *,
    position: int,
    total: int,
    elapsed_s: float = 0.0,
    selected: set[str] | None = None,
) -> None:
    """The question panel, the lettered choices and a footer naming every key."""
    from rich.markdown import Markdown  # imported here: it costs ~30 ms; `status` needs none

    title, subtitle = _header(item, position, total, elapsed_s)
    console.print(
        Panel(
            Markdown(item.card.question.strip()),
            title=Text(title, style="bold"),
            title_align="left",
            subtitle=subtitle,
            subtitle_align="right",
            border_style="blue",
        )
    )
    if item.card.multiple:
        console.print(Text(" Select all that apply.", style="italic"))
    console.print(_choice_table(order, selected=selected))
    last = CHOICE_KEYS[len(order) - 1]
    if item.card.multiple:
        keys = f"1-{last} toggle · Enter submit · d don't know · q quit"
    else:
        keys = f"1-{last} answer · d don't know · q quit"
    console.print(Text(f"\n {keys}", style="dim"))


def render_answer(
    console: Console,
    item: ScheduledCard,
    order: list[Choice],
    chosen: tuple[str, ...],
    *,
    correct: bool,
    dont_know: bool,
) -> None:
    """Right or wrong, the correct choice highlighted, the explanation and references."""
    from rich.markdown import Markdown

    if dont_know:
        verdict = Text(" ? Not known: here is the answer", style="bold yellow")
    elif correct:
        verdict = Text(" ✔ Correct", style="bold green")
    else:
        verdict = Text(" ✘ Wrong", style="bold red")
    console.print(verdict)
    console.print(_choice_table(order, correct=item.card.answer, chosen=chosen, revealed=True))
    parts: list[Markdown | Text] = [Markdown(item.card.explanation.strip())]
    if item.card.references:
        refs = Text("\n")
        refs.append("References\n", style="bold")
        for ref in item.card.references:
            refs.append(f"• {ref.title}\n  ")
            refs.append(ref.url, style="underline blue")
            refs.append("\n")
        parts.append(refs)
    console.print(
        Panel(Group(*parts), title="Explanation", title_align="left", border_style="magenta")
    )


def render_rating_prompt(console: Console, correct: bool) -> None:
    if correct:
        text = " Rate it: 3 hard/guessed · 4 good (Enter) · 5 easy"
    else:
        text = " Enter continue · q quit"
    console.print(Text(text, style="bold"))


def render_summary(
    console: Console, outcome: ReviewOutcome, next_due: date | None, today: date
) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Answered", str(outcome.answered))
    accuracy = f"{100 * outcome.correct / outcome.answered:.0f}%" if outcome.answered else "-"
    table.add_row("Correct", f"{outcome.correct} ({accuracy})")
    table.add_row("Next due", describe_due(next_due, today))
    title = "Session ended early" if outcome.quit_early else "Session complete"
    console.print(Panel(table, title=title, title_align="left", border_style="green", expand=False))


def describe_due(next_due: date | None, today: date) -> str:
    if next_due is None:
        return "nothing scheduled"
    days = (next_due - today).days
    if days <= 0:
        return f"today ({next_due.isoformat()})"
    if days == 1:
        return f"tomorrow ({next_due.isoformat()})"
    return f"in {days} days ({next_due.isoformat()})"


def _ask(
    console: Console,
    read_key: KeyReader,
    item: ScheduledCard,
    order: list[Choice],
    draw: Callable[[set[str] | None], None],
) -> tuple[tuple[str, ...], bool] | None:
    """Read keys until the learner answers: (chosen ids, don't know), or None for quit."""
    selected: set[str] = set()
    draw(selected if item.card.multiple else None)
    while True:
        key = read_key()
        if key == QUIT:
            return None
        if key == DONT_KNOW:
            return (), True
        if key in CHOICE_KEYS[: len(order)]:
            choice_id = order[CHOICE_KEYS.index(key)].id
            if not item.card.multiple:
                return (choice_id,), False
            selected ^= {choice_id}
            draw(selected)
        elif key == ENTER and item.card.multiple and selected:
            return tuple(c.id for c in order if c.id in selected), False


def run_review(
    console: Console,
    session: Session,
    record: Callable[[ReviewRecord], object],
    read_key: KeyReader,
    now: Callable[[], datetime],
    clear: bool = True,
) -> ReviewOutcome:
    """Drive a session: draw, read keys, grade, persist each answer before moving on."""
    started = time.monotonic()
    while (item := session.next()) is not None:
        order = session.choice_order(item)
        total = session.answered + session.remaining
        position = session.answered + 1

        def draw(
            selected: set[str] | None,
            item: ScheduledCard = item,
            order: list[Choice] = order,
            position: int = position,
            total: int = total,
        ) -> None:
            if clear:
                console.clear()
            render_question(
                console,
                item,
                order,
                position=position,
                total=total,
                elapsed_s=time.monotonic() - started,
                selected=selected,
            )

        shown_at = time.monotonic()
        answer = _ask(console, read_key, item, order, draw)
        if answer is None:
            return ReviewOutcome(session.answered, session.correct, quit_early=True)
        chosen, dont_know = answer
        response_ms = int((time.monotonic() - shown_at) * 1000)
        correct = not dont_know and item.card.is_correct(set(chosen))
        render_answer(console, item, order, chosen, correct=correct, dont_know=dont_know)
        render_rating_prompt(console, correct)
        if correct:
            rating = None
            while rating is None:
                rating = RATING_KEYS.get(read_key())
            quality = quality_for(True, rating=rating)
            record(session.answer(item, chosen, quality, response_ms, now()))
            continue
        record(session.answer(item, chosen, quality_for(False, dont_know), response_ms, now()))
        while (key := read_key()) not in (ENTER, " "):
            if key == QUIT:
                return ReviewOutcome(session.answered, session.correct, quit_early=True)
    return ReviewOutcome(session.answered, session.correct, quit_early=False)


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def terminal_keys() -> Iterator[KeyReader]:
    """Single keys without Enter (cbreak: no echo, Ctrl-C still interrupts).

    The terminal is restored however the block ends: normal exit, Ctrl-C, an exception, or
    SIGTERM/SIGHUP (turned into SystemExit so this ``finally`` runs).
    """
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    previous = {sig: signal.signal(sig, _raise_exit) for sig in (signal.SIGTERM, signal.SIGHUP)}

    def read_key() -> str:
        data = os.read(fd, 32)
        if not data:
            raise EOFError("the terminal closed")
        if data[:1] == b"\x1b":
            return "escape"
        if data[:1] in (b"\r", b"\n"):
            return ENTER
        if data[:1] == b"\x03":
            raise KeyboardInterrupt
        if data[:1] == b"\x04":
            raise EOFError("end of input")
        return data[:1].decode("ascii", "replace").lower()

    try:
        tty.setcbreak(fd)
        yield read_key
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


__all__ = [
    "ReviewOutcome",
    "describe_due",
    "render_answer",
    "render_question",
    "render_summary",
    "run_review",
    "terminal_keys",
]
