"""Which scheduler each deck uses, and switching between them without losing anything.

A deck's cached schedule is a function of its log and of its scheduling settings
(``scheduler``, ``desired_retention``, ``fsrs_parameters``): change one and the deck's cards
are recomputed by replaying their logs, in one transaction, after a backup. Since the log is
untouched, switching back replays the same answers into the same cache (lossless).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from mlcards.config import Settings
from mlcards.errors import UsageError
from mlcards.evaluation import (
    AnswerModel,
    Metrics,
    Policy,
    fit_fsrs,
    graded_histories,
    metrics,
    predictions,
    simulate,
)
from mlcards.models import CachedSchedule, CardKey
from mlcards.replay import SchedulerFor, replay
from mlcards.schedulers import Scheduler, by_name
from mlcards.store import Store

Spec = tuple[str, float, tuple[float, ...] | None]


def scheduler_for(settings: Settings, deck_ids: Iterable[str] = ()) -> SchedulerFor:
    """Each deck's scheduler by its settings, built once per distinct setting. The decks in
    ``deck_ids`` are built now, so a missing ``fsrs`` package or bad parameters are reported
    before anything is shown or written."""
    built: dict[Spec, Scheduler[Any]] = {}

    def for_deck(deck_id: str) -> Scheduler[Any]:
        spec = settings.scheduling_for(deck_id)
        if spec not in built:
            name, retention, parameters = spec
            try:
                built[spec] = by_name(name, retention, parameters)
            except ValueError as exc:
                where = f"deck {deck_id}" if deck_id in settings.decks else "settings"
                raise UsageError(f"{where}: {' '.join(str(exc).split())}") from None
        return built[spec]

    for deck_id in deck_ids:
        for_deck(deck_id)
    return for_deck


def uses_fsrs(settings: Settings, deck_ids: Iterable[str]) -> list[str]:
    return [d for d in deck_ids if settings.scheduling_for(d)[0] == "fsrs"]


@dataclass
class Rescheduled:
    """What a change of scheduling settings did to the cache."""

    decks: list[str]
    cards: int
    backup: Path | None


def changed_decks(old: Settings, new: Settings, deck_ids: Iterable[str]) -> list[str]:
    """The decks whose cached schedule ``new`` changes: another scheduler, or for FSRS decks
    another retention or other parameters (SM-2 has no parameters)."""

    def effective(settings: Settings, deck_id: str) -> Spec:
        spec = settings.scheduling_for(deck_id)
        return spec if spec[0] == "fsrs" else (spec[0], 0.0, None)

    return [d for d in deck_ids if effective(old, d) != effective(new, d)]


def reschedule(store: Store, settings: Settings, deck_ids: Sequence[str]) -> Rescheduled:
    """Recompute the cached schedule of these decks' cards from their logs with the
    schedulers ``settings`` give them: a backup first (once there are reviews), then one
    transaction."""
    if not deck_ids:
        return Rescheduled([], 0, None)
    grader = scheduler_for(settings, deck_ids)
    backup = store.backups.create("pre-repair") if store.log.has_reviews() else None

    def compute(
        rows: Iterator[dict[str, Any]], schedule_from: Mapping[CardKey, int]
    ) -> dict[CardKey, CachedSchedule]:
        return replay(rows, schedule_from, scheduler_for=grader)

    cards = store.cards.rebuild_decks(deck_ids, compute)
    return Rescheduled(list(deck_ids), cards, backup)


# -- evaluate, optimize, simulate on the learner's own log -------------------------------------


def fsrs_for(settings: Settings) -> SchedulerFor:
    """FSRS with each deck's parameters, whichever scheduler the deck uses now."""
    built: dict[tuple[float, ...] | None, Scheduler[Any]] = {}

    def for_deck(deck_id: str) -> Scheduler[Any]:
        _, retention, parameters = settings.scheduling_for(deck_id)
        if parameters not in built:
            built[parameters] = _built("fsrs", retention, parameters, deck_id, settings)
        return built[parameters]

    return for_deck


def _built(
    name: str,
    retention: float,
    parameters: tuple[float, ...] | None,
    deck_id: str,
    settings: Settings,
) -> Scheduler[Any]:
    try:
        return by_name(name, retention, parameters)
    except ValueError as exc:
        where = f"deck {deck_id}" if deck_id in settings.decks else "settings"
        raise UsageError(f"{where}: {' '.join(str(exc).split())}") from None


def histories(store: Store, deck: str | None = None) -> dict[CardKey, list[tuple[date, int]]]:
    """Each card's graded answers (of one deck, or all) since its schedule last started."""
    schedule_from = {k: v["schedule_from"] for k, v in store.cards.states().items()}
    rows = (r for r in store.log.replay_rows() if deck is None or r["deck_id"] == deck)
    return graded_histories(rows, schedule_from)


