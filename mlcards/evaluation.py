"""``optimize``, ``evaluate`` and ``simulate``, pure over the rows of the review log.

Every function here takes the graded log (rows as ``replay`` reads them, in id order) and
returns numbers; the store reads the rows, the CLI shows the results.

- ``predictions``: for every first-of-day answer of a card that had been graded before, the
  recall a scheduler predicted for that day, and whether the answer was right (quality >= 3).
  A card's first answer has no prediction (nothing was known of it yet), as in srs-benchmark.
- ``metrics``: log loss, RMSE(bins) and AUC of those predictions, as srs-benchmark computes
  them.
- ``fit_fsrs``: FSRS-6 parameters fitted to the log by fsrs-rs-python (the optimiser Anki
  uses; an optional extra), with no short-term parameters: mlcards never grades twice a day.
- ``simulate``: the next days of a collection under a policy, with FSRS (the deck's
  parameters) as the model of the learner's memory.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from mlcards import rules
from mlcards.errors import MissingExtraError, UsageError
from mlcards.models import CardKey
from mlcards.schedulers import Scheduler, SchedulerFor, grade_answer

Rows = Iterable[Mapping[str, Any]]

MIN_OPTIMIZE_REVIEWS = 100
"""``optimize`` refuses to fit fewer predictable reviews than this (first-of-day answers of
cards answered on an earlier day)."""
OPTIMIZE_EXTRA = "pip install 'mlcards[optimize]'"
_EPS = 1e-15


@dataclass(frozen=True)
class Prediction:
    """One first-of-day answer a scheduler could predict."""

    deck_id: str
    card_id: str
    day: date
    elapsed: int
    """Study days since the card's previous graded answer."""
    review: int
    """Which graded answer of the card this is (the first is 1; predictions start at 2)."""
    lapses: int
    """Again answers (quality < 3) the card had before, its first answer excepted."""
    p: float
    y: int
    quality: int


def graded_histories(
    rows: Rows, schedule_from: Mapping[CardKey, int | str]
) -> dict[CardKey, list[tuple[date, int]]]:
    """Each card's graded answers (study day, quality) since its schedule last started."""
    histories: dict[CardKey, list[tuple[date, int]]] = {}
    for row in rows:
        key = (row["deck_id"], row["card_id"])
        if rules.before_reset(row, schedule_from.get(key)) or row["same_day_repeat"]:
            continue
        histories.setdefault(key, []).append((date.fromisoformat(row["study_day"]), row["quality"]))
    return histories


def predictions(
    histories: Mapping[CardKey, Sequence[tuple[date, int]]], scheduler_for: SchedulerFor
) -> list[Prediction]:
    """Every predictable answer, with the recall ``scheduler_for(deck)`` gave it."""
    found: list[Prediction] = []
    for (deck_id, card_id), history in histories.items():
        scheduler = scheduler_for(deck_id)
        state = scheduler.initial()
        last: date | None = None
        lapses = 0
        for number, (day, quality) in enumerate(history, start=1):
            if last is not None:
                elapsed = (day - last).days
                p = scheduler.retrievability(state, elapsed)
                if p is not None:
                    y = int(quality >= rules.LAPSE_BELOW)
                    found.append(
                        Prediction(deck_id, card_id, day, elapsed, number, lapses, p, y, quality)
                    )
                lapses += quality < rules.LAPSE_BELOW
            state = scheduler.grade(state, quality, day).state
            last = day
    found.sort(key=lambda p: (p.day, p.deck_id, p.card_id))
    return found


def log_loss(predicted: Sequence[Prediction]) -> float | None:
    """Mean binary cross-entropy (natural log), probabilities clipped to (1e-15, 1 - 1e-15)."""
    if not predicted:
        return None
    total = 0.0
    for item in predicted:
        p = min(max(item.p, _EPS), 1 - _EPS)
        total -= math.log(p) if item.y else math.log(1 - p)
    return total / len(predicted)


def _bin(x: float, base: float, scale: float, digits: int) -> float:
    return round(scale * base ** math.floor(math.log(max(x, 1e-6)) / math.log(base)), digits)


