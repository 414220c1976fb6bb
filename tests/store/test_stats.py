"""Stats of a review history built through the public API; every number worked out by hand.

The history (tests/helpers.py, HISTORY_EVENTS), as of study day 2026-03-20:

- m1: Jan 1, 2, 8 (easy), 23 -> interval 39; Mar 3 wrong (a *mature* lapse: interval
  before 39) + same-day repeat; Mar 4 good; Mar 20 hard (2500 ms) -> interval 6, EF 1.92.
- m2: Jan 1, 2, 8, 23 all good -> interval 38 (mature), EF 2.5, due Mar 2 (overdue).
- a1: Mar 1, 2 good, Mar 8 hard -> interval 15, EF 2.36, due Mar 23.
- a2: Mar 1 wrong (b) + repeat; Mar 2 "don't know" -> learning, EF 1.3, due Mar 3.
- leech: good Mar 1, then wrong (c) on every even day Mar 2-16 and good on odd days
  Mar 3-17: 8 lapses, EF 1.3, due Mar 18.
- b1 (deck beta): Mar 1 "don't know" + repeat; Mar 20 good -> EF 1.7, due Mar 21.
- a3 never reviewed; b2 retired. Every answer took 1000 ms except m1 on Mar 20.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers import HISTORY_TODAY, answer_card, at, build_history, tagged_deck
from rich.console import Console

from mlcards.render.dashboard import render_dashboard, render_no_reviews
from mlcards.stats import build_stats, streaks
from mlcards.statsdata import StatsQuery
from mlcards.store import Store

TODAY = date.fromisoformat(HISTORY_TODAY)
IMPORTED_AT = at("2026-03-01", 8)
YEAR_AGO = date(2025, 3, 21)


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = Store.open(db_path)
    build_history(s)
    yield s
    s.close()


def stats_of(
    store: Store,
    today: date = TODAY,
    since: date | None = YEAR_AGO,
    deck: str | None = None,
    tag: str | None = None,
) -> dict[str, Any]:
    data = store.stats.data(StatsQuery(today=today, since=since, deck_id=deck, tag=tag))
    return build_stats(data, today, since, deck, tag)


def test_totals_today_and_streaks(store: Store) -> None:
    doc = stats_of(store)
    # 8 (m1) + 4 (m2) + 3 (a1) + 3 (a2) + 17 (leech) + 3 (b1) answers
    assert doc["totals"] == {
        "answers": 38,
        "correct": 26,  # m1 7, m2 4, a1 3, a2 1, leech 9, b1 2
        "accuracy": round(26 / 38, 4),
        "time_ms": 37 * 1000 + 2500,
        "study_days": 22,  # Jan 1, 2, 8, 23; Mar 1-17; Mar 20
        "cards_reviewed": 6,
    }
    assert doc["today_activity"] == {
        "answers": 2,
        "correct": 2,
        "accuracy": 1.0,
        "time_ms": 3500,
    }
    assert doc["streak"] == {"current": 1, "longest": 17}
    assert doc["window"] == {"days": 365, "from": "2025-03-21", "to": "2026-03-20"}


def test_streak_survives_until_the_day_is_over(store: Store) -> None:
    # On Mar 18 nothing is answered yet: the streak of Mar 1-17 still counts.
    assert stats_of(store, today=date(2026, 3, 18))["streak"] == {"current": 17, "longest": 17}
    # On Mar 19 the day before had no answers: broken.
    assert stats_of(store, today=date(2026, 3, 19))["streak"] == {"current": 0, "longest": 17}


def test_streaks_pure() -> None:
    days = [date(2026, 1, d) for d in (1, 2, 3, 5, 6, 9)]
    assert streaks(days, date(2026, 1, 9)) == (1, 3)
    assert streaks(days, date(2026, 1, 7)) == (2, 3)
    assert streaks(days, date(2026, 1, 8)) == (0, 3)
    assert streaks([], date(2026, 1, 8)) == (0, 0)


def test_retention_splits_young_and_mature_by_the_interval_before_the_answer(
    store: Store,
) -> None:
    retention = {r["days"]: r for r in stats_of(store)["retention"]}
    # Last 7 days (Mar 14-20): leech 14 wrong, 15 right, 16 wrong, 17 right; m1 and b1 Mar 20.
    assert retention[7]["young"] == {"answers": 6, "correct": 4, "rate": round(4 / 6, 4)}
    assert retention[7]["mature"] == {"answers": 0, "correct": 0, "rate": None}
    # Last 30 days: every March first-of-day answer. m1 Mar 3 is the one mature answer.
    # Young: m1 2 (Mar 4, 20), a1 3, a2 2, leech 17, b1 2 = 26; right: 2+3+0+9+1 = 15.
    assert retention[30]["young"] == {"answers": 26, "correct": 15, "rate": round(15 / 26, 4)}
    assert retention[30]["mature"] == {"answers": 1, "correct": 0, "rate": 0.0}
    # The year adds the 8 January answers of m1 and m2, all right; repeats never count.
    assert retention[365]["young"] == {"answers": 34, "correct": 23, "rate": round(23 / 34, 4)}
    assert retention[365]["mature"] == {"answers": 1, "correct": 0, "rate": 0.0}
    assert retention[365]["all"] == {"answers": 35, "correct": 23, "rate": round(23 / 35, 4)}


def test_cards_by_stage_per_deck(store: Store) -> None:
    stages = stats_of(store)["stages"]
    assert stages["decks"] == [
        # a3 new; a2 (reps 0) and leech (reps 1) learning; m1 (6d) and a1 (15d) young; m2 38d
        {"deck": "alpha", "new": 1, "learning": 2, "young": 2, "mature": 1, "retired": 0},
        {"deck": "beta", "new": 0, "learning": 1, "young": 0, "mature": 0, "retired": 1},
    ]
    assert stages["total"] == {"new": 1, "learning": 3, "young": 2, "mature": 1, "retired": 1}


def test_easiness_and_interval_distributions(store: Store) -> None:
    doc = stats_of(store)
    easiness = {b["bin"]: b["cards"] for b in doc["easiness"]}
    # a2 1.3, leech 1.3, b1 1.7, m1 1.92, a1 2.36, m2 2.5
    assert easiness == {
        "1.30-1.49": 2,
        "1.50-1.69": 0,
        "1.70-1.89": 1,
        "1.90-2.09": 1,
        "2.10-2.29": 0,
        "2.30-2.49": 1,
        "2.50-2.69": 1,
        "2.70+": 0,
    }
    intervals = {b["bin"]: b["cards"] for b in doc["intervals"]}
    # a2, leech, b1 1 day; m1 6; a1 15; m2 38
    assert intervals == {
        "1d": 3,
        "2-6d": 1,
        "7-13d": 0,
        "14-20d": 1,
        "21-59d": 1,
        "60-179d": 0,
        "180-364d": 0,
        "1y+": 0,
    }


def test_accuracy_by_deck_and_by_tag(store: Store) -> None:
    doc = stats_of(store)
    assert doc["accuracy_by_deck"] == [
        {"deck": "alpha", "answers": 35, "correct": 24, "rate": round(24 / 35, 4)},
        {"deck": "beta", "answers": 3, "correct": 2, "rate": round(2 / 3, 4)},
    ]
    assert doc["accuracy_by_tag"] == [
        {"tag": "optim", "answers": 35, "correct": 24, "rate": round(24 / 35, 4)},
        {"tag": "eval", "answers": 3, "correct": 2, "rate": round(2 / 3, 4)},
        {"tag": "lr", "answers": 3, "correct": 3, "rate": 1.0},  # a1 only
    ]


def test_hardest_cards_and_the_leech(store: Store) -> None:
    doc = stats_of(store)
    hardest = [(c["card"], c["lapses"], c["easiness"], c["leech"]) for c in doc["hardest"]]
    # Most lapses first, then lowest EF; m2 (no lapse, EF 2.5) is not struggling.
    # a2's two misses came before it was ever learned: not lapses.
    assert hardest == [
        ("leech", 8, 1.3, True),
        ("m1", 1, 1.92, False),
        ("a2", 0, 1.3, False),
        ("b1", 0, 1.7, False),
        ("a1", 0, 2.36, False),
    ]
    leech = doc["hardest"][0]
    assert (leech["reviews"], leech["accuracy"]) == (17, round(9 / 17, 4))
    assert doc["leeches"] == [{"deck": "alpha", "card": "leech", "lapses": 8}]


def test_seven_lapses_is_not_a_leech(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.decks.import_decks([tagged_deck("d", [("x", ["t"])])], IMPORTED_AT)
        answer_card(store, "2026-03-01", "d", "x", 4)
        for day in range(2, 16):
            answer_card(store, f"2026-03-{day:02d}", "d", "x", 1 if day % 2 == 0 else 4)
        doc = stats_of(store, today=date(2026, 3, 15))
    assert doc["hardest"][0]["lapses"] == 7
    assert doc["hardest"][0]["leech"] is False
    assert doc["leeches"] == []


def test_distractor_counts_show_common_and_never_picked_choices(store: Store) -> None:
    distractors = {d["card"]: d for d in stats_of(store)["distractors"]}
    assert distractors["leech"] == {
        "deck": "alpha",
        "card": "leech",
        "answers": 17,
        "correct": 9,
        "dont_know": 0,
        "wrong_picks": 8,
        "choices": [
            {"id": "b", "picks": 0, "text": "Beta"},
            {"id": "c", "picks": 8, "text": "Gamma"},
        ],
        "never_picked": ["b"],
    }
    # a2: picked b once; its repeat was right; the "don't know" picks nothing.
    assert distractors["a2"]["choices"] == [
        {"id": "b", "picks": 1, "text": "Beta"},
        {"id": "c", "picks": 0, "text": "Gamma"},
    ]
    assert (distractors["a2"]["answers"], distractors["a2"]["dont_know"]) == (2, 1)
    # m1's wrong answer picked b; its same-day repeat is not a first answer.
    assert distractors["m1"]["answers"] == 7
    assert distractors["m1"]["choices"][0] == {"id": "b", "picks": 1, "text": "Beta"}
    assert distractors["b1"]["dont_know"] == 1
    assert [d["card"] for d in stats_of(store)["distractors"]][:3] == ["leech", "m1", "a2"]


def test_forecast_counts_due_cards_per_day_with_overdue_today(store: Store) -> None:
    forecast = stats_of(store)["forecast"]
    # overdue: m2 (Mar 2), a2 (Mar 3), leech (Mar 18)
    assert forecast["overdue"] == 3
    days = {d["day"]: d["due"] for d in forecast["days"]}
    assert len(days) == 30 and min(days) == "2026-03-20" and max(days) == "2026-04-18"
    assert {day: n for day, n in days.items() if n} == {
        "2026-03-20": 3,
        "2026-03-21": 1,  # b1
        "2026-03-23": 1,  # a1
        "2026-03-26": 1,  # m1
    }


def test_days_window_limits_history(store: Store) -> None:
    doc = stats_of(store, since=date(2026, 2, 19))  # --days 30
    assert doc["totals"]["answers"] == 30  # the 8 January answers are outside
    assert doc["totals"]["study_days"] == 18
    assert doc["streak"] == {"current": 1, "longest": 17}
    assert {c["card"] for c in doc["hardest"]} == {"leech", "m1", "a2", "b1", "a1"}


def test_deck_and_tag_filters(store: Store) -> None:
    beta = stats_of(store, deck="beta")
    assert beta["totals"]["answers"] == 3
    assert [d["deck"] for d in beta["stages"]["decks"]] == ["beta"]
    assert beta["forecast"]["overdue"] == 0
    lr = stats_of(store, tag="lr")
    assert (lr["totals"]["answers"], lr["totals"]["correct"]) == (3, 3)
    assert lr["stages"]["total"] == {"new": 0, "learning": 0, "young": 1, "mature": 0, "retired": 0}
    assert [c["card"] for c in lr["hardest"]] == ["a1"]


def test_a_reset_card_counts_as_new_again(db_path: Path) -> None:
    """After its answer changes, a card's next review has interval and repetitions 0 before."""
    with Store.open(db_path) as store:
        deck = tagged_deck("d", [("x", ["t"])])
        store.decks.import_decks([deck], IMPORTED_AT)
        for day in ("2026-01-01", "2026-01-02", "2026-01-08", "2026-01-23"):
            answer_card(store, day, "d", "x", 4)  # interval 38 after Jan 23: mature
        changed = replace(deck, cards=(replace(deck.cards[0], answer=("b",)),))
        assert store.decks.import_decks([changed], IMPORTED_AT)[0].reset == ["x"]
        answer_card(store, "2026-03-03", "d", "x", 1, ("c",))
        doc = stats_of(store, today=date(2026, 3, 3))
    assert doc["hardest"][0]["lapses"] == 0  # wrong on a new (reset) card is not a lapse
    year = doc["retention"][2]
    assert (year["young"]["answers"], year["mature"]["answers"]) == (5, 0)


