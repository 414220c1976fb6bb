"""Keeping things in order: the check and repair of the schedule cache against the log, and
the settings changes that reschedule.

A deck's cached schedule is a function of its log and of its scheduling settings
(``scheduler``, ``desired_retention``, ``fsrs_parameters``, ``fuzz``, ``load_balance``),
which the database keeps beside it: change one and the setting and the deck's recomputed
cards are written in one transaction, after a backup. Since the log is untouched, switching
back replays the same answers into the same cache (lossless). ``config.yaml`` keeps the
other settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlcards.config import Settings
from mlcards.models import CachedSchedule, CardKey, ResetPoints, StoredSchedule
from mlcards.replay import replay, schedule_differences
from mlcards.rules import DeckRules, SchedulerSpec
from mlcards.schedulers import SchedulerFor, scheduler_for
from mlcards.services.settings import effective_settings
from mlcards.store import Store
from mlcards.store.marks import every_reset
from mlcards.store.settings import spec_of


@dataclass
class CheckResult:
    """What ``mlcards check`` found, and what ``--repair`` did about it."""

    integrity: list[str]
    differences: list[str]
    cards: int
    repaired: bool = False
    backup: Path | None = None
    index: list[str] = field(default_factory=list)
    """Where the full-text search index disagrees with the cards' text."""
    totals_differences: list[str] = field(default_factory=list)
    """Where the running totals behind ``stats`` differ from the log."""

    @property
    def ok(self) -> bool:
        found = self.differences or self.totals_differences or self.index
        return not self.integrity and (not found or self.repaired)

    def to_dict(self) -> dict[str, object]:
        return {
            "integrity": self.integrity,
            "schedule_differences": self.differences,
            "search_index": self.index,
            "totals_differences": self.totals_differences,
            "repaired": self.repaired,
            "backup": str(self.backup) if self.backup else None,
            "ok": self.ok,
        }


def replay_with(
    rows: Iterator[dict[str, Any]],
    starts: Mapping[CardKey, ResetPoints],
    spec_for: Callable[[str], SchedulerSpec],
) -> dict[CardKey, CachedSchedule]:
    """A replay with each deck's scheduler as its stored spec names it."""
    return replay(rows, starts, scheduler_for=_by_spec(spec_for))


def _by_spec(spec_for: Callable[[str], SchedulerSpec]) -> SchedulerFor:
    return scheduler_for(lambda deck_id: DeckRules(scheduler=spec_for(deck_id), own=True))


def check(store: Store, repair: bool = False) -> CheckResult:
    """SQLite's own checks, the schema and values, then the schedule cache against a replay
    of the log, each deck with the scheduling settings stored beside it, and the running
    totals against an aggregation of the log; with ``repair``, a backup and then both caches
    rebuilt from the log."""
    integrity = store.integrity_problems() or store.health_problems()
    if integrity:  # a damaged file, schema or log is not read further: replay would guess
        return CheckResult(integrity, [], 0)
    with store.read():  # the cache, the log and the settings as of one moment
        cached: dict[CardKey, StoredSchedule] = store.cards.states()
        schedule_from = every_reset(
            store.conn, {key: value["schedule_from"] for key, value in cached.items()}
        )
        stored = store.settings.read()
        replayed = replay_with(
            store.log.replay_rows(), schedule_from, lambda deck_id: spec_of(stored, deck_id)
        )
        totals = store.totals.differences()
        index = store.search.index_problems()
        marks = store.cards.marks_differences()
    result = CheckResult([], marks + schedule_differences(cached, replayed), len(cached))
    result.totals_differences = totals
    result.index = index
    if result.index and repair:
        result.backup = store.backups.create("pre-repair")
        store.search.rebuild_index()
        result.repaired = True
    if (result.differences or totals) and repair:
        result.backup = result.backup or store.backups.create("pre-repair")
        # replayed again inside the write: an answer given since the check is not undone;
        # the marks, then the running totals are rebuilt in the same transaction
        store.cards.rebuild_decks(store.decks.ids(), replay_with, marks=True)
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
    another retention or other parameters (SM-2 has no parameters), fuzz turned on or off,
    or load balancing (which only a fuzzed deck has)."""

    def effective(settings: Settings, deck_id: str) -> SchedulerSpec:
        return settings.rules_for(deck_id).scheduler.effective()

    return [d for d in deck_ids if effective(old, d) != effective(new, d)]


def set_scheduling(
    store: Store, file_settings: Settings, key: str, value: Any, deck: str | None = None
) -> Rescheduled:
    """Set one scheduling value (None: back to the default, or to the global value for a
    deck) and recompute the decks it changes, in one transaction after a backup: the setting
    and the schedules it decides never disagree, whatever is killed or fails when."""
    old = effective_settings(store, file_settings)
    stored = store.settings.read()
    where = deck or ""
    own = {k: v for k, v in stored.get(where, {}).items() if k != key}
    if value is not None:
        own[key] = value
    new = file_settings.with_scheduling({**stored, where: own})
    decks = changed_decks(old, new, store.decks.ids())
    scheduler_for(new.rules_for, decks)  # a missing package or a bad value: before anything
    backup = store.backups.create("pre-repair") if decks and store.log.has_reviews() else None
    cards = store.cards.rebuild_decks(decks, replay_with, settings={where: {key: value}})
    return Rescheduled(decks, cards, backup)
