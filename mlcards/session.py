"""The review queue and session rules, free of any UI or database.

Order: due reviews (most overdue first), then new cards in deck order, then same-day repeats.
A card answered with quality < 4 comes back at the end of the session until answered with
4 or 5; those repeats are logged but leave the SM-2 state alone.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from mlcards.models import Choice, Quality, ReviewRecord, ScheduledCard
from mlcards.scheduler import SM2State, review

DEFAULT_NEW_PER_DAY = 20
DEFAULT_REVIEWS_PER_DAY = 200
REPEAT_BELOW = Quality.GOOD


@dataclass(frozen=True)
class Limits:
    new_per_day: int = DEFAULT_NEW_PER_DAY
    reviews_per_day: int = DEFAULT_REVIEWS_PER_DAY


def build_queue(
    due: Sequence[ScheduledCard],
    new: Sequence[ScheduledCard],
    repeats: Sequence[ScheduledCard],
    limit: int | None = None,
) -> list[ScheduledCard]:
    """Due first, then new, then repeats; a card appears once; ``limit`` caps the total."""
    queue: list[ScheduledCard] = []
    seen: set[tuple[str, str]] = set()
    for item in (*due, *new, *repeats):
        key = (item.deck_id, item.card.id)
        if key not in seen:
            seen.add(key)
            queue.append(item)
    return queue if limit is None else queue[: max(limit, 0)]


def quality_for(correct: bool, dont_know: bool = False, rating: int = Quality.GOOD) -> Quality:
    """Multiple choice -> SM-2: "don't know" is 0, a wrong choice 1, a right one as rated."""
    if dont_know:
        return Quality.BLACKOUT
    if not correct:
        return Quality.WRONG
    if rating not in (Quality.HARD, Quality.GOOD, Quality.EASY):
        raise ValueError(f"a correct answer is rated 3, 4 or 5, not {rating}")
    return Quality(rating)


class Session:
    """One sitting: hands out cards, grades answers into review records, requeues repeats."""

    def __init__(
        self, queue: Iterable[ScheduledCard], today: date, rng: random.Random | None = None
    ) -> None:
        self.today = today
        self.rng = rng
        self._queue: deque[ScheduledCard] = deque(queue)
        self.planned = len(self._queue)
        self.answered = 0
        self.correct = 0
        self.repeats_logged = 0

    @property
    def remaining(self) -> int:
        return len(self._queue)

    def next(self) -> ScheduledCard | None:
        return self._queue[0] if self._queue else None

    def choice_order(self, item: ScheduledCard) -> list[Choice]:
        """Choices in the order to show them: shuffled when the session has a random source."""
        choices = list(item.card.choices)
        if self.rng is not None:
            self.rng.shuffle(choices)
        return choices

    def answer(
        self,
        item: ScheduledCard,
        chosen: Iterable[str],
        quality: Quality,
        response_ms: int,
        now: datetime,
    ) -> ReviewRecord:
        """Grade the current card and move the queue on. The caller persists the record."""
        if not self._queue or self._queue[0] is not item:
            raise ValueError("answer() must be given the card that next() returned")
        self._queue.popleft()
        chosen_ids = tuple(chosen)
        correct = item.card.is_correct(set(chosen_ids))
        repeat = item.last_review_day == self.today
        if repeat:
            repetitions, easiness, interval = item.repetitions, item.easiness, item.interval
            due = item.due or self.today + timedelta(days=1)
            self.repeats_logged += 1
        else:
            before = SM2State(item.repetitions, Decimal(str(item.easiness)), item.interval)
            state = review(before, quality)
            repetitions, easiness, interval = (
                state.repetitions,
                float(state.easiness),
                state.interval,
            )
            due = self.today + timedelta(days=interval)
        self.answered += 1
        self.correct += int(correct)
        if quality < REPEAT_BELOW:
            self._queue.append(
                replace(
                    item,
                    repetitions=repetitions,
                    easiness=easiness,
                    interval=interval,
                    due=due,
                    last_review_day=self.today,
                )
            )
        return ReviewRecord(
            deck_id=item.deck_id,
            card_id=item.card.id,
            reviewed_at=now,
            study_day=self.today,
            chosen=chosen_ids,
            correct=correct,
            quality=quality,
            response_ms=max(int(response_ms), 0),
            same_day_repeat=repeat,
            was_new=item.is_new and not repeat,
            repetitions=repetitions,
            easiness=easiness,
            interval=interval,
            due=due,
        )


def replay(
    reviews: Iterable[dict[str, Any]], schedule_from: dict[tuple[str, str], int]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Rebuild every reviewed card's schedule from the log alone (rows in id order).

    Reviews at or before a card's ``schedule_from`` (set when its answer key changed) stay in
    the log but no longer count.
    """
    states: dict[tuple[str, str], dict[str, Any]] = {}
    for row in reviews:
        key = (row["deck_id"], row["card_id"])
        if row["id"] <= schedule_from.get(key, 0):
            continue
        current = states.get(key)
        day = date.fromisoformat(row["study_day"])
        if current is None:
            current = {"state": SM2State(), "due": None}
        if not row["same_day_repeat"]:
            state = review(current["state"], row["quality"])
            current = {"state": state, "due": (day + timedelta(days=state.interval)).isoformat()}
        states[key] = {
            **current,
            "last_review_id": row["id"],
            "last_review_day": row["study_day"],
        }
    return {
        key: {
            "repetitions": value["state"].repetitions,
            "easiness": float(value["state"].easiness),
            "interval": value["state"].interval,
            "due": value["due"],
            "last_review_id": value["last_review_id"],
            "last_review_day": value["last_review_day"],
        }
        for key, value in states.items()
    }


SCHEDULE_FIELDS = (
    "repetitions",
    "easiness",
    "interval",
    "due",
    "last_review_id",
    "last_review_day",
)
_NEW = {"repetitions": 0, "easiness": 2.5, "interval": 0, "due": None}


def schedule_differences(
    cached: dict[tuple[str, str], dict[str, Any]],
    replayed: dict[tuple[str, str], dict[str, Any]],
) -> list[str]:
    """Where the cached per-card schedule disagrees with a replay of the log, one line each."""
    problems = []
    for key in sorted(set(cached) | set(replayed)):
        if key not in cached:
            problems.append(f"{key[0]}/{key[1]}: reviewed in the log but missing from cards")
            continue
        expected = replayed.get(key, {**_NEW, "last_review_id": None, "last_review_day": None})
        for name in SCHEDULE_FIELDS:
            if cached[key][name] != expected[name]:
                problems.append(
                    f"{key[0]}/{key[1]}: {name} is {cached[key][name]!r}, "
                    f"the log says {expected[name]!r}"
                )
    return problems
