"""FSRS as a second scheduler: the rating map, the same-day mapping, steps checked by hand and
against py-fsrs, the cache against a replay of the log, and switching decks back and forth."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import fsrs as pyfsrs
import pytest
from helpers import Refreshing, at, deck_yaml, run, subprocess_env, write

from mlcards.config import load_settings
from mlcards.models import Quality, ScheduledCard
from mlcards.replay import replay
from mlcards.schedulers import by_name
from mlcards.schedulers.fsrs import FSRS, FSRSState, rating_for
from mlcards.services.study import todays_queue
from mlcards.session import Session
from mlcards.store import Store

W = pyfsrs.scheduler.DEFAULT_PARAMETERS


# -- the mapping ------------------------------------------------------------------------------


def test_rating_map() -> None:
    assert [rating_for(q) for q in range(6)] == [
        pyfsrs.Rating.Again,  # "I don't know"
        pyfsrs.Rating.Again,  # a wrong choice
        pyfsrs.Rating.Again,
        pyfsrs.Rating.Hard,
        pyfsrs.Rating.Good,
        pyfsrs.Rating.Easy,
    ]
    with pytest.raises(ValueError):
        rating_for(6)


def test_first_steps_by_hand() -> None:
    """FSRS-6 with the default parameters, worked out from the formulas."""
    day = date(2026, 1, 1)
    first = FSRS().grade(FSRSState(), Quality.GOOD, day)
    # S0(Good) = w2; D0(G) = w4 - e^(w5 (G - 1)) + 1; interval at 90% retention = S, rounded
    assert first.state.stability == pytest.approx(W[2])
    assert first.state.difficulty == pytest.approx(W[4] - math.exp(W[5] * 2) + 1)
    assert first.state.interval == round(W[2]) == 2
    assert first.due == day + timedelta(days=2) and not first.lapse
    assert first.state.repetitions == 1 and first.state.last_day == day
    # Again on a new card: S0(Again) = w0, due tomorrow (at least one day), no lapse (not learned)
    again = FSRS().grade(FSRSState(), Quality.BLACKOUT, day)
    assert again.state.stability == pytest.approx(W[0]) and again.state.interval == 1
    assert again.state.repetitions == 0 and not again.lapse
    # Good again on the due day, 2 days later: R = (1 + F t / S)^-w20 with F = 0.9^(-1/w20) - 1,
    # and S' = S (1 + e^w8 (11 - D) S^-w9 (e^((1 - R) w10) - 1))
    s, d = first.state.stability, first.state.difficulty
    assert s is not None and d is not None
    second = FSRS().grade(first.state, Quality.GOOD, first.due)
    r = (1 + (0.9 ** (-1 / W[20]) - 1) * 2 / s) ** -W[20]
    expected = s * (1 + math.exp(W[8]) * (11 - d) * s ** -W[9] * (math.exp((1 - r) * W[10]) - 1))
    assert second.state.stability == pytest.approx(expected, rel=1e-9)
    # a lapse: Again on a learned card
    third = FSRS().grade(second.state, Quality.WRONG, second.due)
    assert third.lapse and third.state.repetitions == 0
    assert third.state.stability is not None and third.state.stability < expected


SEQUENCES = [
    [(4, 0), (4, 2), (4, 11), (5, 40)],
    [(0, 0), (1, 1), (3, 1), (4, 3), (4, 9)],
    [(5, 0), (1, 30), (3, 2), (3, 4), (5, 12), (2, 60)],
    [(3, 0), (3, 1), (3, 2), (3, 3)],
]


@pytest.mark.parametrize("sequence", SEQUENCES)
def test_steps_match_py_fsrs_with_day_steps(sequence: list[tuple[int, int]]) -> None:
    """Our scheduler equals py-fsrs run directly with no (re)learning steps and no fuzz, on
    midnight-UTC times of the study days, at two retentions."""
    for retention in (0.9, 0.8):
        ours = FSRS(retention)
        theirs = pyfsrs.Scheduler(
            desired_retention=retention,
            learning_steps=(),
            relearning_steps=(),
            enable_fuzzing=False,
        )
        state = ours.initial()
        card = pyfsrs.Card(card_id=1, due=datetime(2026, 1, 1, tzinfo=UTC))
        day = date(2026, 1, 1)
        for quality, gap in sequence:
            day += timedelta(days=gap)
            graded = ours.grade(state, quality, day)
            when = datetime(day.year, day.month, day.day, tzinfo=UTC)
            card, _ = theirs.review_card(card, rating_for(quality), when)
            assert graded.state.stability == card.stability
            assert graded.state.difficulty == card.difficulty
            assert graded.due == card.due.date()
            state = graded.state


def test_retrievability_is_py_fsrs_forgetting_curve() -> None:
    state = FSRS().grade(FSRSState(), Quality.GOOD, date(2026, 1, 1)).state
    assert state.stability is not None
    assert FSRS().retrievability(state, 0) == pytest.approx(1.0)
    # by definition R(S) = 0.9
    decay = -W[20]
    factor = 0.9 ** (1 / decay) - 1
    for days in (1, 2, 10):
        expected = (1 + factor * days / state.stability) ** decay
        assert FSRS().retrievability(state, days) == pytest.approx(expected)
    assert FSRS().retrievability(FSRSState(), 3) is None
    fitted = FSRS(parameters=(*W[:20], 0.4))
    for days in (0, 1, 5, 100, 3000):
        assert fitted.retrievability(state, days) == pytest.approx(fitted.recall_card(state, days))


def test_sm2_recall_model_is_ninety_percent_at_the_interval() -> None:
    sm2 = by_name("sm2")
    state = sm2.grade(sm2.initial(), 4, date(2026, 1, 1)).state
    state = sm2.grade(state, 4, date(2026, 1, 2)).state  # interval 6
    assert sm2.retrievability(state, 6) == pytest.approx(0.9)
    assert sm2.retrievability(state, 12) == pytest.approx(0.81)
    assert sm2.retrievability(sm2.initial(), 1) is None


# -- a deck on FSRS, through the store and the CLI ----------------------------------------------


def _scheduled(store: Store, settings_day: date) -> list[ScheduledCard]:
    return todays_queue(store, load_settings(), settings_day)


def study(store: Store, day: str, quality_of: dict[str, int], default: int = 4) -> int:
    """A review session on ``day`` through the store's journal, each deck graded by its own
    scheduler (as `mlcards review` does); a repeat is answered well."""
    today = date.fromisoformat(day)
    settings = load_settings()
    queue = todays_queue(store, settings, today)
    session = Session(
        queue,
        today,
        journal=store.log,
        session_id=f"s-{day}",
        rules=settings.rules_for,
        source=Refreshing(store, today),
    )
    count = 0
    while (item := session.next()) is not None:
        repeat = item.last_review_day == today
        quality = 4 if repeat else quality_of.get(item.card.id, default)
        chosen = item.card.answer if quality >= 3 else ("b",)
        session.answer(item, chosen, Quality(quality), 900, at(day))
        count += 1
    return count


@pytest.fixture
def two_decks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    alpha = write(tmp_path / "alpha.yaml", deck_yaml("alpha", ("a1", "a2", "a3")))
    beta = write(tmp_path / "beta.yaml", deck_yaml("beta", ("b1", "b2")))
    code, _, err = run(capsys, "import", str(alpha), str(beta))
    assert code == 0, err
    return tmp_path


def _history(db: Path) -> None:
    """A few weeks of answers: right, wrong, repeats, "don't know"."""
    plans = [
        ("2026-01-01", {"a2": 1, "b2": 0}),
        ("2026-01-02", {"a2": 3}),
        ("2026-01-03", {"a1": 5, "b1": 3}),
        ("2026-01-05", {"a3": 1}),
        ("2026-01-08", {}),
        ("2026-01-15", {"a1": 0, "b2": 5}),
        ("2026-01-30", {}),
    ]
    for day, qualities in plans:
        with Store.open(db) as store:
            study(store, day, qualities)


def _cache(db: Path, deck: str) -> list[tuple[object, ...]]:
    with Store.open(db) as store:
        return sorted(
            store.conn.execute(
                "SELECT id, repetitions, easiness, interval, due, last_review_id, "
                "last_review_day, lapses, stability, difficulty FROM cards WHERE deck_id = ?",
                (deck,),
            ).fetchall()
        )


def test_fsrs_deck_cache_equals_replay_and_check_passes(
    two_decks: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "config", "set", "--deck", "alpha", "scheduler", "fsrs")
    assert code == 0 and "scheduler = fsrs (deck alpha)" in out, err
    _history(db_path)
    code, out, err = run(capsys, "check", "--json")
    assert code == 0, out + err
    assert json.loads(out)["schedule_differences"] == []
    alpha = _cache(db_path, "alpha")
    beta = _cache(db_path, "beta")
    assert all(row[8] is not None and row[9] is not None for row in alpha)  # FSRS state
    assert all(row[2] == 2.5 for row in alpha)  # SM-2's EF is not FSRS's business
    assert all(row[8] is None and row[9] is None for row in beta)  # beta stays on SM-2
    # the log keeps the state each FSRS answer produced
    with Store.open(db_path) as store:
        logged = store.conn.execute(
            "SELECT count(*), count(stability) FROM reviews WHERE deck_id = 'alpha' "
            "AND same_day_repeat = 0"
        ).fetchone()
    assert logged[0] == logged[1] > 0
    # check (SM-2 for every deck) sees alpha's cache as wrong: check uses each deck's scheduler
    with Store.open(db_path) as store:
        cached = store.cards.states()
        sm2_only = replay(
            store.log.replay_rows(), {k: v["schedule_from"] for k, v in cached.items()}
        )
    assert sm2_only[("alpha", "a1")]["stability"] is None


def test_switching_back_and_forth_is_lossless(
    two_decks: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(db_path)
    sm2_alpha, sm2_beta = _cache(db_path, "alpha"), _cache(db_path, "beta")
    code, out, err = run(capsys, "config", "set", "--deck", "alpha", "scheduler", "fsrs")
    assert code == 0, err
    assert "rescheduled 3 cards of alpha from the log (backup: " in out
    fsrs_alpha = _cache(db_path, "alpha")
    assert fsrs_alpha != sm2_alpha and _cache(db_path, "beta") == sm2_beta
    assert run(capsys, "check")[0] == 0
    # FSRS state equals a replay with FSRS alone
    with Store.open(db_path) as store:
        replayed = replay(store.log.replay_rows(), {}, FSRS())
    assert replayed[("alpha", "a1")]["stability"] == fsrs_alpha[0][8]
    # retention changes the due days, not the memory state
    code, out, _ = run(capsys, "config", "set", "--deck", "alpha", "desired_retention", "0.8")
    assert code == 0 and "rescheduled 3 cards" in out
    lower = _cache(db_path, "alpha")
    assert [r[8:] for r in lower] == [r[8:] for r in fsrs_alpha]
    assert all(lo[3] >= hi[3] for lo, hi in zip(lower, fsrs_alpha, strict=True))
    assert run(capsys, "check")[0] == 0
    code, out, _ = run(capsys, "config", "set", "--deck", "alpha", "scheduler", "sm2")
    assert code == 0 and "rescheduled 3 cards" in out
    assert _cache(db_path, "alpha") == sm2_alpha  # exactly as it was
    assert _cache(db_path, "beta") == sm2_beta
    assert run(capsys, "check")[0] == 0
    # the global switch moves every deck without its own setting (alpha keeps sm2)
    code, out, _ = run(capsys, "config", "set", "scheduler", "fsrs")
    assert code == 0 and "of beta from the log" in out and "alpha" not in out.split("from")[0]
    assert run(capsys, "check")[0] == 0
    code, out, _ = run(capsys, "config", "unset", "scheduler")  # back to the default, sm2
    assert code == 0 and "rescheduled 2 cards of beta" in out
    assert _cache(db_path, "beta") == sm2_beta and run(capsys, "check")[0] == 0


def test_repeats_and_undo_leave_fsrs_state_alone(two_decks: Path, db_path: Path) -> None:
    from mlcards.services.admin import set_scheduling
    from mlcards.services.settings import effective_settings

    today = date(2026, 2, 1)
    with Store.open(db_path) as store:
        set_scheduling(store, load_settings(), "scheduler", "fsrs")
        settings = effective_settings(store, load_settings())
        queue = todays_queue(store, settings, today)
        session = Session(
            queue,
            today,
            journal=store.log,
            session_id="s",
            rules=settings.rules_for,
            source=Refreshing(store, today),
        )
        item = session.next()
        assert item is not None
        preview = session.preview(item)
        first = session.answer(item, ("b",), Quality.WRONG, 800, at("2026-02-01"))
        expected = FSRS().grade(FSRSState(), Quality.WRONG, today)
        assert first.stability == expected.state.stability
        assert (first.due - today).days == preview[Quality.WRONG] == 1
        state_after_first = store.cards.one(item.deck_id, item.card.id)
        # the same card again today: a same-day repeat, logged, state unchanged
        for _ in range(session.remaining - 1):
            other = session.next()
            assert other is not None
            session.answer(other, other.card.answer, Quality.GOOD, 800, at("2026-02-01"))
        again = session.next()
        assert again is not None and again.card.id == item.card.id
        assert session.preview(again) == {}  # not graded: nothing to preview
        repeat = session.answer(again, again.card.answer, Quality.GOOD, 800, at("2026-02-01"))
        assert repeat.same_day_repeat and repeat.stability == first.stability
        assert store.cards.one(item.deck_id, item.card.id) == state_after_first
        session.undo()  # the repeat
        session.undo()  # ... and the card before it, rebuilt with FSRS from the log
    with Store.open(db_path) as store:
        from mlcards.services.admin import check

        assert check(store).ok


def test_preview_for_both_schedulers(two_decks: Path, db_path: Path) -> None:
    from mlcards.services.admin import set_scheduling
    from mlcards.services.settings import effective_settings

    today = date(2026, 2, 1)
    with Store.open(db_path) as store:
        set_scheduling(store, load_settings(), "scheduler", "fsrs", deck="beta")
        settings = effective_settings(store, load_settings())
        queue = todays_queue(store, settings, today)
        session = Session(queue, today, rules=settings.rules_for)
        previews = {item.deck_id: session.preview(item) for item in queue}
    assert previews["alpha"] == {0: 1, 1: 1, 3: 1, 4: 1, 5: 1}  # SM-2: a new card, 1 day
    assert previews["beta"] == {0: 1, 1: 1, 3: 1, 4: 2, 5: 8}  # FSRS-6 defaults: S0 rounded
    assert session.scheduler_for("beta").name == "fsrs"
    assert session.scheduler_for("alpha").name == "sm2"


def test_bad_scheduling_settings_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "config", "set", "scheduler", "anki")[0] == 2
    assert run(capsys, "config", "set", "desired_retention", "1.2")[0] == 2
    assert run(capsys, "config", "set", "fsrs_parameters", "1,2,3")[0] == 2
    code, out, _ = run(capsys, "config", "show", "--json")
    assert json.loads(out)["scheduler"] == "sm2" and json.loads(out)["desired_retention"] == 0.9


def test_missing_fsrs_package_is_a_clear_error(
    two_decks: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fsrs", None)
    monkeypatch.delitem(sys.modules, "mlcards.schedulers.fsrs", raising=False)
    code, _, err = run(capsys, "config", "set", "scheduler", "fsrs")
    assert code == 69
    assert "pip install 'mlcards[fsrs]'" in err
    code, out, _ = run(capsys, "config", "show", "--json")
    assert json.loads(out)["scheduler"] == "sm2"  # nothing was saved


def test_status_and_an_sm2_review_never_import_fsrs(two_decks: Path, isolated_home: Path) -> None:
    script = """
