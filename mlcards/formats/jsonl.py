"""JSON Lines and JSON question sets -> card drafts, read a record at a time so that memory
stays flat.

A ``.jsonl`` file holds one JSON object a line; a ``.json`` file one array of objects (read
element by element, never whole). The layout is decided by the first record's fields
(``formats/layouts.py`` knows the public data sets, the ``--map`` field maps and the guess),
and every record is then read with it. A record whose answer is missing, empty or ``-1`` (a
test split) is skipped and reported, not fatal. Text is plain text, escaped for Markdown as
CSV text is. The deck files' rules hold: the size cap and strict UTF-8 (by the line reader),
nesting at most ``MAX_DEPTH`` levels (checked before ``json`` parses, so deep input cannot
exhaust the stack), no duplicate keys, no number longer than 20 digits, and control
characters refused after JSON has decoded its escapes (by the deck check the cards pass).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from mlcards.deck import MAX_DEPTH
from mlcards.deckcheck import MAX_CHOICES, MIN_CHOICES
from mlcards.errors import DeckError, UsageError
from mlcards.formats._common import CHOICE_IDS, Draft, Issue, plain_draft, slugify
from mlcards.formats.layouts import (
    FieldMap,
    JsonValue,
    NoAnswer,
    Reader,
    Record,
    Row,
    RowError,
    detect,
    guess,
    kind,
    shorten,
)

MAX_DIGITS = 20


# -- reading records ------------------------------------------------------------------------

_OUTSIDE = re.compile(r'[\[\]{}"]')
_INSIDE = re.compile(r'["\\]')


@dataclass
class _Nesting:
    """Bracket depth across text fed in pieces, strings skipped by regex (C speed)."""

    depth: int = 0
    deepest: int = 0
    in_string: bool = False
    escaped: bool = False

    def feed(self, text: str, start: int = 0) -> Iterator[tuple[int, int]]:
        """(position, depth after it) of every bracket in ``text`` from ``start``."""
        position = start
        while position < len(text):
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                    position += 1
                    continue
                match = _INSIDE.search(text, position)
                if match is None:
                    return
                if match.group() == "\\":
                    self.escaped = True
                else:
                    self.in_string = False
                position = match.end()
                continue
            match = _OUTSIDE.search(text, position)
            if match is None:
                return
            char = match.group()
            if char == '"':
                self.in_string = True
            elif char in "[{":
                self.depth += 1
                self.deepest = max(self.deepest, self.depth)
            else:
                self.depth -= 1
            position = match.end()
            if char != '"':
                yield match.start(), self.depth


def _no_duplicates(pairs: list[tuple[str, JsonValue]]) -> dict[str, JsonValue]:
    record: dict[str, JsonValue] = {}
    for key, value in pairs:
        if key in record:
            raise ValueError(f"key {key!r} appears twice in one object")
        record[key] = value
    return record


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise ValueError(f"a number of {digits:,} digits (at most {MAX_DIGITS})")
    return int(text)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_int=_bounded_int, parse_constant=_no_constant
)


def _loads(text: str) -> JsonValue:
    return _DECODER.decode(text)


def _parse(text: str, line: int) -> tuple[int, JsonValue] | Issue:
    try:
        return line, _loads(text)
    except json.JSONDecodeError as exc:
        within = min(exc.lineno, text.rstrip("\r\n").count("\n") + 1)  # not past its end
        return Issue(line + within - 1, f"not valid JSON: {exc.msg} (column {exc.colno})")
    except (ValueError, RecursionError) as exc:
        return Issue(line, f"not valid JSON: {exc}")


def _too_deep(line: int) -> Issue:
    return Issue(line, f"nested deeper than {MAX_DEPTH} levels; a record holds plain fields")


def read_lines(lines: Iterable[str]) -> Iterator[tuple[int, JsonValue] | Issue]:
    """JSON Lines: (line, value) for every non-blank line, or an Issue for one that fails."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        if text.count("[") + text.count("{") <= MAX_DEPTH:  # cannot be too deep: no scan
            yield _parse(text, number)
            continue
        nesting = _Nesting()
        for _ in nesting.feed(text):
            if nesting.depth > MAX_DEPTH:
                break
        if nesting.deepest > MAX_DEPTH:
            yield _too_deep(number)
            continue
        yield _parse(text, number)


def read_array(lines: Iterable[str], path: str) -> Iterator[tuple[int, JsonValue] | Issue]:
    """A JSON array, an element at a time: the text of each element is gathered until its
    brackets close, then parsed alone. Problems with the array itself stop the file."""
    nesting = _Nesting()
    started = False
    pieces: list[str] = []
    start_line = number = 0
    for number, text in enumerate(lines, start=1):
        position = 0
        if not started:
            stripped = text.lstrip()
            if not stripped:
                continue
            if not stripped.startswith("["):
                raise DeckError(
                    [f"{path}:{number}: a .json file holds one array of records ([{{...}}, ...])"]
                )
            started = True
            position = len(text) - len(stripped) + 1
            nesting.depth = 1
        begin: int | None = 0 if pieces else None  # where this line's part of a record starts
        for at, depth in nesting.feed(text, position):
            if depth > MAX_DEPTH:
                too_deep = _too_deep(number)
                raise DeckError([f"{path}:{number}: {too_deep.message}"])
            if depth == 2 and begin is None:
                begin, start_line = at, number
            elif depth == 1 and begin is not None:
                pieces.append(text[begin : at + 1])
                yield _parse("".join(pieces), start_line)
                pieces, begin = [], None
            elif depth == 0:
                return
        if begin is not None:
            pieces.append(text[begin:])
    if not started:
        raise DeckError([f"{path}:1: no records: the file is empty"])
    raise DeckError([f"{path}:{number}: the array is not closed: a ']' is missing"])


# -- records -> drafts ------------------------------------------------------------------------


def _draft(line: int, card: Record) -> Draft:
    if not MIN_CHOICES <= len(card.choices) <= MAX_CHOICES:
        raise RowError(
            f"a card needs {MIN_CHOICES} to {MAX_CHOICES} choices, found {len(card.choices)}"
        )
    if not card.choices[card.answer]:
        raise RowError(f"the answer, choice {CHOICE_IDS[card.answer].upper()}, is empty")
    present = [(CHOICE_IDS[i], text) for i, text in enumerate(card.choices) if text]
    if len(present) < MIN_CHOICES:
        raise RowError(f"a card needs at least {MIN_CHOICES} choices, found {len(present)}")
    question = card.question
    if card.context:
        question = f"{card.context}\n\n{question}"
    explicit = slugify(card.explicit) if card.explicit else ""
    if card.explicit and not explicit:
        raise RowError(f"id {shorten(card.explicit)!r} has no letters or digits to make an id")
    answer = (CHOICE_IDS[card.answer],)
    return plain_draft(
        line,
        question,
        present,
        answer,
        explanation=card.explanation,
        explicit_id=explicit,
        tags=card.tags,
    )


def _describe_fields(row: Row) -> str:
    names = list(row)
    shown = ", ".join(repr(n) for n in names[:12])
    return shown + (", ..." if len(names) > 12 else "")


def rows(
    records: Iterator[tuple[int, JsonValue] | Issue],
    path: str,
    mapping: FieldMap | None = None,
    found: list[str] | None = None,
) -> Iterator[Draft | Issue]:
    """A draft, problem or skip for every record. The first record decides the layout
    (unless ``mapping`` names the fields); its name is appended to ``found``."""
    reader: Reader | None = mapping.read if mapping is not None else None
    label = "fields named by --map" if mapping is not None else ""
    if mapping is not None and found is not None:
        found.append(label)
    for item in records:
        if isinstance(item, Issue):
            yield item
            continue
        line, row = item
        if not isinstance(row, Mapping):
            yield Issue(line, f"each record must be an object with named fields, not {kind(row)}")
            continue
        if reader is None:
            layout = detect(row)
            if layout is not None:
                reader, label = layout.read, layout.label
            elif (guessed := guess(row)) is not None:
                reader = guessed.read
                label = (
                    f"guessed: question={guessed.question} choices={guessed.choices[0]} "
                    f"answer={guessed.answer}"
                )
            else:
                raise UsageError(
                    f"{path}:{line}: no known layout has the fields {_describe_fields(row)}; "
                    "name them with --map question=FIELD choices=FIELD answer=FIELD"
                )
            if found is not None:
                found.append(label)
        try:
            yield _draft(line, reader(row))
        except NoAnswer:
            yield Issue(line, "skipped a record without an answer (empty or -1)", False)
        except KeyError as exc:
            yield Issue(line, f"field {exc.args[0]!r} is missing ({label})")
        except RowError as exc:
            yield Issue(line, exc.message)
