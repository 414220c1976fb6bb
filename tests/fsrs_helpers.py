"""A simulated learner: a review history whose memory follows FSRS with known parameters,
scheduled by SM-2 (as an mlcards user's log is), loaded in bulk into a store."""

from __future__ import annotations

import random
from datetime import date, timedelta

from helpers import at, big_deck_yaml

from mlcards.models import Quality
from mlcards.records import ReviewRecord
from mlcards.schedulers.fsrs import DEFAULT_PARAMETERS, FSRS, LOWER_BOUNDS, UPPER_BOUNDS
from mlcards.schedulers.sm2 import SM2
from mlcards.store import Store

# A learner unlike FSRS's default one: a much weaker start, memory that grows more slowly
# with each success, and forgetting that levels off sooner (a flatter curve).
TRUE_PARAMETERS = tuple(
    min(max(w, lo), hi)
    for w, lo, hi in zip(
        (0.1, 0.4, 0.8, 3.0, *DEFAULT_PARAMETERS[4:8], 1.0, *DEFAULT_PARAMETERS[9:20], 0.5),
        LOWER_BOUNDS,
        UPPER_BOUNDS,
        strict=True,
    )
)


def simulated_history(
    store: Store,
    deck_id: str = "sim",
    cards: int = 120,
    days: int = 120,
    new_per_day: int = 8,
    seed: int = 7,
    start: date = date(2026, 1, 1),
    parameters: tuple[float, ...] = TRUE_PARAMETERS,
) -> int:
    """Import a deck of ``cards`` and answer it for ``days`` study days: SM-2 decides what is
    due (the learner is sometimes a few days late), recall is drawn from FSRS with
    ``parameters``. Returns the number of answers."""
    from mlcards.deck import parse_deck

    deck = parse_deck(big_deck_yaml(deck_id, cards), f"{deck_id}.yaml")
    store.decks.import_decks([deck], at(start.isoformat()))
    rng = random.Random(seed)
    truth, sm2 = FSRS(0.9, parameters), SM2()
    memory = {c.id: truth.initial() for c in deck.cards}
    schedule = {c.id: sm2.initial() for c in deck.cards}
    due: dict[str, date] = {}
    unseen = [c.id for c in deck.cards]
    records: list[ReviewRecord] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        today = sorted(card for card, when in due.items() if when <= day)
        fresh = [unseen.pop(0) for _ in range(min(new_per_day, len(unseen)))]
        for card in today + fresh:
            state = memory[card]
            if state.stability is None:
                recalled = rng.random() < 0.55
            else:
                p = truth.retrievability(state, (day - state.last_day).days) or 0.0
                recalled = rng.random() < p
            if recalled:
                quality = rng.choices((3, 4, 5), (0.2, 0.65, 0.15))[0]
            else:
                quality = rng.choice((0, 1, 1))
            memory[card] = truth.grade(state, quality, day).state
            graded = sm2.grade(schedule[card], quality, day)
            late = timedelta(days=rng.choice((0, 0, 0, 0, 1, 1, 2, 4, 9)))
            schedule[card], due[card] = graded.state, graded.due + late
            records.append(
                ReviewRecord(
                    deck_id=deck_id,
                    card_id=card,
                    reviewed_at=at(day.isoformat()),
                    study_day=day,
                    chosen=("a",) if quality >= 3 else (() if quality == 0 else ("b",)),
                    correct=quality >= 3,
                    quality=Quality(quality),
                    response_ms=3000,
                    same_day_repeat=False,
                    was_new=card in fresh,
                    repetitions=graded.state.repetitions,
                    easiness=float(graded.state.easiness),
                    interval=graded.state.interval,
                    due=graded.due,
                    lapse=graded.lapse,
                )
            )
    return store.log.append(records)
