"""The symbols the screen draws with, in Unicode or in ASCII for a terminal whose encoding
cannot show more, user text spelt in ASCII for such a terminal, and the question box's
bottom border made of them (one layout for rich's frames and the first one).

Without rich (``render/first.py`` draws the review's first card before rich is loaded);
``render/screen.py`` builds its frames with these.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from mlcards.sanitize import terminal_safe


@dataclass(frozen=True)
class Glyphs:
    """The symbols the screen uses, in Unicode or in ASCII for a non-UTF-8 terminal."""

    right: str = "✔"
    wrong: str = "✘"
    missed: str = "○"
    arrow: str = "→"
    dot: str = "·"
    down: str = "↓"
    up: str = "↑"
    rule: str = "─"
    bullet: str = "•"
    ellipsis: str = "…"
    box: str = "╭╮╰╯│"
    ascii: bool = False

    def text(self, value: str) -> str:
        """User text as this screen can show it: never a control sequence (a deck is data),
        and ASCII on a terminal that cannot show more."""
        safe = terminal_safe(value)
        return to_ascii(safe) if self.ascii else safe


UNICODE = Glyphs()
ASCII = Glyphs("+", "x", "!", "->", "|", "v", "^", "-", "*", "...", "++++|", ascii=True)


def bottom_border(width: int, g: Glyphs, note: str) -> tuple[str, ...] | None:
    """A box's bottom border ``width`` cells wide with ``note`` (one cell a character) at its
    right, in the pieces rich draws it in, one segment each (all in the border's style): a
    segment ends where a span does, so the fill is one and the corners' own style is not
    (no fill: the corner and the note are one). None when the note does not fit."""
    middle = f" {note} " if note else ""
    fill = width - 4 - len(middle)
    if fill < 0 or "\n" in note or "\t" in note:
        return None
    head, tail = g.box[2] + g.rule, g.rule + g.box[3]
    parts = (head, g.rule * fill, middle, tail) if fill else (head + middle, tail)
    return tuple(part for part in parts if part)


def glyphs_for(encoding: str) -> Glyphs:
    return UNICODE if encoding.lower().replace("_", "-").startswith("utf") else ASCII


_ASCII_WORDS = {
    # the dashboard's and charts' drawing characters, level by level
    "░": "-",
    "▒": "+",
    "▓": "=",
    "█": "#",
    "▁": "_",
    "▂": ".",
    "▃": ",",
    "▄": "-",
    "▅": "=",
    "▆": "+",
    "▇": "*",
    "│": "|",
    "└": "+",
    "─": "-",
    "○": "o",
    "→": "->",
    "←": "<-",
    "↔": "<->",
    "⇒": "=>",
    "⇐": "<=",
    "↑": "^",
    "↓": "v",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "≈": "~",
    "∼": "~",
    "≡": "==",
    "×": "x",
    "÷": "/",
    "·": ".",
    "⋅": ".",
    "•": "*",
    "…": "...",
    "—": "--",
    "–": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "«": '"',
    "»": '"',
    "✔": "+",
    "✓": "+",
    "✘": "x",
    "✗": "x",
    "√": "sqrt",
    "∞": "inf",
    "∑": "sum",
    "∏": "prod",
    "∫": "integral",
    "∂": "d",
    "∇": "grad",
    "∈": " in ",
    "∉": " not in ",
    "⊂": " subset of ",
    "∝": " prop. to ",
    "±": "+/-",
    "°": " deg",
    "€": "EUR",
    "£": "GBP",
    "\u00a0": " ",
    "\u200b": "",
}


def to_ascii(text: str) -> str:
    """Unicode text spelt in ASCII for a terminal that cannot show more ("α" -> "alpha")."""
    if text.isascii():
        return text
    out: list[str] = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif char in _ASCII_WORDS:
            out.append(_ASCII_WORDS[char])
        else:
            out.append(_spell(char))
    return "".join(out)


@lru_cache(maxsize=1024)
def _spell(char: str) -> str:
    base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    if base:
        return base
    name = unicodedata.name(char, "")
    for prefix, case in (("GREEK SMALL LETTER ", str.lower), ("GREEK CAPITAL LETTER ", str.title)):
        if name.startswith(prefix):
            return case(name[len(prefix) :].split()[0])
    from rich.cells import cell_len  # (a character with no ASCII spelling: rare)

    return "?" * max(cell_len(char), 1)
