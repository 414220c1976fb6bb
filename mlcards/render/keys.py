"""The review screen's keys: one table from which the loop's dispatch, the footer hints and
the help screen are all made, so a key cannot do one thing and be described as another.

Each row names the keys (as ``mlcards.terminal`` reads them), the line the help screen gives
them, and what they do on each of the three screens: the question (``QUESTION``), a correct
answer awaiting its rating (``RATING``) and an answer that is saved (``ANSWER``). A use is
an (action, hint) pair: the loop runs the action; a non-empty hint is shown in the footer.
The rating keys' line (``rating_parts``) and the help screen (``help_screen``) live here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlcards import rules
from mlcards.render.glyphs import UNICODE, Glyphs
from mlcards.terminal import DOWN, END, ENTER, HOME, PAGE_DOWN, PAGE_UP, UP

if TYPE_CHECKING:  # rich is loaded where it draws: the table and hints are read before it
    from rich.text import Text

    from mlcards.render.screen import Screenful

QUESTION = "question"
RATING = "rating"
ANSWER = "answer"
SCREENS = (QUESTION, RATING, ANSWER)

RATING_WORDS = {3: "hard", 4: "good", 5: "easy"}
DEFAULT_RATING = 4
CHOICE_KEYS = "1234567890"
SCROLLS = ("line_up", "line_down", "page_up", "page_down", "top", "end")
"""The actions that only move the scrolling part (the same on every screen)."""

Use = tuple[str, str]


@dataclass(frozen=True)
class Binding:
    """Some keys, the help screen's line on them, and what they do on each screen."""

    label: str
    """How the help screen spells the keys; "" for a row folded into the one above it."""
    keys: tuple[str, ...]
    help: str = ""
    question: Use | None = None
    rating: Use | None = None
    answer: Use | None = None
    only_multiple: bool = False
    """The question screen hints it on select-all cards only (Enter submits a selection)."""
    essential: bool = False
    """Hinted even when the screen is short of room (the others are a ? away)."""

    def use(self, screen: str) -> Use | None:
        used: Use | None = getattr(self, screen)
        return used


def _everywhere(
    label: str, keys: tuple[str, ...], help: str, action: str, hint: str = ""
) -> Binding:
    """A binding that does the same on every screen."""
    use = (action, hint)
    return Binding(label, keys, help, question=use, rating=use, answer=use)


SCROLL_HINT = "{up}{down} PgUp PgDn scroll"

KEYS: tuple[Binding, ...] = (
    Binding(
        "1-9, 0",
        tuple(CHOICE_KEYS),
        "pick that choice (select-all cards: toggle it)",
        question=("choose", "{choices} {pick}"),
        essential=True,
    ),
    Binding(
        "Enter",
        (ENTER,),
        "submit the selection; rate a correct answer good (4); go on",
        question=("submit", "Enter submit"),
        rating=("rate", ""),
        answer=("continue", "Enter continue"),
        only_multiple=True,
        essential=True,
    ),
    Binding(
        "d",
        ("d",),
        "I don't know: show the answer (quality 0)",
        question=("dont_know", "d don't know"),
        essential=True,
    ),
    Binding(
        "3 / 4 / 5",
        ("3", "4", "5"),
        "rate a correct answer: hard or guessed / good / easy (the line says what each gives)",
        rating=("rate", ""),
    ),
    Binding(
        "{up} {down}  j k",
        (UP, "k"),
        "scroll a line (a long question, the explanation)",
        question=("line_up", ""),
        rating=("line_up", SCROLL_HINT),
        answer=("line_up", SCROLL_HINT),
    ),
    _everywhere("", (DOWN, "j"), "", "line_down"),
    _everywhere("PgUp PgDn space", (PAGE_UP,), "scroll a page", "page_up"),
    _everywhere("", (PAGE_DOWN, " "), "", "page_down"),
    Binding(
        "Home",
        (HOME,),
        "to the top (after answering: back to the question)",
        question=("top", ""),
        rating=("top", "Home question"),
        answer=("top", "Home question"),
    ),
    _everywhere("End", (END,), "to the end", "end"),
    Binding(
        "u",
        ("u",),
        "undo the last action: an answer, a suspend, a bury or a flag (again for the one "
        "before); a correct answer not yet rated: choose again",
        question=("undo", "u undo"),
        rating=("choose_again", "u choose again"),
        answer=("undo", "u undo"),
    ),
    Binding(
        "s", ("s",), "suspend the card until `mlcards unsuspend`", question=("suspend", "s suspend")
    ),
    Binding("b", ("b",), "bury the card until the next study day", question=("bury", "b bury")),
    _everywhere(
        "f",
        ("f",),
        "flag the card for editing, with a note on why if you like (`mlcards flagged` lists "
        "both); again to unflag",
        "flag",
        "f flag",
    ),
    _everywhere(
        "e", ("e",), "edit the card's deck file in $EDITOR, then re-import it", "edit", "e edit"
    ),
    Binding(
        "?",
        ("?",),
        "show these keys",
        question=("help", "? keys"),
        rating=("help", "? keys"),
        answer=("help", "? keys"),
        essential=True,
    ),  # fmt: skip
    Binding(
        "q",
        ("q",),
        "end the session (answers given are saved; an unrated right answer as good, 4)",
        question=("quit", "q quit"),
        rating=("quit", "q save+quit"),
        answer=("quit", "q quit"),
        essential=True,
    ),
)


