"""SM-2 (P. Wozniak, 1990), exactly, as a pure function: state + quality -> next state.

No clock, no I/O, no randomness. Easiness is held as an exact decimal with two places: every
step of the EF formula is a multiple of 0.02, and a binary float would let rounding decide a
ceiling (140 x 3.0 must give 420, not 421).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from mlcards import rules
from mlcards.schedulers import Fields, Graded

INITIAL_EASINESS = Decimal(str(rules.NEW_EASINESS))
MIN_EASINESS = Decimal("1.3")
MAX_INTERVAL = 36500
RECALL_AT_INTERVAL = 0.9
"""SM-2 predicts no recall probability; ``mlcards evaluate`` gives it one: exponential
forgetting, ``R(t) = 0.9 ** (t / interval)``, i.e. recall is 90% on the due day."""
_HUNDREDTH = Decimal("0.01")


def _exact_easiness(value: Decimal | float | int | str) -> Decimal:
    exact = Decimal(str(value)) if not isinstance(value, Decimal) else value
    rounded = exact.quantize(_HUNDREDTH)
    if rounded != exact:
        raise ValueError(f"easiness must have at most two decimal places, got {value!r}")
    return rounded


@dataclass(frozen=True)
class SM2State:
    """Scheduling state of one card. ``SM2State(0, 2.5, 0)`` is a card never reviewed."""

    repetitions: int = rules.NEW_REPETITIONS
    easiness: Decimal = INITIAL_EASINESS
    interval: int = rules.NEW_INTERVAL

    def __post_init__(self) -> None:
        object.__setattr__(self, "easiness", _exact_easiness(self.easiness))
        if self.repetitions < 0 or self.interval < 0:
            raise ValueError("repetitions and interval cannot be negative")

    def to_dict(self) -> dict[str, Any]:
        return {
            "repetitions": self.repetitions,
            "easiness": float(self.easiness),
            "interval": self.interval,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SM2State:
        return cls(int(data["repetitions"]), Decimal(str(data["easiness"])), int(data["interval"]))


def next_easiness(easiness: Decimal, quality: int) -> Decimal:
    """EF' = EF + (0.1 - (5-q)(0.08 + (5-q)0.02)), floored at 1.3, in exact hundredths."""
    d = 5 - quality
    step_hundredths = 10 - d * (8 + d * 2)
    return max(MIN_EASINESS, easiness + Decimal(step_hundredths) * _HUNDREDTH)


def review(state: SM2State, quality: int) -> SM2State:
    """The state after a graded answer (the first of the study day for that card)."""
    if not 0 <= quality <= 5 or isinstance(quality, bool):
        raise ValueError(f"quality must be an integer from 0 to 5, got {quality!r}")
    easiness = next_easiness(state.easiness, quality)
    if quality < rules.LAPSE_BELOW:
        return SM2State(repetitions=0, easiness=easiness, interval=1)
    if state.repetitions == 0:
        interval = 1
    elif state.repetitions == 1:
        interval = 6
    else:
        # ceil(I * EF) on integers: EF is exact hundredths, so no float decides the rounding.
        ef_hundredths = int(state.easiness * 100)
        interval = -(-state.interval * ef_hundredths // 100)
    return SM2State(
        repetitions=state.repetitions + 1,
        easiness=easiness,
        interval=min(max(interval, 1), MAX_INTERVAL),
    )


class SM2:
    """SM-2 behind the scheduler interface: the state is ``SM2State``, due = day + interval."""

    name = "sm2"

    def initial(self) -> SM2State:
        return SM2State()

    def grade(self, state: SM2State, quality: int, day: date) -> Graded[SM2State]:
        after = review(state, quality)
        return Graded(
            state=after,
            due=day + timedelta(days=after.interval),
            lapse=rules.is_lapse(quality, state.repetitions),
        )

    def fields(self, state: SM2State) -> Fields:
        return {
            "repetitions": state.repetitions,
            "easiness": float(state.easiness),
            "interval": state.interval,
            "stability": None,
            "difficulty": None,
        }

    def restore(self, fields: Fields, last_day: date | None) -> SM2State:
        return SM2State(fields["repetitions"], Decimal(str(fields["easiness"])), fields["interval"])

    def retrievability(self, state: SM2State, elapsed_days: int) -> float | None:
        """Exponential forgetting with the interval as the 90% point (``RECALL_AT_INTERVAL``)."""
        if state.interval <= 0:
            return None
        return float(RECALL_AT_INTERVAL ** (max(elapsed_days, 0) / state.interval))
