"""``write_deck``: a converter's stream of drafts -> the YAML deck, in two passes so that
memory stays flat however many rows there are.

The first pass checks every card with the strict loader (in batches, each problem named by
its line in the source file, never the YAML's) and notes a 64-bit hash of each card's id;
the second assigns the final ids and writes the YAML a card at a time. Nothing is written
until the whole source is known to convert: a conversion is all or nothing.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import io
import re
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TextIO

from mlcards.deck import DEFAULT_MAX_BYTES, parse_deck
from mlcards.deckwriter import DeckValue, dump_card, dump_deck_head
from mlcards.errors import DeckError, UsageError
from mlcards.formats._common import (
    MAX_PROBLEMS,
    SLUG_MAX,
    Conversion,
    Draft,
    Issue,
    SourceLines,
    content_id,
    is_slug,
    pin_last,
)

BATCH = 500
"""Cards checked by the strict loader at a time."""


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
    seen = _first_pass(rows, checks, len(head.encode("utf-8")))
    if source is not None and source.problems:
        raise DeckError(source.problems)
    if checks.problems:
        raise DeckError(checks.problems + _more(checks.count))
    if not seen.bases:
        raise DeckError(
            [f"{path}:1: no multiple-choice question to convert ({seen.skipped:,} skipped)"]
            + seen.skipped_lines
            + _more(seen.skipped)
        )
    if seen.size > max_bytes:
        raise DeckError(
            [
                f"{path}:1: the converted deck would be {seen.size:,} bytes; decks are limited "
                f"to {max_bytes:,} bytes (raise the max_deck_bytes setting to convert it)"
            ]
        )
    _check_explicit(seen.explicit, rows, path)
    ids = _Ids(seen.bases, seen.explicit)
    seen.explicit = array("Q")
    out.write(head)
    return _second_pass(rows, out, ids, seen, note, keep_lines, deck_id, path)


@dataclass
class _Seen:
    """What the first pass keeps of every card: 8 bytes for its id's hash (16 when the id
    was given), and the deck's size; rows skipped are counted, the first few kept."""

    bases: array[int] = field(default_factory=lambda: array("Q"))
    explicit: array[int] = field(default_factory=lambda: array("Q"))
    skipped: int = 0
    skipped_lines: list[str] = field(default_factory=list)
    size: int = 0


def _first_pass(
    rows: Callable[[], Iterator[Draft | Issue]], checks: _Checks, head_size: int
) -> _Seen:
    """Every row checked (the problems gathered in ``checks``), nothing written."""
    seen = _Seen(size=head_size)
    for item in rows():
        if isinstance(item, Issue):
            if item.fatal:
                checks.problem(item.line, item.message)
            else:
                seen.skipped += 1
                if len(seen.skipped_lines) < MAX_PROBLEMS:
                    seen.skipped_lines.append(f"{checks.path}:{item.line}: {item.message}")
            continue
        draft, _ = pin_last(item)
        kind, base = _base_id(draft)
        seen.bases.append(_hash64(base))
        if kind == "explicit":
            seen.explicit.append(_hash64(base))
        placeholder = f"v{len(seen.bases)}"
        text = dump_card(card_document(placeholder, draft))
        seen.size += len(text.encode("utf-8")) - len(placeholder) + len(base)
        checks.add(draft.line, text)
    checks.flush()
    return seen


def _second_pass(
    rows: Callable[[], Iterator[Draft | Issue]],
    out: TextIO,
    ids: _Ids,
    seen: _Seen,
    note: Callable[[str], None],
    keep_lines: bool,
    deck_id: str,
    path: str,
) -> Written:
    """Every card written with its final id; the rows must be those the first pass saw."""
    bases = seen.bases
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
    return Written(deck_id, index, seen.skipped, pinned, lines)


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
