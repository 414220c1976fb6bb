"""Interval fuzz and load balancing (issue 23): Anki's ranges, a uniform spread, the same
draws on every replay (check, undo, repair, scheduler switches), and the stored default that
keeps an existing database's schedules valid."""

from __future__ import annotations

import importlib.util
import sqlite3
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from helpers import ROOT, Refreshing, at, big_deck_yaml, run, toy_deck, write

from mlcards.config import checked_value, load_settings
from mlcards.errors import UndoRefused, UsageError
from mlcards.models import Quality
from mlcards.replay import replay
from mlcards.rules import SchedulerSpec
from mlcards.schedulers import build, grade_answer
from mlcards.schedulers.fuzz import Fuzzed, bounds, draw, interval_range, seed, weight
from mlcards.schedulers.sm2 import SM2, SM2State, review
from mlcards.services.admin import check, set_scheduling
from mlcards.services.settings import effective_settings
from mlcards.services.study import todays_queue
from mlcards.session import Session
from mlcards.store import Store

START = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("interval", "minimum", "maximum", "expected"),
    [
        (7.0, 1, 1000, (5, 9)),  # Anki's own pins
        (17.0, 1, 1000, (14, 20)),
        (37.0, 1, 1000, (33, 41)),
        (1.0, 1, 1000, (1, 1)),  # no fuzz below 2.5 days
        (2.49, 1, 1000, (2, 2)),
        (2.5, 1, 1000, (2, 4)),
        (2.0, 3, 1000, (3, 4)),  # a raised minimum keeps two days
        (19.9, 3, 1000, (17, 23)),
        (20.1, 3, 1000, (17, 23)),
        (100.0, 101, 1000, (101, 108)),
        (100.0, 1, 99, (92, 99)),
        (100.0, 97, 103, (97, 103)),
    ],
)
def test_fuzz_bounds_are_ankis(
    interval: float, minimum: int, maximum: int, expected: tuple[int, int]
) -> None:
    assert bounds(interval, minimum, maximum) == expected


def test_a_passing_answer_never_goes_below_the_previous_interval() -> None:
    assert interval_range(6, 4, 1) == (4, 8)  # 1 day -> 6 days: the range around 6
    assert interval_range(8, 4, 6) == (6, 10)  # 6 -> 8 days: not below 6
    assert interval_range(3, 1, 20) == (2, 4)  # a lapse may go anywhere in its range
    assert interval_range(1, 1, 20) == (1, 1)


def test_draws_spread_evenly_over_the_range() -> None:
    low, high = bounds(30)
    counts = Counter(draw(low, high, seed("toy", f"c{n}", START, 2, 12)) for n in range(14_000))
    assert sorted(counts) == list(range(low, high + 1))
    expected = 14_000 / (high - low + 1)
    assert all(abs(n - expected) < 0.15 * expected for n in counts.values()), counts


def test_the_seed_is_the_card_and_its_answer_not_the_global_random() -> None:
    import random

    first = seed("toy", "c1", START, 2, 6)
    random.seed(1234)
    assert seed("toy", "c1", START, 2, 6) == first  # same card, same answer: same draw
    others = {
        seed("toy", "c2", START, 2, 6),
        seed("other", "c1", START, 2, 6),
        seed("toy", "c1", START + timedelta(days=1), 2, 6),
        seed("toy", "c1", START, 3, 6),
    }
    assert first not in others and len(others) == 4


def test_sm2_stays_exact_under_the_fuzz() -> None:
    fuzzed = build(SchedulerSpec())
    assert isinstance(fuzzed, Fuzzed)
    state = SM2State(2, 2.5, 6)
    exact = SM2().grade(state, 4, START)
    assert fuzzed.grade(state, 4, START) == exact  # no card: the pure scheduler
    graded = grade_answer(fuzzed, state, 4, START, ("toy", "c1"))
    assert graded.state.easiness == review(state, 4).easiness  # EF exact
    assert graded.state.repetitions == exact.state.repetitions
    assert 13 <= graded.state.interval <= 17  # 15 days fuzzed
    assert graded.due == START + timedelta(days=graded.state.interval)
    assert build(SchedulerSpec(fuzz=False)).grade(state, 4, START) == exact


def test_fsrs_is_fuzzed_by_the_same_rule() -> None:
    pytest.importorskip("fsrs")
    fuzzed = build(SchedulerSpec(name="fsrs"))
    exact = build(SchedulerSpec(name="fsrs", fuzz=False))
    state = exact.grade(exact.initial(), 4, START).state
    later = START + timedelta(days=state.interval)
    scheduled = exact.grade(state, 4, later)
    days = Counter(
        (grade_answer(fuzzed, state, 4, later, ("toy", f"c{n}")).due - later).days
        for n in range(300)
    )
    low, high = interval_range(scheduled.state.interval, 4, state.interval)
    assert low < high and set(days) == set(range(low, high + 1))


