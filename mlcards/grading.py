"""Grading a session's answers: the review record of an answer, the previews, the rebuild.

Pure: each deck graded by the scheduler its settings name, as stored when the answer is
written (a ``spec`` read in the write transaction) or as the session began; a leech judged
by the deck's own rules. The queue and the history stay in ``session``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from mlcards.models import CachedSchedule, CardKey, Quality, ResetPoints, ScheduledCard
from mlcards.replay import replay
from mlcards.rules import SchedulerSpec
from mlcards.schedulers import Fields, RulesFor, Scheduler, build, grade_answer, scheduler_for
from mlcards.schedulers.fuzz import Fuzzed, interval_range

if TYPE_CHECKING:  # (records load where they are made: see records.py)
    from mlcards.records import ReviewRecord


def fields_of(item: ScheduledCard) -> Fields:
    """A queued card's cached scheduler state."""
    return {
        "repetitions": item.repetitions,
        "easiness": item.easiness,
        "interval": item.interval,
        "stability": item.stability,
        "difficulty": item.difficulty,
    }


PREVIEW_QUALITIES = (Quality.BLACKOUT, Quality.WRONG, Quality.HARD, Quality.GOOD, Quality.EASY)


class Grader:
    """Grades one session's answers on ``today`` in ``mode`` ("review" or "practice")."""

    def __init__(
        self,
        today: date,
        mode: str,
        session_id: str,
        rules: RulesFor,
        suspend_leeches: bool,
        deck_ids: Iterable[str],
    ) -> None:
        self.today = today
        self.mode = mode
        self.session_id = session_id
        self.rules = rules
        self.suspend_leeches = suspend_leeches
        self._scheduler_for = scheduler_for(rules, set(deck_ids))
        self._built: dict[SchedulerSpec, Scheduler[Any]] = {}

    def scheduler_for(self, deck_id: str) -> Scheduler[Any]:
        """The scheduler that grades this deck's cards (its ``scheduler`` setting)."""
        return self._scheduler_for(deck_id)

    def preview(
        self, item: ScheduledCard, qualities: Iterable[int] = PREVIEW_QUALITIES
    ) -> dict[int, int]:
        """Days until the card would be due after each quality, graded today by its deck's
        scheduler (SM-2 or FSRS) as ``answer`` grades it: what the rating keys show (3, 4, 5).
        Empty when the answer would not be graded (a same-day repeat, or practice), since the
        schedule then stays."""
        if self.mode != "review" or item.last_review_day == self.today:
            return {}
        scheduler = self.scheduler_for(item.deck_id)
        before = scheduler.restore(fields_of(item), item.last_review_day)
        return {
            int(quality): (scheduler.grade(before, quality, self.today).due - self.today).days
            for quality in qualities
        }

    def preview_range(
        self, item: ScheduledCard, qualities: Iterable[int] = PREVIEW_QUALITIES
    ) -> dict[int, tuple[int, int]]:
        """The days (fewest, most) the card may be due after each quality: ``preview``'s
        interval spread by the deck's fuzz (low == high when the deck has none, or the
        interval is too short to fuzz). What the rating keys show ("4 good -> 13-17d")."""
        days = self.preview(item, qualities)
        if not days:
            return {}
        scheduler = self.scheduler_for(item.deck_id)
        if not isinstance(scheduler, Fuzzed):
            return {quality: (n, n) for quality, n in days.items()}
        before = scheduler.fields(scheduler.restore(fields_of(item), item.last_review_day))
        return {
            quality: interval_range(n, quality, before["interval"]) for quality, n in days.items()
        }

    def grader(self, deck_id: str, spec: SchedulerSpec | None) -> Scheduler[Any]:
        """The scheduler of the deck's settings as stored when the answer is written (read in
        its transaction: another terminal may have switched the deck since this session
        began), else the one the session started with."""
        if spec is None:
            return self.scheduler_for(deck_id)
        if spec not in self._built:
            self._built[spec] = build(spec, f"deck {deck_id}")
        return self._built[spec]

    def rebuild_one(
        self,
        key: CardKey,
        rows: list[dict[str, Any]],
        starts: Mapping[CardKey, ResetPoints],
        spec: SchedulerSpec,
    ) -> CachedSchedule | None:
        """An undone answer's card replayed (``Journal.undo``'s ``rebuild``)."""
        return replay(rows, starts, self.grader(key[0], spec)).get(key)

    def record(
        self,
        item: ScheduledCard,
        chosen: tuple[str, ...],
        quality: Quality,
        response_ms: int,
        now: datetime,
        answered_today: bool,
        spec: SchedulerSpec | None = None,
        due_counts: Mapping[date, int] | None = None,
    ) -> ReviewRecord:
        """The review record of an answer to ``item`` as it is stored (pure); ``spec``: the
        deck's scheduling settings as stored when it is written, ``due_counts`` the deck's
        cards due on each coming day then (for load balancing)."""
        repeat = self.mode == "review" and answered_today
        lapse = False
        fields = fields_of(item)
        if self.mode == "practice" or repeat:
            due = item.due or self.today + timedelta(days=1)
        else:
            scheduler = self.grader(item.deck_id, spec)
            before = scheduler.restore(fields, item.last_review_day)
            due_on = None if due_counts is None else (lambda day: due_counts.get(day, 0))
            graded = grade_answer(
                scheduler, before, quality, self.today, (item.deck_id, item.card.id), due_on
            )
            fields, due, lapse = scheduler.fields(graded.state), graded.due, graded.lapse
        leech_action = ""
        if lapse and self.rules(item.deck_id).becomes_leech(item.lapses):
            leech_action = "suspend" if self.suspend_leeches else "tag"
        from mlcards.records import ReviewRecord

        return ReviewRecord(
            deck_id=item.deck_id,
            card_id=item.card.id,
            reviewed_at=now,
            study_day=self.today,
            chosen=chosen,
            correct=item.card.is_correct(set(chosen)),
            quality=quality,
            response_ms=max(int(response_ms), 0),
            same_day_repeat=repeat,
            was_new=self.mode == "review" and item.is_new and not repeat,
            repetitions=fields["repetitions"],
            easiness=fields["easiness"],
            interval=fields["interval"],
            due=due,
            mode=self.mode,
            session=self.session_id,
            lapse=lapse,
            leech_action=leech_action,
            prev_repetitions=0 if item.is_new else item.repetitions,
            prev_interval=0 if item.is_new else item.interval,
            stability=fields["stability"],
            difficulty=fields["difficulty"],
        )