def test_same_day_repeats_are_not_counted_as_distractor_picks(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.decks.import_decks([tagged_deck("d", [("x", ["t"])])], IMPORTED_AT)
        answer_card(store, "2026-03-01", "d", "x", 1, ("b",))
        answer_card(store, "2026-03-01", "d", "x", 1, ("c",))  # repeat, still wrong
        answer_card(store, "2026-03-01", "d", "x", 4)  # repeat, right
        doc = stats_of(store, today=date(2026, 3, 1))
    (card,) = doc["distractors"]
    assert card["answers"] == 1
    assert [(c["id"], c["picks"]) for c in card["choices"]] == [("b", 1), ("c", 0)]
    assert doc["totals"]["answers"] == 3


def console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=80, color_system=None, legacy_windows=False), buffer


def test_dashboard_fits_80_columns_and_shows_every_section(store: Store) -> None:
    con, buffer = console()
    con.print(render_dashboard(stats_of(store)))
    out = buffer.getvalue()
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    for title in (
        "Today",
        "Reviews per day",
        "Forecast: cards due, next 30 days",
        "Retention",
        "Cards by stage",
        "Easiness",
        "Interval",
        "Accuracy by deck",
        "Accuracy by tag",
        "Hardest cards",
        "Distractors",
    ):
        assert title in out, title
    assert "2 answered · 100% correct · 3s" in out
    assert "Streak  1 day (longest 17)" in out
    assert "Due today 3 (3 overdue) · next 7 days 6 · next 30 days 6" in out
    assert "58% 15/26" in out and "0% 0/1" in out  # retention, last 30 days
    assert "alpha/leech" in out and "LEECH" in out
    # each wrong choice by its text, with its picks and share (the issue: ids meant nothing)
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "8x 47% Gamma" in lines and "never Beta" in lines
    assert "busiest day: 6 answers" in out  # Mar 1: a1, a2 twice, leech, b1 twice


