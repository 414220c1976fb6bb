"""Pieces of the review screen drawn the same way on every card, kept cheap: key footers
laid out once per hints, width and glyphs; deck Markdown, parsed only when the text has
something Markdown would read (the parser costs ~30 ms to load, before the first card); the
choices, put together from cells laid out once per text (in any order, and ahead of time).

The invariant: each piece is exactly what rich would draw without the shortcut
(``tests/unit/test_review_prepare.py`` compares them, segment for segment), and cached
lines are handed out as fresh lists, so no caller changes another's.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from mlcards.render.glyphs import Glyphs
from mlcards.render.keys import hint_rows
from mlcards.render.plain import PLAIN_MARKDOWN
from mlcards.render.screen import Line, ascii_line, layout, lines_of
from mlcards.sanitize import markdown_safe


def markdown(text: str) -> RenderableType:
    """Deck Markdown, with every control character made visible first: a deck is data.
    Text with nothing Markdown would read (``PLAIN_MARKDOWN``) is the one paragraph Markdown would
    make of it, drawn alike without loading the parser (~30 ms, before the first card)."""
    source = markdown_safe(text.strip())
    if PLAIN_MARKDOWN.fullmatch(source):
        return Text(source, justify="left")
    from rich.markdown import Markdown

    return Markdown(source)


def footer(parts: list[Text | str], width: int, g: Glyphs) -> list[Line]:
    """Key hints packed into lines, broken only between hints ("a · b · c"): laid out once
    per hints, width and glyphs (the same few footers come back on every card), each call
    handed its own lists."""
    key = tuple(p if isinstance(p, str) else (p.plain, p.style, tuple(p.spans)) for p in parts)
    lines = _FOOTERS.get((key, width, g))
    if lines is None:
        if len(_FOOTERS) >= 64:
            _FOOTERS.clear()
        lines = _FOOTERS[key, width, g] = footer_lines(parts, width, g)
    return [list(line) for line in lines]


_FOOTERS: dict[tuple[object, int, Glyphs], list[Line]] = {}


def footer_lines(parts: list[Text | str], width: int, g: Glyphs) -> list[Line]:
    """The lines of ``footer``: the hints packed by ``render.keys.hint_rows``."""
    hints = [Text(part, style="dim") if isinstance(part, str) else part for part in parts]
    lines: list[Line] = []
    for row in hint_rows([hint.cell_len for hint in hints], max(width - 2, 1)):
        text = Text()
        for index in row:
            if text.plain:
                text.append(f" {g.dot} ", style="dim")
            text.append_text(hints[index])
        lines += lines_of(Padding(text, (0, 1)), width, g)
    return lines


KEY_CELLS = 4
"""The width of the choices' key column (``[1]``, ``[x]1``)."""


def choice_lines(
    rows: Sequence[tuple[str, str, str]], width: int, g: Glyphs, indent: int
) -> list[Line]:
    """The choices, one ``(key label, text, text style)`` row each, laid out as rich's
    ``Table.grid(padding=(0, 1), expand=True)`` with a ``KEY_CELLS`` column and a ratio
    column lays them out ``width - indent`` wide, ``indent`` cells in (``Padding``): the
    columns' widths do not depend on the text, so each row is its two cells side by side,
    and each cell is laid out once per text, style and width (a card's choices cost no
    layout in another order, nor when prepared while the previous answer is read).
    Fresh lists each call."""
    room = width - indent - KEY_CELLS - 1
    lead = [Segment(" " * indent, Style.null())] if indent else []
    lines: list[Line] = []
    for label, text, style in rows:
        keys = _cell(label, "bold cyan", KEY_CELLS + 1, g, True)
        body = _cell(text, style, room, g, False)
        for index in range(max(len(keys), len(body))):
            key_part = keys[index] if index < len(keys) else [_blank(KEY_CELLS + 1)]
            body_part = body[index] if index < len(body) else [_blank(room)]
            lines.append([*lead, *key_part, *body_part])
    return lines


def choices_table(rows: Sequence[tuple[str, str, str]]) -> Table:
    """The table ``choice_lines`` lays out without rich's table (for a screen too narrow
    for the text beside the keys; ``tests/unit/test_review_prepare.py`` compares them)."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(width=KEY_CELLS, no_wrap=True)
    table.add_column(ratio=1)
    for label, text, style in rows:
        table.add_row(Text(label, style="bold cyan"), Text(text, style=style))
    return table


def prepare_choices(rows: Sequence[tuple[str, str, str]], width: int, g: Glyphs) -> None:
    """Lay out the cells of ``choice_lines(rows, width, g, 1)`` before they are shown: its
    rows in any other order are drawn from the same cells."""
    for label, text, style in rows:
        _cell(label, "bold cyan", KEY_CELLS + 1, g, True)
        _cell(text, style, width - 1 - KEY_CELLS - 1, g, False)


def _blank(width: int) -> Segment:
    return Segment(" " * width, Style.null())


@lru_cache(maxsize=256)
def _cell(text: str, style: str, width: int, g: Glyphs, key: bool) -> list[Line]:
    """One cell as the table draws it: its text padded (the key column's right padding),
    wrapped with the column's options (the key column never wraps)."""
    console, options = layout(width, g)
    cell_options = options.update(
        width=width, justify="left", no_wrap=key, overflow="ellipsis", height=None,
        highlight=False,
    )  # fmt: skip
    renderable = Padding(Text(text, style=style), (0, 1, 0, 0) if key else (0, 0, 0, 0))
    lines = console.render_lines(renderable, cell_options, style=Style.null())
    return [ascii_line(line) for line in lines] if g.ascii else lines


class Marked:
    """A choice's text with its mark after it ("✘ your choice"): on the text's last line when
    the whole mark fits there, else starting a line of its own, never cut across two."""

    GAP = "  "

    def __init__(self, text: Text, mark: Text) -> None:
        self.text, self.mark = text, mark

    def _joined(self, console: Console, width: int | None) -> Text:
        joined = self.text.copy()
        last = self.text.wrap(console, width)[-1].cell_len if width and self.text else 0
        fits = width is None or last + len(self.GAP) + self.mark.cell_len <= width
        joined.append(self.GAP if fits else "\n")
        joined.append_text(self.mark)
        return joined

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._joined(console, options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._joined(console, None))
