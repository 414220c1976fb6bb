"""``mlcards cards`` (a table of cards) and ``mlcards show`` (one card's whole story), as
renderables. Nothing here prints.

Every text from a deck reaches rich as ``Text`` after ``terminal_safe``: a deck is data. The
table fits the width it is given (80 and 60 columns are tested): the title column goes first
when room runs short, so that keys stay whole; only what still does not fit ends in an
ellipsis rather than wrap.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from mlcards.records import BrowsedCard, HistoryEntry
from mlcards.render.keys import format_interval
from mlcards.sanitize import markdown_safe, terminal_safe
from mlcards.wording import counted

TITLE_FROM = 72
"""The narrowest width that still shows the title column."""
MIN_TITLE = 16
"""A title column narrower than this is left out, so the keys keep their room."""

RIGHT, WRONG = "✓", "✗"


def _days(day: date | None, today: date) -> str:
    """A day relative to today, short: today, +3d, -12d."""
    if day is None:
        return "-"
    delta = (day - today).days
    return "today" if delta == 0 else f"{delta:+d}d"


def _first_words(card: BrowsedCard) -> str:
    text = card.card.title or card.card.question
    return terminal_safe(" ".join(text.split()))


def preview_line(card: BrowsedCard, width: int) -> str:
    """A card as a card action names it before asking: its key and first words, cut to
    ``width`` cells (a wide character takes two) with an ellipsis where words were cut."""
    line = Text(f"{terminal_safe(card.key)}  {_first_words(card)}")
    line.truncate(width, overflow="ellipsis")
    return line.plain


def _memory(card: BrowsedCard, fsrs: bool) -> str:
    """EF on SM-2 decks, stability/difficulty on FSRS decks; "-" for a new card."""
    if fsrs:
        if card.stability is None or card.difficulty is None:
            return "-"
        return f"{card.stability:.0f}/{card.difficulty:.1f}"
    return f"{card.easiness:.2f}" if card.reviewed else "-"


def _last(card: BrowsedCard, today: date) -> Text:
    if card.last_day is None:
        return Text("-")
    delta = (today - card.last_day).days
    when = "today" if delta <= 0 else f"{delta}d ago"
    mark = Text(RIGHT, style="green") if card.last_correct else Text(WRONG, style="red")
    return mark + Text(f" {when}")


def cards_table(
    cards: Sequence[BrowsedCard],
    today: date,
    fsrs_decks: frozenset[str] = frozenset(),
    width: int = 80,
    more: bool = False,
) -> RenderableType:
    """One row per card: key, title (or the question's first words), stage, due, interval,
    EF (S/D on FSRS decks), lapses, the last answer; and a count under it."""
    if not cards:
        return Text("No cards match.")
    any_fsrs = any(c.deck_id in fsrs_decks for c in cards)
    all_fsrs = all(c.deck_id in fsrs_decks for c in cards)
    memory = "S/D" if all_fsrs else "EF|S/D" if any_fsrs else "EF"
    heads = ["Stage", "Due", "Ivl", memory, "Lps", "Last"]
    keys: list[tuple[str, str]] = []
    rows: list[list[str | Text]] = []
    for card in cards:
        marks = ("!" if card.suspended else "") + ("*" if card.flagged else "")
        keys.append((terminal_safe(card.key), marks))
        rows.append(
            [
                card.stage,
                _days(card.due, today),
                format_interval(card.interval) if card.reviewed else "-",
                _memory(card, card.deck_id in fsrs_decks),
                str(card.lapses),
                _last(card, today),
            ]
        )
    widths = [max(len(h), *(_width(r[i]) for r in rows)) for i, h in enumerate(heads)]
    longest = max(max(cell_len(k) + len(m) for k, m in keys), len("Card"))

    def room(columns: int) -> int:
        return max(12, width - 1 - sum(widths) - 2 * (columns - 1))

    # A card's key is what `mlcards show` and the card actions take: it is shown whole when it
    # fits, before any title; only a key wider than the whole row is cut.
    show_title = width >= TITLE_FROM and room(len(heads) + 2) - longest >= MIN_TITLE
    free = room(len(heads) + (2 if show_title else 1))
    key_width = min(longest, free)
    sizes = [key_width, *([free - key_width] if show_title else []), *widths]
    right = [False, *([False] if show_title else []), *(h not in ("Stage", "Last") for h in heads)]
    names = ["Card", *(["Title"] if show_title else []), *heads]
    lines = [_line([Text(n, style="bold") for n in names], sizes, right)]
    lines.append(Text("─" * (sum(sizes) + 2 * (len(sizes) - 1))))
    for card, (key, marks), row in zip(cards, keys, rows, strict=True):
        title = [_first_words(card)] if show_title else []
        lines.append(_line([_key_cell(key, marks, key_width), *title, *row], sizes, right))
    count = counted(len(cards), "card")
    if more:
        count += " shown (--limit); more match"
    legend = "! suspended, * flagged. Due and Last in days from today."
    body = Text("\n", no_wrap=True, overflow="crop").join(lines)  # one renderable: quick
    return Group(body, Text(count), Text(legend, style="dim"))


def _key_cell(key: str, marks: str, width: int) -> str | Text:
    """A card's key and its marks in ``width`` cells: a key too long is cut, never its
    marks (a cut key still says the card is suspended or flagged), and the deck id before
    the card id (the cards of one deck listed together stay told apart)."""
    if cell_len(key) + len(marks) <= width:
        return key + marks
    room = max(1, width - len(marks))
    deck, slash, card = key.partition("/")
    if slash:
        deck_room = max(min(cell_len(deck), 4), room - 1 - cell_len(card), room // 3)
        if deck_room < cell_len(deck):
            deck = _cut(deck, deck_room).plain
        key = f"{deck}/{card}"
    return _cut(key, room).append(marks)


def _cut(text: str, cells: int) -> Text:
    cut = Text(text)
    cut.truncate(max(1, cells), overflow="ellipsis")
    return cut


def _width(cell: str | Text) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(cell)


def _line(cells: Sequence[str | Text], sizes: Sequence[int], right: Sequence[bool]) -> Text:
    """One row of the card list, each cell cut (with an ellipsis) or padded to its width.
    Rows are plain lines rather than a rich Table: a table lays out every row, which took
    seconds for a few thousand cards; plain cells are strings, a Text only where a style is
    (about a third less time again at 2,700 cards)."""
    line = Text(no_wrap=True, overflow="crop")
    for index, (cell, size, to_right) in enumerate(zip(cells, sizes, right, strict=True)):
        if index:
            line.append("  ")
        width = _width(cell)
        if width > size:
            cell = cell.copy() if isinstance(cell, Text) else Text(cell)
            cell.truncate(size, overflow="ellipsis")
            width = cell.cell_len
        pad = " " * (size - width)
        if to_right:
            line.append(pad)
        line.append(cell)
        if not to_right:
            line.append(pad)
    line.rstrip()
    return line


def _section(title: str) -> Text:
    return Text(title, style="bold")


def _markdown(text: str) -> RenderableType:
    """Deck Markdown as the review screen draws it, every control character made visible
    first (a deck is data)."""
    from rich.markdown import Markdown  # here: it costs ~30 ms, and only ``show`` needs it

    return Markdown(markdown_safe(text.strip()))


def _grid(columns: int) -> Table:
    """Label-and-value pairs side by side: labels dim, values wrapping in their own column
    (so a long one is indented under itself, never under the label)."""
    table = Table.grid(padding=(0, 2, 0, 0))
    for _ in range(columns):
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")
    return table


def _state_pairs(
    card: BrowsedCard, scheduler: str, leech: bool, today: date
) -> list[tuple[str, Text]]:
    pairs = [("Stage", Text(card.stage)), ("Scheduler", Text(scheduler))]
    if card.reviewed:
        due = card.due.isoformat() if card.due else "-"
        pairs += [
            ("Due", Text(f"{due} ({_days(card.due, today)})")),
            ("Interval", Text(format_interval(card.interval))),
        ]
        if scheduler == "fsrs" and card.stability is not None and card.difficulty is not None:
            pairs += [
                ("Stability", Text(f"{card.stability:.1f}d")),
                ("Difficulty", Text(f"{card.difficulty:.2f}")),
            ]
        else:
            pairs.append(("EF", Text(f"{card.easiness:.2f}")))
        pairs.append(("Repetitions", Text(str(card.repetitions))))
    lapses = Text(str(card.lapses))
    if leech:
        lapses += Text(" (leech)", style="red")
    pairs.append(("Lapses", lapses))
    if card.flagged:
        pairs.append(("Flagged", Text(terminal_safe(card.flag_note or "yes"), style="yellow")))
    if card.suspended:
        pairs.append(("Suspended", Text("yes", style="yellow")))
    if card.buried_until and card.buried_until > today:
        pairs.append(("Buried until", Text(card.buried_until.isoformat())))
    if card.retired:
        pairs.append(("Retired", Text("gone from its file; history kept")))
    pairs.append(("Added", Text(card.added_at[:10])))
    return pairs


def _state(card: BrowsedCard, scheduler: str, leech: bool, today: date, width: int) -> Table:
    """The state as a table of labels and values: two pairs a row where they fit."""
    pairs = _state_pairs(card, scheduler, leech, today)
    columns = 2 if width >= 56 else 1
    table = _grid(columns)
    for start in range(0, len(pairs), columns):
        row: list[RenderableType] = []
        for label, value in pairs[start : start + columns]:
            row += [Text(label), value]
        table.add_row(*row)
    return table


def _chosen(entry: HistoryEntry, texts: dict[str, str]) -> Text:
    if not entry.chosen:
        return Text("(I don't know)", style="dim")
    return Text("; ".join(terminal_safe(" ".join(texts.get(c, c).split())) for c in entry.chosen))


def _history(history: Sequence[HistoryEntry], texts: dict[str, str], width: int) -> Table:
    """One row per answer; the chosen choices' text takes the room left and wraps."""
    narrow = width < 72
    table = Table(
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
        show_edge=False,
        collapse_padding=True,
    )
    table.add_column("Day", no_wrap=True)
    table.add_column("Mode", no_wrap=True)
    table.add_column("Chosen", overflow="fold", min_width=8, ratio=1)
    table.add_column("", no_wrap=True)
    table.add_column("Q", no_wrap=True, justify="right")
    table.add_column("Ivl", no_wrap=True, justify="right")
    table.add_column("Time", no_wrap=True, justify="right")
    for entry in history:
        mode = "repeat" if entry.same_day_repeat else entry.mode
        if not entry.counted and entry.mode == "review":
            mode = "old"  # before the card's answer changed: no longer counts
        if narrow and mode == "practice":
            mode = "pract."
        mark = Text(RIGHT, style="green") if entry.correct else Text(WRONG, style="red")
        day = entry.study_day.isoformat()
        table.add_row(
            day[2:] if narrow else day,
            mode,
            _chosen(entry, texts),
            mark,
            str(entry.quality),
            format_interval(entry.interval) if entry.mode == "review" else "-",
            f"{entry.response_ms / 1000:.1f}s",
        )
    return table


def _choices(card: BrowsedCard) -> Table:
    """The choices in file order, the right ones marked; a long choice wraps under itself."""
    table = Table.grid(padding=(0, 1, 0, 0))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, justify="right")
    table.add_column(overflow="fold")
    for index, choice in enumerate(card.card.choices, start=1):
        right = choice.id in card.card.answer
        table.add_row(
            Text(RIGHT, style="bold green") if right else Text(" "),
            Text(f"{index}.", style="bold" if right else ""),
            Text(terminal_safe(choice.text.strip()), style="green" if right else ""),
        )
    return table


