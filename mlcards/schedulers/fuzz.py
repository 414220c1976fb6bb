"""Interval fuzz and load balancing, as Anki does them, seeded so every replay agrees.

Cards learned together would otherwise fall due together for ever. After a scheduler has
decided an interval, ``Fuzzed`` draws the interval actually used from a range around it
(``bounds``: none below 2.5 days, then 1 day plus 15% of the days from 2.5 to 7, 10% of
those from 7 to 20 and 5% of those above 20; Anki's own pins: 7 -> 5-9, 17 -> 14-20,
37 -> 33-41), never below the previous interval after a passing answer. With load
balancing, days of the range with fewer of the deck's cards due weigh more.

Invariant: the draw is a pure function of the deck, the card, the answer's study day and
the card's state before it (``seed``), never of the global random or a row number, so
``check``, undo, a scheduler switch and another device replaying the same log draw the same
day. The inner scheduler stays exact (SM-2's EF, py-fsrs with its own fuzz off); only the
interval it returns is replaced, and the next answer builds on the fuzzed one, as in Anki.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from mlcards import rules
from mlcards.schedulers import Fields, Graded, Scheduler

MAX_INTERVAL = 36500
MAX_BALANCED_INTERVAL = 90
"""Load balancing reaches only this far (as in Anki): a card sent further needs it less."""
_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.10), (20.0, math.inf, 0.05))

DueOn = Callable[[date], int]
"""How many of the deck's cards are due on a day (the answered card left out)."""


def _round(value: float) -> int:
    """Half away from zero, as Rust's ``round`` (Python's would round 5.5 to 6 and 6.5 to 6)."""
    return math.floor(value + 0.5)


def delta(interval: float) -> float:
    """How far either way an interval may be moved."""
    if interval < 2.5:
        return 0.0
    return 1.0 + sum(f * max(min(interval, end) - start, 0.0) for start, end, f in _RANGES)


def bounds(interval: float, minimum: int = 1, maximum: int = MAX_INTERVAL) -> tuple[int, int]:
    """The days an interval may become, within ``minimum`` and ``maximum``; a clamped range
    keeps two days where it can (so a raised minimum still leaves a choice)."""
    minimum = min(minimum, maximum)
    interval = min(max(interval, minimum), maximum)
    d = delta(interval)
    low = min(max(_round(interval - d), minimum), maximum)
    high = min(max(_round(interval + d), minimum), maximum)
    if low == high and 2 < high < maximum:
        high = low + 1
    return low, high


def seed(deck_id: str, card_id: str, day: date, *state: object) -> float:
    """A number in [0, 1) that only the card, the study day and its state before the answer
    decide (a card is graded at most once a study day); the same on every device."""
    import hashlib  # (here: ~3 ms of imports the review's first card need not wait for)

    text = "\x1f".join((deck_id, card_id, day.isoformat(), *map(str, state)))
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def draw(low: int, high: int, u: float) -> int:
    """The day of ``[low, high]`` that ``u`` (uniform in [0, 1)) picks, each equally likely."""
    return min(low + int(u * (high - low + 1)), high)


def weight(due: int, interval: int) -> float:
    """Anki's load-balancing weight of a day: 1 when nothing is due on it, else
    ``(1/due)^2.15 * (1/interval)^3``."""
    if due == 0:
        return 1.0
    return float((1 / due) ** 2.15 * (1 / interval) ** 3)


def balanced(low: int, high: int, u: float, day: date, due_on: DueOn) -> int:
    """The interval of ``[low, high]`` that ``u`` picks with each day weighted by how few
    cards are due on it."""
    candidates = list(range(low, high + 1))
    weights = [weight(due_on(day + timedelta(days=n)), n) for n in candidates]
    point = u * sum(weights)
    for n, w in zip(candidates, weights, strict=True):
        if point < w:
            return n
        point -= w
    return candidates[-1]


def minimum_for(quality: int, interval_before: int) -> int:
    """A passing answer never shortens a card's interval below its previous one."""
    return max(interval_before, 1) if quality >= rules.LAPSE_BELOW else 1


def interval_range(scheduled: int, quality: int, interval_before: int) -> tuple[int, int]:
    """The days a graded answer may send a card (what the rating keys show)."""
    if scheduled < 1:
        return scheduled, scheduled
    return bounds(scheduled, minimum_for(quality, interval_before))


class Fuzzed:
    """A scheduler whose graded intervals are fuzzed (and load-balanced) when the card is
    known (``grade_card``); ``grade`` without a card stays the exact inner scheduler, for
    the simulations and evaluations that model memory rather than a learner's calendar."""

    def __init__(self, inner: Scheduler[Any], load_balance: bool = False) -> None:
        self.inner = inner
        self.load_balance = load_balance
        self.name = inner.name

    def initial(self) -> Any:
        return self.inner.initial()

    def grade(self, state: Any, quality: int, day: date) -> Graded[Any]:
        return self.inner.grade(state, quality, day)

    def fields(self, state: Any) -> Fields:
        return self.inner.fields(state)

    def restore(self, fields: Fields, last_day: date | None) -> Any:
        return self.inner.restore(fields, last_day)

    def retrievability(self, state: Any, elapsed_days: int) -> float | None:
        return self.inner.retrievability(state, elapsed_days)

    def grade_card(
        self,
        state: Any,
        quality: int,
        day: date,
        card: tuple[str, str],
        due_on: DueOn | None = None,
    ) -> Graded[Any]:
        """The answer graded, its interval drawn from the fuzz range (weighted by
        ``due_on`` when balancing), the state carrying the interval drawn."""
        graded = self.inner.grade(state, quality, day)
        before = self.inner.fields(state)
        scheduled = (graded.due - day).days
        low, high = interval_range(scheduled, quality, before["interval"])
        if (low, high) == (scheduled, scheduled):
            return graded
        u = seed(*card, day, before["repetitions"], before["interval"], quality)
        if self.load_balance and due_on is not None and scheduled <= MAX_BALANCED_INTERVAL:
            interval = balanced(low, high, u, day, due_on)
        else:
            interval = draw(low, high, u)
        return Graded(
            state=replace(graded.state, interval=interval),
            due=day + timedelta(days=interval),
            lapse=graded.lapse,
        )
