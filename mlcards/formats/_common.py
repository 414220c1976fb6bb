"""What the converters share: reading a source file, card drafts, slugs and content ids,
and the choices whose meaning depends on their place.

A converter turns its format into a stream of ``Draft`` values (Markdown text, choice ids,
the answer, the source line) and ``Issue`` values (a problem, or a question skipped);
``formats/writer.py`` turns that stream into the deck.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from mlcards.deck import DEFAULT_MAX_BYTES
from mlcards.deckfiles import read_regular_file, read_text
from mlcards.errors import DeckError
from mlcards.formats.markdown import escape_markdown
from mlcards.models import Deck
from mlcards.sanitize import describe_char, first_unsafe, quote_path

SLUG_MAX = 64
MAX_PROBLEMS = 200
"""Problems listed before the rest are only counted: a broken million-row file stays readable."""
CHOICE_IDS = "abcdefghij"
"""Choice ids by position: the letters MMLU answer keys use, lower-cased."""

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# The two non-characters YAML refuses; what a terminal would act on is sanitize's to say.
_NONCHARACTER = re.compile("[\ufffe\uffff]")


@dataclass(frozen=True)
class DraftChoice:
    id: str
    text: str
    feedback: str = ""


@dataclass(frozen=True)
class Draft:
    """One card before its id is known. Text fields are Markdown, ready for the deck."""

    line: int
    question: str
    choices: tuple[DraftChoice, ...]
    answer: tuple[str, ...]
    multiple: bool
    explanation: str = ""
    key: str = ""
    """The question as written in the source: what a content-derived id is a hash of."""
    choice_key: str = ""
    """The choices as written in the source: tells apart questions with the same stem."""
    explicit_id: str = ""
    title_id: str = ""
    title: str = ""
    tags: tuple[str, ...] = ()
    references: tuple[tuple[str, str], ...] = ()


def plain_draft(
    line: int,
    question: str,
    choices: Sequence[tuple[str, str]],
    answer: tuple[str, ...],
    *,
    explanation: str = "",
    explicit_id: str = "",
    title: str = "",
    tags: tuple[str, ...] = (),
    references: tuple[tuple[str, str], ...] = (),
) -> Draft:
    """A draft from plain text (CSV cells, JSON fields): the text escaped for Markdown, and
    the question and ``(id, text)`` choices as written kept for content ids."""
    return Draft(
        line=line,
        question=escape_markdown(question),
        choices=tuple(DraftChoice(i, t) for i, t in choices),
        answer=answer,
        multiple=len(answer) > 1,
        explanation=escape_markdown(explanation) if explanation else "",
        key=question,
        choice_key="\n".join(t for _, t in choices),
        explicit_id=explicit_id,
        title=title,
        tags=tags,
        references=references,
    )


@dataclass(frozen=True)
class Issue:
    """A row that gives no card: a problem (the conversion fails), or a row skipped and
    reported (``fatal`` False: the message starts with "skipped")."""

    line: int
    message: str
    fatal: bool = True


@dataclass(frozen=True)
class Conversion:
    """A converted source file: the deck as YAML, and as a loaded Deck."""

    yaml_text: str
    deck: Deck
    """Parsed back from ``yaml_text`` by the strict loader; each card's ``line`` is its line
    in the source file, and ``deck.path`` the source file, for messages."""
    skipped: tuple[str, ...] = ()
    """``FILE:LINE: skipped <type> question`` for every question left out, with the reason
    when a multiple-choice question was left out because its meaning cannot be kept."""
    pinned: tuple[str, ...] = ()
    """``FILE:LINE: card ID: 'All of the above' kept last ...`` for every card with a choice
    whose meaning depends on its place."""


def read_source(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """A source file as text: size-capped, strict UTF-8 (BOM dropped), no control characters."""
    shown = quote_path(path)
    text = read_text(path, max_bytes, what="sources")
    problems = []
    for number, line_text in enumerate(text.split("\n"), start=1):
        # the deck's own check, here so that the message has the source's line, not the YAML's
        problem = _control_problem(line_text)
        if problem is not None:
            problems.append(f"{shown}:{number}: {problem}")
    if problems:
        raise DeckError(problems)
    return text


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """Lowercase ASCII words joined by '-', cut at a word boundary; "" when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            if not slug:
                slug = word[:max_length]
            break
        slug = candidate
    return slug


def is_slug(text: str) -> bool:
    return bool(_SLUG.fullmatch(text))


def default_deck_id(path: Path) -> str:
    return slugify(path.stem) or "converted"


def default_name(path: Path) -> str:
    words = " ".join(re.split(r"[\s_-]+", path.stem)).strip()
    return (words[:1].upper() + words[1:]) if words else "Converted deck"


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _digest(*parts: str) -> str:
    joined = "\x1f".join(_normalise(part) for part in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:8]


