"""The session summary counts what is left today (issue 20, item 9) instead of "Next due:
tomorrow" while cards wait."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from helpers import answer_card, at, tagged_deck, toy_deck
from rich.console import Console

from mlcards.config import Settings
from mlcards.models import ScheduledCard
from mlcards.records import LeftToday
from mlcards.render.review import ReviewOutcome, render_summary
from mlcards.services.study import left_today
from mlcards.store import Store

TODAY = date(2026, 3, 1)


def _text(panel: object) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=80, color_system=None).print(panel)
    return buffer.getvalue()


def test_left_today_counts_new_reviews_and_repeats(db_path: object) -> None:
    settings = Settings(new_per_day=3)
    with Store.open(db_path) as store:  # type: ignore[arg-type]
        store.decks.import_decks([toy_deck(cards=("c1", "c2", "c3", "c4", "c5"))], at("2026-02-28"))
        answer_card(store, "2026-02-28", "toy", "c1", 4)  # due 2026-03-01
        assert left_today(store, settings, TODAY) == LeftToday(new=3, reviews=1)
        answer_card(store, "2026-03-01", "toy", "c2", 1)  # wrong: comes back today
        answer_card(store, "2026-03-01", "toy", "c3", 4)
        assert left_today(store, settings, TODAY) == LeftToday(new=1, reviews=1, repeats=1)
        assert left_today(store, settings, TODAY, deck="toy").total == 3


def test_the_summary_says_what_is_left_rather_than_next_due() -> None:
    outcome = ReviewOutcome(4, 3, True)
    left = _text(
        render_summary(outcome, TODAY, TODAY, left=LeftToday(new=20, reviews=1, repeats=2))
    )
    assert "Left today  20 new, 1 review, 2 repeats" in left
    assert "Next due" not in left
    done = _text(render_summary(outcome, date(2026, 3, 2), TODAY, left=LeftToday()))
    assert "Next due" in done and "Left today" not in done


def test_status_counts_what_review_would_show_under_a_global_limit(tmp_path: Path) -> None:
    """With the global review limit binding, status's per-deck counts are the cards review
    takes (the most overdue first across decks), not a deck-by-deck share of the limit."""
    from dataclasses import replace as with_values

    from mlcards.services.study import deck_status, todays_queue

    with Store.open(tmp_path / "m.db") as store:
        store.decks.import_decks(
            [toy_deck("first", cards=("f1", "f2")), toy_deck("second", cards=("s1", "s2"))],
            at("2026-02-01"),
        )
        for card in ("s1", "s2"):  # the second deck's cards fall due first (more overdue)
            answer_card(store, "2026-02-01", "second", card, 4)
        for card in ("f1", "f2"):
            answer_card(store, "2026-02-02", "first", card, 4)
        day = date(2026, 2, 10)
        settings = with_values(Settings(), reviews_per_day=2, new_per_day=0)
        queue = todays_queue(store, settings, day)
        shown = {s.id: s.reviews_today for s in deck_status(store, settings, day)}
    taken = {deck: sum(1 for item in queue if item.deck_id == deck) for deck in shown}
    assert taken == {"first": 0, "second": 2}
    assert shown == taken


def _reference_cut(
    store: Store,
    settings: Settings,
    today: date,
    deck: str | None = None,
    tag: str | None = None,
    new_limit: int | None = None,
) -> tuple[list[ScheduledCard], list[ScheduledCard]]:
    """Today's cut as review once took it: every deck's whole room read, merged by due day
    (stable, deck order within a day), then cut at the global limits."""
    from mlcards.services.study import TodaysLimits

    limits = TodaysLimits(store, settings, today, new_limit)
    overall = limits.overall()
    due: list[ScheduledCard] = []
    new: list[ScheduledCard] = []
    for deck_id in [deck] if deck else store.decks.ids():
        room = limits.deck(deck_id, overall)
        due += store.cards.due(today, room.reviews, deck_id, tag)
        new += store.cards.new(room.new, deck_id, tag, today)
    due.sort(key=lambda item: item.due or today)
    return due[: overall.reviews], new[: overall.new]


def test_the_cut_read_by_counts_equals_the_whole_rooms_cut(tmp_path: Path) -> None:
    """``_todays_cards`` reads only the cards of the cut ``_todays_counts`` counted; ``deck_status``
    shows those counts: the same cards, in the same order, as reading every deck's whole
    room and cutting, under binding and loose limits, with suspended and buried cards, ties
    on a due day across decks, a deck, a tag and ``--new N``."""
    from dataclasses import replace as with_values

    from mlcards.services.study import TodaysLimits, _todays_cards, _todays_counts, deck_status

    names = {"a": 6, "b": 5, "c": 4}
    with Store.open(tmp_path / "m.db") as store:
        store.decks.import_decks(
            [
                tagged_deck(
                    d, [(f"{d}{i}", ["t"] if (d, i % 2) != ("a", 1) else []) for i in range(n)]
                )
                for d, n in names.items()
            ],
            at("2026-02-01"),
        )
        for i, (deck, n) in enumerate(names.items()):
            for k in range(n - 2):  # two new cards left per deck
                answer_card(store, f"2026-02-0{1 + (i + k) % 3}", deck, f"{deck}{k}", 4)
        store.conn.execute("UPDATE cards SET suspended = 1 WHERE id = 'a0'")
        store.conn.execute("UPDATE cards SET buried_until = '2026-02-20' WHERE id IN ('b0', 'c3')")
        day = date(2026, 2, 10)

        def keys(items: list[ScheduledCard]) -> list[tuple[str, str]]:
            return [(item.deck_id, item.card.id) for item in items]

        scopes: list[tuple[str | None, str | None, int | None]] = [
            (None, None, None),
            ("a", None, None),
            (None, "t", None),
            (None, None, 4),
        ]
        for new, reviews in ((0, 0), (1, 2), (3, 4), (20, 200), (5, 7)):
            settings = with_values(Settings(), reviews_per_day=reviews, new_per_day=new)
            for only, tag, new_limit in scopes:
                limits = TodaysLimits(store, settings, day, new_limit)
                counts = _todays_counts(limits, only, tag)
                got = _todays_cards(store, day, only, tag, counts)
                want = _reference_cut(store, settings, day, only, tag, new_limit)
                assert [keys(x) for x in got] == [keys(x) for x in want], (new, reviews, only, tag)
            due, fresh = _reference_cut(store, settings, day)
            shown = {
                s.id: (s.reviews_today, s.new_today) for s in deck_status(store, settings, day)
            }
            taken = {
                deck: (
                    sum(1 for item in due if item.deck_id == deck),
                    sum(1 for item in fresh if item.deck_id == deck),
                )
                for deck in names
            }
            assert shown == taken, (new, reviews)
            assert sum(n for _, n in taken.values()) == min(new, 5)


_REFERENCE_STATUS = """
    SELECT d.id, count(c.id) FILTER (WHERE c.retired = 0),
        count(c.id) FILTER (WHERE c.retired = 0 AND c.last_review_id IS NULL),
        count(c.id) FILTER (WHERE c.retired = 0 AND c.due <= :today AND c.suspended = 0
                            AND coalesce(c.buried_until, '') <= :today),
        count(c.id) FILTER (WHERE c.retired = 1),
        min(max(c.due, coalesce(c.buried_until, c.due)))
            FILTER (WHERE c.retired = 0 AND c.suspended = 0),
        count(c.id) FILTER (WHERE c.retired = 0 AND c.suspended = 1),
        count(c.id) FILTER (WHERE c.retired = 0 AND c.last_review_id IS NULL
                            AND c.suspended = 0 AND coalesce(c.buried_until, '') <= :today)
    FROM decks d LEFT JOIN cards c ON c.deck_id = d.id GROUP BY d.id ORDER BY d.position
