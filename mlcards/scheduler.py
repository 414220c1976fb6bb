"""The documented public name for SM-2: ``from mlcards.scheduler import SM2State, review``.

The algorithm lives in ``mlcards.schedulers.sm2`` behind the scheduler interface.
"""

from mlcards.schedulers.sm2 import (
    INITIAL_EASINESS,
    MAX_INTERVAL,
    MIN_EASINESS,
    SM2,
    SM2State,
    next_easiness,
    review,
)

__all__ = [
    "INITIAL_EASINESS",
    "MAX_INTERVAL",
    "MIN_EASINESS",
    "SM2",
    "SM2State",
    "next_easiness",
    "review",
]
