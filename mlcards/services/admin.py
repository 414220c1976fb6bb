"""Keeping things in order: the check and repair of the schedule cache against the log, and
the settings changes that reschedule.

A deck's cached schedule is a function of its log and of its scheduling settings
(``scheduler``, ``desired_retention``, ``fsrs_parameters``): change one and the deck's cards
are recomputed by replaying their logs, in one transaction, after a backup, before the
setting is saved. Since the log is untouched, switching back replays the same answers into
the same cache (lossless).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcards.config import Settings
from mlcards.models import CachedSchedule, CardKey, StoredSchedule
from mlcards.replay import replay, schedule_differences
from mlcards.rules import SchedulerSpec
from mlcards.schedulers import SchedulerFor, scheduler_for
from mlcards.store import Store


@dataclass
class CheckResult:
    """What ``mlcards check`` found, and what ``--repair`` did about it."""

    integrity: list[str]
    differences: list[str]
    cards: int
    repaired: bool = False
    backup: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.integrity and (not self.differences or self.repaired)

    def to_dict(self) -> dict[str, object]:
        return {
            "integrity": self.integrity,
            "schedule_differences": self.differences,
            "repaired": self.repaired,
            "backup": str(self.backup) if self.backup else None,
            "ok": self.ok,
        }


def check(
    store: Store, repair: bool = False, scheduler_for: SchedulerFor | None = None
) -> CheckResult:
    """SQLite's own checks, then the schedule cache against a replay of the log (each deck
    with its own scheduler when ``scheduler_for`` is given, else SM-2); with ``repair``, a
    backup and then the cache rebuilt from the log."""
    integrity = store.integrity_problems() or store.health_problems()
    if integrity:  # a damaged file, schema or log is not read further: replay would guess
        return CheckResult(integrity, [], 0)
    with store.read():  # the cache and the log as of one moment, whoever answers meanwhile
        cached: dict[CardKey, StoredSchedule] = store.cards.states()
        schedule_from = {key: value["schedule_from"] for key, value in cached.items()}
        replayed: dict[CardKey, CachedSchedule] = replay(
            store.log.replay_rows(), schedule_from, scheduler_for=scheduler_for
        )
    result = CheckResult([], schedule_differences(cached, replayed), len(cached))
    if result.differences and repair:
        result.backup = store.backups.create("pre-repair")

        def compute(
            rows: Iterator[dict[str, Any]], starts: Mapping[CardKey, int]
        ) -> dict[CardKey, CachedSchedule]:
            return replay(rows, starts, scheduler_for=scheduler_for)

        # replayed again inside the write: an answer given since the check is not undone
        store.cards.rebuild_decks(store.decks.ids(), compute)
        result.repaired = True
    return result


@dataclass
class Rescheduled:
    """What a change of scheduling settings did to the cache."""

    decks: list[str]
    cards: int
    backup: Path | None


def changed_decks(old: Settings, new: Settings, deck_ids: Iterable[str]) -> list[str]:
    """The decks whose cached schedule ``new`` changes: another scheduler, or for FSRS decks
    another retention or other parameters (SM-2 has no parameters)."""

    def effective(settings: Settings, deck_id: str) -> SchedulerSpec:
        spec = settings.rules_for(deck_id).scheduler
        return (
            spec
            if spec.name == "fsrs"
            else spec._replace(desired_retention=0.0, fsrs_parameters=None)
        )

    return [d for d in deck_ids if effective(old, d) != effective(new, d)]


def reschedule(store: Store, settings: Settings, deck_ids: Sequence[str]) -> Rescheduled:
    """Recompute the cached schedule of these decks' cards from their logs with the
    schedulers ``settings`` give them: a backup first (once there are reviews), then one
    transaction."""
    if not deck_ids:
        return Rescheduled([], 0, None)
    grader = scheduler_for(settings.rules_for, deck_ids)
    backup = store.backups.create("pre-repair") if store.log.has_reviews() else None

    def compute(
        rows: Iterator[dict[str, Any]], schedule_from: Mapping[CardKey, int]
    ) -> dict[CardKey, CachedSchedule]:
        return replay(rows, schedule_from, scheduler_for=grader)

    cards = store.cards.rebuild_decks(deck_ids, compute)
    return Rescheduled(list(deck_ids), cards, backup)


def reschedule_changed(store: Store, old: Settings, new: Settings) -> Rescheduled:
    """Before a scheduling setting is saved: recompute the decks that ``new`` changes from
    ``old`` (nothing is saved when that fails, so the settings never name a scheduler the
    cache was not built with)."""
    return reschedule(store, new, changed_decks(old, new, store.decks.ids()))


def check_with_settings(store: Store, settings: Settings, repair: bool = False) -> CheckResult:
    """``check``, each deck replayed with the scheduler its settings give it."""
    return check(store, repair, scheduler_for(settings.rules_for, store.decks.ids()))
