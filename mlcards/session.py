"""The review queue and session rules, free of any UI or database.

Order: due reviews (most overdue first), then new cards in deck order, then same-day repeats.
A card answered below ``rules.REPEAT_BELOW`` comes back at the end of the session until
answered well; those repeats are logged but leave the schedule alone.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from mlcards import rules
from mlcards.grading import PREVIEW_QUALITIES, Grader
from mlcards.models import Choice, Quality, Rebuild, ScheduledCard
from mlcards.rules import DeckRules
from mlcards.schedulers import (
    RulesFor,
    Scheduler,
)

if TYPE_CHECKING:  # (records load where they are made: see records.py)
    from mlcards.records import ReviewRecord, StoredCard


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
    """Where a session's answers are written as they are given (the store's log, in the app).

    ``answer`` reads the card as stored inside its write transaction and lets ``decide``
    grade from that; ``undo`` takes an answer back only while it is the card's latest and
    rebuilds the card's schedule from what remains of its log.
    """

    def answer(
        self,
        shown: ScheduledCard,
        today: date,
        decide: Callable[[StoredCard], ReviewRecord],
        meanwhile: Callable[[], object] | None = None,
        then: Callable[[], object] | None = None,
    ) -> tuple[int, ReviewRecord]:
        """Log one answer as ``decide`` grades it; ``then`` runs once it is written, in the
        same transaction (reads of what follows it); ``meanwhile`` (work that needs neither
        the journal nor the answer) runs while the answer commits, and is done when this
        returns."""
        ...

    def undo(
        self,
        review_id: int,
        session: str,
        rebuild: Rebuild,
        *,
        clear_leech: bool = False,
        lift_suspension: bool = False,
    ) -> None: ...


class CardChanged(Exception):
    """The card's question, choices or key changed since it was shown (an edit or an import
    in between): the answer is not graded; ``fresh`` is the card as it is now."""

    def __init__(self, fresh: ScheduledCard) -> None:
        super().__init__(f"{fresh.key} changed since it was shown")
        self.fresh = fresh


class CardSource(Protocol):
    """What a session asks the store when it draws a card (``services.study.StoreSource``)."""

    def refresh(self, item: ScheduledCard) -> ScheduledCard | None:
        """The card as stored now (None when it left the queue: retired, suspended or
        buried)."""
        ...

    def may_show(self, item: ScheduledCard) -> bool:
        """Whether today's limits, counted from the log, still allow showing this card."""
        ...

    def unchanged(self) -> bool:
        """Inside an answer's transaction: whether nothing but this session's answers
        changed the store since its queue was read, so that a card queued and not answered
        since is as stored and allowed by today's limits (the queue was cut to them)."""
        ...


@dataclass
class _Entry:
    """A place in the queue; the card in it is refreshed from the store when drawn."""

    item: ScheduledCard
    repeat: bool = False


@dataclass
class _Answered:
    before: ScheduledCard
    record: ReviewRecord
    review_id: int | None


def _after(item: ScheduledCard, record: ReviewRecord, last_day: date | None) -> ScheduledCard:
    """The card as it comes back later the same day after ``record``."""
    return replace(
        item,
        repetitions=record.repetitions,
        easiness=record.easiness,
        interval=record.interval,
        stability=record.stability,
        difficulty=record.difficulty,
        due=record.due,
        last_review_day=last_day,
        lapses=item.lapses + int(record.lapse),
        leech=item.leech or bool(record.leech_action),
    )


def shuffled_choices(item: ScheduledCard, rng: random.Random | None) -> list[Choice]:
    """``Session.choice_order``."""
    choices = list(item.card.choices)
    if rng is None or not item.card.shuffle:
        return choices
    pinned = rules.pinned_choices([c.text for c in choices])
    movable = [c for c, stays in zip(choices, pinned, strict=True) if not stays]
    rng.shuffle(movable)
    shuffled = iter(movable)
    return [c if stays else next(shuffled) for c, stays in zip(choices, pinned, strict=True)]


RATINGS = (Quality.HARD, Quality.GOOD, Quality.EASY)
"""The ratings of a correct answer, whose intervals the rating keys show."""