def test_heatmap_is_53_weeks_of_7_days_readable_without_colour(store: Store) -> None:
    con, buffer = console()
    con.print(render_dashboard(stats_of(store)))
    lines = buffer.getvalue().splitlines()
    start = lines.index(next(line for line in lines if line.startswith("Reviews per day")))
    grid = lines[start + 2 : start + 9]
    assert [line[:4].strip() for line in grid] == ["Mon", "", "Wed", "", "Fri", "", "Sun"]
    cells = [line[4:].ljust(53) for line in grid]
    assert all(len(c) == 53 for c in cells)
    # 2026-03-20 is a Friday in the last column; Saturday and Sunday are still to come.
    # 2 answers on the busiest-day scale of 6 is the second shade.
    assert cells[4][52] == "▒" and cells[5][52] == " " and cells[6][52] == " "
    # Every one of the 22 study days shows a shade; the rest of the window is "·".
    shaded = sum(sum(ch in "░▒▓█" for ch in c) for c in cells)
    assert shaded == 22


def test_no_reviews_says_so(db_path: Path) -> None:
    with Store.open(db_path) as store:
        doc = stats_of(store)
    assert doc["totals"]["answers"] == 0
    con, buffer = console()
    con.print(render_no_reviews(doc))
    assert "No reviews in the last 365 days yet" in buffer.getvalue()


