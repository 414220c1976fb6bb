"""Which scheduler each deck uses, and switching between them without losing anything.

A deck's cached schedule is a function of its log and of its scheduling settings
(``scheduler``, ``desired_retention``, ``fsrs_parameters``): change one and the deck's cards
are recomputed by replaying their logs, in one transaction, after a backup. Since the log is
untouched, switching back replays the same answers into the same cache (lossless).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcards.config import Settings
from mlcards.errors import UsageError
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
    """The decks whose scheduling settings differ between ``old`` and ``new``."""
    return [d for d in deck_ids if old.scheduling_for(d) != new.scheduling_for(d)]


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
