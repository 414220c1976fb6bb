"""How fuzz and load balancing flatten the daily reviews: 90 days of 20 new cards a day.

Each card is graded by mlcards' own scheduler (SM-2, or FSRS with ``--scheduler fsrs``)
through the same ``grade_answer`` the review screen and replay use, so the draws are the
real ones (seeded from the card and the day). The learner is a seeded model: a review is
recalled with the probability the scheduler predicts (SM-2: 90% on the due day), else it is
a lapse (quality 1); a recalled card is rated good (4). Reviews are done on their due day.

    python benchmarks/fuzz_spread.py            # the table for the README
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

from mlcards.rules import SchedulerSpec
from mlcards.schedulers import balances, build, grade_answer

START = date(2026, 1, 1)


def daily_reviews(
    *,
    fuzz: bool,
    load_balance: bool = False,
    days: int = 90,
    new_per_day: int = 20,
    scheduler: str = "sm2",
    seed: int = 0,
    weekends_off: bool = False,
    first_day: int | None = None,
) -> list[int]:
    """Reviews (graded answers to cards learned before) on each of ``days`` days; with
    ``weekends_off`` nothing is studied two days a week (their reviews wait, no new cards);
    ``first_day``: the new cards of the first day (a deck crammed on the day it came)."""
    grader = build(SchedulerSpec(name=scheduler, fuzz=fuzz, load_balance=load_balance))
    learner = random.Random(seed)
    due_counts: Counter[date] = Counter()
    cards: dict[str, tuple[Any, date, date]] = {}  # card -> state, due, last day
    reviews = []
    for offset in range(days):
        today = START + timedelta(days=offset)
        if weekends_off and offset % 7 in (5, 6):
            reviews.append(0)
            continue
        due_today = sorted(k for k, (_, due, _) in cards.items() if due <= today)
        count = first_day if offset == 0 and first_day is not None else new_per_day
        new = [f"c{offset:03d}-{n:03d}" for n in range(count)]
        reviews.append(len(due_today))
        for key in due_today + new:
            if key in cards:
                state, due, last = cards[key]
                recall = grader.retrievability(state, (today - last).days) or 1.0
                quality = 4 if learner.random() < recall else 1
                due_counts[due] -= 1
            else:
                state, quality = grader.initial(), 4
            counts = due_counts.__getitem__ if balances(grader) else None
            graded = grade_answer(grader, state, quality, today, ("sim", key), counts)
            due_counts[graded.due] += 1
            cards[key] = (graded.state, graded.due, today)
    return reviews


def peak_to_mean(counts: list[int], skip: int = 60) -> float:
    """The busiest study day over the mean one, from day ``skip`` on (before that the
    calendar is still filling and the counts grow); days with nothing studied left out."""
    tail = [n for n in counts[skip:] if n]
    return max(tail) / (sum(tail) / len(tail))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", default="sm2", choices=("sm2", "fsrs"))
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    print("| learner | schedule | peak/mean (days 61-90) | busiest day | mean day |")
    print("|---|---|---|---|---|")
    learners = (
        ("20 a day", False, None),
        ("200 on day 1, then 20 a day", False, 200),
        ("20 a day, weekdays only", True, None),
    )
    for learner, weekends_off, first_day in learners:
        for label, fuzz, balance in (
            ("no fuzz", False, False),
            ("fuzz", True, False),
            ("fuzz + load balancing", True, True),
        ):
            counts = daily_reviews(
                fuzz=fuzz,
                load_balance=balance,
                days=args.days,
                scheduler=args.scheduler,
                weekends_off=weekends_off,
                first_day=first_day,
            )
            tail = [n for n in counts[60:] if n]
            print(
                f"| {learner} | {label} | {peak_to_mean(counts):.2f} | {max(tail)} "
                f"| {sum(tail) / len(tail):.1f} |"
            )


if __name__ == "__main__":
    main()
