"""A linter for deck authors: cues that let a test-wise learner answer without knowing.

Multiple-choice items leak their answer through form as much as through content: the key is
the longest or most qualified choice, the distractors carry the absolute words, two choices
say the same thing, one choice is a part of another, the key is the choice the others vary
around, another card's stem states the answer. This module flags those cues in validated
decks (``mlcards.deck.load_decks``), one warning per finding, each with a short code and a
message saying what was measured. The per-card rules look for a cue strong enough to answer
one card; the set-level rules look for a heuristic ("pick the longest") that wins more often
than chance over many cards, which no single card shows.

Per card:

``key-longest``
    A single-answer card whose key is more than ``KEY_LENGTH_RATIO`` (1.3) times as long as
    its longest distractor, in characters of the stripped choice text.
``absolute-words``
    An absolute word (``ABSOLUTE_WORDS``: always, never, only, must, cannot, can't,
    impossible, guaranteed; whole words, any case, a curly apostrophe counts as ``'``)
    appears in at least one distractor while no correct choice contains any absolute word.
    (A correct choice with an absolute word of its own defeats the "absolutes are wrong"
    heuristic, so it silences the rule.)
``duplicate-choice``
    Two choices are equal once normalised (see below).
``substring-choice``
    One choice's normalised text occurs, as a run of whole words, inside another's. Pairs
    that are already duplicates are not reported again.
``no-explanation`` / ``no-reference``
    The explanation is empty (whitespace only) / the card lists no reference.
``hedge-only-key``
    A single-answer card whose key has a hedge word (``HEDGE_WORDS``: may, might, can,
    could, often, usually, tends...; whole words, any case) while no distractor has one: the
    careful-sounding choice gives itself away.
``convergence``
    A single-answer card whose key strictly shares the most *parts* with the other choices.
    A choice's parts are the normalised pieces between ``;``, ``+`` and commas or full stops
    not inside a number ("70% of the variance; error 3.0" has two); a choice's score is the
    number of (part, other choice) pairs it shares. When choices are built by varying parts
    ({70%, 40%} x {3.0, 7.0}) and the key holds every majority part, a learner picks it
    without knowing anything; a 2x2 design, each part in two choices, gives no such cue.
    Prose choices, one part each, rarely share a part, so the rule stays quiet on them.
``statement-longest``
    A select-all card whose longest right statement is more than ``KEY_LENGTH_RATIO`` (1.3)
    times as long as its longest wrong one.

Per deck:

``select-all-count``
    The deck has two or more select-all cards and every one of them has the same number of
    correct choices. Reported with an empty card id and line 1 (the deck has no other line).

Across cards (every pair of cards linted, in any decks; reported on the later card):

``duplicate-stem``
    Two cards whose content words (stem plus right choices; stop words and the boilerplate
    of a closing question such as "Which statements are correct? Select all that apply."
    left out) have a Jaccard index of at least ``STEM_JACCARD_LIMIT`` (0.35): near-copies,
    or the same fact asked twice.
``giveaway``
    A card's stem contains, as a run of content words, another card's right choice or one of
    its parts, of at least ``GIVEAWAY_MIN_WORDS`` (4) content words, or 3 when one holds a
    digit ("2 for fp16 weights").

Over everything linted (reported with an empty path, deck id and card id and line 0):

``longest-wins``
    "Pick the strictly longest choice" answers more than ``LONGEST_WINS_LIMIT`` (30%; chance
    is 25% with four choices) of the single-answer cards. A card with a tie for the longest
    choice is not a win.
``convergence-wins``
    "Pick the choice sharing the most content words with the others" (strictly; words as
    for ``convergence`` but whole choices, not parts) answers more than
    ``CONVERGENCE_WINS_LIMIT`` (30%) of the single-answer cards.
``select-all-longest``
    On select-all cards with a strictly longest statement, that statement is a right one
    more often than expected by more than ``SELECT_ALL_LONGEST_MARGIN`` (10 points). The
    expected share is the mean, over those cards, of each card's share of right statements.
    Needs at least ``SELECT_ALL_LONGEST_MIN_CARDS`` (10) such cards.

Normalising a choice (for the two choice-comparison rules): lowercase; drop the apostrophe
inside a word (``can't`` -> ``cant``); replace every other punctuation character (Unicode
category P*) and the backtick with a space, except the characters that make a number: ``.``
and ``,`` between two digits (``0.80``, ``1,000``), a ``-`` directly before a digit and not
after a letter or digit (a minus sign: ``-1``), and ``%`` after a digit; split on whitespace;
drop the articles a, an, the; join with single spaces. Mathematical symbols (``<``, ``>``,
``=``, ``+``...) are kept, so ``x > 0`` and ``x < 0`` stay different.

Thresholds are exact fractions, so a key exactly 1.3x as long as its longest distractor and
a share of exactly 30% do not warn (a stem Jaccard index of exactly 0.35 does).

``LintReport.to_dict()`` returns JSON-able values (typed as ``ReportDict``) with these keys:

- ``warnings``: a list of objects with ``path``, ``line``, ``deck_id``, ``card_id``, ``code``
  and ``message`` (the fields of ``LintWarning``);
- ``decks``: a list of objects with ``deck_id``, ``path``, ``cards``, ``single_answer``,
  ``longest_wins`` and ``longest_wins_share`` (a float from 0 to 1; 0 when the deck has no
  single-answer card), ``convergence_wins`` and ``convergence_wins_share``, ``select_all``
  (select-all cards with a strictly longest statement), ``select_all_longest_right``,
  ``select_all_longest_right_share`` and ``select_all_expected_share``;
- ``totals``: the same counts and shares over everything linted, ``decks`` and ``warnings``;
- ``by_code``: the number of warnings per code, for the codes that occurred;
- ``limits``: ``key_length_ratio`` (1.3), ``longest_wins_share`` (0.3),
  ``convergence_wins_share`` (0.3), ``select_all_longest_margin`` (0.1) and
  ``stem_jaccard`` (0.35), as floats.

Command line: ``mlcards lint [--strict] [--json] PATH...`` prints the report (text,
or the JSON above) and exits 0, or 1 with ``--strict`` when there is any warning, 65 when a
deck file is invalid (its problems go to stderr, as ``FILE:LINE: message``), 66 when a path
does not exist.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, TypedDict

from mlcards.models import Card, Choice, Deck

KEY_LENGTH_RATIO: Final = Fraction(13, 10)
"""``key-longest`` fires when len(key) > KEY_LENGTH_RATIO * len(longest distractor)."""

LONGEST_WINS_LIMIT: Final = Fraction(30, 100)
"""``longest-wins`` fires when the share of single-answer cards won by the longest choice is
above this (chance is 25% with four choices)."""

CONVERGENCE_WINS_LIMIT: Final = Fraction(30, 100)
"""``convergence-wins`` fires when "pick the choice sharing the most words with the others"
answers a larger share of single-answer cards than this."""

SELECT_ALL_LONGEST_MARGIN: Final = Fraction(10, 100)
"""``select-all-longest`` fires when the longest statement is a right one on a share of
select-all cards more than this above the share expected from their right statements."""

SELECT_ALL_LONGEST_MIN_CARDS: Final = 10
"""``select-all-longest`` needs at least this many select-all cards with a strictly longest
statement: below that, one card moves the share by more than the margin."""

STEM_JACCARD_LIMIT: Final = Fraction(35, 100)
"""``duplicate-stem`` fires when two cards' content words (stem plus right choices) have a
Jaccard index of at least this. Unrelated cards of the bundled decks stay below 0.2; the
three copies of the 16-bytes-per-parameter computation reached 0.38."""

GIVEAWAY_MIN_WORDS: Final = 4
"""``giveaway`` looks only for key texts (or key parts) of at least this many content words
(3 when one of them holds a digit), so a short key ("0.40", "held-out set") found in another
stem is not reported."""

ABSOLUTE_WORDS: Final = (
    "always",
    "never",
    "only",
    "must",
    "cannot",
    "can't",
    "impossible",
    "guaranteed",
)

HEDGE_WORDS: Final = (
    "may",
    "might",
    "can",
    "could",
    "often",
    "usually",
    "typically",
    "generally",
    "tends",
    "tend",
    "likely",
    "sometimes",
    "somewhat",
    "roughly",
    "approximately",
    "mostly",
    "probably",
    "partly",
    "largely",
    "mainly",
)
"""Qualifiers a careful (and so, to a test-wise reader, a right) choice carries. "about" and
"around" are left out: in these decks they mostly mark a rounded number, not a hedge."""

ARTICLES: Final = frozenset({"a", "an", "the"})

STOP_WORDS: Final = ARTICLES | frozenset(
    [
        "of",
        "to",
        "in",
        "is",
        "and",
        "or",
        "for",
        "on",
        "by",
        "it",
        "its",
        "with",
        "as",
        "at",
        "be",
        "are",
        "that",
        "this",
        "than",
        "from",
        "into",
        "their",
        "they",
        "them",
        "was",
        "were",
        "has",
        "have",
        "had",
        "each",
        "per",
    ]
)
"""Words left out of the word sets that the convergence, duplicate and giveaway rules compare."""

STEM_BOILERPLATE: Final = frozenset(
    [
        "which",
        "what",
        "how",
        "why",
        "select",
        "all",
        "apply",
        "statements",
        "correct",
        "true",
        "accurate",
        "following",
        "these",
        "does",
        "do",
        "should",
        "most",
        "best",
    ]
)
"""Words of a stem's closing question ("Which statements are correct? Select all that
apply.") that ``duplicate-stem`` and ``giveaway`` leave out: every card shares them."""