def keymap(screen: str) -> dict[str, str]:
    """Key -> action on ``screen``; a key it does not name does nothing there."""
    actions: dict[str, str] = {}
    for binding in KEYS:
        used = binding.use(screen)
        if used is not None:
            actions.update(dict.fromkeys(binding.keys, used[0]))
    return actions


KEYMAPS = {screen: keymap(screen) for screen in SCREENS}


def key_range(count: int) -> str:
    """The keys of ``count`` choices: "1-4", or "1-0" for ten."""
    return f"1-{CHOICE_KEYS[count - 1]}" if count > 1 else "1"


def hints(
    screen: str,
    *,
    choices: int = 0,
    multiple: bool = False,
    ascii: bool = False,
    essential: bool = False,
) -> list[str]:
    """The footer's hints on ``screen``, in the table's order; ``essential``: only those a
    screen short of room keeps."""
    arrows = {"up": "j/", "down": "k"} if ascii else {"up": "↑", "down": "↓"}
    pick = "toggle" if multiple else "answer"
    shown: list[str] = []
    for binding in KEYS:
        used = binding.use(screen)
        if used is None or not used[1]:
            continue
        if screen == QUESTION and binding.only_multiple and not multiple:
            continue
        if essential and not binding.essential:
            continue
        hint = used[1].format(choices=key_range(choices) if choices else "", pick=pick, **arrows)
        shown.append(hint)
    return shown


def hint_rows(lengths: list[int], room: int) -> list[list[int]]:
    """Which hints (by index) go on each footer line ``room`` cells wide: in order, three
    cells (" · ") between two on a line, a line broken only between hints."""
    rows: list[list[int]] = [[]]
    used = 0
    for index, length in enumerate(lengths):
        if used and used + 3 + length > room:
            rows.append([])
            used = 0
        used += 3 + length if used else length
        rows[-1].append(index)
    return rows


def help_rows(ascii: bool = False) -> list[tuple[str, str]]:
    """(keys, what they do): the help screen, one row per binding that has a label."""
    arrows = {"up": "up", "down": "down"} if ascii else {"up": "↑", "down": "↓"}
    return [(b.label.format(**arrows), b.help) for b in KEYS if b.label]


def format_interval(days: int) -> str:
    if days < 60:
        return f"{days}d"
    if days < 365:
        return f"{days / 30:.0f}mo"
    return f"{days / 365:.1f}y"


Preview = int | tuple[int, int]
"""Days after a rating: one number, or the (fewest, most) a fuzzed deck may give."""


def format_days(days: Preview) -> str:
    """ "6d", or a fuzz range "13–17d" (each end on its own scale when they differ)."""
    if isinstance(days, int):
        return format_interval(days)
    low, high = format_interval(days[0]), format_interval(days[1])
    if low == high:
        return low
    if low[-1] == high[-1] == "d":
        return f"{low[:-1]}–{high}"
    return f"{low}–{high}"


def rating_parts(
    previews: Mapping[int, Preview], g: Glyphs = UNICODE, mode: str = "review"
) -> list[Text]:
    """ "Rate it: 3 hard → again today, then 6d · 4 good → 6d (Enter) · 5 easy → 6d, longer
    after": the scheduler's own intervals, and what else differs. Under SM-2 the three
    intervals are always equal (the next one is figured with the easiness from before the
    answer); what the rating changes is whether the card comes back today (below 4) and the
    easiness, so the intervals after this one. Without intervals (practice, a repeat today)
    it says the schedule stays."""
    from rich.text import Text

    alike = len(previews) > 1 and len(set(previews.values())) == 1
    parts = []
    for rating, word in RATING_WORDS.items():
        part = Text(f"{rating} {word}", style="bold")
        said = ["again today"] if rules.comes_back_today(rating) else []
        if rating in previews:
            days = format_days(previews[rating])
            said.append(f"then {days}" if said else days)
        if alike and rating == max(previews):
            said.append("longer after")
        if said:
            part.append(f" {g.arrow} {', '.join(said)}", style="bold")
        if rating == DEFAULT_RATING:
            part.append(" (Enter)", style="bold")
        parts.append(part)
    parts[0] = Text("Rate it: ", style="bold") + parts[0]
    if not previews:
        why = "practice" if mode == "practice" else "a repeat today"
        parts.append(Text(f"{why}: the schedule stays", style="dim"))
    return parts


def help_screen(
    width: int = 80, height: int | None = None, scroll: int = 0, glyphs: Glyphs = UNICODE
) -> Screenful:
    """Every key, from the key table the loop dispatches on."""
    from rich.table import Table
    from rich.text import Text

    from mlcards.render.screen import Region, compose, lines_of, rule_line

    g = glyphs
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key, meaning in help_rows(g.ascii):
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
