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

from mlcards.lint.report import DeckLint, LintReport, LintWarning
from mlcards.lint.rules import format_report, format_warning, lint_deck, lint_decks

# The thresholds and word lists are ``lint.limits``'s, the measures ``lint.measures``'s, the
# report's JSON shapes ``lint.report``'s: imported from there.
__all__ = [
    "DeckLint",
    "LintReport",
    "LintWarning",
    "format_report",
    "format_warning",
    "lint_deck",
    "lint_decks",
]