CODES: Final = (
    "key-longest",
    "absolute-words",
    "duplicate-choice",
    "substring-choice",
    "no-explanation",
    "no-reference",
    "hedge-only-key",
    "convergence",
    "statement-longest",
    "select-all-count",
    "duplicate-stem",
    "giveaway",
    "longest-wins",
    "convergence-wins",
    "select-all-longest",
)
"""Every warning code, in the order the rules run."""

_ABSOLUTE = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(w) for w in ABSOLUTE_WORDS) + r")(?!\w)",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(w) for w in HEDGE_WORDS) + r")(?!\w)", re.IGNORECASE
)
_INNER_APOSTROPHE = re.compile(r"(?<=[^\W_])'(?=[^\W_])")
# Where a choice splits into parts: ; + and sentence ends, and commas and full stops that
# are not inside a number.
_PART_SEPARATOR = re.compile(r"[;+]|(?<!\d)[.,]|[.,](?!\d)")


class WarningDict(TypedDict):
    path: str
    line: int
    deck_id: str
    card_id: str
    code: str
    message: str


class DeckDict(TypedDict):
    deck_id: str
    path: str
    cards: int
    single_answer: int
    longest_wins: int
    longest_wins_share: float
    convergence_wins: int
    convergence_wins_share: float
    select_all: int
    select_all_longest_right: int
    select_all_longest_right_share: float
    select_all_expected_share: float


