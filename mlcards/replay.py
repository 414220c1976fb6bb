"""The log is the truth: rebuild every card's cached schedule from the review log alone,
and say where the cache disagrees. ``mlcards check`` is built on these two functions.

Replay is in the global order of the log (``ord``: time, device, the device's sequence)
and grades each answer as it was graded when given: fuzz is
seeded from the card, and a load-balancing deck's draws see the deck's cards due on each day
as of that answer (counted here as the replay goes, as the cards table counted them live).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from mlcards.models import NEW_SCHEDULE, SCHEDULE_FIELDS, CachedSchedule, CardKey
from mlcards.rules import SchedulerSpec, before_reset
from mlcards.schedulers import Scheduler, SchedulerFor, balances, build, grade_answer


def replay(
    reviews: Iterable[Mapping[str, Any]],
    schedule_from: Mapping[CardKey, int | str],
    scheduler: Scheduler[Any] | None = None,
    scheduler_for: SchedulerFor | None = None,
) -> dict[CardKey, CachedSchedule]:
    """Every reviewed card's schedule from the log alone (graded rows in ``ord`` order), each
    deck's with ``scheduler_for(deck)`` when given, else with ``scheduler`` (the default spec's:
    SM-2, fuzzed).

    Reviews before a card's reset point (``rules.before_reset``: set when it was forgotten or
    its answer key changed) stay in the log but no longer count; same-day repeats are
    logged but leave the schedule alone.
    """
    fixed = scheduler or build(SchedulerSpec())
    graders: dict[str, Scheduler[Any]] = {}
    states: dict[CardKey, tuple[Any, str | None, int]] = {}
    last: dict[CardKey, tuple[Scheduler[Any], int, str]] = {}
    """Each card's grader and latest counted row (id, study day): its cached fields are
    made once, at the end, from its final state."""
    due_counts: dict[str, Counter[date]] = {}
    for row in reviews:
        key = (row["deck_id"], row["card_id"])
        if before_reset(row, schedule_from.get(key)):
            continue
        grader = fixed
        if scheduler_for is not None:
            grader = graders.get(key[0]) or graders.setdefault(key[0], scheduler_for(key[0]))
        state, due, lapses = states.get(key) or (grader.initial(), None, 0)
        if not row["same_day_repeat"]:
            day = date.fromisoformat(row["study_day"])
            counts = due_counts.setdefault(key[0], Counter()) if balances(grader) else None
            if counts is not None and due is not None:
                counts[date.fromisoformat(due)] -= 1  # the card itself is not counted
            graded = grade_answer(
                grader,
                state,
                row["quality"],
                day,
                key,
                None if counts is None else counts.__getitem__,
            )
            if counts is not None:
                counts[graded.due] += 1
            state, due, lapses = graded.state, graded.due.isoformat(), lapses + graded.lapse
            states[key] = (state, due, lapses)
        else:
            states.setdefault(key, (state, due, lapses))
        last[key] = (grader, row["id"], row["study_day"])
    result: dict[CardKey, CachedSchedule] = {}
    for key, (grader, review_id, last_day) in last.items():
        state, due, lapses = states[key]
        result[key] = {
            **grader.fields(state),
            "due": due,
            "last_review_id": review_id,
            "last_review_day": last_day,
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
