"""Pieces of the review screen drawn the same way on every card, kept cheap: key footers
laid out once per hints, width and glyphs, and deck Markdown, parsed only when the text has
something Markdown would read (the parser costs ~30 ms to load, before the first card).

The invariant: each piece is exactly what rich would draw without the shortcut
(``tests/unit/test_review_prepare.py`` compares them), and a cached footer is handed out as
fresh lists, so no caller changes another's.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.padding import Padding
from rich.text import Text

from mlcards.render.glyphs import Glyphs
from mlcards.render.plain import PLAIN_MARKDOWN
from mlcards.render.screen import Line, lines_of
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
