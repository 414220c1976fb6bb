"""Records made by the answer path, ``status``, imports, backups and the card browser:
each loads where such a record is made or read, not with every command's start (the review
draws its first card before any of them is needed). ``models.py`` holds what every command
reads: cards, decks and their schedules. Plain data; nothing here does I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mlcards import rules
from mlcards.models import Card, Quality, ScheduledCard, utc_iso


@dataclass(frozen=True)
class LeftToday:
    """What today's limits still hold after a session: new cards, due reviews, and cards
    answered wrong today that come back today (repeats)."""

    new: int = 0
    reviews: int = 0
    repeats: int = 0

    @property
    def total(self) -> int:
        return self.new + self.reviews + self.repeats


@dataclass
class ImportSummary:
    """What an import did (or would do) to one deck."""

    deck_id: str
    path: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)
    new_deck: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.new_deck or self.added or self.updated or self.retired or self.reset)

    def to_dict(self) -> dict[str, Any]:
        return {
            "deck": self.deck_id,
            "path": self.path,
            "new_deck": self.new_deck,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "retired": self.retired,
            "restored": self.restored,
            "reset": self.reset,
        }


@dataclass(frozen=True)
class StoredCard:
    """A card as the database holds it at the moment an answer is written, read inside that
    answer's transaction: what the answer is graded from."""

    item: ScheduledCard
    answered_today: bool
    """A graded answer of this card is already logged on this study day (since its schedule
    last started): another one is a same-day repeat."""
    spec: rules.SchedulerSpec | None = None
    """The deck's scheduling settings as stored at that moment (None: the caller's own)."""
    due_counts: Mapping[date, int] | None = None
    """With load balancing: how many of the deck's other cards are due on each coming day,
    as stored at that moment (what a replay counts at the same point of the log)."""


@dataclass(frozen=True)
class ReviewRecord:
    """One answer, exactly as it is appended to the review log."""

    deck_id: str
    card_id: str
    reviewed_at: datetime
    study_day: date
    chosen: tuple[str, ...]
    correct: bool
    quality: Quality
    response_ms: int
    same_day_repeat: bool
    was_new: bool
    repetitions: int
    easiness: float
    interval: int
    due: date
    mode: str = "review"
    """"review" changes the schedule; "practice" is logged only."""
    session: str = ""
    lapse: bool = False
    """A graded answer below 3 on a card that had been learned (repetitions >= 1)."""
    leech_action: str = ""
    """"tag" or "suspend" when this lapse made the card a leech."""
    prev_repetitions: int = 0
    prev_interval: int = 0
    """The card's repetitions and interval before this answer (0 for a new card)."""
    stability: float | None = None
    difficulty: float | None = None
    """The FSRS memory state the answer produced (None when SM-2 graded it)."""


@dataclass(frozen=True)
class DeckStatus:
    id: str
    name: str
    cards: int
    new: int
    """Cards never reviewed (or reset), whatever today's limit."""
    due: int
    retired: int
    next_due: str | None
    suspended: int = 0
    learning: int = 0
    """Cards answered below 4 today: they come back today (same-day repeats)."""
    new_today: int = 0
    """New cards today's limits (global and this deck's) still let ``review`` show."""
    reviews_today: int = 0
    """Due cards today's review limits still let ``review`` show."""

    @property
    def left_today(self) -> int:
        """What ``mlcards review`` would still show today."""
        return self.reviews_today + self.learning + self.new_today

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "left_today": self.left_today}


@dataclass(frozen=True)
class Backup:
    """One backup file: when it was really made (not ``MLCARDS_NOW``), why, and whether the
    copy passed SQLite's integrity check when it was made (None: not recorded)."""

    path: Path
    created: datetime
    reason: str
    size: int
    sound: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.path.name,
            "path": str(self.path),
            "created": utc_iso(self.created),
            "reason": self.reason,
            "bytes": self.size,
            "sound": self.sound,
        }


@dataclass(frozen=True)
class FsrsCardState:
    """What today's predicted recall of an FSRS card is computed from."""

    deck_id: str
    stability: float
    last_review_day: date


@dataclass(frozen=True)
class BrowsedCard:
    """One card as ``mlcards cards`` lists it and ``mlcards show`` heads it: where it is,
    its marks, its cached schedule and its latest answer (of any mode)."""

    deck_id: str
    deck_name: str
    card: Card
    path: str
    retired: bool
    suspended: bool
    buried_until: date | None
    flagged: bool
    flag_note: str | None
    lapses: int
    repetitions: int
    easiness: float
    interval: int
    due: date | None
    stability: float | None
    difficulty: float | None
    added_at: str
    last_correct: bool | None
    """Whether the latest answer was right (None: never answered)."""
    last_answered: str | None
    """UTC ISO 8601 time of the latest answer."""
    last_day: date | None
    """The study day of the latest answer."""
    reviewed: bool
    """Answered since its schedule last started (not new)."""

    @property
    def key(self) -> str:
        return f"{self.deck_id}/{self.card.id}"

    @property
    def stage(self) -> str:
        return rules.stage(
            retired=self.retired,
            reviewed=self.reviewed,
            repetitions=self.repetitions,
            interval=self.interval,
        )


@dataclass(frozen=True)
class HistoryEntry:
    """One row of a card's review log, as ``mlcards show`` tells it."""

    id: int
    reviewed_at: str
    study_day: date
    mode: str
    chosen: tuple[str, ...]
    correct: bool
    quality: int
    interval: int
    due: date
    response_ms: int
    same_day_repeat: bool
    counted: bool
    """False for an answer given before the card's answer changed (its schedule restarted)."""
