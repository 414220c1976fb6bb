"""The review screen's pieces, as renderables: question, answer, rating prompt, keys, summary.

Each function returns a value and prints nothing; the review loop decides when to show it.
User text goes in as ``Text`` or ``Markdown``, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mlcards.models import Choice, ScheduledCard

if TYPE_CHECKING:
    from rich.markdown import Markdown

CHOICE_KEYS = "1234567890"


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


def render_help() -> Group:
    table = Table(title="Keys", title_justify="left", show_header=False, box=None)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key, meaning in HELP_ROWS:
        table.add_row(key, meaning)
    return Group(
        Panel(table, border_style="cyan", expand=False), Text(" any key to go back", style="dim")
    )


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
) -> Group:
    """The question panel, the numbered choices and a footer naming every key."""
    from rich.markdown import Markdown  # imported here: it costs ~30 ms; `status` needs none

    title, subtitle = _header(item, position, total, elapsed_s, mode)
    parts: list[RenderableType] = []
    if mode == "practice":
        parts.append(Text(" PRACTICE: answers are logged, your schedule is not changed", "bold"))
    parts.append(
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
        parts.append(Text(" Select all that apply.", style="italic"))
    parts.append(_choice_table(order, selected=selected))
    last = CHOICE_KEYS[len(order) - 1]
    if item.card.multiple:
        keys = f"1-{last} toggle · Enter submit · {QUESTION_KEYS}"
    else:
        keys = f"1-{last} answer · {QUESTION_KEYS}"
    parts.append(Padding(Text(keys, style="dim"), (1, 1, 0, 1)))
    if message:
        parts.append(Text(f" {message}", style="bold yellow"))
    return Group(*parts)


def render_answer(
    item: ScheduledCard,
    order: list[Choice],
    chosen: tuple[str, ...],
    *,
    correct: bool,
    dont_know: bool,
) -> Group:
    """Right or wrong, the correct choice highlighted, the explanation and references."""
    from rich.markdown import Markdown

    if dont_know:
        verdict = Text(" ? Not known: here is the answer", style="bold yellow")
    elif correct:
        verdict = Text(" ✔ Correct", style="bold green")
    else:
        verdict = Text(" ✘ Wrong", style="bold red")
    parts: list[Markdown | Text] = [Markdown(item.card.explanation.strip())]
    if item.card.references:
        refs = Text("\n")
        refs.append("References\n", style="bold")
        for ref in item.card.references:
            refs.append(f"• {ref.title}\n  ")
            refs.append(ref.url, style="underline blue")
            refs.append("\n")
        parts.append(refs)
    return Group(
        verdict,
        _choice_table(order, correct=item.card.answer, chosen=chosen, revealed=True),
        Panel(Group(*parts), title="Explanation", title_align="left", border_style="magenta"),
    )


def render_rating_prompt(correct: bool, message: str = "") -> Group:
    parts: list[RenderableType] = []
    if message:
        parts.append(Text(f" {message}", style="bold yellow"))
    if correct:
        text = " Rate it: 3 hard/guessed · 4 good (Enter) · 5 easy · u change answer"
    else:
        text = " Enter continue · u undo · f flag · q quit"
    parts.append(Text(text, style="bold"))
    return Group(*parts)


def describe_due(next_due: date | None, today: date) -> str:
    if next_due is None:
        return "nothing scheduled"
    days = (next_due - today).days
    if days <= 0:
        return f"today ({next_due.isoformat()})"
    if days == 1:
        return f"tomorrow ({next_due.isoformat()})"
    return f"in {days} days ({next_due.isoformat()})"


def render_summary(outcome: ReviewOutcome, next_due: date | None, today: date) -> Panel:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Answered", str(outcome.answered))
    accuracy = f"{100 * outcome.correct / outcome.answered:.0f}%" if outcome.answered else "-"
    table.add_row("Correct", f"{outcome.correct} ({accuracy})")
    table.add_row("Next due", describe_due(next_due, today))
    title = "Session ended early" if outcome.quit_early else "Session complete"
    return Panel(table, title=title, title_align="left", border_style="green", expand=False)
