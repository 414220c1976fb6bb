"""``mlcards status`` as plain text for a pipe or a file, without importing rich (about a
third of the command's time), and the status layout both renderers share.

The invariant: ``status_text`` returns exactly the bytes a rich Console writing to a
non-terminal prints for ``render.text.status_table`` (no colours, no styles there), or None
wherever that is not certain: a terminal or a forced one, text that is not plain printable
ASCII, a column rich would shrink or wrap, a word longer than the line. The caller then
uses rich. ``tests/unit/test_plain_status.py`` compares the two on generated tables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import date

from mlcards.clock import describe_due
from mlcards.sanitize import terminal_safe
from mlcards.wording import counted

TYPE_CHECKING = False
if TYPE_CHECKING:  # (records load where they are made: see records.py)
    from mlcards.records import DeckStatus

STATUS_COLUMNS = (
    ("Left", "left_today"),
    ("Due", "reviews_today"),
    ("Lrn", "learning"),
    ("New", "new_today"),
    ("Unseen", "new"),
    ("Susp", "suspended"),
    ("Cards", "cards"),
)
NO_DECKS = (
    "No decks yet. Run `mlcards review` to start with the bundled decks, or",
    "`mlcards import PATH` to add your own (`mlcards import --bundled` adds the",
    "bundled decks at any time).",
)
PLAIN_MARKDOWN = re.compile(r"[A-Za-z][A-Za-z0-9,.?!'\";:%()/=+ -]*")
"""One line starting with a letter, without the characters of emphasis, code, links,
escapes, HTML or entities: CommonMark makes it a single paragraph of exactly this text
(``render.pieces.markdown`` and ``render.first`` draw it so, without the parser)."""
_WORD = re.compile(r"\s*\S+\s*")
_TRAILING_SPACE = re.compile(r"\s+$")


def status_layout(decks: Sequence[DeckStatus], width: int) -> tuple[int, int, bool]:
    """The id column's width, the room left for names, and whether names are shown: the
    id is what ``--deck`` takes, so it is never cut; names are."""
    numbers = sum(len(name) + 2 for name, _ in STATUS_COLUMNS) + 2
    ids = min(max(len("Deck id"), *(len(d.id) for d in decks)), max(12, width - numbers))
    room = width - numbers - ids - 2
    return ids, room, room >= 12


def status_notes(
    decks: Sequence[DeckStatus], today: date, next_due: date | None, ahead: tuple[int, int] | None
) -> list[str]:
    """The lines under the table: the legend, the next review, the days ahead."""
    retired = sum(d.retired for d in decks)
    legend = (
        "Left: to review today (Due + Lrn + New). Due, New: what today's limits still show. "
        "Lrn: answered wrong today, back today. Unseen: never reviewed. Susp: suspended"
    )
    left = sum(d.left_today for d in decks)
    when = f"{counted(left, 'card')} left today" if left else describe_due(next_due, today)
    notes = [legend + (f"; {retired} retired." if retired else "."), f"Next review: {when}"]
    if ahead is not None:
        notes.append(f"Due tomorrow: {ahead[0]}; over the next 7 days: {ahead[1]}")
    return notes


def wrap_id(text: str, width: int) -> str:
    """An id too long for its column, broken after a ``-`` (never inside a word unless a
    word alone is longer than the column): every character of it still shows."""
    lines: list[str] = []
    for part in text.replace("-", "-\n").splitlines():
        while len(part) > width:  # one word longer than the column
            lines.append(part[:width])
            part = part[width:]
        if lines and len(lines[-1]) + len(part) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return "\n".join(lines)


def pipe_width() -> int | None:
    """The width rich's Console takes when stdout is not a terminal (COLUMNS, else the
    first of stdin, stdout, stderr that is a terminal, else 80), or None when rich would
    write styles or treat the stream as a terminal anyway."""
    env = os.environ
    if os.name == "nt" or "FORCE_COLOR" in env or "TTY_COMPATIBLE" in env:
        return None
    columns = env.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (AttributeError, ValueError, OSError):
            continue
    return 80


def wrap_text(text: str, width: int) -> list[str] | None:
    """``text`` broken into lines as rich wraps a Text (words keep their trailing space
    where it fits), or None when a word is longer than the line (rich folds it)."""
    lines: list[str] = []
    start = offset = 0
    for word in _WORD.finditer(text):
        length = len(word.group(0).rstrip())
        if length > width:
            return None
        if width - offset < length and offset and word.start():
            lines.append(text[start : word.start()])
            start, offset = word.start(), 0
        offset += len(word.group(0))
    lines.append(text[start:])
    for index, line in enumerate(lines):
        space = _TRAILING_SPACE.search(line)
        if len(line) > width and space:
            lines[index] = line[: len(line) - min(len(space.group(0)), len(line) - width)]
    return lines


def _row(cells: Sequence[str], widths: Sequence[int], right: Sequence[bool]) -> str:
    """One table line as rich draws SIMPLE_HEAD with collapsed padding and no edge padding:
    a space at each edge, one of padding and one of divider between columns."""
    shown = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)]
    return " " + "  ".join(shown) + " "


def _plain(text: str) -> bool:
    return text.isascii() and text.isprintable()


def status_text(
    decks: Sequence[DeckStatus],
    today: date,
    next_due: date | None,
    width: int,
    ahead: tuple[int, int] | None,
) -> str | None:
    """What rich prints for ``status_table(decks, ...)`` on a non-terminal of ``width``
    columns, or None when this module cannot be sure to match it byte for byte."""
    if width < 20:
        return None
    if not decks:
        parts = [wrap_text(line, width) for line in NO_DECKS]
        return None if None in parts else "".join(f"{x}\n" for part in parts for x in part or ())
    ids, room, with_names = status_layout(decks, width)
    header = ["Deck id", *(["Name"] if with_names else []), *(n for n, _ in STATUS_COLUMNS)]
    rows = [
        [
            terminal_safe(d.id),
            *([terminal_safe(d.name)] if with_names else []),
            *(str(getattr(d, key)) for _, key in STATUS_COLUMNS),
        ]
        for d in decks
    ]
    total = ["total", *([""] if with_names else [])]
    total += [str(sum(getattr(d, key) for d in decks)) for _, key in STATUS_COLUMNS]
    cells = [header, *rows, total]
    if not all(_plain(c) for row in cells for c in row):
        return None
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    if widths[0] > ids or (with_names and widths[1] > room):
        return None  # an id wrapped, a name cut: rich's to draw
    widths[0] = ids
    table_width = 2 + sum(widths) + 2 * (len(widths) - 1)
    title = f"Study day {today.isoformat()}"
    if table_width > width or len(title) > table_width:
        return None
    right = [False, *([False] if with_names else []), *(True for _ in STATUS_COLUMNS)]
    blank = " " * table_width
    lines = [title.ljust(table_width), blank, _row(header, widths, right)]
    lines.append(" " + "\u2500" * (table_width - 2) + " ")
    lines += [_row(row, widths, right) for row in rows]
    lines += [blank, _row(total, widths, right), blank]
    for note in status_notes(decks, today, next_due, ahead):
        wrapped = wrap_text(note, width)
        if wrapped is None or not _plain(note):
            return None
        lines += wrapped
    return "".join(f"{line}\n" for line in lines)