class Session:
    """One sitting: hands out cards, grades answers into review records, requeues repeats.

    With a ``journal`` every answer is graded and written inside one transaction from what
    is stored at that moment (another session, an edit or an import may have changed the
    card since it was drawn), and can be undone while it is the card's latest answer. The
    queue holds places, not authority: with a ``source`` each card is re-read when drawn,
    and the log asked whether today's limits still allow it. Each deck is graded by the
    scheduler and judged a leech by the threshold its ``rules`` give (the defaults when
    none). In ``practice`` mode answers are logged but leave the schedule alone.
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
        rules: RulesFor = DeckRules.default_for,
        suspend_leeches: bool = False,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        source: CardSource | None = None,
    ) -> None:
        if mode not in ("review", "practice"):
            raise ValueError(f"unknown session mode {mode!r}")
        self._queue: deque[_Entry] = deque(_Entry(item) for item in queue)
        self.rng = rng
        self.journal = journal
        self.deadline = deadline
        self.clock = clock
        self.source = source
        self.grading = Grader(
            today, mode, session_id, rules, suspend_leeches, (e.item.deck_id for e in self._queue)
        )
        self._history: list[_Answered] = []
        self._looked: tuple[_Entry, ScheduledCard | None, bool] | None = None
        """The card behind the answered one, drawn inside the answer's transaction."""

    @property
    def today(self) -> date:
        return self.grading.today

    @property
    def mode(self) -> str:
        """The mode: "review", or "practice" (answers logged, the schedule left alone)."""
        return self.grading.mode

    @property
    def session_id(self) -> str:
        return self.grading.session_id

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
    def queued(self) -> list[ScheduledCard]:
        """The cards still to show, in order (each showing of a repeat once)."""
        return [entry.item for entry in self._queue]

    @property
    def out_of_time(self) -> bool:
        return self.deadline is not None and self.clock() >= self.deadline

    def next(self) -> ScheduledCard | None:
        """The card to show now, or None when the queue is empty or the time is up.

        Cards that left the queue since it was built (suspended, buried or retired by
        another session or an import) and new or due cards that today's limits no longer
        allow (another session used them) are dropped here."""
        while self._queue and not (self.out_of_time and self.answered):
            entry, looked, self._looked = self._queue[0], self._looked, None
            drawn = looked[1:] if looked is not None and looked[0] is entry else None
            fresh, allowed = drawn or self._draw(entry)  # (drawn inside the answer: _look_ahead)
            if fresh is None or not allowed:
                self._queue.popleft()
                continue
            if fresh != entry.item:  # unchanged: the same object, so next() can be asked again
                entry.item = fresh
            return entry.item
        return None

    def _draw(self, entry: _Entry) -> tuple[ScheduledCard | None, bool]:
        """The entry's card as stored now, and whether today's limits allow it."""
        fresh = self.source.refresh(entry.item) if self.source is not None else entry.item
        allowed = fresh is not None and (
            entry.repeat or self.source is None or self.source.may_show(fresh)
        )
        return fresh, allowed

    def _look_ahead(self) -> None:
        """Inside an answer's transaction, once it is written, when ``next`` comes right
        after it (nothing between can change the store): the card queued behind it drawn as
        ``next`` would draw it after the commit (``next`` takes it from here); without a read
        when ``CardSource.unchanged`` (a repeat was answered here: it is read). A card that
        cannot be read is left to ``next``: the answer does not fail for it."""
        self._looked = None
        if len(self._queue) > 1 and self.source is not None:
            entry = self._queue[1]
            with contextlib.suppress(Exception):  # (a damaged row: next() reports it)
                drawn = (entry.item, True) if not entry.repeat and self.source.unchanged() else None
                self._looked = (entry, *(drawn or self._draw(entry)))

    def after_current(self) -> ScheduledCard | None:
        """The card most likely drawn after the current one is answered (as drawn in the
        answer's transaction, once it was), for work done ahead."""
        looked = self._looked
        if looked is not None and len(self._queue) > 1 and looked[0] is self._queue[1]:
            return looked[1] if looked[2] else None
        return self._queue[1].item if len(self._queue) > 1 else None

    def choice_order(self, item: ScheduledCard) -> list[Choice]:
        """Choices in the order to show them: shuffled when the session has a random source
        and the card allows it, except the choices ``rules.pinned_choices`` keeps in their
        place (True before False; "All of the above" and the like after the rest)."""
        return shuffled_choices(item, self.rng)

    def scheduler_for(self, deck_id: str) -> Scheduler[Any]:
        """The scheduler that grades this deck's cards (its ``scheduler`` setting)."""
        return self.grading.scheduler_for(deck_id)

    def preview(
        self, item: ScheduledCard, qualities: Iterable[int] = PREVIEW_QUALITIES
    ) -> dict[int, int]:
        """``Grader.preview``: days until due after each quality (the rating keys)."""
        return self.grading.preview(item, qualities)

    def preview_range(
        self, item: ScheduledCard, qualities: Iterable[int] = PREVIEW_QUALITIES
    ) -> dict[int, tuple[int, int]]:
        """``Grader.preview_range``: ``preview`` spread by the deck's fuzz."""
        return self.grading.preview_range(item, qualities)

    def answer(
        self,
        item: ScheduledCard,
        chosen: Iterable[str],
        quality: Quality,
        response_ms: int,
        now: datetime,
        meanwhile: Callable[[], object] | None = None,
        *,
        look_ahead: bool = False,
    ) -> ReviewRecord:
        """Grade the current card, write it to the journal (if any) and move the queue on.

        With a journal the grade is decided from the card as stored when the answer is
        written; if its question, choices or key changed since it was shown, nothing is
        written and ``CardChanged`` carries the new version (now the current card).
        ``meanwhile`` runs while the journal commits (without a journal: not at all): it
        sees the session as it was before this answer, which moves the queue on only after.
        ``look_ahead``: ``next`` comes right after (a rating key): ``_look_ahead``."""
        if not self._queue or self._queue[0].item.key != item.key:
            raise ValueError("answer() must be given the card that next() returned")
        # The card is known by its key: the copy on screen may carry a newer flag or content
        # than the queued one (a flag, an edit, a refresh), and it is the one answered.
        self._queue[0].item = item
        chosen_ids = tuple(chosen)

        def decide(stored: StoredCard) -> ReviewRecord:
            if stored.item.card.grading() != item.card.grading():
                raise CardChanged(stored.item)
            return self.grading.record(
                stored.item,
                chosen_ids,
                quality,
                response_ms,
                now,
                stored.answered_today,
                stored.spec,
                stored.due_counts,
            )

        review_id: int | None = None
        if self.journal is not None:
            try:
                then = self._look_ahead if look_ahead else None
                review_id, record = self.journal.answer(item, self.today, decide, meanwhile, then)
            except CardChanged as changed:
                self._queue[0].item = changed.fresh
                raise
        else:
            answered_today = item.last_review_day == self.today
            record = self.grading.record(
                item, chosen_ids, quality, response_ms, now, answered_today
            )
        entry = self._queue.popleft()
        if rules.comes_back_today(quality) and record.leech_action != "suspend":
            last_day = self.today if self.mode == "review" else item.last_review_day
            self._queue.append(_Entry(_after(entry.item, record, last_day), repeat=True))
        self._history.append(_Answered(entry.item, record, review_id))
        return record

    @property
    def can_undo(self) -> bool:
        return bool(self._history) and self.journal is not None

    def undo(self) -> ReviewRecord | None:
        """Take back the last answer: out of the log, the card's schedule rebuilt from what
        remains of its log, and the card shown again. Raises the journal's refusal (another
        session answered the card since) and then keeps the answer."""
        if not self.can_undo:
            return None
        last = self._history[-1]
        assert self.journal is not None and last.review_id is not None
        self.journal.undo(
            last.review_id,
            self.session_id,
            self.grading.rebuild_one,
            clear_leech=bool(last.record.leech_action),
            lift_suspension=last.record.leech_action == "suspend",
        )
        self._history.pop()
        # Any other showing of the card came from this answer or a later one, all taken back
        # now (undo goes backwards): the card is shown once, next.
        self.drop(last.before)
        self._queue.appendleft(_Entry(last.before, repeat=True))
        return last.record

    def drop(self, item: ScheduledCard) -> None:
        """Take a card out of this session (suspended or buried): every queued showing of it."""
        key = (item.deck_id, item.card.id)
        self._queue = deque(e for e in self._queue if (e.item.deck_id, e.item.card.id) != key)

    def replace_current(self, item: ScheduledCard) -> None:
        """Show a fresh copy of the current card (flagged, or its deck file edited)."""
        if self._queue:
            self._queue[0].item = item

    def put_back(self, item: ScheduledCard) -> None:
        """Show a card taken out with ``drop`` again, next (a suspend or bury undone); it
        was shown under today's limits already, so they are not asked again."""
        self._queue.appendleft(_Entry(item, repeat=True))
