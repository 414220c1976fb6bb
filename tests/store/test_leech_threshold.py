"""One leech rule: with a threshold of N (global or per deck), a card with N lapses is a leech
for the review queue, `leeches`, `stats`, `stats --json` and the dashboard alike."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from helpers import answer_card, at, flags, toy_deck
from rich.console import Console

from mlcards.cli import main
from mlcards.config import Settings, load_settings, save_setting
from mlcards.models import Quality
from mlcards.render.dashboard import render_dashboard
from mlcards.render.review import CardView, render_card
from mlcards.services.study import leeches, todays_queue
from mlcards.session import Session
from mlcards.stats import build_stats
from mlcards.statsdata import StatsQuery
from mlcards.store import Store

DAY = date(2026, 3, 1)

DAYS = ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"]
TODAY = "2026-03-07"


@pytest.fixture
def store(db_path: Path) -> Store:
    """toy/c1 learned, then forgotten and relearned: exactly 3 lapses by 2026-03-06."""
    s = Store.open(db_path)
    s.decks.import_decks([toy_deck()], at(DAYS[0]))
    for day, quality in zip(DAYS, (4, 1, 4, 1, 4, 1), strict=True):
        answer_card(s, day, "toy", "c1", quality)
    assert s.cards.states()["toy", "c1"]["lapses"] == 3
    yield s
    s.close()


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    assert exit_info.value.code == 0
    return json.loads(capsys.readouterr().out)


def seen_as_leech(store: Store, capsys: pytest.CaptureFixture[str]) -> dict[str, bool]:
    """Whether toy/c1 is a leech, as each place that shows leeches says."""
    from datetime import date

    settings = load_settings()
    today = date.fromisoformat(TODAY)
    queue = {item.card.id: item for item in todays_queue(store, settings, today)}
    console = Console(file=io.StringIO(), width=80, color_system=None)
    item = queue["c1"]
    console.print(render_card(CardView(item, item.card.choices, position=1, total=1)))
    header = console.file.getvalue()  # type: ignore[attr-defined]
    data = store.stats.data(StatsQuery(today=today))
    doc = build_stats(
        data,
        today,
        None,
        rules_for=settings.rules_for,
    )
    dashboard = Console(file=io.StringIO(), width=80, color_system=None)
    dashboard.print(render_dashboard(doc, settings.rules_for("toy").leech_threshold))
    listed = cli_json(capsys, "leeches", "--json")
    stats_json = cli_json(capsys, "stats", "--json")
    assert isinstance(listed, list) and isinstance(stats_json, dict)
    hardest = {c["card"]: c["leech"] for c in stats_json["hardest"]}
    return {
        "review queue": queue["c1"].leech,
        "review screen": "· leech" in header,
        "service.leeches": [c["card"] for c in leeches(store, settings)] == ["c1"],
        "mlcards leeches": [c["card"] for c in listed] == ["c1"],
        "stats --json leeches": [c["card"] for c in stats_json["leeches"]] == ["c1"],
        "stats --json hardest": hardest.get("c1", False),
        "stats document": [c["card"] for c in doc["leeches"]] == ["c1"],
        "dashboard": "LEECH" in dashboard.file.getvalue(),  # type: ignore[attr-defined]
    }


@pytest.mark.parametrize(
    ("settings", "leech"),
    [
        ({}, False),  # the default threshold, 8
        ({"leech_threshold": "3"}, True),
        ({"leech_threshold": "4"}, False),
        ({"deck:leech_threshold": "3"}, True),  # global 8, this deck 3
        ({"leech_threshold": "3", "deck:leech_threshold": "5"}, False),
    ],
)
def test_every_view_agrees_on_the_leech_threshold(
    store: Store,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    settings: dict[str, str],
    leech: bool,
) -> None:
    monkeypatch.setenv("MLCARDS_NOW", f"{TODAY}T12:00:00+00:00")
    for key, value in settings.items():
        if key.startswith("deck:"):
            save_setting(key.removeprefix("deck:"), value, "toy")
        else:
            save_setting(key, value)
    views = seen_as_leech(store, capsys)
    assert views == dict.fromkeys(views, leech)


def test_a_per_deck_leech_threshold_applies_without_deck_option(db_path: Path) -> None:
    from dataclasses import replace

    item = Session([], DAY).next()
    assert item is None
    card = toy_deck(cards=("c1",)).cards[0]
    from mlcards.models import ScheduledCard

    learned = ScheduledCard("toy", "Toy", card, 3, 2.5, 10, date(2026, 2, 28), None, lapses=2)
    session = Session(
        [learned], DAY, rules=Settings(decks={"toy": {"leech_threshold": 3}}).rules_for
    )
    record = session.answer(learned, ("b",), Quality.WRONG, 10, at("2026-03-01"))
    assert record.leech_action == "tag"
    other = Session(
        [replace(learned, deck_id="other")],
        DAY,
        rules=Settings(decks={"toy": {"leech_threshold": 3}}).rules_for,
    )
    assert (
        other.answer(other.next(), ("b",), Quality.WRONG, 10, at("2026-03-01")).leech_action == ""
    )  # type: ignore[arg-type]


def test_a_leech_is_decided_by_todays_threshold_not_an_old_flag(db_path: Path) -> None:
    """Tagged at 2 lapses under threshold 2, then the threshold is raised to 4: the 4th lapse
    crosses it and, with --suspend-leeches, suspends the card."""
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1",))], at("2026-01-01"))
    day = date(2026, 1, 1)
    actions = []
    for lapse in range(4):
        threshold = 2 if lapse < 2 else 4
        for quality in (4, 1):
            today = date.fromordinal(day.toordinal())
            item = store.cards.one("toy", "c1")
            assert item is not None
            s = Session(
                [item],
                today,
                rules=Settings(leech_threshold=threshold).rules_for,
                suspend_leeches=threshold == 4,  # tagged first, suspension asked for later
                journal=store.log,
            )
            chosen = item.card.answer if quality >= 3 else ("b",)
            record = s.answer(s.next() or item, chosen, Quality(quality), 1000, at(str(today)))
            if quality == 1:
                actions.append(record.leech_action)
            day = date.fromordinal(day.toordinal() + 1)
    assert actions == ["", "tag", "", "suspend"]
    assert flags(store) == (1, 1, 4)
    store.close()


def test_the_bulk_load_marks_leeches_as_one_answer_at_a_time_does(tmp_path: Path) -> None:
    one, bulk = Store.open(tmp_path / "one.db"), Store.open(tmp_path / "bulk.db")
    for store in (one, bulk):
        store.decks.import_decks([toy_deck(cards=("c1",))], at("2026-01-01"))
    item = one.cards.one("toy", "c1")
    assert item is not None
    records = []
    for day, quality in (("2026-01-01", 4), ("2026-01-02", 1)):
        today = date.fromisoformat(day)
        s = Session(
            [item], today, rules=Settings(leech_threshold=1).rules_for, suspend_leeches=True
        )
        chosen = item.card.answer if quality >= 3 else ("b",)
        record = s.answer(item, chosen, Quality(quality), 1000, at(day))
        one.log.record(record)
        records.append(record)
        item = replace(one.cards.one("toy", "c1") or item)
    bulk.log.append(records)
    assert flags(one) == flags(bulk) == (1, 1, 1)
    one.close()
    bulk.close()
