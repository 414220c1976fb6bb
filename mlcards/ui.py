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
from typing import TYPE_CHECKING, Any, Protocol

from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mlcards.models import Choice, ScheduledCard
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


def _header(
    item: ScheduledCard, position: int, total: int, elapsed_s: float, mode: str
) -> tuple[str, str]:
    title = item.deck_name + (f" · {item.card.title}" if item.card.title else "")
    minutes, seconds = divmod(int(elapsed_s), 60)
    kind = "practice" if mode == "practice" else "new" if item.is_new else "review"
    flags = "".join((" · flagged" if item.flagged else "", " · leech" if item.leech else ""))
    return title, f"{kind}{flags} · {position} of {total} · {minutes}:{seconds:02d}"


QUESTION_KEYS = "d don't know · u undo · s suspend · b bury · f flag · e edit · ? keys · q quit"
HELP_ROWS = [
    ("1-9, 0", "pick that choice (select-all cards: toggle it)"),
    ("Enter", "submit the selection; rate a correct answer good (4); go on"),
    ("d", "I don't know: show the answer (quality 0)"),
    ("3 / 4 / 5", "rate a correct answer: hard or guessed / good / easy"),
    ("u", "undo the last answer (again for the one before)"),
    ("s", "suspend the card until `mlcards unsuspend`"),
    ("b", "bury the card until the next study day"),
    ("f", "flag the card for editing (`mlcards flagged`)"),
    ("e", "edit the card's deck file in $EDITOR, then re-import it"),
    ("?", "show these keys"),
    ("q", "end the session (answers given are saved)"),
]


def render_help(console: Console) -> None:
    table = Table(title="Keys", title_justify="left", show_header=False, box=None)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key, meaning in HELP_ROWS:
        table.add_row(key, meaning)
    console.print(Panel(table, border_style="cyan", expand=False))
    console.print(Text(" any key to go back", style="dim"))


def render_question(
    console: Console,
    item: ScheduledCard,
    order: list[Choice],
    *,
    position: int,
    total: int,
    elapsed_s: float = 0.0,
    selected: set[str] | None = None,
    mode: str = "review",
    message: str = "",
) -> None:
    """The question panel, the numbered choices and a footer naming every key."""
    from rich.markdown import Markdown  # imported here: it costs ~30 ms; `status` needs none

    title, subtitle = _header(item, position, total, elapsed_s, mode)
    if mode == "practice":
        console.print(Text(" PRACTICE: answers are logged, your schedule is not changed", "bold"))
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
        keys = f"1-{last} toggle · Enter submit · {QUESTION_KEYS}"
    else:
        keys = f"1-{last} answer · {QUESTION_KEYS}"
    console.print(Padding(Text(keys, style="dim"), (1, 1, 0, 1)))
    if message:
        console.print(Text(f" {message}", style="bold yellow"))


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


def render_rating_prompt(console: Console, correct: bool, message: str = "") -> None:
    if message:
        console.print(Text(f" {message}", style="bold yellow"))
    if correct:
        text = " Rate it: 3 hard/guessed · 4 good (Enter) · 5 easy · u change answer"
    else:
        text = " Enter continue · u undo · f flag · q quit"
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


class CardActions(Protocol):
    """What the review screen may do to a card besides answering it (the store, in the app)."""

    def suspend(self, item: ScheduledCard) -> str: ...

    def bury(self, item: ScheduledCard) -> str: ...

    def flag(self, item: ScheduledCard) -> tuple[ScheduledCard, str]: ...

    def edit(self, item: ScheduledCard) -> tuple[ScheduledCard | None, str]: ...


LEECH_WORDS = {
    "tag": "it is now tagged as a leech (`mlcards leeches`); consider rewriting it",
    "suspend": "it is now suspended as a leech (`mlcards unsuspend` brings it back)",
}


