"""What the converters share: reading a source file, card drafts, stable ids, the document.

A converter turns its format into ``Draft`` values (Markdown text, choice ids, the answer,
the source line) plus the list of questions it skipped; ``build`` assigns the card ids,
writes the deck document, dumps it with ``dump_deck`` and reads it back with the strict
loader, so a conversion is valid by construction or it is a bug, never a half-written deck.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from mlcards.deck import DEFAULT_MAX_BYTES, parse_deck
from mlcards.deckfiles import read_text
from mlcards.deckwriter import DeckValue, dump_deck
from mlcards.errors import DeckError, UsageError
from mlcards.models import Deck
from mlcards.sanitize import describe_char, first_unsafe, quote_path

SLUG_MAX = 64
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
class Conversion:
    """A converted source file: the deck as plain data, as YAML, and as a loaded Deck."""

    document: dict[str, DeckValue]
    yaml_text: str
    deck: Deck
    """Parsed back from ``yaml_text`` by the strict loader; each card's ``line`` is its line
    in the source file, and ``deck.path`` the source file, for messages."""
    skipped: tuple[str, ...] = ()
    """``FILE:LINE: skipped <type> question`` for every question left out, with the reason
    when a multiple-choice question was left out because its meaning cannot be kept."""


def read_source(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """A source file as text: size-capped, strict UTF-8 (BOM dropped), no control characters."""
    shown = quote_path(path)
    text = read_text(path, max_bytes, what="sources")
    problems = []
    for number, line_text in enumerate(text.split("\n"), start=1):
        # the deck's own check, here so that the message has the source's line, not the YAML's
        bad = first_unsafe(line_text.removesuffix("\r"))
        if bad is None and (nonchar := _NONCHARACTER.search(line_text)):
            bad = nonchar.group()
        if bad:
            problems.append(
                f"{shown}:{number}: control character {describe_char(bad)} is not allowed "
                "in deck text; remove it"
            )
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
    words = slugify(re.sub(r"<[^>]*>", " ", key), 40)
    return f"{words or 'q'}-{_digest(key, *extra)}"


def assign_ids(drafts: list[Draft], path: str) -> list[str]:
    """Card ids: explicit ones as given, then title slugs, then content hashes.

    Explicit ids must be unique. A title slug used twice gets ``-2``, ``-3``... in file
    order. Content ids that collide (the same question text) are made from the question and
    its choices instead, so two questions sharing a stem keep their ids when the file is
    reordered; only questions identical in both get ``-2``, ``-3``... in file order.
    """
    ids = [""] * len(drafts)
    taken: dict[str, int] = {}
    problems: list[str] = []
    for index, draft in enumerate(drafts):
        if draft.explicit_id:
            if draft.explicit_id in taken:
                problems.append(
                    f"{path}:{draft.line}: duplicate id {draft.explicit_id!r} "
                    f"(first at line {taken[draft.explicit_id]})"
                )
            else:
                taken[draft.explicit_id] = draft.line
                ids[index] = draft.explicit_id
    if problems:
        raise DeckError(problems)

    def claim(index: int, base: str) -> None:
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            suffix = f"-{number}"
            candidate = base[: SLUG_MAX - len(suffix)] + suffix
        taken[candidate] = drafts[index].line
        ids[index] = candidate

    for index, draft in enumerate(drafts):
        if not ids[index] and draft.title_id:
            claim(index, draft.title_id[: SLUG_MAX - 4])
    pending = [i for i, d in enumerate(drafts) if not ids[i]]
    first_pass = {i: content_id(drafts[i].key) for i in pending}
    counts: dict[str, int] = {}
    for value in first_pass.values():
        counts[value] = counts.get(value, 0) + 1
    for index in pending:
        base = first_pass[index]
        if counts[base] > 1:
            base = content_id(drafts[index].key, drafts[index].choice_key)
        claim(index, base)
    return ids


def placeholder_explanation(draft: Draft) -> str:
    """The loader requires an explanation; say honestly that the source had none."""
    right = [c.text for c in draft.choices if c.id in draft.answer]
    label = "answers" if len(right) > 1 else "answer"
    return f"No explanation was given in the source file. Keyed {label}: " + "; ".join(right)


def build(
    drafts: list[Draft],
    *,
    path: str,
    deck_id: str,
    name: str,
    description: str,
    skipped: list[str],
) -> Conversion:
    if not drafts:
        raise DeckError(
            [f"{path}:1: no multiple-choice question to convert ({len(skipped)} skipped)"] + skipped
        )
    ids = assign_ids(drafts, path)
    cards: list[DeckValue] = []
    for card_id, draft in zip(ids, drafts, strict=True):
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
        cards.append(card)
    document: dict[str, DeckValue] = {"id": deck_id, "name": name}
    if description:
        document["description"] = description
    document["cards"] = cards
    yaml_text = dump_deck(document)
    deck = parse_deck(yaml_text, path)
    lines = {card_id: draft.line for card_id, draft in zip(ids, drafts, strict=True)}
    deck = replace(deck, cards=tuple(replace(c, line=lines[c.id]) for c in deck.cards))
    return Conversion(document, yaml_text, deck, tuple(skipped))


def check_deck_id(deck_id: str) -> str:
    if not is_slug(deck_id):
        raise UsageError(
            f"deck id {deck_id!r} must be a slug: lowercase letters, digits, '-' or '_', "
            "at most 64 characters"
        )
    return deck_id