class TotalsDict(TypedDict):
    decks: int
    cards: int
    single_answer: int
    longest_wins: int
    longest_wins_share: float
    convergence_wins: int
    convergence_wins_share: float
    select_all: int
    select_all_longest_right: int
    select_all_longest_right_share: float
    select_all_expected_share: float
    warnings: int


class LimitsDict(TypedDict):
    key_length_ratio: float
    longest_wins_share: float
    convergence_wins_share: float
    select_all_longest_margin: float
    stem_jaccard: float


class ReportDict(TypedDict):
    """What ``LintReport.to_dict`` returns (and ``--json`` prints)."""

    warnings: list[WarningDict]
    decks: list[DeckDict]
    totals: TotalsDict
    by_code: dict[str, int]
    limits: LimitsDict


@dataclass(frozen=True)
class LintWarning:
    path: str
    line: int
    deck_id: str
    card_id: str
    """Empty for a deck-level warning (and for the report-level ``longest-wins``)."""
    code: str
    message: str

    def to_dict(self) -> WarningDict:
        return {
            "path": self.path,
            "line": self.line,
            "deck_id": self.deck_id,
            "card_id": self.card_id,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class DeckLint:
    """The counts behind the per-deck summary line."""

    deck_id: str
    path: str
    cards: int
    single_answer: int
    longest_wins: int
    """Single-answer cards whose key is strictly longer than every other choice."""
    convergence_wins: int = 0
    """Single-answer cards whose key strictly shares the most words with the other choices."""
    select_all: int = 0
    """Select-all cards with a strictly longest statement (the others are not counted)."""
    select_all_longest_right: int = 0
    """Of those, the cards whose strictly longest statement is a right one."""
    select_all_expected: Fraction = Fraction(0)
    """The number of those expected by chance: the sum of each card's share of right
    statements."""

    @property
    def longest_wins_share(self) -> float:
        return _share(self.longest_wins, self.single_answer)

    @property
    def convergence_wins_share(self) -> float:
        return _share(self.convergence_wins, self.single_answer)

    @property
    def select_all_longest_right_share(self) -> float:
        return _share(self.select_all_longest_right, self.select_all)

    @property
    def select_all_expected_share(self) -> float:
        return float(self.select_all_expected) / self.select_all if self.select_all else 0.0

    def to_dict(self) -> DeckDict:
        return {
            "deck_id": self.deck_id,
            "path": self.path,
            "cards": self.cards,
            "single_answer": self.single_answer,
            "longest_wins": self.longest_wins,
            "longest_wins_share": self.longest_wins_share,
            "convergence_wins": self.convergence_wins,
            "convergence_wins_share": self.convergence_wins_share,
            "select_all": self.select_all,
            "select_all_longest_right": self.select_all_longest_right,
            "select_all_longest_right_share": self.select_all_longest_right_share,
            "select_all_expected_share": self.select_all_expected_share,
        }


@dataclass(frozen=True)
class LintReport:
    warnings: tuple[LintWarning, ...]
    decks: tuple[DeckLint, ...]

    @property
    def cards(self) -> int:
        return sum(d.cards for d in self.decks)

    @property
    def single_answer(self) -> int:
        return sum(d.single_answer for d in self.decks)

    @property
    def longest_wins(self) -> int:
        return sum(d.longest_wins for d in self.decks)

    @property
    def longest_wins_share(self) -> float:
        return _share(self.longest_wins, self.single_answer)

    @property
    def convergence_wins(self) -> int:
        return sum(d.convergence_wins for d in self.decks)

    @property
    def select_all(self) -> int:
        return sum(d.select_all for d in self.decks)

    @property
    def select_all_longest_right(self) -> int:
        return sum(d.select_all_longest_right for d in self.decks)

    @property
    def select_all_expected(self) -> Fraction:
        return sum((d.select_all_expected for d in self.decks), Fraction(0))

    @property
    def by_code(self) -> dict[str, int]:
        """Warnings per code, in the order of CODES, for the codes that occurred."""
        counts = Counter(w.code for w in self.warnings)
        return {code: counts[code] for code in CODES if counts[code]}

    def to_dict(self) -> ReportDict:
        return {
            "warnings": [w.to_dict() for w in self.warnings],
            "decks": [d.to_dict() for d in self.decks],
            "totals": {
                "decks": len(self.decks),
                "cards": self.cards,
                "single_answer": self.single_answer,
                "longest_wins": self.longest_wins,
                "longest_wins_share": self.longest_wins_share,
                "convergence_wins": self.convergence_wins,
                "convergence_wins_share": _share(self.convergence_wins, self.single_answer),
                "select_all": self.select_all,
                "select_all_longest_right": self.select_all_longest_right,
                "select_all_longest_right_share": _share(
                    self.select_all_longest_right, self.select_all
                ),
                "select_all_expected_share": (
                    float(self.select_all_expected) / self.select_all if self.select_all else 0.0
                ),
                "warnings": len(self.warnings),
            },
            "by_code": self.by_code,
            "limits": {
                "key_length_ratio": float(KEY_LENGTH_RATIO),
                "longest_wins_share": float(LONGEST_WINS_LIMIT),
                "convergence_wins_share": float(CONVERGENCE_WINS_LIMIT),
                "select_all_longest_margin": float(SELECT_ALL_LONGEST_MARGIN),
                "stem_jaccard": float(STEM_JACCARD_LIMIT),
            },
        }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


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


# -- the rules --------------------------------------------------------------------------------


def _card_findings(card: Card) -> list[tuple[str, str]]:
    """(code, message) pairs for one card, in the order of CODES."""
    findings: list[tuple[str, str]] = []
    correct = [c for c in card.choices if c.id in card.answer]
    distractors = [c for c in card.choices if c.id not in card.answer]

    if not card.multiple and len(correct) == 1 and distractors:
        key = correct[0]
        longest = max(distractors, key=_length)
        key_len, longest_len = _length(key), _length(longest)
        if key_len > KEY_LENGTH_RATIO * longest_len:
            ratio = f"{key_len / longest_len:.2f}x" if longest_len else "infinitely"
            findings.append(
                (
                    "key-longest",
                    f"the key ({key.id}, {key_len} characters) is {ratio} as long as the longest "
                    f"distractor ({longest.id}, {longest_len}); the limit is "
                    f"{float(KEY_LENGTH_RATIO):g}x",
                )
            )

    if not any(absolute_words(c.text) for c in correct):
        flagged = [(c.id, absolute_words(c.text)) for c in distractors]
        flagged = [(cid, words) for cid, words in flagged if words]
        if flagged:
            where = ", ".join(f"{cid} ({', '.join(words)})" for cid, words in flagged)
            noun = "distractor" if len(flagged) == 1 else "distractors"
            findings.append(
                (
                    "absolute-words",
                    f"absolute words in {noun} {where} but in no correct choice",
                )
            )

    normal = [(c.id, normalise(c.text)) for c in card.choices]
    for i, (id_i, text_i) in enumerate(normal):
        for id_j, text_j in normal[i + 1 :]:
            if text_i == text_j:
                findings.append(
                    (
                        "duplicate-choice",
                        f"choices {id_i} and {id_j} are the same once normalised: {text_i!r}",
                    )
                )
    for id_i, text_i in normal:
        for id_j, text_j in normal:
            if text_i != text_j and _contains_words(text_i, text_j):
                findings.append(
                    (
                        "substring-choice",
                        f"choice {id_i} ({text_i!r}) is contained in choice {id_j} ({text_j!r})",
                    )
                )

    if not card.explanation.strip():
        findings.append(("no-explanation", "the explanation is empty"))
    if not card.references:
        findings.append(("no-reference", "the card has no reference"))

    if not card.multiple and len(correct) == 1 and distractors:
        hedges = hedge_words(correct[0].text)
        if hedges and not any(hedge_words(c.text) for c in distractors):
            findings.append(
                (
                    "hedge-only-key",
                    f"only the key ({correct[0].id}) is hedged ({', '.join(hedges)}); "
                    "no distractor carries a qualifier",
                )
            )
        scores = part_convergence(card)
        if scores is not None:
            listed = ", ".join(f"{cid} {n}" for cid, n in scores.items())
            findings.append(
                (
                    "convergence",
                    f"the key ({correct[0].id}) shares the most parts with the other choices "
                    f"({listed}); balance the parts so each appears equally often",
                )
            )

    if card.multiple and correct and distractors:
        right = max(correct, key=_length)
        wrong = max(distractors, key=_length)
        if _length(right) > KEY_LENGTH_RATIO * _length(wrong):
            findings.append(
                (
                    "statement-longest",
                    f"the longest right statement ({right.id}, {_length(right)} characters) is "
                    f"more than {float(KEY_LENGTH_RATIO):g}x as long as the longest wrong one "
                    f"({wrong.id}, {_length(wrong)})",
                )
            )
    return findings


def _select_all_finding(deck: Deck) -> str | None:
    counts = [len(c.answer) for c in deck.cards if c.multiple]
    if len(counts) >= 2 and len(set(counts)) == 1:
        return (
            f"all {len(counts)} select-all cards have {counts[0]} correct "
            f"choice{'s' if counts[0] != 1 else ''}; vary the number so it gives nothing away"
        )
    return None


def _stem_words(card: Card) -> list[str]:
    words = normalise(card.question).split()
    return [w for w in words if w not in STOP_WORDS and w not in STEM_BOILERPLATE]


def _card_words(card: Card) -> frozenset[str]:
    """What ``duplicate-stem`` compares: the content words of the stem and the right choices
    (two cards with different stems that teach the same fact share their key's words)."""
    words = set(_stem_words(card))
    for choice in card.choices:
        if choice.id in card.answer:
            words |= content_words(choice.text)
    return frozenset(words)


def _key_texts(card: Card) -> list[list[str]]:
    """The right choices of a card and their parts, as content-word runs long enough for
    ``giveaway``."""
    runs: list[list[str]] = []
    for choice in card.choices:
        if choice.id not in card.answer:
            continue
        for text in [choice.text, *parts(choice.text)]:
            run = [w for w in normalise(text).split() if w not in STOP_WORDS]
            words = [w for w in run if any(ch.isalnum() for ch in w)]
            needed = GIVEAWAY_MIN_WORDS - any(ch.isdigit() for w in words for ch in w)
            if len(words) >= needed and run not in runs:
                runs.append(run)
    return runs


def _cross_card_warnings(decks: Sequence[Deck]) -> list[LintWarning]:
    """``duplicate-stem`` and ``giveaway`` over every pair of cards linted, each reported on
    the later card (in deck order, then line order)."""
    cards = [(deck, card) for deck in decks for card in deck.cards]
    stems = [_card_words(card) for _, card in cards]
    runs = [" " + " ".join(_stem_words(card)) + " " for _, card in cards]
    keys = [_key_texts(card) for _, card in cards]
    warnings: list[LintWarning] = []
    for j, (deck_j, card_j) in enumerate(cards):
        for i, (deck_i, card_i) in enumerate(cards):
            if i == j:
                continue
            if i < j:
                similarity = jaccard(stems[i], stems[j])
                if similarity >= STEM_JACCARD_LIMIT:
                    warnings.append(
                        LintWarning(
                            deck_j.path,
                            card_j.line,
                            deck_j.id,
                            card_j.id,
                            "duplicate-stem",
                            f"the stem and key share {float(similarity):.0%} of their words with "
                            f"{deck_i.id}/{card_i.id} ({deck_i.path}:{card_i.line}); merge the "
                            "cards or make them ask different things",
                        )
                    )
            given = next((run for run in keys[i] if f" {' '.join(run)} " in runs[j]), None)
            if given is not None:
                warnings.append(
                    LintWarning(
                        deck_j.path,
                        card_j.line,
                        deck_j.id,
                        card_j.id,
                        "giveaway",
                        f"the stem contains {' '.join(given)!r}, the answer of "
                        f"{deck_i.id}/{card_i.id} ({deck_i.path}:{card_i.line})",
                    )
                )
    return warnings


def lint_deck(deck: Deck) -> tuple[list[LintWarning], DeckLint]:
    warnings: list[LintWarning] = []
    message = _select_all_finding(deck)
    if message is not None:
        warnings.append(LintWarning(deck.path, 1, deck.id, "", "select-all-count", message))
    for card in deck.cards:
        for code, text in _card_findings(card):
            warnings.append(LintWarning(deck.path, card.line, deck.id, card.id, code, text))
    single = [c for c in deck.cards if not c.multiple]
    measured = [(c, select_all_longest(c)) for c in deck.cards if c.multiple]
    measured = [(c, right) for c, right in measured if right is not None]
    summary = DeckLint(
        deck_id=deck.id,
        path=deck.path,
        cards=len(deck.cards),
        single_answer=len(single),
        longest_wins=sum(longest_choice_wins(c) for c in single),
        convergence_wins=sum(convergence_wins(c) for c in single),
        select_all=len(measured),
        select_all_longest_right=sum(bool(right) for _, right in measured),
        select_all_expected=sum(
            (Fraction(len(c.answer), len(c.choices)) for c, _ in measured), Fraction(0)
        ),
    )
    return warnings, summary


def lint_decks(decks: Sequence[Deck]) -> LintReport:
    """Lint every deck; warnings come deck by deck, in line order, the report-level one last."""
    warnings: list[LintWarning] = []
    summaries: list[DeckLint] = []
    for deck in decks:
        deck_warnings, summary = lint_deck(deck)
        warnings.extend(deck_warnings)
        summaries.append(summary)
    warnings.extend(_cross_card_warnings(decks))
    report = LintReport((), tuple(summaries))
    wins, single = report.longest_wins, report.single_answer
    if single and Fraction(wins, single) > LONGEST_WINS_LIMIT:
        warnings.append(
            _overall(
                "longest-wins",
                f"pick the longest wins {wins} of {single} single-answer cards "
                f"({wins / single:.1%}), above the {float(LONGEST_WINS_LIMIT):.0%} limit",
            )
        )
    converging = report.convergence_wins
    if single and Fraction(converging, single) > CONVERGENCE_WINS_LIMIT:
        warnings.append(
            _overall(
                "convergence-wins",
                f"pick the choice sharing the most words with the others wins {converging} of "
                f"{single} single-answer cards ({converging / single:.1%}), above the "
                f"{float(CONVERGENCE_WINS_LIMIT):.0%} limit",
            )
        )
    measured, right = report.select_all, report.select_all_longest_right
    expected = report.select_all_expected
    if (
        measured >= SELECT_ALL_LONGEST_MIN_CARDS
        and Fraction(right, measured) > expected / measured + SELECT_ALL_LONGEST_MARGIN
    ):
        warnings.append(
            _overall(
                "select-all-longest",
                f"the longest statement is a right one on {right} of {measured} select-all "
                f"cards ({right / measured:.1%}), against {float(expected / measured):.1%} "
                f"expected from their share of right statements; the limit is "
                f"{float(SELECT_ALL_LONGEST_MARGIN):.0%} above that",
            )
        )
    return LintReport(tuple(warnings), tuple(summaries))


def _overall(code: str, message: str) -> LintWarning:
    """A report-level warning: no path, deck, card or line."""
    return LintWarning("", 0, "", "", code, message)


# -- text output ------------------------------------------------------------------------------


def format_warning(warning: LintWarning) -> str:
    if not warning.deck_id:
        return f"all decks: {warning.message} [{warning.code}]"
    where = f"{warning.deck_id}/{warning.card_id}" if warning.card_id else warning.deck_id
    return f"{warning.path}:{warning.line}: {where}: {warning.message} [{warning.code}]"


def _longest_summary(wins: int, single: int) -> str:
    if not single:
        return "no single-answer cards"
    return f"pick the longest wins {wins} of {single} single-answer cards ({wins / single:.0%})"


def _select_all_summary(right: int, measured: int, expected: float) -> str:
    if not measured:
        return ""
    return (
        f"; the longest statement is right on {right} of {measured} select-all cards "
        f"({right / measured:.0%}, {expected:.0%} expected)"
    )


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def format_report(report: LintReport) -> list[str]:
    """The report as plain text lines: the warnings, a line per deck, a total line."""
    lines = [format_warning(w) for w in report.warnings]
    per_deck = Counter(w.deck_id for w in report.warnings)
    for deck in report.decks:
        select_all = _select_all_summary(
            deck.select_all_longest_right, deck.select_all, deck.select_all_expected_share
        )
        lines.append(
            f"{deck.path}: {deck.deck_id}: {_plural(deck.cards, 'card')}, "
            f"{_plural(per_deck[deck.deck_id], 'warning')}; "
            f"{_longest_summary(deck.longest_wins, deck.single_answer)}"
            f"{select_all}"
        )
    codes = ", ".join(f"{code} {n}" for code, n in report.by_code.items())
    measured = report.select_all
    expected = float(report.select_all_expected) / measured if measured else 0.0
    lines.append(
        f"total: {_plural(len(report.decks), 'deck')}, {_plural(report.cards, 'card')}, "
        f"{_plural(len(report.warnings), 'warning')}{f' ({codes})' if codes else ''}; "
        f"{_longest_summary(report.longest_wins, report.single_answer)}"
        f"{_select_all_summary(report.select_all_longest_right, report.select_all, expected)}"
    )
    return lines


# -- command line -----------------------------------------------------------------------------
