"""What the converters share: reading a source file, card drafts, stable ids, the deck.

A converter turns its format into a stream of ``Draft`` values (Markdown text, choice ids,
the answer, the source line) and ``Issue`` values (a problem, or a question skipped).
``write_deck`` reads that stream twice, so memory stays flat however many rows there are:
the first pass checks every card with the strict loader (in batches, each problem named by
its line in the source file, never the YAML's) and notes a 64-bit hash of each card's id;
the second assigns the final ids and writes the YAML a card at a time. Nothing is written
until the whole source is known to convert: a conversion is all or nothing.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import io
import os
import re
import stat
import unicodedata
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, TextIO

from mlcards.deck import DEFAULT_MAX_BYTES, parse_deck
from mlcards.deckfiles import read_regular_file, read_text
from mlcards.deckwriter import DeckValue, dump_card, dump_deck_head
from mlcards.errors import DeckError, UsageError
from mlcards.models import Deck
from mlcards.sanitize import describe_char, first_unsafe, quote_path

SLUG_MAX = 64
MAX_PROBLEMS = 200
"""Problems listed before the rest are only counted: a broken million-row file stays readable."""
BATCH = 500
"""Cards checked by the strict loader at a time."""
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


# -- ids --------------------------------------------------------------------------------------


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def _base_id(draft: Draft) -> tuple[str, str]:
    """(kind, id) before collisions are known: the explicit id, the title's slug, or a
    content id from the question."""
    if draft.explicit_id:
        return "explicit", draft.explicit_id
    if draft.title_id:
        return "title", draft.title_id[: SLUG_MAX - 4]
    return "content", content_id(draft.key)


_RUN = 1 << 16


def _sorted(values: array[int]) -> array[int]:
    """``values`` sorted into a new array, in runs merged lazily: ``sorted()`` of the whole
    array would hold a Python int for every card (about 40 bytes each, not 8)."""
    runs = [array("Q", sorted(values[i : i + _RUN])) for i in range(0, len(values), _RUN)]
    return array("Q", heapq.merge(*runs))


class _SortedHashes:
    """64-bit hashes in a sorted array: membership by bisection, 8 bytes a card."""

    def __init__(self, values: array[int]) -> None:
        self.values = _sorted(values)

    def __contains__(self, value: int) -> bool:
        index = bisect.bisect_left(self.values, value)
        return index < len(self.values) and self.values[index] == value

    def repeated(self) -> set[int]:
        values = self.values
        return {values[i] for i in range(1, len(values)) if values[i] == values[i - 1]}


class _Ids:
    """Final card ids, given in file order, from what the first pass saw of every card.

    Explicit ids are used as given (they must be unique). A title's slug used twice gets
    ``-2``, ``-3``... in file order. Content ids that collide (the same question text) are
    made from the question and its choices instead, so two questions sharing a stem keep
    their ids when the file is reordered; only questions identical in both get ``-2``,
    ``-3``... in file order. A numbered id never takes another card's id.
    """

    def __init__(self, bases: array[int], explicit: array[int]) -> None:
        self.all = _SortedHashes(bases)
        self.repeated = self.all.repeated()
        self.explicit = _SortedHashes(explicit)
        self.claimed: set[int] = set()

    def _free(self, value: int) -> bool:
        return value not in self.claimed and value not in self.all

    def _claim(self, base: str) -> str:
        candidate, number = base, 1
        while not self._free(_hash64(candidate)):
            number += 1
            suffix = f"-{number}"
            candidate = base[: SLUG_MAX - len(suffix)] + suffix
        self.claimed.add(_hash64(candidate))
        return candidate

    def next(self, draft: Draft, kind: str, base: str) -> str:
        value = _hash64(base)
        if kind == "explicit" or value not in self.repeated:
            return base
        if kind == "title":
            if value in self.explicit or value in self.claimed:
                return self._claim(base)
            self.claimed.add(value)
            return base
        return self._claim(content_id(draft.key, draft.choice_key))


def _check_explicit(
    explicit: array[int], drafts: Callable[[], Iterator[Draft | Issue]], path: str
) -> None:
    repeated = _SortedHashes(explicit).repeated()
    if not repeated:
        return
    first: dict[str, int] = {}
    problems = []
    for draft in drafts():
        if isinstance(draft, Draft) and draft.explicit_id:
            if _hash64(draft.explicit_id) not in repeated:
                continue
            if draft.explicit_id in first:
                problems.append(
                    f"{path}:{draft.line}: duplicate id {draft.explicit_id!r} "
                    f"(first at line {first[draft.explicit_id]})"
                )
            else:
                first[draft.explicit_id] = draft.line
    raise DeckError(problems[:MAX_PROBLEMS] + _more(len(problems)))


def _more(count: int) -> list[str]:
    if count <= MAX_PROBLEMS:
        return []
    return [f"... and {count - MAX_PROBLEMS:,} more problems"]


# -- the deck -------------------------------------------------------------------------------


def placeholder_explanation(draft: Draft) -> str:
    """The loader requires an explanation; say honestly that the source had none."""
    right = [c.text for c in draft.choices if c.id in draft.answer]
    label = "answers" if len(right) > 1 else "answer"
    return f"No explanation was given in the source file. Keyed {label}: " + "; ".join(right)


def card_document(card_id: str, draft: Draft) -> dict[str, DeckValue]:
    card: dict[str, DeckValue] = {"id": card_id}
    if draft.title:
        card["title"] = draft.title
    card["question"] = draft.question
    choices: list[DeckValue] = []
    for choice in draft.choices:
        entry: dict[str, DeckValue] = {"id": choice.id, "text": choice.text}
        if choice.feedback:
            entry["feedback"] = choice.feedback
        choices.append(entry)
    card["choices"] = choices
    card["answer"] = list(draft.answer) if draft.multiple else draft.answer[0]
    card["explanation"] = draft.explanation or placeholder_explanation(draft)
    if draft.references:
        card["references"] = [{"title": t, "url": u} for t, u in draft.references]
    if draft.tags:
        card["tags"] = list(draft.tags)
    return card


@dataclass(frozen=True)
class Written:
    """What ``write_deck`` wrote: counts for the summary, and each card's source line."""

    deck_id: str
    cards: int
    skipped: int
    pinned: int
    lines: dict[str, int]


