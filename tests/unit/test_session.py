"""Queue order and session rules, without a terminal or a database."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import pytest
from helpers import at, toy_deck

from mlcards.config import Settings
from mlcards.models import Quality, ScheduledCard
from mlcards.session import Session, build_queue, quality_for

EIGHT = Settings(leech_threshold=8)

TODAY = date(2026, 3, 1)


def item(card_id: str, due: date | None = None, last: date | None = None) -> ScheduledCard:
    card = next(c for c in toy_deck(cards=("c1", "c2", "c3", "c4", "c5")).cards if c.id == card_id)
    reps = 0 if due is None else 2
    return ScheduledCard("toy", "Toy", card, reps, 2.5, 0 if due is None else 6, due, last)


def test_queue_is_due_then_new_then_repeats_without_duplicates() -> None:
    due = [item("c1", date(2026, 2, 20)), item("c2", date(2026, 2, 27))]
    new = [item("c3"), item("c4")]
    repeats = [item("c5", date(2026, 3, 2), TODAY), item("c1", date(2026, 2, 20))]
    queue = build_queue(due, new, repeats)
    assert [q.card.id for q in queue] == ["c1", "c2", "c3", "c4", "c5"]
    assert [q.card.id for q in build_queue(due, new, repeats, limit=3)] == ["c1", "c2", "c3"]


@pytest.mark.parametrize(
    ("correct", "dont_know", "rating", "expected"),
    [
        (False, True, 4, Quality.BLACKOUT),
        (False, False, 4, Quality.WRONG),
        (True, False, 3, Quality.HARD),
        (True, False, 4, Quality.GOOD),
        (True, False, 5, Quality.EASY),
    ],
)
def test_multiple_choice_to_quality(
    correct: bool, dont_know: bool, rating: int, expected: Quality
) -> None:
    assert quality_for(correct, dont_know, rating) == expected


def test_quality_below_four_comes_back_as_logged_repeat_without_rescheduling() -> None:
    session = Session([item("c1"), item("c2")], TODAY)
    first = session.next()
    assert first is not None
    wrong = session.answer(first, ("b",), Quality.WRONG, 900, at("2026-03-01"))
    assert (wrong.correct, wrong.same_day_repeat, wrong.was_new) == (False, False, True)
    assert (wrong.repetitions, wrong.interval, wrong.easiness) == (0, 1, 1.96)
    second = session.next()
    assert second is not None and second.card.id == "c2"
    session.answer(second, ("a",), Quality.GOOD, 800, at("2026-03-01"))
    again = session.next()
    assert again is not None and again.card.id == "c1"
    repeat = session.answer(again, ("a",), Quality.HARD, 700, at("2026-03-01"))
    assert repeat.same_day_repeat and not repeat.was_new
    assert (repeat.repetitions, repeat.interval, repeat.easiness) == (0, 1, 1.96)
    assert repeat.due == date(2026, 3, 2)
    # q=3 is still below 4: it comes back once more; q=4 ends it
    last = session.next()
    assert last is not None and last.card.id == "c1"
    session.answer(last, ("a",), Quality.GOOD, 600, at("2026-03-01"))
    assert session.next() is None
    assert (session.answered, session.correct) == (4, 3)


def test_select_all_that_apply_needs_the_exact_set() -> None:
    deck = toy_deck(cards=("m1",), answer="[a, c]")
    card = deck.cards[0]
    assert card.multiple
    assert card.is_correct({"a", "c"})
    assert not card.is_correct({"a"})
    assert not card.is_correct({"a", "b", "c"})


def test_shuffle_uses_the_given_random_source_and_no_shuffle_keeps_file_order() -> None:
    base = item("c1")
    assert [c.id for c in Session([base], TODAY).choice_order(base)] == ["a", "b", "c"]
    orders = {
        tuple(c.id for c in Session([base], TODAY, random.Random(seed)).choice_order(base))
        for seed in range(30)
    }
    assert len(orders) > 1


def test_answer_must_be_for_the_current_card() -> None:
    session = Session([item("c1"), item("c2")], TODAY)
    with pytest.raises(ValueError):
        session.answer(item("c2"), ("a",), Quality.GOOD, 1, at("2026-03-01"))


def test_time_limit_ends_the_session_between_cards() -> None:
    now = [0.0]
    session = Session(
        [item("c1"), item("c2"), item("c3")], TODAY, deadline=60.0, clock=lambda: now[0]
    )
    first = session.next()
    assert first is not None
    now[0] = 61.0
    assert session.next() is first  # the first card is always shown
    session.answer(first, ("a",), Quality.GOOD, 10, at("2026-03-01"))
    assert session.next() is None and session.out_of_time and session.remaining == 2


def test_practice_answers_leave_the_schedule_alone() -> None:
    reviewed = item("c1", due=date(2026, 3, 5), last=date(2026, 2, 27))
    session = Session([reviewed], TODAY, mode="practice")
    record = session.answer(reviewed, ("b",), Quality.WRONG, 10, at("2026-03-01"))
    assert record.mode == "practice"
    assert (record.repetitions, record.interval, record.due) == (2, 6, date(2026, 3, 5))
    assert not record.lapse and not record.was_new and not record.same_day_repeat


@pytest.mark.parametrize(("suspend", "action"), [(False, "tag"), (True, "suspend")])
def test_the_lapse_that_reaches_the_threshold_makes_a_leech(suspend: bool, action: str) -> None:
    learned = replace(item("c1", due=date(2026, 2, 28), last=date(2026, 2, 20)), lapses=7)
    session = Session([learned], TODAY, rules=EIGHT.rules_for, suspend_leeches=suspend)
    record = session.answer(learned, ("b",), Quality.WRONG, 10, at("2026-03-01"))
    assert record.lapse and record.leech_action == action
    assert (session.next() is None) == suspend  # a suspended leech does not come back
    fresh = Session([replace(learned, lapses=6)], TODAY, rules=EIGHT.rules_for)
    assert (
        fresh.answer(fresh.next(), ("b",), Quality.WRONG, 10, at("2026-03-01")).leech_action == ""
    )  # type: ignore[arg-type]
