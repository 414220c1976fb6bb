"""FSRS on the learner's own log: ``evaluate``, ``optimize`` (fit, reschedule, save) and
``simulate``. The numbers come from ``mlcards.evaluation`` (pure over log rows); this module
reads the rows and, for ``optimize``, saves what was fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from mlcards.config import Settings
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
from mlcards.models import CardKey
from mlcards.rules import SchedulerSpec
from mlcards.schedulers import build, by_name, require_fsrs, scheduler_for
from mlcards.services.admin import Rescheduled, set_scheduling
from mlcards.services.decks import check_deck
from mlcards.store import Store


def histories(store: Store, deck: str | None = None) -> dict[CardKey, list[tuple[date, int]]]:
    """Each card's graded answers (of one deck, or all) since its schedule last started."""
    schedule_from = {k: v["schedule_from"] for k, v in store.cards.states().items()}
    rows = (r for r in store.log.replay_rows() if deck is None or r["deck_id"] == deck)
    return graded_histories(rows, schedule_from)


def evaluate(store: Store, settings: Settings, deck: str | None = None) -> dict[str, Any]:
    """Both schedulers' predicted recall for every predictable first-of-day answer, scored
    (``mlcards evaluate``). FSRS uses each deck's parameters; when some deck has fitted ones,
    FSRS with the default parameters is scored too."""
    require_fsrs("evaluate")
    deck = check_deck(store, deck)
    from mlcards.schedulers.sm2 import RECALL_AT_INTERVAL

    found = histories(store, deck)
    decks = sorted({key[0] for key in found})
    sm2 = by_name("sm2")
    rows = [("sm2", "SM-2", metrics(predictions(found, lambda _: sm2)))]
    fitted = [d for d in decks if settings.rules_for(d).scheduler.fsrs_parameters is not None]
    rows.append(
        (
            "fsrs",
            "FSRS-6" + (" (fitted)" if fitted else ""),
            metrics(predictions(found, scheduler_for(settings.rules_for, name="fsrs"))),
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
    rules = settings.rules_for(deck)
    where = f"deck {deck}" if rules.own else "settings"
    start = rules.scheduler.fsrs_parameters
    current = build(SchedulerSpec("fsrs", 0.9, start), where)
    fitted = fit_fsrs(found, start or DEFAULT_PARAMETERS, LOWER_BOUNDS, UPPER_BOUNDS)
    new = build(SchedulerSpec("fsrs", 0.9, fitted), where)
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
    require_fsrs("simulate")
    deck = check_deck(store, deck)
    found = histories(store, deck)
    keys = store.cards.active_keys(deck)
    cards = [(key[0], found.get(key, [])) for key in keys]
    memory = scheduler_for(settings.rules_for, name="fsrs")
    own = settings.rules_for(deck)
    sm2 = build(SchedulerSpec("sm2", fuzz=own.scheduler.fuzz))  # fuzzed as the deck is
    policies = [Policy("SM-2", lambda _: sm2)]
    wanted = sorted(
        {*RETENTIONS, *(settings.rules_for(k[0]).scheduler.desired_retention for k in keys)}
    )
    for retention in wanted:
        at = scheduler_for(settings.rules_for, name="fsrs", desired_retention=retention)
        policies.append(Policy(f"FSRS {retention:.0%}", at))
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


def optimize_and_save(
    store: Store, settings: Settings, deck: str | None = None
) -> tuple[Optimized, Rescheduled]:
    """``mlcards optimize``: FSRS parameters fitted to the log (of one deck, or all), the
    decks they change rescheduled from their logs (after a backup), and then saved in the
    settings (for the deck, or globally)."""
    require_fsrs("optimize", optimizer=True)
    deck = check_deck(store, deck)
    result = optimize(store, settings, deck)
    parameters = tuple(float(f"{w:g}") for w in result.parameters)
    done = set_scheduling(store, settings, "fsrs_parameters", parameters, deck)
    return result, done


def fsrs_decks(store: Store, settings: Settings, deck: str | None = None) -> list[str]:
    """The decks (of ``deck`` alone, when given) that FSRS schedules: those that would use
    parameters ``optimize`` saves. Empty: they are saved, but nothing uses them yet."""
    ids = [deck] if deck else store.decks.ids()
    return [d for d in ids if settings.rules_for(d).scheduler.name == "fsrs"]