class _Checks:
    """The first pass's card checks: batches of cards read back by the strict loader, each
    problem moved to its card's line in the source."""

    def __init__(self, path: str, deck_id: str, name: str) -> None:
        self.path = path
        self.head = dump_deck_head({"id": deck_id, "name": name})
        self.batch: list[tuple[int, str]] = []
        self.found: list[tuple[int, str]] = []
        self.count = 0

    def add(self, line: int, card_yaml: str) -> None:
        self.batch.append((line, card_yaml))
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        starts: list[int] = []
        number = self.head.count("\n") + 1
        for _, text in self.batch:
            starts.append(number)
            number += text.count("\n")
        try:
            parse_deck(self.head + "".join(text for _, text in self.batch), "batch")
        except DeckError as exc:
            for problem in exc.problems:
                match = _BATCH_PROBLEM.match(problem)
                if match is None:  # pragma: no cover - the loader always names a line
                    self.problem(1, problem)
                    continue
                index = max(0, bisect.bisect_right(starts, int(match.group(1))) - 1)
                message = _VALIDATION_ID.sub("card", match.group(2))
                self.problem(self.batch[index][0], message)
        self.batch.clear()

    def problem(self, line: int, message: str) -> None:
        self.count += 1
        if len(self.found) < MAX_PROBLEMS:
            self.found.append((line, message))

    @property
    def problems(self) -> list[str]:
        """In line order: problems that need the whole file are found at its end."""
        ordered = sorted(self.found, key=lambda problem: problem[0])
        return [f"{self.path}:{line}: {message}" for line, message in ordered]


_BATCH_PROBLEM = re.compile(r"batch:(\d+): (.*)", re.DOTALL)
_SAMPLE_CARD: dict[str, DeckValue] = {
    "id": "c",
    "question": "Q",
    "choices": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
    "answer": "a",
    "explanation": "E",
}


def _check_head(head: str, path: str) -> None:
    """The deck's own fields (a ``--name`` given, the description) checked once, not with
    every batch: their problems are the whole file's (line 1)."""
    try:
        parse_deck(head + dump_card(_SAMPLE_CARD), "batch")
    except DeckError as exc:
        messages = [m.group(2) if (m := _BATCH_PROBLEM.match(p)) else p for p in exc.problems]
        raise DeckError([f"{path}:1: {message}" for message in messages]) from None


_VALIDATION_ID = re.compile(r"card 'v\d+'")