def rmse_bins(predicted: Sequence[Prediction]) -> float | None:
    """srs-benchmark's RMSE(bins): answers grouped by elapsed days, review number and lapses
    (each on a log scale), then the root of the count-weighted mean squared difference
    between each group's mean prediction and its share of right answers."""
    if not predicted:
        return None
    groups: dict[tuple[float, float, float], list[float]] = {}
    for item in predicted:
        key = (
            _bin(item.elapsed, 3.62, 2.48, 2),
            _bin(item.review, 1.89, 1.99, 0),
            _bin(item.lapses, 1.73, 1.65, 0) if item.lapses else 0.0,
        )
        group = groups.setdefault(key, [0.0, 0.0, 0.0])
        group[0] += item.y
        group[1] += item.p
        group[2] += 1
    squared = sum(n * (y / n - p / n) ** 2 for y, p, n in groups.values())
    return math.sqrt(squared / len(predicted))


def auc(predicted: Sequence[Prediction]) -> float | None:
    """Area under the ROC curve (the Mann-Whitney statistic, ties counted half): the chance
    that a remembered answer got a higher prediction than a forgotten one. None when every
    answer was right, or every one wrong."""
    positives = sum(item.y for item in predicted)
    negatives = len(predicted) - positives
    if not positives or not negatives:
        return None
    ordered = sorted(predicted, key=lambda item: item.p)
    rank_sum = 0.0
    index = 0
    while index < len(ordered):
        end = index
        while end + 1 < len(ordered) and ordered[end + 1].p == ordered[index].p:
            end += 1
        average_rank = (index + end) / 2 + 1
        rank_sum += average_rank * sum(item.y for item in ordered[index : end + 1])
        index = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@dataclass(frozen=True)
class Metrics:
    reviews: int
    log_loss: float | None
    rmse_bins: float | None
    auc: float | None
    retention: float | None
    """The share of those answers that were right."""
    predicted: float | None
    """The mean predicted recall."""

    def to_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "reviews": self.reviews,
            "log_loss": r(self.log_loss),
            "rmse_bins": r(self.rmse_bins),
            "auc": r(self.auc),
            "retention": r(self.retention),
            "mean_prediction": r(self.predicted),
        }


def metrics(predicted: Sequence[Prediction]) -> Metrics:
    n = len(predicted)
    return Metrics(
        reviews=n,
        log_loss=log_loss(predicted),
        rmse_bins=rmse_bins(predicted),
        auc=auc(predicted),
        retention=sum(p.y for p in predicted) / n if n else None,
        predicted=sum(p.p for p in predicted) / n if n else None,
    )


# -- optimize -------------------------------------------------------------------------------


def predictable(histories: Mapping[CardKey, Sequence[tuple[date, int]]]) -> int:
    """How many answers came on a later study day than the card's previous one."""
    return sum(
        1
        for history in histories.values()
        for before, after in zip(history, history[1:], strict=False)
        if after[0] > before[0]
    )


def fit_fsrs(
    histories: Mapping[CardKey, Sequence[tuple[date, int]]],
    start: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
) -> tuple[float, ...]:
    """FSRS-6 parameters fitted to these histories by fsrs-rs-python, rounded to 4 places and
    kept within py-fsrs's bounds (fsrs-rs computes in 32-bit floats)."""
    try:
        import fsrs_rs_python as rs
    except ImportError:
        raise MissingExtraError(
            f"`mlcards optimize` needs fsrs-rs-python ({OPTIMIZE_EXTRA})"
        ) from None
    if predictable(histories) < MIN_OPTIMIZE_REVIEWS:
        raise UsageError(
            f"optimize needs at least {MIN_OPTIMIZE_REVIEWS} reviews of cards answered on an "
            f"earlier day; there are {predictable(histories)} so far. Keep reviewing and try "
            "again later (FSRS works with its default parameters meanwhile)"
        )
    dated: list[tuple[date, Any]] = []
    for history in histories.values():
        reviews = []
        previous: date | None = None
        for day, quality in history:
            delta = 0 if previous is None else (day - previous).days
            rating = 1 if quality < rules.LAPSE_BELOW else quality - 1
            reviews.append(rs.FSRSReview(rating, max(delta, 0)))
            if delta > 0:
                dated.append((day, rs.FSRSItem(list(reviews))))
            previous = day
    dated.sort(key=lambda pair: pair[0])
    items = [item for _, item in dated]
    try:
        fitted = rs.FSRS(list(start)).compute_parameters(items, enable_short_term=False)
    except BaseException as exc:  # a Rust panic is a BaseException
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise UsageError(f"the optimiser failed: {exc}") from None
    return tuple(
        min(max(round(float(w), 4), lo), hi) for w, lo, hi in zip(fitted, lower, upper, strict=True)
    )


