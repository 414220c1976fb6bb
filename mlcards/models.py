"""Plain data shared by every layer. Nothing here does I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from enum import IntEnum
from pathlib import Path
from typing import Any, TypedDict

from mlcards import rules


class Quality(IntEnum):
    """SM-2 response quality. Stored in the review log as its integer value."""

    BLACKOUT = 0  # "I don't know"
    WRONG = 1  # a wrong choice
    WRONG_FAMILIAR = 2
    HARD = 3  # correct, but hard or guessed
    GOOD = 4
    EASY = 5


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    feedback: str = ""
    """Shown on the answer screen when the learner picked this choice (Markdown)."""


@dataclass(frozen=True)
class Reference:
    title: str
    url: str


@dataclass(frozen=True)
class Card:
    id: str
    question: str
    choices: tuple[Choice, ...]
    answer: tuple[str, ...]
    explanation: str
    multiple: bool = False
    """True for "select all that apply": the answer was written as a list."""
    title: str = ""
    references: tuple[Reference, ...] = ()
    tags: tuple[str, ...] = ()
    source: tuple[tuple[str, str], ...] = ()
    line: int = 0
    """Line of the card in its deck file, for error messages and editors."""
    shuffle: bool = True
    """False when the card (or its deck) says ``shuffle: false``: choices in file order."""

    def is_correct(self, chosen: frozenset[str] | set[str]) -> bool:
        return frozenset(chosen) == frozenset(self.answer)

    def grading(self) -> tuple[object, ...]:
        """What an answer is graded against: the question, the choices and the key. An
        answer given to one version is never graded against another."""
        return (
            self.question,
            tuple((c.id, c.text) for c in self.choices),
            tuple(sorted(self.answer)),
            self.multiple,
        )

    def content(self) -> dict[str, Any]:
        """Everything an author can edit, as JSON-able values (the store compares these)."""
        return {
            "title": self.title,
            "question": self.question,
            "choices": [_choice_content(c) for c in self.choices],
            "answer": list(self.answer),
            "multiple": self.multiple,
            "explanation": self.explanation,
            "refs": [{"title": r.title, "url": r.url} for r in self.references],
            "tags": list(self.tags),
            "source": dict(self.source),
        } | ({} if self.shuffle else {"shuffle": False})

    @classmethod
    def from_content(cls, card_id: str, content: dict[str, Any], line: int = 0) -> Card:
        return cls(
            id=card_id,
            line=line,
            title=content["title"],
            question=content["question"],
            choices=tuple(
                Choice(c["id"], c["text"], c.get("feedback", "")) for c in content["choices"]
            ),
            answer=tuple(content["answer"]),
            multiple=bool(content["multiple"]),
            explanation=content["explanation"],
            references=tuple(Reference(r["title"], r["url"]) for r in content["refs"]),
            tags=tuple(content["tags"]),
            source=tuple(sorted(content["source"].items())),
            shuffle=bool(content.get("shuffle", True)),
        )


def _choice_content(choice: Choice) -> dict[str, str]:
    # "feedback" only when there is some, so cards stored before feedback existed compare equal.
    content = {"id": choice.id, "text": choice.text}
    if choice.feedback:
        content["feedback"] = choice.feedback
    return content


@dataclass(frozen=True)
class Deck:
    id: str
    name: str
    cards: tuple[Card, ...]
    description: str = ""
    path: str = ""


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
class ScheduledCard:
    """A card as the review queue sees it: content plus its cached schedule."""

    deck_id: str
    deck_name: str
    card: Card
    repetitions: int
    easiness: float
    interval: int
    due: date | None
    last_review_day: date | None
    lapses: int = 0
    leech: bool = False
    flagged: bool = False
    path: str = ""
    """The deck file the card came from, and ``card.line`` in it (for editing)."""
    stability: float | None = None
    difficulty: float | None = None
    """FSRS memory state (None for a card scheduled by SM-2, or new)."""

    @property
    def is_new(self) -> bool:
        return self.due is None

    @property
    def key(self) -> str:
        return f"{self.deck_id}/{self.card.id}"


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


class CachedSchedule(TypedDict):
    """A card's schedule as the ``cards`` table caches it; replaying the log reproduces it."""

    repetitions: int
    easiness: float
    interval: int
    due: str | None
    last_review_id: int | None
    last_review_day: str | None
    lapses: int
    stability: float | None
    difficulty: float | None
    """FSRS memory state: None for a card scheduled by SM-2 (or new)."""


NEW_SCHEDULE: CachedSchedule = {
    "repetitions": rules.NEW_REPETITIONS,
    "easiness": rules.NEW_EASINESS,
    "interval": rules.NEW_INTERVAL,
    "due": None,
    "last_review_id": None,
    "last_review_day": None,
    "lapses": 0,
    "stability": None,
    "difficulty": None,
}
"""The cached schedule of a card never reviewed, or reset by a changed answer."""
SCHEDULE_FIELDS: tuple[str, ...] = tuple(NEW_SCHEDULE)
"""The columns of a card's cached schedule, in one order for every reader."""


class StoredSchedule(CachedSchedule):
    schedule_from: str
    """The card's reset point (``cards.reset_ord``): answers at or before it in the global
    order no longer count (it was forgotten, or its answer changed); '' for none."""


CardKey = tuple[str, str]
"""(deck id, card id)."""

Rebuild = Callable[
    [CardKey, list[dict[str, Any]], Mapping[CardKey, str], rules.SchedulerSpec],
    CachedSchedule | None,
]
"""How an undo rebuilds a card's cached schedule: (the card, the graded rows left, each
card's reset point, the deck's scheduling spec as stored now) -> its schedule (None: new)."""


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


def utc_iso(instant: datetime) -> str:
    """UTC ISO 8601 with milliseconds and a Z, sortable as text."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class FsrsCardState:
    """What today's predicted recall of an FSRS card is computed from."""

    deck_id: str
    stability: float
    last_review_day: date


# -- browsing -----------------------------------------------------------------------------------


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
