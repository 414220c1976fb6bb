"""The review's first question drawn without rich, so the card is on the screen while rich
and the rest of the review loop load (about a third of ``mlcards review``'s start).

The invariant: ``first_frame`` returns exactly the text the review's rich Console writes
for ``render.review.question_screen`` of the same view on a colour terminal (ANSI styles,
``NO_COLOR`` honoured), or None wherever that is not certain: a select-all card, text that
is not plain printable ASCII or that Markdown would read, a word longer than its line, a
screen too small for all of it at once. Practice, a terminal that is not UTF-8 and an
environment that changes what rich writes (``plain_enough``) are left to rich by the
caller (``review.session._first_card``). The review loop then draws the same frame through
rich, so the learner sees no change either way. ``tests/unit/test_first_frame.py``
compares the two over generated cards and sizes.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlcards.models import Choice, ScheduledCard
from mlcards.render.glyphs import UNICODE, bottom_border
from mlcards.render.keys import CHOICE_KEYS, QUESTION, hint_rows, hints
from mlcards.render.plain import PLAIN_MARKDOWN, wrap_text

BLUE, TITLE, KEY, DIM = "34", "1;34", "1;36", "2"
"""The SGR codes rich writes for the box ("blue"), its title ("bold" on blue), the choice
keys ("bold cyan") and the footer ("dim")."""
_NO_COLOR = {BLUE: "", TITLE: "1", KEY: "1", DIM: "2"}
_RICH_ENV = ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
"""Variables that change the width, height or styles rich uses: with any of them set the
frame is left to rich."""
Line = list[tuple[str, str]]
"""(SGR codes, text) pieces: one rich segment each ("" codes: unstyled)."""
_MIN_ROOM = 3  # (render.screen.MIN_REGION: the question's room before the footer gives way)


def plain_enough(environ: dict[str, str] | None = None) -> bool:
    """Whether rich's output here is certain from the styles alone (see ``_RICH_ENV``)."""
    import os

    env = os.environ if environ is None else environ
    return not any(env.get(name) for name in _RICH_ENV)


def first_frame(
    item: ScheduledCard,
    order: Sequence[Choice],
    at: tuple[int, int],
    size: tuple[int, int],
    no_color: bool = False,
) -> str | None:
    """The question screen as rich writes it (cursor home, then every line), or None: the
    card in its choice ``order``, where the session stands (``at``: position, of how many)
    and the terminal's ``size`` (columns, lines)."""
    (width, height), card = size, item.card
    if card.multiple or not 20 <= width <= 500 or not 8 <= height <= 500:
        return None
    texts = [item.deck_name, card.title, card.question, *(c.text for c in order)]
    if not all(_plain(text) for text in texts) or not 2 <= len(order) <= len(CHOICE_KEYS):
        return None
    question = _question(card.question.strip(), width - 4)
    choices = _choices(order, width)
    footer = _footer(len(order), width)
    if question is None or choices is None or footer is None:
        return None
    room = height - len(choices) - len(footer) - 2
    if room < max(len(question), _MIN_ROOM):
        return None  # rich shortens the footer, pins the ask or scrolls: not done here
    top = _top(item, width)
    bottom = _bottom(status_note(item, "review", at, 0, UNICODE.dot), width)  # (shown at once)
    if top is None or bottom is None:
        return None
    lines: list[Line | str] = [top, *question, bottom, *choices, *footer]
    lines += [" " * width] * (height - len(lines))
    styles = _NO_COLOR if no_color else None
    return "\x1b[H" + "\n".join(_styled(line, styles) for line in lines)


def _styled(line: Line | str, styles: dict[str, str] | None) -> str:
    if isinstance(line, str):
        return line
    out = []
    for codes, text in line:
        codes = styles[codes] if styles is not None and codes else codes
        out.append(f"\x1b[{codes}m{text}\x1b[0m" if codes and text else text)
    return "".join(out)


def _plain(text: str) -> bool:
    return text.isascii() and text.isprintable()


def _question(text: str, width: int) -> list[Line] | None:
    """The question's lines in the box, for text Markdown would draw as one paragraph of
    itself (``render.pieces.markdown`` draws exactly that text then)."""
    if not PLAIN_MARKDOWN.fullmatch(text):
        return None
    wrapped = wrap_text(text, width)
    if wrapped is None:
        return None
    side = (BLUE, UNICODE.box[4])
    return [[side, ("", f" {line.ljust(width)} "), side] for line in wrapped]


def _choices(order: Sequence[Choice], width: int) -> list[Line] | None:
    """The choices as rich's grid lays them out: a space, the key in four cells, a space,
    the text wrapped in the rest."""
    room = width - 6
    lines: list[Line] = []
    for key, choice in zip(CHOICE_KEYS, order, strict=False):
        text = choice.text.strip()
        wrapped = wrap_text(text, room) if text else None
        if wrapped is None:
            return None
        lines.append([("", " "), (KEY, f"[{key}] "), ("", f" {wrapped[0].ljust(room)}")])
        lines += [[("", f"      {rest.ljust(room)}")] for rest in wrapped[1:]]
    return lines


def _footer(choices: int, width: int) -> list[Line] | None:
    """The question's key hints packed as ``render.pieces.footer_lines`` packs them
    (``render.keys.hint_rows``)."""
    room = width - 2
    shown = hints(QUESTION, choices=choices, ascii=False)
    lines: list[Line] = []
    for indexes in hint_rows([len(hint) for hint in shown], room):
        row = [shown[index] for index in indexes]
        pieces: Line = [("", " ")]
        for index, hint in enumerate(row):
            pieces += [(DIM, f" {UNICODE.dot} ")] if index else []
            pieces.append((DIM, hint))
        used = sum(len(h) for h in row) + 3 * (len(row) - 1)
        if used > room:
            return None
        lines.append([*pieces, ("", " " * (room - used) + " ")])
    return lines


def status_note(
    item: ScheduledCard, mode: str, at: tuple[int, int], elapsed_s: float, dot: str
) -> str:
    """The question box's note: the card's kind and marks, where the session stands (``at``:
    position, of how many) and the time it has run."""
    minutes, seconds = divmod(int(elapsed_s), 60)
    kind = "practice" if mode == "practice" else "new" if item.is_new else "review"
    flags = (f" {dot} flagged" if item.flagged else "") + (f" {dot} leech" if item.leech else "")
    return f"{kind}{flags} {dot} {at[0]} of {at[1]} {dot} {minutes}:{seconds:02d}"


def _top(item: ScheduledCard, width: int) -> Line | None:
    """The box's top border with the deck and card title (``render.screen.box_line``)."""
    title = item.deck_name + (f" {UNICODE.dot} {item.card.title}" if item.card.title else "")
    fill = width - 6 - len(title)
    if not item.deck_name or fill < 0:
        return None  # rich would cut the title with an ellipsis
    corner_left, corner_right, rule = UNICODE.box[0], UNICODE.box[1], UNICODE.rule
    return [
        (BLUE, f"{corner_left}{rule} "),
        (TITLE, title),
        (BLUE, " "),
        (BLUE, rule * fill),
        (BLUE, rule + corner_right),
    ]


def _bottom(status: str, width: int) -> Line | None:
    """The box's bottom border with the session's progress at the right."""
    parts = bottom_border(width, UNICODE, status)
    return None if parts is None else [(BLUE, part) for part in parts]
