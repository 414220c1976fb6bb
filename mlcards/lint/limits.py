"""The thresholds and word lists of the lint rules (see ``mlcards.lint``), in one place."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Final

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
