"""The review queue and session rules, free of any UI or database.

Order: due reviews (most overdue first), then new cards in deck order, then same-day repeats.
A card answered below ``rules.REPEAT_BELOW`` comes back at the end of the session until
answered well; those repeats are logged but leave the schedule alone.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from mlcards import rules
from mlcards.models import Choice, Quality, ReviewRecord, ScheduledCard
from mlcards.schedulers import Scheduler, default
from mlcards.schedulers.sm2 import SM2State


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


class Journal(Protocol):
    """Where a session's answers are written as they are given (the store, in the app)."""

    def record(self, record: ReviewRecord) -> int: ...

    def undo(
        self,
        review_id: int,
        session: str,
        before: ScheduledCard,
        lift_suspension: bool = False,
    ) -> None: ...


@dataclass
class _Answered:
    before: ScheduledCard
    record: ReviewRecord
    review_id: int | None
    requeued: ScheduledCard | None


class Session:
    """One sitting: hands out cards, grades answers into review records, requeues repeats.

    With a ``journal`` every answer is written the moment it is given and can be undone, in
    reverse order, for as long as the session lasts. In ``practice`` mode answers are logged
    but leave the schedule alone.
    """

    def __init__(
        self,
        queue: Iterable[ScheduledCard],
        today: date,
        rng: random.Random | None = None,
        *,
        journal: Journal | None = None,
        mode: str = "review",
        session_id: str = "",
        leech_threshold: int = rules.DEFAULT_LEECH_THRESHOLD,
        deck_leech_thresholds: dict[str, int] | None = None,
        suspend_leeches: bool = False,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        scheduler: Scheduler[SM2State] | None = None,
    ) -> None:
        if mode not in ("review", "practice"):
            raise ValueError(f"unknown session mode {mode!r}")
        self.today = today
        self.rng = rng
        self.journal = journal
        self.mode = mode
        self.session_id = session_id
        self.leech_threshold = leech_threshold
        self.deck_leech_thresholds = dict(deck_leech_thresholds or {})
        self.suspend_leeches = suspend_leeches
        self.deadline = deadline
        self.clock = clock
        self.scheduler = scheduler or default()
        self._queue: deque[ScheduledCard] = deque(queue)
        self._history: list[_Answered] = []

    @property
    def answered(self) -> int:
        return len(self._history)

    @property
    def correct(self) -> int:
        return sum(a.record.correct for a in self._history)

    @property
    def remaining(self) -> int:
        return len(self._queue)

    @property
    def out_of_time(self) -> bool:
        return self.deadline is not None and self.clock() >= self.deadline

    def next(self) -> ScheduledCard | None:
        """The card to show now, or None when the queue is empty or the time is up."""
        if not self._queue or (self.out_of_time and self.answered):
            return None
        return self._queue[0]

    def choice_order(self, item: ScheduledCard) -> list[Choice]:
        """Choices in the order to show them: shuffled when the session has a random source."""
        choices = list(item.card.choices)
        if self.rng is not None:
            self.rng.shuffle(choices)
        return choices

    def _grade(
        self, item: ScheduledCard, quality: Quality
    ) -> tuple[bool, int, float, int, date, bool]:
        """(same-day repeat, repetitions, easiness, interval, due, lapse) after the answer."""
        repeat = self.mode == "review" and item.last_review_day == self.today
        if self.mode == "practice" or repeat:
            due = item.due or self.today + timedelta(days=1)
            return repeat, item.repetitions, item.easiness, item.interval, due, False
        before = SM2State(item.repetitions, Decimal(str(item.easiness)), item.interval)
        graded = self.scheduler.grade(before, quality, self.today)
        state = graded.state
        return (
            False,
            state.repetitions,
            float(state.easiness),
            state.interval,
            graded.due,
            graded.lapse,
        )

    def answer(
        self,
        item: ScheduledCard,
        chosen: Iterable[str],
        quality: Quality,
        response_ms: int,
        now: datetime,
    ) -> ReviewRecord:
        """Grade the current card, write it to the journal (if any) and move the queue on."""
        if not self._queue or self._queue[0] is not item:
            raise ValueError("answer() must be given the card that next() returned")
        chosen_ids = tuple(chosen)
        correct = item.card.is_correct(set(chosen_ids))
        repeat, repetitions, easiness, interval, due, lapse = self._grade(item, quality)
        leech_action = ""
        threshold = self.deck_leech_thresholds.get(item.deck_id, self.leech_threshold)
        if lapse and rules.is_leech(item.lapses + 1, threshold) and not item.leech:
            leech_action = "suspend" if self.suspend_leeches else "tag"
        record = ReviewRecord(
            deck_id=item.deck_id,
            card_id=item.card.id,
            reviewed_at=now,
            study_day=self.today,
            chosen=chosen_ids,
            correct=correct,
            quality=quality,
            response_ms=max(int(response_ms), 0),
            same_day_repeat=repeat,
            was_new=self.mode == "review" and item.is_new and not repeat,
            repetitions=repetitions,
            easiness=easiness,
            interval=interval,
            due=due,
            mode=self.mode,
            session=self.session_id,
            lapse=lapse,
            leech_action=leech_action,
            prev_repetitions=0 if item.is_new else item.repetitions,
            prev_interval=0 if item.is_new else item.interval,
        )
        review_id = self.journal.record(record) if self.journal is not None else None
        self._queue.popleft()
        requeued = None
        if rules.comes_back_today(quality) and leech_action != "suspend":
            requeued = replace(
                item,
                repetitions=repetitions,
                easiness=easiness,
                interval=interval,
                due=due,
                last_review_day=self.today if self.mode == "review" else item.last_review_day,
                lapses=item.lapses + int(lapse),
                leech=item.leech or bool(leech_action),
            )
            self._queue.append(requeued)
        self._history.append(_Answered(item, record, review_id, requeued))
        return record

    @property
    def can_undo(self) -> bool:
        return bool(self._history) and self.journal is not None

    def undo(self) -> ReviewRecord | None:
        """Take back the last answer: out of the log, the card's state restored, shown again."""
        if not self.can_undo:
            return None
        last = self._history.pop()
        assert self.journal is not None and last.review_id is not None
        self.journal.undo(
            last.review_id,
            self.session_id,
            last.before,
            lift_suspension=last.record.leech_action == "suspend",
        )
        if last.requeued is not None:
            for index in range(len(self._queue) - 1, -1, -1):
                if self._queue[index] is last.requeued:
                    del self._queue[index]
                    break
        self._queue.appendleft(last.before)
        return last.record

    def drop(self, item: ScheduledCard) -> None:
        """Take a card out of this session (suspended or buried): every queued showing of it."""
        self._queue = deque(
            queued
            for queued in self._queue
            if (queued.deck_id, queued.card.id) != (item.deck_id, item.card.id)
        )

    def replace_current(self, item: ScheduledCard) -> None:
        """Show a fresh copy of the current card (flagged, or its deck file edited)."""
        if self._queue:
            old = self._queue[0]
            self._queue[0] = item
            for answered in self._history:  # undo must still find the requeued showing
                if answered.requeued is old:
                    answered.requeued = item

    def preview(self, item: ScheduledCard) -> dict[int, int]:
        """Days until the card is due again after each rating of a correct answer (3, 4,
        5), graded exactly as ``answer`` would; empty when the answer leaves the schedule
        alone (practice, a same-day repeat)."""
        intervals: dict[int, int] = {}
        for quality in (Quality.HARD, Quality.GOOD, Quality.EASY):
            repeat, _, _, _, due, _ = self._grade(item, quality)
            if self.mode == "practice" or repeat:
                return {}
            intervals[int(quality)] = (due - self.today).days
        return intervals

    def put_back(self, item: ScheduledCard) -> None:
        """Show a card taken out with ``drop`` again, next (a suspend or bury undone)."""
        self._queue.appendleft(item)


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


def allowance(
    new_per_day: int, reviews_per_day: int, done: DeckCounts, new_limit: int | None = None
) -> Allowance:
    """What is left of the daily limits after ``done``; ``new_limit`` (``--new``) caps the
    new cards further."""
    new = max(new_per_day - done.new, 0)
    if new_limit is not None:
        new = min(new, new_limit)
    return Allowance(new=new, reviews=max(reviews_per_day - done.reviews, 0))


def deck_allowance(overall: Allowance, own: Allowance) -> Allowance:
    """A deck shows no more than its own limits leave, nor more than the global ones do."""
    return Allowance(new=min(overall.new, own.new), reviews=min(overall.reviews, own.reviews))