def write_deck(
    rows: Callable[[], Iterator[Draft | Issue]],
    out: TextIO,
    *,
    path: str,
    deck_id: str,
    name: str,
    description: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    note: Callable[[str], None] = lambda _line: None,
    source: SourceLines | None = None,
    keep_lines: bool = False,
) -> Written:
    """Check every row, then write the deck to ``out`` a card at a time.

    ``rows`` is called once per pass and must give the same rows both times (a source read
    again, or a list). ``note`` receives ``FILE:LINE:`` lines for rows skipped and cards with
    a choice kept last, in file order. Raises DeckError, with nothing written, when any row
    has a problem, when there is nothing to convert, or when the deck would be larger than
    ``max_bytes`` (converted decks obey the cap of the decks they become).
    """
    check_deck_id(deck_id)
    document: dict[str, DeckValue] = {"id": deck_id, "name": name}
    if description:
        document["description"] = description
    head = dump_deck_head(document)
    _check_head(head, path)
    checks = _Checks(path, deck_id, name)
    bases = array("Q")
    explicit = array("Q")
    skipped = 0
    skipped_lines: list[str] = []
    size = len(head.encode("utf-8"))
    for item in rows():
        if isinstance(item, Issue):
            if item.fatal:
                checks.problem(item.line, item.message)
            else:
                skipped += 1
                if len(skipped_lines) < MAX_PROBLEMS:
                    skipped_lines.append(f"{path}:{item.line}: {item.message}")
            continue
        draft, _ = pin_last(item)
        kind, base = _base_id(draft)
        bases.append(_hash64(base))
        if kind == "explicit":
            explicit.append(_hash64(base))
        text = dump_card(card_document(f"v{len(bases)}", draft))
        size += len(text.encode("utf-8")) - len(f"v{len(bases)}") + len(base)
        checks.add(draft.line, text)
    checks.flush()
    if source is not None and source.problems:
        raise DeckError(source.problems)
    if checks.problems:
        raise DeckError(checks.problems + _more(checks.count))
    if not bases:
        raise DeckError(
            [f"{path}:1: no multiple-choice question to convert ({skipped:,} skipped)"]
            + skipped_lines
            + _more(skipped)
        )
    if size > max_bytes:
        raise DeckError(
            [
                f"{path}:1: the converted deck would be {size:,} bytes; decks are limited to "
                f"{max_bytes:,} bytes (raise the max_deck_bytes setting to convert it)"
            ]
        )
    _check_explicit(explicit, rows, path)
    ids = _Ids(bases, explicit)
    del explicit
    out.write(head)
    lines: dict[str, int] = {}
    index = pinned = 0
    for item in rows():
        if isinstance(item, Issue):
            note(f"{path}:{item.line}: {item.message}")
            continue
        draft, moved = pin_last(item)
        kind, base = _base_id(draft)
        if index >= len(bases) or bases[index] != _hash64(base):
            raise DeckError([f"{path}:{draft.line}: the file changed while it was converted"])
        index += 1
        card_id = ids.next(draft, kind, base)
        if moved:
            pinned += 1
            shown = "; ".join(repr(text) for text in moved)
            note(
                f"{path}:{draft.line}: card {card_id}: {shown} kept last "
                "(its meaning depends on its place)"
            )
        if keep_lines:
            lines[card_id] = draft.line
        out.write(dump_card(card_document(card_id, draft)))
    if index != len(bases):
        raise DeckError([f"{path}:1: the file changed while it was converted"])
    return Written(deck_id, index, skipped, pinned, lines)


def build(
    drafts: Sequence[Draft | Issue],
    *,
    path: str,
    deck_id: str,
    name: str,
    description: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Conversion:
    """A conversion held in memory (for ``import``): the YAML, and the deck the strict loader
    reads from it with each card's line in the source."""
    out = io.StringIO()
    notes: list[str] = []
    written = write_deck(
        lambda: iter(drafts),
        out,
        path=path,
        deck_id=deck_id,
        name=name,
        description=description,
        max_bytes=max_bytes,
        note=notes.append,
        keep_lines=True,
    )
    return conversion_of(out.getvalue(), path, written, notes)


def conversion_of(yaml_text: str, path: str, written: Written, notes: list[str]) -> Conversion:
    """A conversion held in memory: the deck the strict loader reads from ``yaml_text``,
    each card at its line in the source, and the notes split into skipped and kept last."""
    deck = parse_deck(yaml_text, path)
    deck = replace(
        deck, cards=tuple(replace(c, line=written.lines.get(c.id, c.line)) for c in deck.cards)
    )
    skipped = tuple(n for n in notes if ": skipped " in n)
    pinned = tuple(n for n in notes if ": skipped " not in n)
    return Conversion(yaml_text, deck, skipped, pinned)


def check_deck_id(deck_id: str) -> str:
    if not is_slug(deck_id):
        raise UsageError(
            f"deck id {deck_id!r} must be a slug: lowercase letters, digits, '-' or '_', "
            "at most 64 characters"
        )
    return deck_id