"""
"""Every deck's counts as one scan of its cards would take them: what status's index walks
must equal (the new cards showable today: ``deck_status``'s under limits that never bind)."""


def test_status_counts_by_index_equal_one_scan_of_the_cards(tmp_path: Path) -> None:
    from dataclasses import replace as with_values

    from mlcards.services.study import deck_status

    unlimited = with_values(Settings(), reviews_per_day=10**6, new_per_day=10**6)
    names = {"a": 8, "b": 6, "c": 3}
    with Store.open(tmp_path / "m.db") as store:
        store.decks.import_decks(
            [toy_deck(d, cards=tuple(f"{d}{i}" for i in range(n))) for d, n in names.items()],
            at("2026-02-01"),
        )
        for deck, n in names.items():
            for k in range(n - 2):
                answer_card(store, f"2026-02-0{1 + k % 4}", deck, f"{deck}{k}", 3 + k % 3)
        conn = store.conn
        conn.execute("UPDATE cards SET suspended = 1 WHERE id IN ('a0', 'a7', 'b1')")
        conn.execute("UPDATE cards SET buried_until = '2026-03-30' WHERE id IN ('a1', 'a6', 'c0')")
        conn.execute("UPDATE cards SET buried_until = '2026-01-01' WHERE id = 'b2'")  # over
        conn.execute("UPDATE cards SET retired = 1 WHERE id IN ('b3', 'c2')")
        conn.execute("UPDATE cards SET suspended = 1, retired = 1 WHERE id = 'b4'")
        conn.execute("UPDATE cards SET buried_until = due WHERE id = 'a2'")  # ends on its day
        conn.execute("UPDATE cards SET due = '2026-01-15' WHERE id = 'a3'")
        conn.execute("UPDATE cards SET buried_until = '2026-02-20' WHERE id = 'a3'")
        for day in ("2026-01-20", "2026-02-10", "2026-03-01", "2026-04-01"):
            expected = conn.execute(_REFERENCE_STATUS, {"today": day}).fetchall()
            got = [
                (s.id, s.cards, s.new, s.due, s.retired, s.next_due, s.suspended, s.new_today)
                for s in deck_status(store, unlimited, date.fromisoformat(day))
            ]
            assert got == [tuple(row) for row in expected], day
            # status's next day per deck is the one ``cards.next_due`` finds (its own walk)
            walked = {d: store.cards.next_due(d) for d in names}
            assert {s[0]: s[5] for s in got} == {
                d: (n.isoformat() if n else None) for d, n in walked.items()
            }
            assert store.cards.next_due() == min(n for n in walked.values() if n)
        assert {s.id: s.suspended for s in store.decks.status(TODAY)} == {"a": 2, "b": 1, "c": 0}


def test_status_learning_counts_the_repeats_review_shows(tmp_path: Path) -> None:
    """Lrn is the cards ``review`` brings back today (``cards.repeats``): a card answered
    wrong today and then buried (``b`` on its repeat) or suspended does not come back, so
    status does not count it as left."""
    from mlcards.services.study import deck_status

    with Store.open(tmp_path / "m.db") as store:
        store.decks.import_decks([toy_deck(cards=("c1", "c2", "c3"))], at("2026-03-01"))
        for card in ("c1", "c2", "c3"):
            answer_card(store, "2026-03-01", "toy", card, 1)  # wrong: back today
        store.cards.bury("toy", "c2", date(2026, 3, 2))
        store.cards.suspend("toy", "c3")
        repeats = store.cards.repeats(TODAY)
        (status,) = deck_status(store, Settings(), TODAY)
        assert [item.card.id for item in repeats] == ["c1"]
        assert status.learning == len(repeats)
        assert left_today(store, Settings(), TODAY).repeats == status.learning


def test_a_decks_room_read_alone_equals_the_room_within_the_overall(tmp_path: Path) -> None:
    """``TodaysLimits.deck`` without ``overall`` (a running session's ``may_show``, before
    each card) reads the global and the deck's counts in one query: what it allows is what
    the queue's cut allows (``deck(d, overall())``), as answers (new, due, repeats) land on
    two decks, under global and per-deck limits and ``--new N``."""
    from dataclasses import replace as with_values

    from mlcards.services.study import TodaysLimits

    names = {"a": 5, "b": 4}
    base = with_values(Settings(), new_per_day=4, reviews_per_day=3)
    per_deck = with_values(base, decks={"a": {"new_per_day": 2}, "b": {"reviews_per_day": 1}})
    with Store.open(tmp_path / "m.db") as store:
        store.decks.import_decks(
            [toy_deck(d, cards=tuple(f"{d}{i}" for i in range(n))) for d, n in names.items()],
            at("2026-02-01"),
        )
        for deck, n in names.items():
            for k in range(n - 2):
                answer_card(store, "2026-02-01", deck, f"{deck}{k}", 4)
        steps = [
            ("a", "a0", 4),  # a review
            ("b", "b3", 4),  # a new card
            ("a", "a4", 1),  # new, wrong: a repeat follows
            ("a", "a4", 4),
            ("b", "b0", 2),
            ("b", "b1", 4),
            ("a", "a3", 4),
        ]
        seen = set()

        def compare(step: int) -> None:
            for settings in (base, per_deck):
                for new_limit in (None, 1, 6):
                    limits = TodaysLimits(store, settings, date(2026, 2, 5), new_limit)
                    for deck_id in names:
                        alone = limits.deck(deck_id)
                        assert alone == limits.deck(deck_id, limits.overall()), (step, deck_id)
                        seen.add(alone)

        compare(0)
        for step, (deck, card, quality) in enumerate(steps, start=1):
            answer_card(store, "2026-02-05", deck, card, quality)
            compare(step)
        assert len(seen) > 5  # the rooms changed as answers landed