def evaluate(store: Store, settings: Settings, deck: str | None = None) -> dict[str, Any]:
    """Both schedulers' predicted recall for every predictable first-of-day answer, scored
    (``mlcards evaluate``). FSRS uses each deck's parameters; when some deck has fitted ones,
    FSRS with the default parameters is scored too."""
    from mlcards.schedulers.sm2 import RECALL_AT_INTERVAL

    found = histories(store, deck)
    decks = sorted({key[0] for key in found})
    sm2 = by_name("sm2")
    rows = [("sm2", "SM-2", metrics(predictions(found, lambda _: sm2)))]
    fitted = [d for d in decks if settings.scheduling_for(d)[2] is not None]
    rows.append(
        (
            "fsrs",
            "FSRS-6" + (" (fitted)" if fitted else ""),
            metrics(predictions(found, fsrs_for(settings))),
        )
    )
    if fitted:
        default_fsrs = by_name("fsrs")
        rows.append(
            (
                "fsrs-default",
                "FSRS-6 (default)",
                metrics(predictions(found, lambda _: default_fsrs)),
            )
        )
    return {
        "deck": deck,
        "cards": len(found),
        "answers": sum(len(h) for h in found.values()),
        "fitted_decks": fitted,
        "recall_model": {
            "sm2": f"exponential: R = {RECALL_AT_INTERVAL} ** (days since the answer / interval)",
            "fsrs": "FSRS-6 power curve: R = (1 + F t / S) ** -w20",
        },
        "schedulers": [{"scheduler": key, "name": name, **m.to_dict()} for key, name, m in rows],
    }


@dataclass
class Optimized:
    parameters: tuple[float, ...]
    before: Metrics
    after: Metrics
    reviews: int
    start: tuple[float, ...] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "reviews": self.reviews,
            "before": {
                "parameters": "default" if self.start is None else list(self.start),
                **self.before.to_dict(),
            },
            "after": {"parameters": list(self.parameters), **self.after.to_dict()},
        }


def optimize(store: Store, settings: Settings, deck: str | None = None) -> Optimized:
    """FSRS parameters fitted to the log (of one deck, or all), scored before and after on the
    same answers. Nothing is saved here."""
    from mlcards.schedulers.fsrs import DEFAULT_PARAMETERS, LOWER_BOUNDS, UPPER_BOUNDS

    found = histories(store, deck)
    start = settings.scheduling_for(deck)[2] if deck else settings.fsrs_parameters
    current = _built("fsrs", 0.9, start, deck or "", settings)
    fitted = fit_fsrs(found, start or DEFAULT_PARAMETERS, LOWER_BOUNDS, UPPER_BOUNDS)
    new = _built("fsrs", 0.9, fitted, deck or "", settings)
    before = metrics(predictions(found, lambda _: current))
    after = metrics(predictions(found, lambda _: new))
    return Optimized(fitted, before, after, before.reviews, start)


RETENTIONS = (0.8, 0.85, 0.9, 0.95)


def simulate_next(
    store: Store,
    settings: Settings,
    today: date,
    days: int,
    deck: str | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """``mlcards simulate``: the learner's active cards over the next ``days`` under SM-2 and
    under FSRS at a few desired retentions; FSRS with each deck's parameters is the model of
    the learner's memory, their own answers the model of how they rate."""
    found = histories(store, deck)
    keys = store.cards.active_keys(deck)
    cards = [(key[0], found.get(key, [])) for key in keys]
    memory = fsrs_for(settings)
    own = settings.for_deck(deck) if deck else settings
    sm2 = by_name("sm2")
    policies = [Policy("SM-2", lambda _: sm2)]
    wanted = sorted({*RETENTIONS, *(settings.scheduling_for(k[0])[1] for k in keys)})
    for retention in wanted:
        policies.append(Policy(f"FSRS {retention:.0%}", _fsrs_at(settings, retention)))
    simulate(
        cards,
        memory,
        policies,
        today,
        days,
        own.new_per_day,
        own.reviews_per_day,
        AnswerModel.from_histories(found),
        seed=seed,
    )
    return {
        "today": today.isoformat(),
        "days": days,
        "deck": deck,
        "cards": len(cards),
        "new": sum(1 for _, h in cards if not h),
        "new_per_day": own.new_per_day,
        "reviews_per_day": own.reviews_per_day,
        "policies": [p.to_dict() for p in policies],
    }


def _fsrs_at(settings: Settings, retention: float) -> SchedulerFor:
    built: dict[tuple[float, ...] | None, Scheduler[Any]] = {}

    def for_deck(deck_id: str) -> Scheduler[Any]:
        parameters = settings.scheduling_for(deck_id)[2]
        if parameters not in built:
            built[parameters] = _built("fsrs", retention, parameters, deck_id, settings)
        return built[parameters]

    return for_deck


def retrievability_today(
    store: Store, settings: Settings, today: date, deck: str | None, tag: str | None
) -> list[float]:
    """Today's predicted recall of every active FSRS card (the stats' distribution); py-fsrs
    is imported only when there are such cards."""
    cards = store.cards.fsrs_states(deck, tag)
    if not cards:
        return []
    from mlcards.schedulers.fsrs import FSRSState

    grader = scheduler_for(settings)
    found = []
    for card in cards:
        scheduler = grader(card.deck_id)
        state = FSRSState(stability=card.stability, last_day=card.last_review_day)
        value = scheduler.retrievability(state, (today - card.last_review_day).days)
        if scheduler.name == "fsrs" and value is not None:
            found.append(value)
    return found
