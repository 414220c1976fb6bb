"""FSRS (the Free Spaced Repetition Scheduler, version 6) behind the scheduler interface,
computed by py-fsrs (the ``fsrs`` package, an optional extra) rather than re-derived here.

How mlcards' answers meet FSRS:

- Rating: a wrong answer or "I don't know" (quality 0-2) is Again, quality 3 Hard, 4 Good,
  5 Easy.
- Days, not minutes: mlcards grades only the first answer of a study day, so py-fsrs runs
  with no learning and no relearning steps. Every graded answer, a card's first one included
  and Again included, gives a whole number of days (at least 1) from the stability: the
  "short-term" minutes steps are mlcards' same-day repeats, which are logged but leave the
  memory state alone (as they leave SM-2's). Elapsed time is counted in study days.
- Pure: no fuzz (py-fsrs would draw it from the global random source), and every time handed
  to py-fsrs is midnight UTC of a study day, so the same log always gives the same state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import fsrs as pyfsrs

from mlcards import rules
from mlcards.schedulers import Fields, Graded

MAX_INTERVAL = 36500
DEFAULT_PARAMETERS: tuple[float, ...] = tuple(pyfsrs.scheduler.DEFAULT_PARAMETERS)
LOWER_BOUNDS: tuple[float, ...] = tuple(pyfsrs.scheduler.LOWER_BOUNDS_PARAMETERS)
UPPER_BOUNDS: tuple[float, ...] = tuple(pyfsrs.scheduler.UPPER_BOUNDS_PARAMETERS)


@dataclass(frozen=True)
class FSRSState:
    """A card's FSRS memory state. ``FSRSState()`` is a card never reviewed.

    ``repetitions`` counts graded successes since the last Again (as SM-2's does, so lapses,
    leeches and stages mean the same for both schedulers); ``interval`` is the days from the
    last graded answer to the due day; ``last_day`` is that answer's study day.
    """

    repetitions: int = rules.NEW_REPETITIONS
    interval: int = rules.NEW_INTERVAL
    stability: float | None = None
    difficulty: float | None = None
    last_day: date | None = None


def rating_for(quality: int) -> pyfsrs.Rating:
    """Multiple choice -> FSRS: wrong or "don't know" Again; 3 Hard, 4 Good, 5 Easy."""
    if not 0 <= quality <= 5 or isinstance(quality, bool):
        raise ValueError(f"quality must be an integer from 0 to 5, got {quality!r}")
    if quality < rules.LAPSE_BELOW:
        return pyfsrs.Rating.Again
    return pyfsrs.Rating(quality - 1)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class FSRS:
    """FSRS-6 with a desired retention and parameters (py-fsrs's defaults unless fitted)."""

    name = "fsrs"

    def __init__(
        self,
        desired_retention: float = rules.DEFAULT_DESIRED_RETENTION,
        parameters: Sequence[float] | None = None,
    ) -> None:
        self.desired_retention = desired_retention
        self.parameters = tuple(parameters) if parameters else DEFAULT_PARAMETERS
        self._fsrs = pyfsrs.Scheduler(
            parameters=self.parameters,
            desired_retention=desired_retention,
            learning_steps=(),
            relearning_steps=(),
            maximum_interval=MAX_INTERVAL,
            enable_fuzzing=False,
        )
        self._decay = -self.parameters[20]
        self._factor = 0.9 ** (1 / self._decay) - 1

    def initial(self) -> FSRSState:
        return FSRSState()

    def _card(self, state: FSRSState) -> pyfsrs.Card:
        if state.stability is None or state.difficulty is None or state.last_day is None:
            return pyfsrs.Card(card_id=0, state=pyfsrs.State.Learning, due=_at(date(2000, 1, 1)))
        return pyfsrs.Card(
            card_id=0,
            state=pyfsrs.State.Review,
            step=None,
            stability=state.stability,
            difficulty=state.difficulty,
            due=_at(state.last_day + timedelta(days=state.interval)),
            last_review=_at(state.last_day),
        )

    def grade(self, state: FSRSState, quality: int, day: date) -> Graded[FSRSState]:
        rating = rating_for(quality)
        card, _ = self._fsrs.review_card(self._card(state), rating, review_datetime=_at(day))
        assert card.stability is not None and card.difficulty is not None
        interval = (card.due - _at(day)).days
        repetitions = 0 if rating == pyfsrs.Rating.Again else state.repetitions + 1
        after = FSRSState(repetitions, interval, card.stability, card.difficulty, day)
        return Graded(
            state=after,
            due=day + timedelta(days=interval),
            lapse=rules.is_lapse(quality, state.repetitions),
        )

    def fields(self, state: FSRSState) -> Fields:
        return {
            "repetitions": state.repetitions,
            "easiness": rules.NEW_EASINESS,  # SM-2's measure; FSRS has difficulty instead
            "interval": state.interval,
            "stability": state.stability,
            "difficulty": state.difficulty,
        }

    def restore(self, fields: Fields, last_day: date | None) -> FSRSState:
        return FSRSState(
            repetitions=fields["repetitions"],
            interval=fields["interval"],
            stability=fields["stability"],
            difficulty=fields["difficulty"],
            last_day=last_day if fields["stability"] is not None else None,
        )

    def retrievability(self, state: FSRSState, elapsed_days: int) -> float | None:
        """FSRS-6's power forgetting curve, ``(1 + F t / S) ** -w20`` with
        ``F = 0.9 ** (-1 / w20) - 1`` (so recall is 90% after S days): py-fsrs's
        ``get_card_retrievability`` without building a card, since ``simulate`` asks it
        millions of times (a test holds the two equal)."""
        if state.stability is None:
            return None
        return float((1 + self._factor * max(elapsed_days, 0) / state.stability) ** self._decay)

    def recall_card(self, state: FSRSState, elapsed_days: int) -> float:
        """The same through py-fsrs itself (for the test)."""
        start = date(2000, 1, 1)
        card = pyfsrs.Card(
            card_id=0,
            state=pyfsrs.State.Review,
            stability=state.stability,
            difficulty=state.difficulty,
            due=_at(start),
            last_review=_at(start),
        )
        return float(
            self._fsrs.get_card_retrievability(card, _at(start + timedelta(days=elapsed_days)))
        )
