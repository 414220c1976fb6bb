"""The log is the truth: rebuild every card's cached schedule from the review log alone,
and say where the cache disagrees. ``mlcards check`` is built on these two functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from mlcards.models import NEW_SCHEDULE, SCHEDULE_FIELDS, CachedSchedule, CardKey
from mlcards.schedulers import Scheduler, SchedulerFor, default


def replay(
    reviews: Iterable[Mapping[str, Any]],
    schedule_from: Mapping[CardKey, int],
    scheduler: Scheduler[Any] | None = None,
    scheduler_for: SchedulerFor | None = None,
) -> dict[CardKey, CachedSchedule]:
    """Every reviewed card's schedule from the log alone (graded rows in id order), each
    deck's with ``scheduler_for(deck)`` when given, else with ``scheduler`` (SM-2).

    Reviews at or before a card's ``schedule_from`` (set when its answer key changed) stay in
    the log but no longer count; same-day repeats are logged but leave the schedule alone.
    """
    fixed = scheduler or default()
    graders: dict[str, Scheduler[Any]] = {}
    states: dict[CardKey, tuple[Any, str | None, int]] = {}
    result: dict[CardKey, CachedSchedule] = {}
    for row in reviews:
        key = (row["deck_id"], row["card_id"])
        if row["id"] <= schedule_from.get(key, 0):
            continue
        grader = fixed
        if scheduler_for is not None:
            grader = graders.get(key[0]) or graders.setdefault(key[0], scheduler_for(key[0]))
        state, due, lapses = states.get(key) or (grader.initial(), None, 0)
        if not row["same_day_repeat"]:
            graded = grader.grade(state, row["quality"], date.fromisoformat(row["study_day"]))
            state, due, lapses = graded.state, graded.due.isoformat(), lapses + graded.lapse
            states[key] = (state, due, lapses)
        else:
            states.setdefault(key, (state, due, lapses))
        result[key] = {
            **grader.fields(state),
            "due": due,
            "last_review_id": row["id"],
            "last_review_day": row["study_day"],
            "lapses": lapses,
        }
    return result


def schedule_differences(
    cached: Mapping[CardKey, Mapping[str, Any]],
    replayed: Mapping[CardKey, CachedSchedule],
) -> list[str]:
    """Where the cached per-card schedule disagrees with a replay of the log, one line each."""
    problems = []
    for key in sorted(set(cached) | set(replayed)):
        if key not in cached:
            problems.append(f"{key[0]}/{key[1]}: reviewed in the log but missing from cards")
            continue
        expected = replayed.get(key, NEW_SCHEDULE)
        for name in SCHEDULE_FIELDS:
            if cached[key][name] != expected[name]:  # type: ignore[literal-required]
                problems.append(
                    f"{key[0]}/{key[1]}: {name} is {cached[key][name]!r}, "
                    f"the log says {expected[name]!r}"  # type: ignore[literal-required]
                )
    return problems
