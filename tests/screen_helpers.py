"""What the screen tests share (tests/unit's and tests/tty's): every bundled card, the
question and answer screens built from a card, and the review loop driven by keys against a
journal and card actions that only keep what they are given."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from helpers import at

from mlcards.bundled import bundled_deck_files
from mlcards.deck import load_deck
from mlcards.models import Card, Choice, ScheduledCard
from mlcards.records import ReviewRecord, StoredCard
from mlcards.render import review as render
from mlcards.render.review import Answer, CardView
from mlcards.render.screen import Screenful
from mlcards.review import run_review
from mlcards.session import Session

TODAY = date(2026, 3, 1)
CARDS = [(path, i) for path in bundled_deck_files() for i in range(len(load_deck(path).cards))]
RULE = re.compile(r"^[─╭╰]")


def question_screen(item: ScheduledCard, order: list[Choice], **shown: Any) -> Screenful:
    return render.question_screen(CardView(item, tuple(order), **shown))


def answer_screen(
    item: ScheduledCard,
    order: list[Choice],
    chosen: tuple[str, ...],
    *,
    correct: bool,
    dont_know: bool,
    rating: dict[int, int] | None = None,
    **shown: Any,
) -> Screenful:
    answer = Answer(chosen, correct, dont_know, rating)
    return render.answer_screen(CardView(item, tuple(order), answer=answer, **shown))


def scheduled(card: Card, deck_id: str = "toy", name: str = "Toy") -> ScheduledCard:
    return ScheduledCard(deck_id, name, card, 0, 2.5, 0, None, None)


def bundled(path: Path, index: int) -> ScheduledCard:
    deck = load_deck(path)
    return scheduled(deck.cards[index], deck.id, deck.name)


def wrong_pick(card: Card) -> tuple[str, ...]:
    """A wrong answer: the first wrong choice (on select-all cards, with no right one)."""
    return tuple(c.id for c in card.choices if c.id not in card.answer)[:1]


def explanation(item: ScheduledCard, width: int) -> list[str]:
    """The explanation's lines as the answer screen lays them out at ``width``."""
    order = list(item.card.choices)
    whole = answer_screen(item, order, (), correct=False, dont_know=True, width=width)
    lines = [line.rstrip() for line in whole.text.splitlines()]
    start = lines.index(" Explanation") + 1
    end = lines.index(" References", start) if " References" in lines[start:] else len(lines)
    return [line for line in lines[start:end] if line.strip() and not RULE.match(line)]


class FakeJournal:
    """Keeps answers in a list; the card "as stored" is the one shown."""

    def __init__(self) -> None:
        self.records: list[ReviewRecord] = []

    def answer(
        self,
        shown: ScheduledCard,
        today: date,
        decide: Callable[[StoredCard], ReviewRecord],
        meanwhile: Callable[[], object] | None = None,
        then: Callable[[], object] | None = None,
    ) -> tuple[int, ReviewRecord]:
        record = decide(StoredCard(shown, shown.last_review_day == today))
        if then is not None:  # (as the store's log runs them: once written, then committing)
            then()
        if meanwhile is not None:
            meanwhile()
        self.records.append(record)
        return len(self.records), record

    def undo(self, review_id: int, session: str, rebuild: object, **flags: bool) -> None:
        assert review_id == len(self.records)
        self.records.pop()


class NoActions:
    def suspend(self, item: ScheduledCard) -> str:
        return "suspended"

    def bury(self, item: ScheduledCard) -> str:
        return "buried"

    def flag(self, item: ScheduledCard, note: str | None = None) -> tuple[ScheduledCard, str]:
        return item, "flagged"

    def edit_if_changed(self, item: ScheduledCard) -> tuple[ScheduledCard | None, str]:
        return item, "edited"

    def unsuspend(self, item: ScheduledCard) -> str:
        return "unsuspended"

    def unbury(self, item: ScheduledCard) -> str:
        return "unburied"


def drive_screens(
    keys: list[str], items: list[ScheduledCard], actions: object = None
) -> tuple[list[str], FakeJournal]:
    """Drive the loop at 80x24; returns every screen drawn, as text."""
    journal = FakeJournal()
    session = Session(items, TODAY, journal=journal)
    pressed = iter(keys)
    screen = Recorder()
    now = lambda: at("2026-03-01")  # noqa: E731
    run_review(screen, session, actions or NoActions(), lambda: next(pressed), now)  # type: ignore[arg-type]
    return [view.text for view in screen.frames], journal


class Recorder:
    """A screen of 80x24 that keeps what was drawn on it."""

    size = (80, 24)
    encoding = "utf-8"

    def __init__(self) -> None:
        self.frames: list[Screenful] = []

    def print(self, *objects: object, end: str = "\n", crop: bool = True) -> None:
        self.frames += [o for o in objects if isinstance(o, Screenful)]