def card_story(
    card: BrowsedCard,
    scheduler: str,
    leech: bool,
    history: Sequence[HistoryEntry],
    today: date,
    width: int = 80,
) -> Group:
    """The card as the learner sees it (right choices marked), its state, its history:
    one renderable for the pager, fitting ``width`` (60 and 80 columns are tested)."""
    parts: list[RenderableType] = []
    heading = Text(terminal_safe(card.key), style="bold")
    if card.card.title:
        heading += Text("  " + terminal_safe(card.card.title))
    parts.append(heading)
    where = f"{card.path}:{card.card.line}" if card.path else "(no file)"
    parts.append(Text(terminal_safe(f"{card.deck_name} — {where}"), style="dim"))
    multiple = " (select all that apply)" if card.card.multiple else ""
    parts += [Text(""), _markdown(card.card.question), Text("")]
    if multiple:
        parts.append(Text(multiple.strip(" ()").capitalize() + ":", style="dim"))
    parts.append(_choices(card))
    if card.card.explanation.strip():
        parts += [Text(""), _section("Explanation"), _markdown(card.card.explanation)]
    if card.card.references:
        parts += [Text(""), _section("References")]
        for ref in card.card.references:
            if ref.title:
                parts.append(Text(terminal_safe(f"- {ref.title}")))
            parts.append(Text(terminal_safe(ref.url), style="cyan", overflow="fold"))
    if card.card.tags:
        parts.append(Text(""))
        parts.append(Text(terminal_safe("Tags: " + ", ".join(card.card.tags)), style="dim"))
    parts += [Text(""), _section("State"), _state(card, scheduler, leech, today, width)]
    parts += [Text(""), _section(f"History ({len(history)} answers)")]
    if history:
        texts = {c.id: c.text for c in card.card.choices}
        parts.append(_history(history, texts, width))
    else:
        parts.append(Text("Never answered."))
    return Group(_Trimmed(Group(*parts)))


class _Trimmed:
    """A renderable without the spaces rich pads its lines with (Markdown fills every line
    to the width): piped into a file or ``grep``, lines end where their text does."""

    def __init__(self, inner: RenderableType) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in console.render_lines(self.inner, options, pad=False):
            while line and not line[-1].control and not line[-1].text.rstrip():
                line.pop()
            if line and not line[-1].control:
                line[-1] = Segment(line[-1].text.rstrip(), line[-1].style)
            yield from line
            yield Segment.line()