import sys
from datetime import date
from mlcards.cli import main
try:
    main(["status"])
except SystemExit as exit:
    assert exit.code == 0
from mlcards.config import load_settings
from mlcards.models import Quality
from mlcards.services.study import todays_queue
from mlcards.session import Session
from mlcards.store import Store
from mlcards.config import db_path
from datetime import datetime, UTC
with Store.open(db_path()) as store:
    settings = load_settings()
    queue = todays_queue(store, settings, date(2026, 1, 1))
    session = Session(queue, date(2026, 1, 1), journal=store.log, session_id="x",
                      rules=settings.rules_for)
    item = session.next()
    session.preview(item)
    session.answer(item, item.card.answer, Quality.GOOD, 100, datetime.now(UTC))
names = ("fsrs.", "mlcards.schedulers.fsrs")
loaded = sorted(m for m in sys.modules if m == "fsrs" or m.startswith(names))
print(loaded)
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=subprocess_env(isolated_home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_study_days_not_hours_decide_fsrs_steps(
    two_decks: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same-day mapping: an answer at 23:00 and one at 05:00 the next morning are a day
    apart (the study day rolls over at 04:00), so the second is graded with one elapsed day,
    FSRS's long-term step. py-fsrs on the real times would see 6 hours and take its
    short-term step. An answer at 02:00 is still the evening's study day: a same-day repeat."""
    assert run(capsys, "config", "set", "--deck", "beta", "scheduler", "fsrs")[0] == 0
    settings = load_settings()
    from mlcards.clock import study_day

    evening = datetime(2026, 3, 1, 23, tzinfo=UTC)
    night = datetime(2026, 3, 2, 2, tzinfo=UTC)
    morning = datetime(2026, 3, 2, 5, tzinfo=UTC)
    days = [study_day(t, settings.rollover_hour) for t in (evening, night, morning)]
    assert days == [date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 2)]
    with Store.open(db_path) as store:
        graded = []
        for when, today in zip((evening, night, morning), days, strict=True):
            session = Session(
                [store.cards.one("beta", "b1") or pytest.fail("no card")],
                today,
                journal=store.log,
                session_id=when.isoformat(),
                rules=settings.rules_for,
                source=Refreshing(store, today),
            )
            item = session.next()
            assert item is not None
            graded.append(session.answer(item, item.card.answer, Quality.GOOD, 500, when))
    first, repeat, next_day = graded
    assert repeat.same_day_repeat and repeat.stability == first.stability
    assert not next_day.same_day_repeat
    ours = FSRS()
    expected = ours.grade(ours.grade(FSRSState(), 4, days[0]).state, 4, days[2])
    assert next_day.stability == expected.state.stability
    # what py-fsrs would do on the clock's hours instead (its short-term stability)
    real = pyfsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    card, _ = real.review_card(pyfsrs.Card(card_id=1, due=evening), pyfsrs.Rating.Good, evening)
    card, _ = real.review_card(card, pyfsrs.Rating.Good, morning)
    assert card.stability != next_day.stability
    assert run(capsys, "check")[0] == 0