# -- simulate -------------------------------------------------------------------------------


@dataclass
class Policy:
    """A scheduler to simulate, by name, and what it did."""

    name: str
    scheduler_for: SchedulerFor
    reviews: list[int] = field(default_factory=list)
    retention: list[float] = field(default_factory=list)
    introduced: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        total = sum(self.reviews)
        days = len(self.reviews)
        return {
            "policy": self.name,
            "reviews": total,
            "reviews_per_day": round(total / days, 2) if days else None,
            "mean_retention": round(sum(self.retention) / days, 4) if days else None,
            "final_retention": round(self.retention[-1], 4) if days else None,
            "days": [
                {"day": i, "reviews": n, "retention": round(r, 4), "new": k}
                for i, (n, r, k) in enumerate(
                    zip(self.reviews, self.retention, self.introduced, strict=True)
                )
            ],
        }


@dataclass(frozen=True)
class AnswerModel:
    """How the learner answers, from their own first-of-day answers: the qualities of right
    answers (3, 4, 5), of wrong ones (0, 1, 2), and how often a new card's first answer is
    right."""

    right: tuple[tuple[int, float], ...] = ((3, 0.15), (4, 0.7), (5, 0.15))
    wrong: tuple[tuple[int, float], ...] = ((1, 1.0),)
    first_right: float = 0.6

    @classmethod
    def from_histories(cls, histories: Mapping[CardKey, Sequence[tuple[date, int]]]) -> AnswerModel:
        qualities = Counter(q for h in histories.values() for _, q in h)
        firsts = [h[0][1] for h in histories.values() if h]
        right = {q: n for q, n in qualities.items() if q >= rules.LAPSE_BELOW}
        wrong = {q: n for q, n in qualities.items() if q < rules.LAPSE_BELOW}
        default = cls()

        def shares(counts: dict[int, int]) -> tuple[tuple[int, float], ...]:
            total = sum(counts.values())
            return tuple((q, n / total) for q, n in sorted(counts.items()))

        return cls(
            right=shares(right) if right else default.right,
            wrong=shares(wrong) if wrong else default.wrong,
            first_right=(
                sum(q >= rules.LAPSE_BELOW for q in firsts) / len(firsts)
                if len(firsts) >= 10
                else default.first_right
            ),
        )

    def draw(self, rng: random.Random, recalled: bool) -> int:
        choices = self.right if recalled else self.wrong
        x = rng.random()
        for quality, share in choices:
            x -= share
            if x < 0:
                return quality
        return choices[-1][0]


