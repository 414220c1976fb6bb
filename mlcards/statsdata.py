"""The plain data of the stats summary and the exports: what is asked (``StatsQuery``) and
what the store hands back, already aggregated (``StatsData``). Nothing here does I/O; the
numbers are the store's to count and ``stats.py``'s to read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

REVIEW_COLUMNS: tuple[str, ...] = (
    "id",
    "deck_id",
    "card_id",
    "reviewed_at",
    "study_day",
    "chosen",
    "correct",
    "quality",
    "response_ms",
    "same_day_repeat",
    "was_new",
    "repetitions",
    "easiness",
    "interval",
    "due",
    "mode",
)
"""Columns of the review log, in the order ``export reviews`` writes them."""

REVIEW_FREE_TEXT: frozenset[str] = frozenset({"deck_id", "card_id", "chosen"})
"""The review log's columns whose text may start with anything a spreadsheet runs as a
formula (ids and chosen answers arrive through sync and imports as any text); the others are
numbers, or dates and modes checked before they are written, so the CSV export escapes only
these (TEXT columns: a number in them is stored as text and escaped alike)."""


@dataclass(frozen=True)
class StatsQuery:
    """Which part of the history to summarise: reviews from study day ``since`` (all of
    them when None) up to ``today``, of one deck and/or one tag when given."""

    today: date
    since: date | None = None
    deck_id: str | None = None
    tag: str | None = None
    distractor_cards: int | None = 20
    """Distractor picks for this many cards, those most often answered wrong (None: all)."""
    hardest: int = 10
    """How many struggling cards the stats list."""
    leech_from: int = 0
    """The lowest leech threshold of any deck: cards with fewer lapses are never leeches."""


@dataclass(frozen=True)
class DayActivity:
    day: date
    answers: int
    correct: int
    time_ms: int


@dataclass(frozen=True)
class RetentionDay:
    """First-of-day answers of one study day, split by the interval before the answer."""

    day: date
    mature: bool
    answers: int
    correct: int


@dataclass(frozen=True)
class GroupAccuracy:
    key: str
    answers: int
    correct: int


@dataclass(frozen=True)
class StageCounts:
    deck_id: str
    new: int
    learning: int
    young: int
    mature: int
    retired: int


@dataclass(frozen=True)
class CardSummary:
    """A card's cached schedule plus counts over the reviews in the queried window."""

    deck_id: str
    card_id: str
    title: str
    retired: bool
    reviewed: bool
    """Reviewed at least once since its schedule last started (i.e. not new)."""
    repetitions: int
    easiness: float
    interval: int
    due: date | None
    reviews: int
    correct: int
    lapses: int
    last_review: str | None
    """UTC ISO 8601 time of the latest review in the window."""
    first_answers: int = 0
    """Answers that were the first of their study day (not same-day repeats)."""
    first_correct: int = 0
    dont_know: int = 0
    """First-of-day answers that were "I don't know" (quality 0)."""

    total_lapses: int = 0
    """Lapses since the card's schedule last started, whatever the window (the cached count
    that decides leeches)."""
    stability: float | None = None
    difficulty: float | None = None
    """FSRS memory state (None for SM-2 cards)."""


@dataclass(frozen=True)
class DistractorCard:
    """How often each choice of a card was picked on first-of-day answers."""

    deck_id: str
    card_id: str
    choices: tuple[str, ...]
    answer: tuple[str, ...]
    answers: int
    correct: int
    dont_know: int
    picks: dict[str, int]
    texts: dict[str, str] = field(default_factory=dict)
    """Each choice's text, by id."""


@dataclass(frozen=True)
class StatsData:
    """Everything the stats summary needs, already aggregated by the store."""

    activity: list[DayActivity]
    retention: list[RetentionDay]
    by_deck: list[GroupAccuracy]
    by_tag: list[GroupAccuracy]
    stages: list[StageCounts]
    easiness: list[tuple[float, int]]
    intervals: list[tuple[int, int]]
    due: list[tuple[date, int]]
    cards: list[CardSummary]
    """Every card reviewed in the window, in deck order (empty when read from the running
    totals, which hand over only the three lists below)."""
    distractors: list[DistractorCard]
    cards_reviewed: int | None = None
    """How many cards were reviewed in the window (None: ``len(cards)``)."""
    hardest: list[CardSummary] | None = None
    """The struggling cards, hardest first, already cut to the list's length (None: from
    ``cards``)."""
    leech_candidates: list[tuple[str, str, int]] | None = None
    """In deck order, every card reviewed in the window that has lapsed at least as often as
    the lowest leech threshold, as (deck, card, lapses since its schedule started) (None:
    ``cards``). Only what the leeches list shows: there can be thousands."""