class _Reviewer:
    """The key loop of one session; every answer reaches the journal before the next card."""

    def __init__(
        self,
        console: Console,
        session: Session,
        actions: CardActions,
        read_key: KeyReader,
        now: Callable[[], datetime],
        clear: bool,
    ) -> None:
        self.console = console
        self.session = session
        self.actions = actions
        self.read_key = read_key
        self.now = now
        self.clear = clear
        self.started = time.monotonic()
        self.message = ""

    def outcome(self, quit_early: bool) -> ReviewOutcome:
        return ReviewOutcome(self.session.answered, self.session.correct, quit_early)

    def draw_question(self, item: ScheduledCard, order: list[Choice], selected: set[str]) -> None:
        if self.clear:
            self.console.clear()
        render_question(
            self.console,
            item,
            order,
            position=self.session.answered + 1,
            total=self.session.answered + self.session.remaining,
            elapsed_s=time.monotonic() - self.started,
            selected=selected if item.card.multiple else None,
            mode=self.session.mode,
            message=self.message,
        )
        self.message = ""

    def show_help(self) -> None:
        if self.clear:
            self.console.clear()
        render_help(self.console)
        self.read_key()

    def run(self) -> ReviewOutcome:
        while (item := self.session.next()) is not None:
            step = self.card(item)
            if step == QUIT:
                return self.outcome(quit_early=True)
        return self.outcome(quit_early=False)

    def card(self, item: ScheduledCard) -> str:
        """Show one card until it is answered, set aside, or the learner quits."""
        order = self.session.choice_order(item)
        selected: set[str] = set()
        self.draw_question(item, order, selected)
        shown_at = time.monotonic()
        while True:
            key = self.read_key()
            if key == QUIT:
                return QUIT
            if key == "u":
                if self.session.undo() is None:
                    self.message = "Nothing to undo yet."
                    self.draw_question(item, order, selected)
                    continue
                self.message = "Undone: the last answer was taken back."
                return "next"
            if key in ("s", "b"):
                action = self.actions.suspend if key == "s" else self.actions.bury
                self.message = action(item)
                self.session.drop(item)
                return "next"
            if key == "f":
                item, self.message = self.actions.flag(item)
                self.session.replace_current(item)
            elif key == "e":
                edited, self.message = self.actions.edit(item)
                if edited is None:
                    self.session.drop(item)
                    return "next"
                item = edited
                self.session.replace_current(item)
                order = self.session.choice_order(item)
                selected = set()
            elif key == "?":
                self.show_help()
            elif key == DONT_KNOW:
                return self.answered(item, order, (), shown_at, dont_know=True)
            elif key in CHOICE_KEYS[: len(order)]:
                choice_id = order[CHOICE_KEYS.index(key)].id
                if not item.card.multiple:
                    return self.answered(item, order, (choice_id,), shown_at)
                selected ^= {choice_id}
            elif key == ENTER and item.card.multiple and selected:
                chosen = tuple(c.id for c in order if c.id in selected)
                return self.answered(item, order, chosen, shown_at)
            elif key != "resize":
                continue
            self.draw_question(item, order, selected)

    def answered(
        self,
        item: ScheduledCard,
        order: list[Choice],
        chosen: tuple[str, ...],
        shown_at: float,
        dont_know: bool = False,
    ) -> str:
        response_ms = int((time.monotonic() - shown_at) * 1000)
        correct = not dont_know and item.card.is_correct(set(chosen))

        def draw(message: str = "") -> None:
            if self.clear:
                self.console.clear()
            render_answer(self.console, item, order, chosen, correct=correct, dont_know=dont_know)
            render_rating_prompt(self.console, correct, message)

        draw()
        if correct:
            while (key := self.read_key()) not in RATING_KEYS:
                if key == "u":
                    self.message = "Choose again."
                    return "again"
                if key == "?":
                    self.show_help()
                    draw()
                elif key == "resize":
                    draw()
            quality = quality_for(True, rating=RATING_KEYS[key])
            self.session.answer(item, chosen, quality, response_ms, self.now())
            return "next"
        record = self.session.answer(
            item, chosen, quality_for(False, dont_know), response_ms, self.now()
        )
        message = ""
        if record.leech_action:
            message = f"This card has lapsed {item.lapses + 1} times: "
            message += LEECH_WORDS[record.leech_action]
            draw(message)
        while (key := self.read_key()) not in (ENTER, " "):
            if key == QUIT:
                return QUIT
            if key == "u":
                self.session.undo()
                self.message = "Undone: the last answer was taken back."
                return "next"
            if key == "f":
                item, message = self.actions.flag(item)
            elif key == "?":
                self.show_help()
            elif key != "resize":
                continue
            draw(message)
        return "next"


def run_review(
    console: Console,
    session: Session,
    actions: CardActions,
    read_key: KeyReader,
    now: Callable[[], datetime],
    clear: bool = True,
) -> ReviewOutcome:
    """Drive a session: draw, read keys, grade; each answer is saved before the next card."""
    return _Reviewer(console, session, actions, read_key, now, clear).run()


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


class Terminal:
    """Single keys without Enter (cbreak: no echo, Ctrl-C still interrupts).

    Calling it reads one key. A resize is reported as the key "resize" so the screen can be
    redrawn; ``pause()`` hands the terminal back in its normal mode (for an editor).
    """

    def __init__(self, fd: int, saved: list[Any]) -> None:
        self.fd = fd
        self.saved = saved
        self.resized = False

    def __call__(self) -> str:
        import select

        while True:
            if self.resized:
                self.resized = False
                return "resize"
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                break
        data = os.read(self.fd, 32)
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

    def on_resize(self, signum: int, frame: FrameType | None) -> None:
        self.resized = True

    @contextmanager
    def pause(self) -> Iterator[None]:
        import termios
        import tty

        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        try:
            yield
        finally:
            tty.setcbreak(self.fd)


@contextmanager
def terminal_keys() -> Iterator[Terminal]:
    """The review's keyboard. The terminal is restored however the block ends: normal exit,
    Ctrl-C, an exception, or SIGTERM/SIGHUP (turned into SystemExit so ``finally`` runs)."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    terminal = Terminal(fd, saved)
    previous = {sig: signal.signal(sig, _raise_exit) for sig in (signal.SIGTERM, signal.SIGHUP)}
    previous[signal.SIGWINCH] = signal.signal(signal.SIGWINCH, terminal.on_resize)
    try:
        tty.setcbreak(fd)
        yield terminal
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


__all__ = [
    "CardActions",
    "ReviewOutcome",
    "Terminal",
    "describe_due",
    "render_answer",
    "render_question",
    "render_summary",
    "run_review",
    "terminal_keys",
]