@pytest.mark.parametrize("width", [60, 80])
def test_the_dashboard_fits_60_and_80_columns(store: Store, width: int) -> None:
    buffer = io.StringIO()
    con = Console(file=buffer, width=width, color_system=None, legacy_windows=False)
    con.print(render_dashboard(stats_of(store), width=width))
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= width
    joined = [" ".join(line.split()) for line in lines]
    assert "8x 47% Gamma" in joined  # a distractor by its text, not cut off
    assert any(line.startswith("alpha/leech") for line in joined)  # card ids whole


def test_the_calendar_labels_every_month_even_when_the_window_starts_late_in_one() -> None:
    from mlcards.render.dashboard import heatmap

    for today in (date(2026, 12, 20), date(2026, 3, 17), date(2027, 1, 20)):
        buffer = io.StringIO()
        Console(file=buffer, width=80, color_system=None).print(heatmap({}, today, None))
        labels = buffer.getvalue().splitlines()[0].split()
        assert len(labels) >= 12 and len(set(labels)) >= 12, labels


@pytest.mark.slow
def test_the_pager_shows_colours_not_escape_codes(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal the dashboard goes through `less`, which is told to pass colours on:
    without that it prints them as the text "ESC[1m"."""
    import shutil

    import pexpect
    from pty_helpers import ANSI, spawn

    if shutil.which("less") is None:
        pytest.skip("no less on this machine")
    with Store.open(isolated_home / "mlcards.db") as store:
        store.decks.import_decks([tagged_deck("d", [("x", ["t"])])], IMPORTED_AT)
        answer_card(store, "2026-03-01", "d", "x", 4)
    monkeypatch.delenv("NO_COLOR")  # colours on, as on most terminals
    child = spawn(isolated_home, tmp_path, command="stats", PAGER="less", LESS="")
    seen = io.StringIO()
    child.logfile_read = seen
    child.expect("Reviews per day")
    child.sendline("q")
    child.expect(pexpect.EOF)
    shown = ANSI.sub("", seen.getvalue())  # what the terminal draws, styles taken out
    assert "mlcards stats" in shown and "ESC[" not in shown


def _long_ids_doc(store: Store) -> dict[str, Any]:
    """The history's document with the ids and titles of the bundled decks' length."""
    doc = stats_of(store)
    long = "optimization-conditioning-hpo"
    for section in ("hardest", "distractors"):
        for entry in doc[section]:
            entry["deck"] = long
            entry["card"] = "frozen-layer-still-passes-gradients-" + entry["card"]
    for entry in doc["distractors"]:
        for choice in entry["choices"]:
            choice["text"] = "A long distractor text that cannot fit a narrow terminal " * 2
    for entry in doc["stages"]["decks"]:
        entry["deck"] = long + "-" + entry["deck"]
    return doc


@pytest.mark.parametrize("width", [60, 80])
def test_stats_keeps_its_numbers_and_headers_when_ids_are_long(store: Store, width: int) -> None:
    """Issue 20, item 13: ids and titles are shortened, never the numbers or headers; an id
    never wraps."""
    doc = _long_ids_doc(store)
    buffer = io.StringIO()
    con = Console(file=buffer, width=width, color_system=None, legacy_windows=False)
    con.print(render_dashboard(doc, width=width))
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= width
    hardest = lines[[i for i, line in enumerate(lines) if "Hardest cards" in line][0] + 1]
    assert hardest.split() == ["Card", "Reviews", "Lapses", "EF", "Right"]
    start = [i for i, line in enumerate(lines) if "Hardest cards" in line][0]
    rows = [line for line in lines[start:] if line.startswith("optimization-con")]
    assert len(rows) >= len(doc["hardest"])
    for card, line in zip(doc["hardest"], rows, strict=False):
        assert line.split()[-4:] == [
            str(card["reviews"]),
            str(card["lapses"]),
            f"{card['easiness']:.2f}",
            f"{100 * card['accuracy']:.0f}%",
        ] or line.split()[-5:-1] == [
            str(card["reviews"]),
            str(card["lapses"]),
            f"{card['easiness']:.2f}",
            f"{100 * card['accuracy']:.0f}%",
        ]
    stages = lines[[i for i, line in enumerate(lines) if "Cards by stage" in line][0] + 1]
    assert stages.split() == ["Deck", "New", "Learning", "Young", "Mature", "Retired"]
    picks = [line.split() for line in lines if line.strip().startswith(("never", "8x"))]
    assert picks and all(p[0] == "never" or p[1].endswith("%") for p in picks)
    assert ["8x", "47%"] in [p[:2] for p in picks]  # counts, not "…"
    assert all(" don't know" in line for line in lines if "answers," in line)
    assert not any(line.startswith(("-", "gradients")) for line in lines)  # no id wrapped


def test_the_forecast_leaves_suspended_cards_out(store: Store) -> None:
    before = stats_of(store)["forecast"]
    store.cards.suspend("beta", "b1")  # due 2026-03-21
    after = stats_of(store)["forecast"]
    shown = {d["day"]: d["due"] for d in after["days"]}
    assert shown["2026-03-21"] == 0
    assert sum(d["due"] for d in before["days"]) - sum(d["due"] for d in after["days"]) == 1
