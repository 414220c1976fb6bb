"""Measuring choices: normalised text, lengths, hedge and absolute words, shared parts."""

from __future__ import annotations

import unicodedata
from collections import Counter
from fractions import Fraction

from mlcards.lint.limits import (
    _ABSOLUTE,
    _HEDGE,
    _INNER_APOSTROPHE,
    _PART_SEPARATOR,
    ARTICLES,
    STOP_WORDS,
)
from mlcards.models import Card, Choice

# -- normalising and measuring choices --------------------------------------------------------


def normalise(text: str) -> str:
    """A choice's text as the duplicate and substring rules compare it (see the docstring)."""
    text = _INNER_APOSTROPHE.sub("", text.lower().replace("\u2019", "'"))
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == "`" or (unicodedata.category(ch).startswith("P") and not _number_part(text, i)):
            out.append(" ")
        else:
            out.append(ch)
    return " ".join(w for w in "".join(out).split() if w not in ARTICLES)


def _number_part(text: str, i: int) -> bool:
    """Whether the punctuation character text[i] belongs to a number (0.8, 1,000, -1, 5%)."""
    ch = text[i]
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    if ch in ".,":
        return before.isdigit() and after.isdigit()
    if ch == "-":
        return after.isdigit() and not before.isalnum()
    if ch == "%":
        return before.isdigit()
    return False


def _contains_words(inner: str, outer: str) -> bool:
    """Whether the words of ``inner`` occur as a run of whole words in ``outer``."""
    return bool(inner) and f" {inner} " in f" {outer} "


def _length(choice: Choice) -> int:
    return len(choice.text.strip())


def absolute_words(text: str) -> list[str]:
    """The absolute words in ``text``, lowercased, in order of appearance, without repeats."""
    found: list[str] = []
    for match in _ABSOLUTE.finditer(text.replace("\u2019", "'")):
        word = match.group(1).lower()
        if word not in found:
            found.append(word)
    return found


def longest_choice_wins(card: Card) -> bool:
    """Whether "pick the strictly longest choice" answers this single-answer card."""
    if card.multiple or len(card.answer) != 1:
        return False
    key = card.answer[0]
    lengths = {c.id: _length(c) for c in card.choices}
    return all(lengths[key] > n for cid, n in lengths.items() if cid != key)


def hedge_words(text: str) -> list[str]:
    """The hedge words in ``text``, lowercased, in order of appearance, without repeats."""
    found: list[str] = []
    for match in _HEDGE.finditer(text):
        word = match.group(1).lower()
        if word not in found:
            found.append(word)
    return found


def content_words(text: str) -> frozenset[str]:
    """The normalised words of ``text`` without the stop words."""
    return frozenset(w for w in normalise(text).split() if w not in STOP_WORDS)


def parts(text: str) -> list[str]:
    """The parts of a choice, normalised and without empty ones: the pieces between ``;``,
    ``+`` and commas or full stops that are not inside a number. "70% of the variance; error
    3.0" has the parts "70% of variance" and "error 3.0"."""
    pieces = (normalise(p) for p in _PART_SEPARATOR.split(text.replace("\u2019", "'")))
    return [p for p in pieces if p]


def _sharing_scores(sets: dict[str, frozenset[str]]) -> dict[str, int]:
    """For each choice, how many (part, other choice) pairs it shares: the sum over its
    distinct parts of the number of other choices that also have the part."""
    counts = Counter(item for items in sets.values() for item in items)
    return {cid: sum(counts[item] - 1 for item in items) for cid, items in sets.items()}


def _strict_top(scores: dict[str, int], key: str) -> bool:
    return scores[key] > 0 and all(scores[key] > n for cid, n in scores.items() if cid != key)


def convergence_wins(card: Card) -> bool:
    """Whether "pick the choice sharing the most content words with the others" answers this
    single-answer card (strictly: a tie is no win)."""
    if card.multiple or len(card.answer) != 1:
        return False
    scores = _sharing_scores({c.id: content_words(c.text) for c in card.choices})
    return _strict_top(scores, card.answer[0])


def part_convergence(card: Card) -> dict[str, int] | None:
    """The part-sharing scores of a single-answer card whose key strictly shares the most
    parts with the other choices, or None."""
    if card.multiple or len(card.answer) != 1:
        return None
    scores = _sharing_scores({c.id: frozenset(parts(c.text)) for c in card.choices})
    return scores if _strict_top(scores, card.answer[0]) else None


def select_all_longest(card: Card) -> bool | None:
    """On a select-all card, whether its strictly longest statement is a right one; None when
    two statements tie for the longest (or the card is single-answer)."""
    if not card.multiple:
        return None
    lengths = sorted((_length(c), c.id) for c in card.choices)
    if len(lengths) < 2 or lengths[-1][0] == lengths[-2][0]:
        return None
    return lengths[-1][1] in card.answer


def jaccard(first: frozenset[str], second: frozenset[str]) -> Fraction:
    union = first | second
    return Fraction(len(first & second), len(union)) if union else Fraction(0)
