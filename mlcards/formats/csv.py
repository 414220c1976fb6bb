"""CSV and TSV question sets -> card drafts.

Two layouts. Headerless, as MMLU ships its questions: ``question, choice, choice, ...,
answer`` with 2 to 10 choices and the answer last. With a header row naming the columns:
``question``, the choices as ``a`` ... ``j`` or ``choice_1`` ... ``choice_10``, ``answer``, and
optionally ``id``, ``title``, ``explanation``, ``tags``, ``reference``, in any order.

The first row is a header when, trimmed and case-folded, it has a cell ``question`` and a
cell ``answer``, and either every cell is a known column name or its last cell is not an
answer key. A headerless row always ends with an answer key (a letter or a number), so a
question that happens to offer "question" and "answer" as choices is still read as data,
while a header with a misspelt column is still read as a header and its mistake reported.

Rows are read as the lines come (``rows``), so memory stays flat. Without a header a row may
have fewer choices than the others but never more cells than most rows: that is what an
unquoted comma in a question looks like, and reading on would key a card on a fragment of it.

Answers are a letter A-J or a 1-based number; several of them (``A,C``, ``1;3``, ``B D``)
make a select-all card. Quoting follows RFC 4180 (TSV files too); fields may hold newlines.
All text is plain text. Questions and explanations are escaped so they show as written when
rendered as Markdown; choices are shown as plain text, so they are kept as written.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable, Iterator
from itertools import chain

from mlcards.deckcheck import MAX_CHOICES, MIN_CHOICES
from mlcards.formats._common import CHOICE_IDS, MAX_PROBLEMS, Draft, Issue, plain_draft, slugify

OPTIONAL_COLUMNS = ("id", "title", "explanation", "tags", "reference")
LETTER_COLUMNS = tuple(CHOICE_IDS)
NUMBERED_COLUMNS = tuple(f"choice_{n}" for n in range(1, MAX_CHOICES + 1))
KNOWN_COLUMNS = ("question", "answer", *OPTIONAL_COLUMNS, *LETTER_COLUMNS, *NUMBERED_COLUMNS)

_URL = re.compile(r"https?://[^\s<>\"']+")
_ANSWER_SPLIT = re.compile(r"[\s,;]+")
_TAG_SPLIT = re.compile(r"[\s,;]+")


class _RowError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _FileError(Exception):
    """A problem that stops reading the file: the rows after it cannot be trusted."""


def read_rows(lines: Iterable[str], path: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of every non-blank row, read as the lines come; a quoting error
    stops the file (_FileError)."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        hint = ""
        if "end of data" in str(exc):
            hint = ': a quoted field opened on this row is never closed (a " is missing)'
        elif "expected after" in str(exc):
            hint = ': a " inside a quoted field must be doubled ("")'
        raise _FileError(f"{start}: CSV syntax error: {exc}{hint}") from None


def rows(lines: Iterable[str], path: str, delimiter: str) -> Iterator[Draft | Issue]:
    """A draft or a problem for every row, as the lines come: memory stays flat.

    Problems that need the whole file are given at the end: a header column with values but
    no name, and (without a header) rows with more cells than most rows have, which is what
    an unquoted comma in a question looks like.
    """
    found = read_rows(lines, path, delimiter)
    try:
        first = next(found, None)
        if first is None:
            yield Issue(1, "no questions: the file has no rows")
            return
        header = _header(first[1])
        columns: dict[str, int] | None = None
        if header is not None:
            columns, header_problems = _columns(header)
            if header_problems:
                for problem in header_problems:
                    yield Issue(first[0], problem)
                return
            yield from _named_rows(first[0], found, columns, header)
        else:
            yield from _headerless_rows(chain([first], found), delimiter)
    except _FileError as exc:
        line, _, message = str(exc).partition(": ")
        yield Issue(int(line), message)


def _named_rows(
    header_line: int,
    found: Iterator[tuple[int, list[str]]],
    columns: dict[str, int],
    names: list[str],
) -> Iterator[Draft | Issue]:
    unnamed = {i for i, name in enumerate(names) if not name}
    with_values: set[int] = set()
    count = 0
    for line, cells in found:
        count += 1
        with_values |= {i for i in unnamed if i < len(cells) and cells[i].strip()}
        try:
            yield _named_row(line, cells, columns, len(names))
        except _RowError as exc:
            yield Issue(line, exc.message)
    for index in sorted(with_values):
        yield Issue(header_line, f"header: column {index + 1} has values but no name")
    if not count:
        yield Issue(header_line, "no questions: the file has only a header row")


def _headerless_rows(
    found: Iterator[tuple[int, list[str]]], delimiter: str
) -> Iterator[Draft | Issue]:
    widths: dict[int, int] = {}
    lines_of: dict[int, list[int]] = {}
    for line, cells in found:
        width = len(cells)
        while width and not cells[width - 1].strip():
            width -= 1
        widths[width] = widths.get(width, 0) + 1
        kept = lines_of.setdefault(width, [])
        if len(kept) < MAX_PROBLEMS:
            kept.append(line)
        try:
            yield _headerless_row(line, cells)
        except _RowError as exc:
            yield Issue(line, exc.message)
    if len(widths) < 2:
        return
    usual = max(widths, key=lambda w: (widths[w], -w))
    separator = "comma" if delimiter == "," else "tab"
    for width in sorted(w for w in widths if w > usual):
        for line in lines_of[width]:
            yield Issue(
                line,
                f"{width} cells where the other rows have {usual}: a cell holding a "
                f"{separator} must be in double quotes (or give the file a header row)",
            )


def _header(cells: list[str]) -> list[str] | None:
    names = [cell.strip().casefold() for cell in cells]
    if "question" not in names or "answer" not in names:
        return None
    filled = [name for name in names if name]
    if all(name in KNOWN_COLUMNS for name in filled):
        return names
    return None if _is_answer_key(filled[-1]) else names


def _is_answer_key(cell: str) -> bool:
    tokens = [t for t in _ANSWER_SPLIT.split(cell) if t]
    return bool(tokens) and all(
        (len(t) == 1 and t.isascii() and t.isalpha()) or (t.isascii() and t.isdigit())
        for t in tokens
    )


def _columns(names: list[str]) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    problems: list[str] = []
    for index, name in enumerate(names):
        if not name:
            continue
        if name not in KNOWN_COLUMNS:
            hint = difflib.get_close_matches(name, KNOWN_COLUMNS, n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            problems.append(f"header: unknown column {name!r}{suggestion}")
        elif name in columns:
            problems.append(f"header: column {name!r} appears twice")
        else:
            columns[name] = index
    letters = [c for c in LETTER_COLUMNS if c in columns]
    numbered = [c for c in NUMBERED_COLUMNS if c in columns]
    if letters and numbered:
        problems.append("header: name the choices a, b, c... or choice_1, choice_2..., not both")
    elif len(letters) + len(numbered) < MIN_CHOICES:
        problems.append(
            "header: at least two choice columns are needed (a, b... or choice_1, choice_2...)"
        )
    return columns, problems


def _choice_columns(columns: dict[str, int]) -> list[tuple[str, int | None]]:
    """(choice id, column index or None) for each position up to the last named choice."""
    names = LETTER_COLUMNS if any(c in columns for c in LETTER_COLUMNS) else NUMBERED_COLUMNS
    last = max(i for i, name in enumerate(names) if name in columns)
    return [(CHOICE_IDS[i], columns.get(names[i])) for i in range(last + 1)]


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _named_row(line: int, cells: list[str], columns: dict[str, int], width: int) -> Draft:
    extra = [c for c in cells[width:] if c.strip()]
    if extra:
        raise _RowError(f"the row has {len(cells)} cells; the header names {width} columns")
    question = _cell(cells, columns["question"])
    if not question:
        raise _RowError("the question is empty")
    slots = [(choice_id, _cell(cells, index)) for choice_id, index in _choice_columns(columns)]
    present = [(choice_id, text) for choice_id, text in slots if text]
    if len(present) < MIN_CHOICES:
        raise _RowError(f"a card needs at least {MIN_CHOICES} choices, found {len(present)}")
    answer = _answer(_cell(cells, columns["answer"]), slots)
    explicit = _cell(cells, columns.get("id"))
    explicit_id = slugify(explicit) if explicit else ""
    if explicit and not explicit_id:
        raise _RowError(f"id {explicit!r} has no letters or digits to make an id from")
    explanation = _cell(cells, columns.get("explanation"))
    references, notes = _references(_cell(cells, columns.get("reference")))
    if notes:
        explanation = "\n\n".join(part for part in (explanation, f"Reference: {notes}") if part)
    return plain_draft(
        line,
        question,
        present,
        answer,
        explanation=explanation,
        explicit_id=explicit_id,
        title=" ".join(_cell(cells, columns.get("title")).split()),
        tags=_tags(_cell(cells, columns.get("tags"))),
        references=references,
    )


def _headerless_row(line: int, cells: list[str]) -> Draft:
    given = len(cells)
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    if not MIN_CHOICES + 2 <= len(cells) <= MAX_CHOICES + 2:
        counted = f"{len(cells)} cells" + (
            " (empty cells at the end not counted)" if given > len(cells) else ""
        )
        raise _RowError(
            f"found {counted}; a row without a header holds the question, "
            f"{MIN_CHOICES} to {MAX_CHOICES} choices and the answer"
        )
    question = cells[0].strip()
    if not question:
        raise _RowError("the question (first cell) is empty")
    slots = [(CHOICE_IDS[i], text.strip()) for i, text in enumerate(cells[1:-1])]
    empty = [choice_id.upper() for choice_id, text in slots if not text]
    if empty:
        raise _RowError(f"choice {', '.join(empty)} is empty")
    answer = _answer(cells[-1].strip(), slots)
    return plain_draft(line, question, slots, answer)


def _answer(raw: str, slots: list[tuple[str, str]]) -> tuple[str, ...]:
    """Choice ids named by an answer cell, in choice order."""
    if not raw:
        raise _RowError("the answer is empty")
    chosen: list[int] = []
    for token in (t for t in _ANSWER_SPLIT.split(raw) if t):
        if len(token) == 1 and token.isascii() and token.isalpha():
            index = ord(token.lower()) - ord("a")
        elif token.isascii() and token.isdigit():
            if len(token) > 3:  # never int() it: Python refuses 4,300+ digits (ValueError)
                raise _RowError(f"answer {_shorten(raw)!r} is not an answer: {_ANSWER_RULE}")
            index = int(token) - 1
            if index < 0:
                raise _RowError(
                    f"answer {raw!r}: numbers count from 1 (1 is the first choice), not from 0"
                )
        else:
            raise _RowError(f"answer {_shorten(raw)!r} must be {_ANSWER_RULE}")
        if index >= len(slots) or not slots[index][1]:
            label = token.upper()
            raise _RowError(f"answer {label} names no choice: the row has {_describe(slots)}")
        if index in chosen:
            raise _RowError(f"answer {raw!r} names {token.upper()} twice")
        chosen.append(index)
    return tuple(slots[i][0] for i in sorted(chosen))


_ANSWER_RULE = "a letter A-J or a number 1-10; several answers are separated by commas, as in A,C"


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(slots: list[tuple[str, str]]) -> str:
    present = [choice_id.upper() for choice_id, text in slots if text]
    return f"choices {', '.join(present)}"


def _tags(raw: str) -> tuple[str, ...]:
    tags: list[str] = []
    for token in (t for t in _TAG_SPLIT.split(raw) if t):
        tag = slugify(token)
        if not tag:
            raise _RowError(f"tag {token!r} has no letters or digits to make a tag from")
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


def _references(raw: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """(title, url) for each URL in the cell, and any text that names no URL."""
    refs: list[tuple[str, str]] = []
    position = 0
    for match in _URL.finditer(raw):
        url = match.group().rstrip(".,;:)")
        title = raw[position : match.start()].strip(" \t\n-–—:;,|(")
        refs.append((" ".join(title.split()) or url, url))
        position = match.start() + len(url)
    rest = raw[position:].strip(" \t\n-–—:;,|()")
    return tuple(refs), " ".join(rest.split())