def content_id(key: str, *extra: str) -> str:
    """An id from the question text: its first words for a reader, a hash for uniqueness."""
    words = slugify(re.sub(r"<[^<>]*>", " ", key), 40)
    return f"{words or 'q'}-{_digest(key, *extra)}"


# -- reading a source a line at a time ----------------------------------------------------


class SourceLines:
    """A source file's lines (ends kept), read a line at a time under the deck files' rules:
    a regular file only, at most ``max_bytes``, strict UTF-8 (a BOM dropped), and no
    terminal control character in any line. A UTF-8 or size problem stops the read with a
    DeckError; control characters are collected in ``problems`` and the line is still given,
    so that one pass reports them all."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.shown = quote_path(path)
        self.max_bytes = max_bytes
        self.problems: list[str] = []

    def __iter__(self) -> Iterator[str]:
        self.problems = []
        handle = _open_regular(self.path, self.max_bytes)
        offset = 0
        with handle:
            for number, raw in enumerate(handle, start=1):
                offset += len(raw)
                if offset > self.max_bytes:
                    raise DeckError(
                        [
                            f"{self.shown}:{number}: file grew past the {self.max_bytes:,}-byte "
                            "limit while read"
                        ]
                    )
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    at = offset - len(raw) + exc.start
                    raise DeckError(
                        [
                            f"{self.shown}:{number}: not valid UTF-8 (byte {at}); "
                            "save the file as UTF-8"
                        ]
                    ) from None
                if number == 1 and line.startswith("\ufeff"):
                    line = line[1:]
                problem = _control_problem(line)
                if problem is not None and len(self.problems) < MAX_PROBLEMS:
                    self.problems.append(f"{self.shown}:{number}: {problem}")
                yield line


def _open_regular(path: Path, max_bytes: int) -> BinaryIO:
    """An open regular file, refused as ``read_regular_file`` refuses one (FIFO, device,
    folder, a file over the cap), but read by the caller a line at a time."""
    shown = quote_path(path)
    try:
        info: os.stat_result | None = os.stat(path)
    except OSError:
        info = None
    if info is None or not stat.S_ISREG(info.st_mode):
        read_regular_file(path, max_bytes)  # raises the deck files' message for what it is
        raise DeckError([f"{shown}:1: cannot read: not a regular file"])  # pragma: no cover
    if info.st_size > max_bytes:
        raise DeckError(
            [
                f"{shown}:1: file is {info.st_size:,} bytes; sources are limited to "
                f"{max_bytes:,} bytes (the max_deck_bytes setting)"
            ]
        )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise DeckError([f"{shown}:1: cannot read: {exc.strerror or exc}"]) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for something else since the check
        os.close(fd)
        raise DeckError([f"{shown}:1: cannot read: not a regular file"])
    return os.fdopen(fd, "rb")


def _control_problem(line: str) -> str | None:
    """The deck check's refusal of a line's control characters (CRLF and CR ends allowed)."""
    bad = first_unsafe(line.removesuffix("\n").removesuffix("\r"))
    if bad is None and (nonchar := _NONCHARACTER.search(line)):
        bad = nonchar.group()
    if bad is None:
        return None
    return f"control character {describe_char(bad)} is not allowed in deck text; remove it"


# -- choices whose meaning depends on their place -------------------------------------------

_LETTER = r"\(?[a-j]\)?"
_PINNED = re.compile(
    r"(?:all|none|both|neither|either|any|each)(?: one)? of (?:the )?"
    r"(?:above|these|those|them|options|choices|answers|previous|preceding|foregoing)"
    r"(?: (?:options|choices|answers))?"
    r"|all the above|none the above"
    rf"|(?:(?:both|either|neither|only|options?|choices?|answers?) )?{_LETTER}"
    rf"(?:, ?{_LETTER})*,? (?:and|or|nor|&) {_LETTER}(?: (?:only|both))?"
    r"|all are (?:correct|true|right)|none (?:is|are) (?:correct|true|right)"
    r"|(?:all|none) (?:of the )?(?:others|other options|other choices)",
)
_PINNED_TAIL = re.compile(r"(?: (?:is|are) (?:correct|true|right|false|wrong|incorrect))?[.!]?$")


def is_pinned(text: str) -> bool:
    """A choice that refers to the others or to their letters ("All of the above", "None of
    these", "Both A and B", "(a) and (c)"): moved, it would say something else."""
    plain = " ".join(text.casefold().replace("\\", "").split())
    plain = _PINNED_TAIL.sub("", plain)
    return bool(_PINNED.fullmatch(plain))


def pin_last(draft: Draft) -> tuple[Draft, tuple[str, ...]]:
    """The draft with its order-dependent choices last (their ids kept, in their order), and
    their texts."""
    pinned = [c for c in draft.choices if is_pinned(c.text)]
    if not pinned:
        return draft, ()
    rest = [c for c in draft.choices if not is_pinned(c.text)]
    return replace(draft, choices=tuple(rest + pinned)), tuple(c.text for c in pinned)
