"""The scheduler seam: what decides when a card comes back.

A scheduler is pure: it is given the state a card had, the quality of a graded answer (the
first of that study day) and the study day, and returns the new state, the due day and
whether the answer was a lapse. It reads no clock, does no I/O and uses no global random.
SM-2 (``mlcards.schedulers.sm2``) is the default; a second scheduler is one new module here
plus a name in ``by_name``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from mlcards.schedulers.sm2 import SM2

S = TypeVar("S")


@dataclass(frozen=True)
class Graded(Generic[S]):
    """What a graded answer produces."""

    state: S
    due: date
    lapse: bool


class Scheduler(Protocol[S]):
    name: str

    def initial(self) -> S:
        """The state of a card never reviewed."""
        ...

    def grade(self, state: S, quality: int, day: date) -> Graded[S]: ...


NAMES = ("sm2",)
"""The schedulers a deck can use (the `scheduler` setting)."""


def default() -> SM2:
    """SM-2, the default scheduler."""
    from mlcards.schedulers.sm2 import SM2

    return SM2()
