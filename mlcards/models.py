"""Plain data shared by every layer. Nothing here does I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import IntEnum
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

ResetPoints = int | str | tuple[str, ...]
"""A card's reset point for a replay: the ``ord`` of its latest reset ("" none; an int is a
local review id, as tests and old tools give it), or all of them in order (``replay``)."""

Rebuild = Callable[
    [CardKey, list[dict[str, Any]], Mapping[CardKey, ResetPoints], rules.SchedulerSpec],
    CachedSchedule | None,
]
"""How an undo rebuilds a card's cached schedule: (the card, the graded rows left, each
card's reset point, the deck's scheduling spec as stored now) -> its schedule (None: new)."""


def utc_iso(instant: datetime) -> str:
    """UTC ISO 8601 with milliseconds and a Z, sortable as text."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
