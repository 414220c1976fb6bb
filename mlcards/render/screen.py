"""Full-screen frames: renderables cut into lines of exactly the terminal's width, composed
into a screen of exactly its height, with an ASCII fallback for terminals that cannot show
Unicode.

A ``Screenful`` is a value: its lines, which of them scroll, and where the scrolling stands.
The review loop prints it; nothing here prints.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.control import Control
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from mlcards.render.glyphs import UNICODE, Glyphs, bottom_border

Line = list[Segment]

MIN_REGION = 3
"""Fewest lines a scrolling region gets before the fixed parts give way to it."""


_ASCII_CELLS = str.maketrans(
    {
        **dict.fromkeys("─━═╌╍┄┅┈┉▔▁", "-"),
        **dict.fromkeys("│┃║╎╏┆┇┊┋▌▐▏▕", "|"),
        **dict.fromkeys("╭╮╰╯┌┐└┘├┤┬┴┼╔╗╚╝╠╣╦╩╬┏┓┗┛┣┫┳┻╋", "+"),
        "•": "*",
        "·": ".",
        "…": ".",
        "█": "#",
        "▒": "#",
        "░": ".",
        "\u00a0": " ",
    }
)


def ascii_line(line: Line) -> Line:
    """The same line in ASCII, cell for cell (so the layout stays as it was)."""
    out: Line = []
    for segment in line:
        text = segment.text
        if segment.control or text.isascii():
            out.append(segment)
            continue
        text = text.translate(_ASCII_CELLS)
        if not text.isascii():
            text = "".join(c if c.isascii() else "?" * cell_len(c) for c in text)
        out.append(Segment(text, segment.style, segment.control))
    return out


_CONSOLES: dict[bool, Console] = {}


def _console(ascii_only: bool) -> Console:
    if ascii_only not in _CONSOLES:
        _CONSOLES[ascii_only] = Console(
            file=io.StringIO(),
            width=80,
            height=24,
            color_system="truecolor",
            force_terminal=False,
            legacy_windows=False,
            highlight=False,
            emoji=False,
            markup=False,
        )
    return _CONSOLES[ascii_only]


def layout(width: int, glyphs: Glyphs = UNICODE) -> tuple[Console, ConsoleOptions]:
    """The console and options ``lines_of`` lays a renderable out with."""
    console = _console(glyphs.ascii)
    options = console.options.update(width=max(width, 1), height=None)
    if glyphs.ascii:
        options = options.copy()
        options.encoding = "ascii"
    return console, options


def lines_of(renderable: RenderableType, width: int, glyphs: Glyphs = UNICODE) -> list[Line]:
    """``renderable`` laid out ``width`` cells wide, each line padded to exactly ``width``."""
    console, options = layout(width, glyphs)
    lines = console.render_lines(renderable, options, pad=True)
    return [ascii_line(line) for line in lines] if glyphs.ascii else lines


def one_line(text: Text, width: int, glyphs: Glyphs = UNICODE) -> Line:
    """``lines_of(text, width, glyphs)[0]`` for a one-line ``text`` exactly ``width`` cells
    wide (a border, a rule), without rich's wrapping: a line that already fits is wrapped
    into itself, so only the joining of its lines (which turns its base style into a span)
    is left to do. Any other text goes the long way."""
    plain = text.plain
    if "\n" in plain or "\t" in plain or len(plain) > width or text.cell_len != width:
        return lines_of(text, width, glyphs)[0]
    line = list(Text("\n").join([text]).render(_console(glyphs.ascii)))
    return ascii_line(line) if glyphs.ascii else line


def blank(width: int) -> Line:
    return [Segment(" " * width)]


def is_blank(line: Line) -> bool:
    return not "".join(s.text for s in line if not s.control).strip()


def trim_blank(lines: list[Line]) -> list[Line]:
    """Without the empty lines at either end (Markdown adds them around blocks)."""
    start, end = 0, len(lines)
    while start < end and is_blank(lines[start]):
        start += 1
    while end > start and is_blank(lines[end - 1]):
        end -= 1
    return lines[start:end]


def url_lines(
    url: str, width: int, *, style: str = "cyan", links: bool = False
) -> tuple[list[Line], int]:
    """A URL whole, from the first column: cut into ``width``-cell pieces that the terminal
    joins again (no line break between them), so selecting it copies one unbroken URL.
    Returns the lines and how many of them continue onto the next one."""
    link = url if links and urlsplit(url).scheme in ("http", "https") else None
    segment_style = Style.parse(style) + Style(link=link) if link else Style.parse(style)
    pieces = [url[i : i + width] for i in range(0, len(url), width)] or [""]
    lines = [[Segment(p, segment_style), Segment(" " * (width - len(p)))] for p in pieces]
    return lines, len(pieces) - 1


@dataclass
class Region:
    """Lines that scroll, and which of them the terminal continues without a line break."""

    lines: list[Line] = field(default_factory=list)
    soft: set[int] = field(default_factory=set)

    def add(self, lines: Iterable[Line], continued: int = 0) -> None:
        start = len(self.lines)
        self.lines.extend(lines)
        self.soft.update(range(start, start + continued))


@dataclass
class Screenful:
    """One screen: exactly ``height`` lines (unless laid out at its natural height), and
    where its scrolling region stands."""

    lines: list[Line]
    soft: frozenset[int] = frozenset()
    scroll: int = 0
    max_scroll: int = 0
    page: int = 0
    home: bool = True
    """Drawn over the whole screen from its top-left corner (the review); False prints it
    as ordinary output."""

    @property
    def text(self) -> str:
        """What a person sees, as plain text (for tests and screenshots)."""
        return "\n".join("".join(s.text for s in line if not s.control) for line in self.lines)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        positioned = self.home and console.is_terminal and not console.is_dumb_terminal
        if positioned:
            yield Control.home()
        last = len(self.lines) - 1
        for index, line in enumerate(self.lines):
            yield from line
            if index < last and not (positioned and index in self.soft):
                yield Segment.line()
        if not positioned:
            yield Segment.line()  # a renderable ends its last line; a frame must not scroll


def printed(screen: object, view: Screenful) -> str | None:
    """What ``screen.print(view, end="", crop=False)`` writes to ``screen.file``, made
    without writing it (rich's ``capture``), for a frame laid out ahead of its turn; None
    unless ``screen`` is a rich Console that writes each print whole as it is made (not one
    that records, is quiet, or draws in a notebook or a legacy Windows console)."""
    if not isinstance(screen, Console) or screen.record or screen.quiet:
        return None
    if screen.is_jupyter or screen.legacy_windows:
        return None
    with screen.capture() as captured:
        screen.print(view, end="", crop=False)
    return captured.get()


def write_printed(screen: object, text: str) -> None:
    """Write what ``printed`` made, as the Console's ``print`` would have written it."""
    out = cast(Console, screen).file
    out.write(text)
    out.flush()


def compose(
    top: Sequence[Line],
    region: Region,
    bottom: Sequence[Line],
    *,
    height: int | None,
    scroll: int,
    above: Line | None = None,
    below: Line | None = None,
    filler: Line | None = None,
    shrink: bool = False,
) -> Screenful:
    """Fixed ``top`` and ``bottom`` around the scrolling ``region`` (between the optional
    ``above`` and ``below`` border lines), cut to ``height``; ``None`` shows all of it.
    A region shorter than its room is padded with ``filler`` lines, or with ``shrink`` is
    kept short and the screen padded below ``bottom``."""
    borders = (above is not None) + (below is not None)
    total = len(region.lines)
    width = sum(s.cell_length for s in (top or bottom or region.lines or [[]])[0])
    page = total if height is None else max(height - len(top) - len(bottom) - borders, 1)
    spare = 0
    if shrink and total < page:
        spare, page = page - max(total, 1), max(total, 1)
    max_scroll = max(total - page, 0)
    scroll = min(max(scroll, 0), max_scroll)
    shown = region.lines[scroll : scroll + page]
    shown += [filler or blank(width)] * (page - len(shown))
    lines = list(top)
    if above is not None:
        lines.append(above)
    offset = len(lines)
    lines += shown
    soft = {offset + i - scroll for i in region.soft if scroll <= i < scroll + page - 1}
    if below is not None:
        lines.append(below)
    lines += bottom
    lines += [blank(width)] * spare
    if height is not None:
        lines = lines[:height]
    return Screenful(lines, frozenset(soft), scroll, max_scroll, page, home=height is not None)


def rule_line(
    width: int,
    glyphs: Glyphs,
    left: Text | str = "",
    right: Text | str = "",
    style: str = "dim",
) -> Line:
    """A horizontal rule with a label at each end: ``── left ─────── right ──``."""
    left_text = Text(left) if isinstance(left, str) else left
    right_text = Text(right) if isinstance(right, str) else right
    lead = glyphs.rule * 2
    line = Text(lead, style=style)
    if left_text.plain:
        line.append(" ")
        line.append_text(left_text)
        line.append(" ")
    tail = Text()
    if right_text.plain:
        tail.append(" ")
        tail.append_text(right_text)
        tail.append(" ")
    tail.append(lead, style=style)
    fill = width - line.cell_len - tail.cell_len
    if fill < 1:
        tail = Text(lead, style=style)
        fill = width - line.cell_len - tail.cell_len
    line.append(glyphs.rule * max(fill, 0), style=style)
    line.append_text(tail)
    line.truncate(width)
    return one_line(line, width, glyphs)


def box_line(
    width: int,
    glyphs: Glyphs,
    top: bool,
    left: Text | None = None,
    right: Text | None = None,
    style: str = "blue",
) -> Line:
    """A box's top or bottom border, with a title at the left and a note at the right."""
    corners = glyphs.box[0:2] if top else glyphs.box[2:4]
    corner_left, corner_right = corners[0], corners[1]
    inner = width - 2
    line = Text(corner_left + glyphs.rule, style=style)
    room = inner - 2
    if left is not None and left.plain:
        label = left.copy()
        label.truncate(max(room - 2, 1), overflow="ellipsis")
        line.append(" ")
        line.append_text(label)
        line.append(" ")
    tail = Text()
    if right is not None and right.plain:
        tail.append(" ")
        tail.append_text(right)
        tail.append(" ")
    tail.append(glyphs.rule + corner_right, style=style)
    if line.cell_len + tail.cell_len > width:
        tail = Text(glyphs.rule + corner_right, style=style)
    line.append(glyphs.rule * max(width - line.cell_len - tail.cell_len, 0), style=style)
    line.append_text(tail)
    line.truncate(width)
    return one_line(line, width, glyphs)


def bottom_line(width: int, glyphs: Glyphs, note: str, style: str = "blue") -> Line:
    """``box_line(width, glyphs, False, None, Text(note), style)``, the box's bottom border
    with an unstyled note (it changes on every card), made as the segments rich makes of
    it (``glyphs.bottom_border``); a note that does not fit, or whose characters are not one
    cell each, the long way."""
    parts = bottom_border(width, glyphs, note) if cell_len(note) == len(note) else None
    if parts is None:
        return box_line(width, glyphs, False, None, Text(note), style)
    color = _console(glyphs.ascii).get_style(style)
    line = [Segment(part, color) for part in parts]
    return ascii_line(line) if glyphs.ascii else line


def boxed(lines: Iterable[Line], width: int, glyphs: Glyphs, style: str = "blue") -> list[Line]:
    """Lines ``width - 4`` wide between the box's sides."""
    side = Segment(glyphs.box[4], Style.parse(style))
    return [[side, Segment(" "), *line, Segment(" "), side] for line in lines]
