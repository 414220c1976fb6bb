"""SM-2 exactly as specified: whole grade sequences worked out by hand, plus invariants."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlcards.scheduler import MAX_INTERVAL, SM2State, next_easiness, review


def run(grades: list[int]) -> list[tuple[int, float, int]]:
    state = SM2State(repetitions=0, easiness=2.5, interval=0)
    steps = []
    for q in grades:
        state = review(state, q)
        steps.append((state.repetitions, float(state.easiness), state.interval))
    return steps


def test_all_good_keeps_easiness_and_multiplies_intervals() -> None:
    # q=4 leaves EF at 2.5; intervals 1, 6, ceil(6*2.5)=15, ceil(15*2.5)=38, ceil(38*2.5)=95
    assert run([4, 4, 4, 4, 4]) == [
        (1, 2.5, 1),
        (2, 2.5, 6),
        (3, 2.5, 15),
        (4, 2.5, 38),
        (5, 2.5, 95),
    ]


def test_lapse_resets_repetitions_but_keeps_lowered_easiness() -> None:
    # 5: EF+0.10 each; then q=3 uses EF before the update (2.9): ceil(48*2.9=139.2)=140,
    # EF 2.9-0.14=2.76; q=1: n=0, I=1, EF 2.76-0.54=2.22; q=4: first step again, I=1.
    assert run([5, 5, 5, 5, 3, 1, 4, 4, 4]) == [
        (1, 2.6, 1),
        (2, 2.7, 6),
        (3, 2.8, 17),
        (4, 2.9, 48),
        (5, 2.76, 140),
        (0, 2.22, 1),
        (1, 2.22, 1),
        (2, 2.22, 6),
        (3, 2.22, 14),  # ceil(6 * 2.22 = 13.32)
    ]


def test_hard_answers_lower_easiness_step_by_step() -> None:
    # q=3: EF -0.14 each time; intervals 1, 6, ceil(6*2.22)=14, ceil(14*2.08)=30
    assert run([3, 3, 3, 3]) == [(1, 2.36, 1), (2, 2.22, 6), (3, 2.08, 14), (4, 1.94, 30)]


def test_easiness_never_drops_below_1_3() -> None:
    # q=0: EF -0.80: 2.5 -> 1.7 -> 1.3 (floored) -> 1.3
    assert run([0, 0, 0]) == [(0, 1.7, 1), (0, 1.3, 1), (0, 1.3, 1)]
    assert run([2]) == [(0, 2.18, 1)]  # q=2: EF -0.32, and q < 3 still updates EF


@pytest.mark.parametrize(
    ("quality", "step"),
    [(5, "0.10"), (4, "0.00"), (3, "-0.14"), (2, "-0.32"), (1, "-0.54"), (0, "-0.80")],
)
def test_easiness_formula(quality: int, step: str) -> None:
    expected = Decimal("2.5") + Decimal(step)
    assert next_easiness(Decimal("2.5"), quality) == expected


def test_ceiling_is_exact_where_floats_would_round_wrong() -> None:
    assert review(SM2State(5, 3.0, 140), 4).interval == 420
    # Find every (EF, I) where a float product lands on the wrong side of an integer and
    # check the scheduler gives the exact ceiling there too.
    mismatches = 0
    for hundredths in range(130, 301):
        for interval in range(1, 400):
            exact = -(-interval * hundredths // 100)
            if math.ceil(interval * (hundredths / 100)) != exact:
                mismatches += 1
                state = SM2State(3, Decimal(hundredths) / 100, interval)
                assert review(state, 4).interval == exact
    assert mismatches > 0, "the float trap this test relies on has disappeared"


def test_interval_is_capped_at_100_years() -> None:
    assert review(SM2State(10, 2.5, 30000), 5).interval == MAX_INTERVAL


@pytest.mark.parametrize("quality", [-1, 6, True])
def test_quality_out_of_range_is_refused(quality: int) -> None:
    with pytest.raises(ValueError):
        review(SM2State(), quality)


def test_state_round_trips_through_dict() -> None:
    state = review(review(SM2State(), 5), 3)
    assert SM2State.from_dict(state.to_dict()) == state
    with pytest.raises(ValueError):
        SM2State(0, 2.505, 0)


@given(st.lists(st.integers(min_value=0, max_value=5), max_size=60))
def test_invariants_over_random_grades(grades: list[int]) -> None:
    state = SM2State()
    for q in grades:
        before = state
        state = review(state, q)
        assert state.easiness >= Decimal("1.3")
        assert state.easiness == state.easiness.quantize(Decimal("0.01"))
        assert 1 <= state.interval <= MAX_INTERVAL
        if q < 3:
            assert (state.repetitions, state.interval) == (0, 1)
        else:
            assert state.repetitions == before.repetitions + 1
            if before.repetitions >= 2:
                assert state.interval >= before.interval