def simulate(
    cards: Sequence[tuple[str, Sequence[tuple[date, int]]]],
    memory_for: SchedulerFor,
    policies: Sequence[Policy],
    today: date,
    days: int,
    new_per_day: int,
    reviews_per_day: int,
    answers: AnswerModel,
    seed: int = 0,
    runs: int = 4,
) -> list[Policy]:
    """Each policy over the next ``days`` study days for these cards (deck id and graded
    history; an empty history is a new card, introduced at ``new_per_day``). Recall is drawn
    from ``memory_for(deck)``'s retrievability (FSRS: the learner's memory), qualities from
    ``answers``; each policy decides the due days. Reviews per day are graded answers (same-
    day repeats change no schedule and are not counted); retention is the mean predicted
    recall of every card introduced so far, at the end of each day. The mean of ``runs``
    seeded runs: the same log gives the same numbers."""
    decks = {deck_id for deck_id, _ in cards}
    memories = {deck_id: memory_for(deck_id) for deck_id in decks}
    for policy in policies:
        graders = {deck_id: policy.scheduler_for(deck_id) for deck_id in decks}
        known, new = _start(cards, memories, graders, today)
        totals = [[0.0, 0.0, 0.0] for _ in range(days)]
        for run in range(runs):
            rng = random.Random(seed * 1000 + run)
            reviews, retention, introduced = _simulate_one(
                [list(c) for c in known],
                list(new),
                memories,
                graders,
                today,
                days,
                new_per_day,
                reviews_per_day,
                answers,
                rng,
            )
            for i in range(days):
                totals[i][0] += reviews[i]
                totals[i][1] += retention[i]
                totals[i][2] += introduced[i]
        policy.reviews = [round(t[0] / runs) for t in totals]
        policy.retention = [t[1] / runs for t in totals]
        policy.introduced = [round(t[2] / runs) for t in totals]
    return list(policies)


def _start(
    cards: Sequence[tuple[str, Sequence[tuple[date, int]]]],
    memories: Mapping[str, Scheduler[Any]],
    graders: Mapping[str, Scheduler[Any]],
    today: date,
) -> tuple[list[list[Any]], list[str]]:
    """Each reviewed card as [deck, memory state, policy state, due day, last day, key], from
    its history (the key seeds a fuzzed policy's draws); the decks of the new cards, in the
    order they are introduced."""
    known: list[list[Any]] = []
    new: list[str] = []
    for deck_id, history in cards:
        if not history:
            new.append(deck_id)
            continue
        memory, scheduler = memories[deck_id], graders[deck_id]
        m, s = memory.initial(), scheduler.initial()
        due = today
        key = (deck_id, f"known-{len(known)}")
        for day, quality in history:
            m = memory.grade(m, quality, day).state
            graded = grade_answer(scheduler, s, quality, day, key)
            s, due = graded.state, graded.due
        known.append([deck_id, m, s, due, history[-1][0], key])
    new.reverse()
    return known, new


def _simulate_one(
    known: list[list[Any]],
    new: list[str],
    memories: Mapping[str, Scheduler[Any]],
    graders: Mapping[str, Scheduler[Any]],
    today: date,
    days: int,
    new_per_day: int,
    reviews_per_day: int,
    answers: AnswerModel,
    rng: random.Random,
) -> tuple[list[int], list[float], list[int]]:
    reviews, retention, introduced = [], [], []
    for offset in range(days):
        day = today + timedelta(days=offset)
        due_now = sorted((c for c in known if c[3] <= day), key=lambda c: c[3])
        done = 0
        for card in due_now[:reviews_per_day]:
            memory = memories[card[0]]
            p = memory.retrievability(card[1], (day - card[4]).days) or 0.0
            _answer(card, answers.draw(rng, rng.random() < p), day, memory, graders[card[0]])
            done += 1
        fresh = 0
        while new and fresh < new_per_day:
            deck_id = new.pop()
            memory = memories[deck_id]
            key = (deck_id, f"new-{offset}-{fresh}")
            card = [deck_id, memory.initial(), graders[deck_id].initial(), day, day, key]
            recalled = rng.random() < answers.first_right
            _answer(card, answers.draw(rng, recalled), day, memory, graders[deck_id])
            known.append(card)
            fresh += 1
        reviews.append(done + fresh)
        introduced.append(fresh)
        recall = [memories[c[0]].retrievability(c[1], (day - c[4]).days) or 0.0 for c in known]
        retention.append(sum(recall) / len(recall) if recall else 0.0)
    return reviews, retention, introduced


def _answer(
    card: list[Any], quality: int, day: date, memory: Scheduler[Any], grader: Scheduler[Any]
) -> None:
    card[1] = memory.grade(card[1], quality, day).state
    graded = grade_answer(grader, card[2], quality, day, card[5])  # fuzzed if the deck is
    card[2], card[3], card[4] = graded.state, graded.due, day
