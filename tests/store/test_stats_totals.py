"""The running totals behind ``stats`` (store/totals.py, store/stats_totals.py).

The stats document read from the totals must be byte-identical to the one summed from the
log itself (``StatsQueries.data_from_log``, the way stats were computed before the totals),
on a generated log, for every scope; and the totals must equal a fresh aggregation of the log
after answers, undo, bulk loads, imports that change tags, and a repair.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from helpers import tagged_deck

from mlcards.config import Settings
from mlcards.models import Quality
from mlcards.records import ReviewRecord
from mlcards.services.admin import check
from mlcards.services.progress import stats_document
from mlcards.stats import HARDEST_LIMIT, build_stats
from mlcards.statsdata import StatsQuery
from mlcards.store import Store
from mlcards.store import totals as totals_module

TODAY = date(2026, 3, 20)
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
TAGS = ["cnn", "rnn", "optim", "prob", "rl"]


def _decks(seed: int, tags_shift: int = 0) -> list:  # type: ignore[type-arg]
    rng = random.Random(seed)
    decks = []
    for d in range(3):
        cards = [
            (f"c{i}", sorted(rng.sample(TAGS, rng.randint(0, 3))) if (i + tags_shift) % 5 else [])
            for i in range(25)
        ]
        decks.append(tagged_deck(f"deck{d}", cards, title=f"Title {d}"))
    return decks


def _records(seed: int, count: int, first_day: date) -> Iterator[ReviewRecord]:
    rng = random.Random(seed)
    days = (TODAY - first_day).days + 1
    for _ in range(count):
        day = first_day + timedelta(days=rng.randrange(days))
        quality = rng.choice([0, 1, 2, 3, 4, 5])
        correct = quality >= 3
        yield ReviewRecord(
            deck_id=f"deck{rng.randrange(3)}",
            card_id=f"c{rng.randrange(25)}",
            reviewed_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
            study_day=day,
            chosen=("a",) if correct else rng.choice([(), ("b",), ("c",), ("b", "c")]),
            correct=correct,
            quality=Quality(quality),
            response_ms=rng.randrange(200, 20000),
            same_day_repeat=rng.random() < 0.2,
            was_new=rng.random() < 0.1,
            repetitions=rng.randrange(0, 6),
            easiness=round(1.3 + 0.02 * rng.randrange(0, 80), 2),
            interval=rng.randrange(0, 60),
            due=day + timedelta(days=rng.randrange(0, 60)),
            mode="practice" if rng.random() < 0.1 else "review",
        )


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = Store.open(db_path)
    s.decks.import_decks(_decks(1), NOW)
    s.log.append(list(_records(2, 3000, date(2025, 1, 1))))
    yield s
    s.close()


def _both(store: Store, query: StatsQuery, since: date | None) -> tuple[str, str]:
    settings = Settings()
    new = stats_document(store, settings, query, since)
    full = replace(query, hardest=HARDEST_LIMIT)
    old = build_stats(
        store.stats.data_from_log(full),
        query.today,
        since,
        query.deck_id,
        query.tag,
        rules_for=settings.rules_for,
    )
    return json.dumps(old, sort_keys=False), json.dumps(new, sort_keys=False)


SCOPES = [
    {},
    {"since": TODAY - timedelta(days=364)},  # most of the log: totals less what is outside
    {"since": TODAY - timedelta(days=29)},  # a small part: summed from the window
    {"since": TODAY},
    {"deck_id": "deck1", "since": TODAY - timedelta(days=364)},
    {"tag": "cnn", "since": TODAY - timedelta(days=364)},
    {"tag": "rl", "deck_id": "deck2"},
    {"tag": "optim", "since": TODAY - timedelta(days=40)},
    {"since": TODAY - timedelta(days=364), "distractor_cards": None},
    {"since": TODAY - timedelta(days=364), "distractor_cards": 3},
    # a few days outside: the top-N lists bounded by the totals, then corrected
    {"since": TODAY - timedelta(days=441)},
    {"since": TODAY - timedelta(days=441), "distractor_cards": 3},
]


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_document_from_totals_is_byte_identical(store: Store, scope: dict) -> None:  # type: ignore[type-arg]
    query = StatsQuery(today=TODAY, **scope)
    old, new = _both(store, query, scope.get("since"))
    assert json.loads(new)["totals"]["answers"] > 0
    assert new == old


def test_a_future_window_end_and_an_empty_scope(store: Store) -> None:
    query = StatsQuery(today=date(2025, 6, 1), since=date(2025, 5, 1))
    old, new = _both(store, query, date(2025, 5, 1))
    assert new == old
    query = StatsQuery(today=TODAY, tag="no-such-tag")
    old, new = _both(store, query, None)
    assert new == old


def test_totals_follow_answers_undo_imports_and_repair(store: Store) -> None:
    conn = store.conn
    assert totals_module.differences(conn) == []
    # one answer, then its undo
    record = next(_records(7, 1, TODAY))
    record = replace(record, session="s1", mode="review")
    review_id = store.log.record(record)
    assert totals_module.differences(conn) == []
    store.log.undo(review_id, "s1", lambda key, rows, starts, spec: None)
    assert totals_module.differences(conn) == []
    # a re-import that changes the cards' tags
    store.decks.import_decks(_decks(1, tags_shift=2), NOW)
    assert totals_module.differences(conn) == []
    old, new = _both(store, StatsQuery(today=TODAY, tag="cnn"), None)
    assert new == old
    # a damaged total is a finding of check, and repair rebuilds it
    conn.execute(
        "UPDATE card_totals SET reviews = reviews + 1 "
        "WHERE (deck_id, card_id) = (SELECT deck_id, card_id FROM card_totals LIMIT 1)"
    )
    conn.execute("DELETE FROM day_tag_totals WHERE tag = 'rl'")
    conn.execute("UPDATE tag_totals SET graded_correct = graded_correct - 1 WHERE tag = 'rnn'")
    found = check(store)
    assert not found.ok
    assert any("card_totals" in d for d in found.totals_differences)
    assert any("day_tag_totals" in d for d in found.totals_differences)
    assert any(d.startswith("tag_totals") for d in found.totals_differences)
    repaired = check(store, repair=True)
    assert repaired.repaired and repaired.ok
    assert totals_module.differences(conn) == []
    assert check(store).ok


def test_the_migration_fills_the_totals_from_an_existing_log(store: Store) -> None:
    conn = store.conn
    for table in totals_module.TABLES:
        conn.execute(f"DELETE FROM {table}")
    assert totals_module.differences(conn)
    conn.execute("BEGIN")
    totals_module.rebuild(conn)
    conn.execute("COMMIT")
    assert totals_module.differences(conn) == []


def test_migration_23_sums_the_tag_totals_from_the_days(store: Store) -> None:
    """The all-time tag totals, filled from the per-day ones (not from the log, which at a
    million answers would take seconds), equal a fresh aggregation of the log."""
    from mlcards.store.migrations import _m023_tag_totals

    conn = store.conn
    assert conn.execute("SELECT count(*) FROM tag_totals").fetchone()[0] > 0
    conn.execute("DROP TABLE tag_totals")
    _m023_tag_totals(store.db)
    assert totals_module.differences(conn) == []


def test_accuracy_by_tag_reads_only_the_days_outside_the_window(store: Store) -> None:
    """Over a window holding most of the log, the tags' accuracy is their all-time totals less
    the days outside it: each side one range of the per-day key, no walk of every day."""
    from mlcards.store.scope import Scope
    from mlcards.store.stats_totals import _tags_less_outside

    sql, params = _tags_less_outside(Scope(since=TODAY - timedelta(days=364), until=TODAY))
    plan = [r[3] for r in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    ranges = [x for x in plan if re.match(r"SEARCH d USING PRIMARY KEY \(study_day", x)]
    assert len(ranges) == 2, plan
    assert not any(re.match(r"SCAN (d|day_tag_totals)\b", x) for x in plan), plan


def test_the_histograms_binned_in_sql_equal_the_cards_binned_one_by_one(store: Store) -> None:
    from mlcards.stats import EASINESS_BINS, INTERVAL_BINS, histogram
    from mlcards.store.scope import Scope

    conn = store.conn
    conn.execute("UPDATE cards SET easiness = 1.26, interval = -1 WHERE id = 'c3'")  # below all
    conn.execute("UPDATE cards SET easiness = 2.9, interval = 400 WHERE id = 'c4'")  # above all
    query = StatsQuery(today=TODAY)
    _, easiness, intervals, _ = store.stats.card_state(query, Scope())
    rows = conn.execute(
        "SELECT easiness, interval, stability FROM cards "
        "WHERE retired = 0 AND last_review_id IS NOT NULL"
    ).fetchall()
    assert len(rows) > 20
    by_card = histogram(EASINESS_BINS, ((round(e * 100), 1) for e, _, s in rows if s is None))
    assert histogram(EASINESS_BINS, ((round(e * 100), n) for e, n in easiness)) == by_card
    by_card = histogram(INTERVAL_BINS, ((i, 1) for _, i, _ in rows))
    assert histogram(INTERVAL_BINS, intervals) == by_card
    assert by_card[0]["cards"] and by_card[-1]["cards"]


def test_the_due_days_equal_the_cards_counted_one_by_one(store: Store) -> None:
    from mlcards.store.scope import Scope

    conn = store.conn
    conn.execute("UPDATE cards SET due = ? WHERE id = 'c1'", (TODAY.isoformat(),))
    later = (TODAY + timedelta(days=5)).isoformat()
    conn.execute(
        "UPDATE cards SET buried_until = ? WHERE id = 'c1' AND deck_id = 'deck0'", (later,)
    )
    conn.execute("UPDATE cards SET buried_until = '2000-01-01' WHERE id = 'c2'")  # long over
    conn.execute("UPDATE cards SET suspended = 1 WHERE id = 'c3'")
    horizon = TODAY + timedelta(days=30)
    for scope in (Scope(), Scope("deck0")):
        expected: dict[date, int] = {}
        for deck, due, buried, suspended, retired in conn.execute(
            "SELECT deck_id, due, buried_until, suspended, retired FROM cards"
        ):
            if due is None or suspended or retired or (scope.deck and deck != scope.deck):
                continue
            day = date.fromisoformat(max(due, buried or due))
            if day < horizon:
                expected[day] = expected.get(day, 0) + 1
        query = StatsQuery(today=TODAY, deck_id=scope.deck)
        due_days = store.stats.card_state(query, scope)[3]
        assert due_days == sorted(expected.items())
        assert date.fromisoformat(later) in dict(due_days)


def test_repair_removes_totals_of_a_deck_that_does_not_exist(store: Store) -> None:
    """A total no deck of the log accounts for (a hand-edited row) is a finding of check,
    and repair leaves the totals equal to the log again, whatever deck it names."""
    conn = store.conn
    conn.execute(
        "INSERT INTO day_totals VALUES ('2026-03-01', 'ghost', 1, 1, 10, 1, 1, 0, 0, 0, 0)"
    )
    conn.execute("INSERT INTO card_totals VALUES ('ghost', 'g1', 1, 1, 0, 1, 1, 0)")
    found = check(store)
    assert any("day_totals" in d for d in found.totals_differences)
    assert any("card_totals" in d for d in found.totals_differences)
    repaired = check(store, repair=True)
    assert repaired.repaired
    assert totals_module.differences(conn) == []
    assert check(store).ok
