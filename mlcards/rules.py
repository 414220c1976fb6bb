"""The domain rules, stated once. Every other module reads them from here.

No imports of ours: these are plain values and predicates over plain values, so the store
can build its SQL from them and the session, the scheduler and stats can share them.
``DeckRules`` is the one value a deck's settings become (``Settings.rules_for``): every
leech test and every daily-limit sum reads it, so no two places can disagree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

NEW_REPETITIONS = 0
NEW_EASINESS = 2.5
NEW_INTERVAL = 0
"""The cached schedule of a card never reviewed (or reset by a changed answer): due is NULL."""

LEARNED_REPETITIONS = 1
"""A card with at least this many successful repetitions has been learned."""

LAPSE_BELOW = 3
"""A graded answer below this quality on a learned card is a *lapse* (forgotten)."""

REPEAT_BELOW = 4
"""A card answered below this quality comes back later the same study day."""

MATURE_INTERVAL = 21
"""A card whose interval is at least this many days is *mature* (as in Anki)."""

YOUNG_REPETITIONS = 2
"""A reviewed card with fewer repetitions than this is still *learning*."""

DEFAULT_LEECH_THRESHOLD = 8
"""A card forgotten this many times after it had been learned is a *leech*."""

DEFAULT_NEW_PER_DAY = 20
DEFAULT_REVIEWS_PER_DAY = 200
DEFAULT_ROLLOVER_HOUR = 4
"""Study days start at 04:00 local time, as in Anki."""

SCHEDULERS = ("sm2", "fsrs")
"""The schedulers a deck can use (the ``scheduler`` setting); SM-2 is the default."""
DEFAULT_SCHEDULER = "sm2"
DEFAULT_DESIRED_RETENTION = 0.9
"""FSRS schedules a card for the day its predicted recall falls to this."""


def is_lapse(quality: int, repetitions_before: int) -> bool:
    """A graded answer that forgets a learned card (same-day repeats are never graded)."""
    return quality < LAPSE_BELOW and repetitions_before >= LEARNED_REPETITIONS


def is_leech(lapses: int, threshold: int = DEFAULT_LEECH_THRESHOLD) -> bool:
    return lapses >= threshold


def comes_back_today(quality: int) -> bool:
    return quality < REPEAT_BELOW


def stage(*, retired: bool, reviewed: bool, repetitions: int, interval: int) -> str:
    """new, learning, young, mature or retired: the stage of a card in stats."""
    if retired:
        return "retired"
    if not reviewed:
        return "new"
    if repetitions < YOUNG_REPETITIONS:
        return "learning"
    return "mature" if interval >= MATURE_INTERVAL else "young"


DEFAULT_FUZZ = True
"""Graded intervals are spread over a small range (``mlcards.schedulers.fuzz``), as in Anki."""
DEFAULT_LOAD_BALANCE = False
"""Within the fuzz range, prefer days with fewer of the deck's cards due (off by default)."""


_LETTER = r"\(?(?:[a-e]|i{1,3}|iv)\)?"
_NAMES_OTHERS = re.compile(
    r"(?:all|none|any|neither|both|each)\s+of\s+(?:the\s+)?(?:above|these|them|those|preceding)\b"
    r"|(?:all|none)\s+(?:the\s+)?above\b"
    r"|(?:all|none|both|neither)$"
    rf"|(?:only\s+)?{_LETTER}(?:\s*,\s*{_LETTER})*,?\s*(?:and|or|&|\+)\s*{_LETTER}"
    r"(?:\s+(?:only|both))?$"
    rf"|only\s+{_LETTER}$",
    re.IGNORECASE,
)
_COMBINES = re.compile(r"(?:both\b[^,;:]*\band|neither\b[^,;:]*\bnor)\b[^,;:]*$", re.IGNORECASE)


def pinned_choices(texts: Sequence[str]) -> list[bool]:
    """Which choices stay where the author put them when the others are shuffled: those
    that name other choices ("All of the above", "None of the above", "Both A and B",
    "Neither", "A and C", a short "Both X and Y") lose their meaning anywhere but after
    the choices they name. A True/False card pins both, so that True stays first."""
    words = [text.strip().strip("*_`").rstrip(".!").strip() for text in texts]
    if sorted(w.lower() for w in words) == ["false", "true"]:
        return [True, True]
    return [
        bool(_NAMES_OTHERS.match(word) or (len(word) <= 60 and _COMBINES.match(word)))
        for word in words
    ]


class SchedulerSpec(NamedTuple):
    """What decides a deck's schedule: the scheduler, its desired retention, its FSRS
    parameters (None: py-fsrs's defaults), interval fuzz and load balancing. Changing one
    reschedules the deck."""

    name: str = DEFAULT_SCHEDULER
    desired_retention: float = DEFAULT_DESIRED_RETENTION
    fsrs_parameters: tuple[float, ...] | None = None
    fuzz: bool = DEFAULT_FUZZ
    load_balance: bool = DEFAULT_LOAD_BALANCE

    def effective(self) -> SchedulerSpec:
        """The spec with what cannot change a schedule set aside: SM-2 has no retention
        nor parameters, and without fuzz there is no range to balance within."""
        spec = self
        if spec.name != "fsrs":
            spec = spec._replace(desired_retention=0.0, fsrs_parameters=None)
        if not spec.fuzz:
            spec = spec._replace(load_balance=False)
        return spec


@dataclass(frozen=True)
class DeckCounts:
    """What a study day has used so far: new cards introduced and due reviews done."""

    new: int = 0
    reviews: int = 0


@dataclass(frozen=True)
class Allowance:
    """How many new cards and due reviews a study day may still show."""

    new: int
    reviews: int

    def within(self, other: Allowance) -> Allowance:
        """No more than this allows, nor more than ``other`` does (a deck's own limits
        within the global ones)."""
        return Allowance(new=min(self.new, other.new), reviews=min(self.reviews, other.reviews))


@dataclass(frozen=True)
class DeckRules:
    """The rules one deck is studied under: its own settings over the global ones."""

    new_per_day: int = DEFAULT_NEW_PER_DAY
    reviews_per_day: int = DEFAULT_REVIEWS_PER_DAY
    leech_threshold: int = DEFAULT_LEECH_THRESHOLD
    scheduler: SchedulerSpec = SchedulerSpec()
    own: bool = False
    """Whether the deck has settings of its own (messages name the deck, else the settings)."""

    @staticmethod
    def default_for(deck_id: str | None = None) -> DeckRules:
        """The rules of a deck when no settings are given (the defaults)."""
        return DeckRules()

    def is_leech(self, lapses: int) -> bool:
        return is_leech(lapses, self.leech_threshold)

    def becomes_leech(self, lapses_before: int) -> bool:
        """Whether one more lapse makes a leech of a card that is not one: decided from the
        lapses and today's threshold, not from a flag set under an older one."""
        return self.is_leech(lapses_before + 1) and not self.is_leech(lapses_before)

    def left(self, done: DeckCounts) -> Allowance:
        """What is left of this deck's daily limits after ``done``."""
        return Allowance(
            new=max(self.new_per_day - done.new, 0),
            reviews=max(self.reviews_per_day - done.reviews, 0),
        )
