"""The log is the truth: rebuild every card's cached schedule from the review log alone,
and say where the cache disagrees. ``mlcards check`` is built on these two functions.

Replay is in the global order of the log (``ord``: time, device, the device's sequence)
and grades each answer as it was graded when given: fuzz is
seeded from the card, and a load-balancing deck's draws see the deck's cards due on each day
as of that answer (counted here as the replay goes, as the cards table counted them live).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from mlcards.models import NEW_SCHEDULE, SCHEDULE_FIELDS, CachedSchedule, CardKey, ResetPoints
from mlcards.rules import SchedulerSpec, before_reset
from mlcards.schedulers import Scheduler, SchedulerFor, balances, build, grade_answer


def replay(
    reviews: Iterable[Mapping[str, Any]],
    schedule_from: Mapping[CardKey, ResetPoints],
    scheduler: Scheduler[Any] | None = None,
    scheduler_for: SchedulerFor | None = None,
) -> dict[CardKey, CachedSchedule]:
    """Every reviewed card's schedule from the log alone (graded rows in ``ord`` order), each
    deck's with ``scheduler_for(deck)`` when given, else with ``scheduler`` (the default spec's:
    SM-2, fuzzed).

    Reviews before a card's reset point (``rules.before_reset``: set when it was forgotten or
    its answer key changed) stay in the log but no longer count; same-day repeats are
    logged but leave the schedule alone. A card's reset points may be given all at once
    (a tuple of ``ord``s, the last the one that counts): on a deck that balances due days,
    each draw counted the deck's other cards' due days as they were then, a card forgotten
    later among them, so its answers before a reset are replayed for those counts (each
    stretch from new, its due day counted until the reset that follows it).
    """
    fixed = scheduler or build(SchedulerSpec())
    graders: dict[str, Scheduler[Any]] = {}
    states: dict[CardKey, tuple[Any, str | None, int]] = {}
    last: dict[CardKey, tuple[Scheduler[Any], int, str]] = {}
    """Each card's grader and latest counted row (id, study day): its cached fields are
    made once, at the end, from its final state."""
    due_counts: dict[str, Counter[date]] = {}
    latest = {key: _latest(points) for key, points in schedule_from.items()}
    resets = _reset_heap(schedule_from)
    earlier: dict[CardKey, tuple[Any, str | None]] = {}
    """A balanced deck's card before its latest reset: its state and counted due day."""
    for row in reviews:
        key = (row["deck_id"], row["card_id"])
        grader = fixed
        if scheduler_for is not None:
            grader = graders.get(key[0]) or graders.setdefault(key[0], scheduler_for(key[0]))
        counts = due_counts.setdefault(key[0], Counter()) if balances(grader) else None
        if resets and counts is not None:
            _apply_resets(resets, str(row["ord"]), earlier, due_counts)
        if before_reset(row, latest.get(key)):
            if counts is not None and isinstance(latest.get(key), str):
                _count_earlier(grader, row, key, counts, earlier)
            continue
        state, due, lapses = states.get(key) or (grader.initial(), None, 0)
        if not row["same_day_repeat"]:
            day = date.fromisoformat(row["study_day"])
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


def _latest(points: ResetPoints) -> int | str:
    return (points[-1] if points else "") if isinstance(points, tuple) else points


def _reset_heap(
    schedule_from: Mapping[CardKey, ResetPoints],
) -> list[tuple[str, CardKey]]:
    """Every reset point given as an ``ord``, as a heap (earliest first)."""
    heap = []
    for key, points in schedule_from.items():
        for point in points if isinstance(points, tuple) else (points,):
            if isinstance(point, str) and point:
                heap.append((point, key))
    heapq.heapify(heap)
    return heap


def _apply_resets(
    resets: list[tuple[str, CardKey]],
    before: str,
    earlier: dict[CardKey, tuple[Any, str | None]],
    due_counts: dict[str, Counter[date]],
) -> None:
    """The resets that came before the row at ``before``: each card back to new, its due day
    no longer counted (as the cache held it from then on)."""
    while resets and resets[0][0] < before:
        _, key = heapq.heappop(resets)
        _, due = earlier.pop(key, (None, None))
        if due is not None and key[0] in due_counts:
            due_counts[key[0]][date.fromisoformat(due)] -= 1


def _count_earlier(
    grader: Scheduler[Any],
    row: Mapping[str, Any],
    key: CardKey,
    counts: Counter[date],
    earlier: dict[CardKey, tuple[Any, str | None]],
) -> None:
    """An answer before its card's latest reset, on a balanced deck: graded as it was given,
    for the due days the deck's other draws counted until the reset."""
    state, due = earlier.get(key) or (grader.initial(), None)
    if row["same_day_repeat"]:
        earlier.setdefault(key, (state, due))
        return
    if due is not None:
        counts[date.fromisoformat(due)] -= 1
    day = date.fromisoformat(row["study_day"])
    graded = grade_answer(grader, state, row["quality"], day, key, counts.__getitem__)
    counts[graded.due] += 1
    earlier[key] = (graded.state, graded.due.isoformat())


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