def test_load_balancing_prefers_emptier_days() -> None:
    assert weight(0, 10) == 1.0
    assert weight(4, 10) == pytest.approx((1 / 4) ** 2.15 * (1 / 10) ** 3)
    balanced = build(SchedulerSpec(load_balance=True))
    state = SM2State(3, 2.5, 15)  # 15 x 2.5 -> 38 days, range 34-42
    busy = {START + timedelta(days=n): 5 for n in range(30, 50) if n != 40}
    for n in range(50):
        graded = grade_answer(balanced, state, 4, START, ("toy", f"c{n}"), lambda d: busy.get(d, 0))
        assert graded.due == START + timedelta(days=40)  # the one free day


@pytest.fixture
def deck(isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = write(tmp_path / "big.yaml", big_deck_yaml("big", 40))
    assert run(capsys, "import", str(path))[0] == 0
    return isolated_home / "mlcards.db"


def study(store: Store, days: int, undo_every: int = 0, first: int = 0) -> list[int]:
    """Study every day for ``days`` days from day ``first`` (10 new a day, all due), each
    answer good or, one in five, wrong; every ``undo_every``-th answer is taken back and
    given again."""
    intervals = []
    for offset in range(first, first + days):
        today = START + timedelta(days=offset)
        settings = effective_settings(store, load_settings()).with_scheduling(store.settings.read())
        settings = settings.__class__(**{**settings.to_dict(), "new_per_day": 10})
        session = Session(
            todays_queue(store, settings, today),
            today,
            journal=store.log,
            session_id=f"s{offset}",
            rules=settings.rules_for,
            source=Refreshing(store, today),
        )
        n = 0
        while (item := session.next()) is not None:
            n += 1
            wrong = n % 5 == 0 and not session.answered % 7
            chosen = ("b",) if wrong else item.card.answer
            quality = Quality.WRONG if wrong else Quality.GOOD
            record = session.answer(item, chosen, quality, 900, at(today.isoformat()))
            if undo_every and n % undo_every == 0:
                session.undo()
                again = session.next()
                assert again is not None
                record = session.answer(again, chosen, quality, 900, at(today.isoformat()))
            if not record.same_day_repeat:
                intervals.append(record.interval)
    return intervals


def test_a_new_database_fuzzes_and_check_replays_it_exactly(deck: Path) -> None:
    with Store.open(deck) as store:
        intervals = study(store, 30, undo_every=4)
        assert check(store).ok
        assert len(set(intervals)) > 6  # not only SM-2's 1, 6, 15, ...
        before = store.cards.states()
        store.conn.execute("UPDATE cards SET interval = 99, due = '2030-01-01'")
        assert check(store, repair=True).repaired
        assert store.cards.states() == before  # the repair draws the same days


def test_turning_fuzz_off_and_on_and_switching_is_lossless(
    deck: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(deck) as store:
        study(store, 25)
        fuzzed = store.cards.states()
    assert run(capsys, "config", "set", "fuzz", "false")[0] == 0
    with Store.open(deck) as store:
        assert check(store).ok
        exact = store.cards.states()
        assert exact != fuzzed
        starts = {key: value["schedule_from"] for key, value in exact.items()}
        textbook = replay(store.log.replay_rows(), starts, SM2())
        assert {k: v["due"] for k, v in textbook.items()} == {
            k: v["due"] for k, v in exact.items() if v["due"]
        }
    assert run(capsys, "config", "set", "load_balance", "true")[0] == 0  # no fuzz: no change
    assert run(capsys, "config", "set", "fuzz", "true")[0] == 0
    with Store.open(deck) as store:
        assert check(store).ok  # now fuzzed and balanced
    assert run(capsys, "config", "set", "load_balance", "false")[0] == 0
    with Store.open(deck) as store:
        assert store.cards.states() == fuzzed
    if importlib.util.find_spec("fsrs") is not None:
        assert run(capsys, "config", "set", "scheduler", "fsrs")[0] == 0
        with Store.open(deck) as store:
            assert check(store).ok
        assert run(capsys, "config", "set", "scheduler", "sm2")[0] == 0
        with Store.open(deck) as store:
            assert store.cards.states() == fuzzed


def test_load_balanced_answers_undo_and_replay_exactly(
    deck: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "config", "set", "load_balance", "true")[0] == 0
    with Store.open(deck) as store:
        study(store, 30, undo_every=3)
        assert check(store).ok
        balanced = store.cards.states()
        store.conn.execute("UPDATE cards SET due = '2030-01-01'")
        assert check(store, repair=True).repaired
        assert store.cards.states() == balanced


def test_a_database_with_reviews_keeps_its_unfuzzed_schedules(deck: Path) -> None:
    with Store.open(deck) as store:
        assert store.settings.read() == {}  # a new database: the default, fuzzed
        assert effective_settings(store, load_settings()).fuzz is True
    with Store.open(deck) as store:
        set_scheduling(store, load_settings(), "fuzz", False)
        study(store, 12)  # a log made without fuzz, as by an older mlcards
    conn = sqlite3.connect(deck)
    with conn:
        conn.execute("DELETE FROM schedule_settings")
    conn.close()
    from mlcards.store.migrations import MIGRATIONS

    (no_fuzz,) = [m for m in MIGRATIONS if m.name.startswith("no fuzz")]
    with Store.open(deck) as store:  # as when the migration meets a database with reviews
        with store.write():
            no_fuzz.apply(store.db)
        assert store.settings.read() == {"": {"fuzz": False}}
        assert check(store).ok


@pytest.mark.parametrize("value", ["maybe", "2", ""])
def test_fuzz_takes_true_or_false(value: str) -> None:
    with pytest.raises(UsageError, match="fuzz must be true or false"):
        checked_value("fuzz", value)
    assert checked_value("fuzz", "off") is False
    assert checked_value("load_balance", "true", deck="toy") is True


def _spread() -> ModuleType:
    path = ROOT / "benchmarks" / "fuzz_spread.py"
    if not path.exists():
        pytest.skip("benchmarks/ is not shipped in the sdist")
    spec = importlib.util.spec_from_file_location("fuzz_spread", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fuzz_spreads_a_crammed_deck_over_the_days() -> None:
    spread = _spread()
    lumpy = spread.daily_reviews(fuzz=False, first_day=200)
    fuzzed = spread.daily_reviews(fuzz=True, first_day=200)
    assert spread.peak_to_mean(fuzzed) < 0.75 * spread.peak_to_mean(lumpy)
    assert spread.daily_reviews(fuzz=True, first_day=200) == fuzzed  # seeded: reproducible


def test_the_rating_line_shows_the_range() -> None:
    from mlcards.render.keys import format_days, rating_parts

    assert format_days((13, 17)) == "13–17d"
    assert format_days((6, 6)) == "6d"
    assert format_days(1) == "1d"
    assert format_days((55, 65)) == "55d–2mo"
    line = " ".join(part.plain for part in rating_parts({3: (5, 9), 4: (13, 17), 5: 40}))
    assert "4 good → 13–17d (Enter)" in line and "3 hard → again today, then 5–9d" in line


def test_a_balanced_undo_after_another_sessions_answer_is_refused(
    deck: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a load-balanced deck another card's draw saw this answer's due day: taking it back
    once the deck was answered since would leave that card's cache off the replay, so the
    undo is refused (both answers kept) and check stays clean."""
    assert run(capsys, "config", "set", "load_balance", "true")[0] == 0
    with Store.open(deck) as store:
        study(store, 12)
        today = START + timedelta(days=12)
        settings = effective_settings(store, load_settings())
        due = [c for c in todays_queue(store, settings, today) if not c.is_new][:2]
        assert len(due) == 2
        first = Session(
            [due[0]], today, journal=store.log, session_id="A", rules=settings.rules_for
        )
        second = Session(
            [due[1]], today, journal=store.log, session_id="B", rules=settings.rules_for
        )
        item = first.next()
        assert item is not None
        first.answer(item, item.card.answer, Quality.GOOD, 900, at(today.isoformat()))
        other = second.next()
        assert other is not None
        second.answer(other, other.card.answer, Quality.GOOD, 900, at(today.isoformat()))
        with pytest.raises(UndoRefused, match="balances its due days"):
            first.undo()
        assert check(store).ok
        second.undo()  # the deck's latest answer: taken back as before
        assert check(store).ok


@pytest.mark.parametrize("how", ["forget", "forget then answer", "forget twice"])
def test_a_forget_on_a_load_balanced_deck_leaves_check_clean(
    deck: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    """Each balanced draw counted the deck's other cards' due days as the cache held them
    then; a card forgotten later was among them. The replay counts it until the forget, as
    the answers did, so the other cards' schedules still agree with the log."""
    assert run(capsys, "config", "set", "load_balance", "true")[0] == 0
    with Store.open(deck) as store:
        study(store, 20)
        reviewed = sorted(k for k, v in store.cards.states().items() if v["last_review_id"])
        assert len(reviewed) >= 10
        store.cards.forget(reviewed[:3])
        if how != "forget":
            study(store, 6, first=20)
        if how == "forget twice":
            store.cards.forget(reviewed[:2])
            study(store, 4, first=26)
        assert check(store).differences == []


def test_an_answers_due_counts_cover_every_day_its_balanced_draw_may_ask(db_path: Path) -> None:
    """A passing answer never shortens a card's interval (``minimum_for``): a card that had
    150 days and is now scheduled 50 draws, balanced (50 is within reach of balancing), from
    150 days on. The counts the answer reads must be the cache's on those days too, as a
    replay counts them, or the two would weigh the days differently."""
    from mlcards.store.log import BALANCED_DAYS, _DueCounts

    low, high = interval_range(50, Quality.HARD, 150)
    assert BALANCED_DAYS < low < high  # a day past the counts read at once
    with Store.open(db_path) as store:
        store.decks.import_decks([toy_deck()], at(START.isoformat()))
        far = START + timedelta(days=low + 1)
        store.conn.execute("UPDATE cards SET due = ? WHERE id != 'c1'", (far.isoformat(),))
        shown = store.cards.one("toy", "c1")
        assert shown is not None
        counts = _DueCounts(store.conn, shown, START)
        assert counts.get(far, 0) == 2
        assert counts.get(START + timedelta(days=low), 0) == 0
