"""Found by a read of the log contract: a leech suspension undone after a reset, a double
undo, a leech decided by today's threshold, and the bulk load marking leeches as one by one."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from helpers import answer_card, at, toy_deck

from mlcards.config import Settings
from mlcards.models import Quality
from mlcards.services.admin import check
from mlcards.services.study import StoreSource, todays_queue
from mlcards.session import Session
from mlcards.store import Store


def session(store: Store, day: str, **kw: object) -> Session:
    today = date.fromisoformat(day)
    queue = todays_queue(store, Settings(), today)
    return Session(
        queue,
        today,
        journal=store.log,
        session_id="s1",
        source=StoreSource(store, Settings(), today),
        **kw,  # type: ignore[arg-type]
    )


def answer(s: Session, day: str, quality: int) -> str:
    item = s.next()
    assert item is not None
    chosen = item.card.answer if quality >= 3 else ("b",)
    s.answer(item, chosen, Quality(quality), 1000, at(day))
    return item.card.id


def flags(store: Store) -> tuple[int, int, int]:
    return store.conn.execute("SELECT leech, suspended, lapses FROM cards").fetchone()


def test_undoing_a_leech_suspension_lifts_it_even_after_a_reset(db_path: Path) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1",))], at("2026-01-01"))
    answer_card(store, "2026-01-01", "toy", "c1", 4)
    s = session(
        store, "2026-01-02", rules=Settings(leech_threshold=1).rules_for, suspend_leeches=True
    )
    answer(s, "2026-01-02", 1)
    assert flags(store) == (1, 1, 1)
    store.decks.import_decks([toy_deck(cards=("c1",), answer="b")], at("2026-01-02"))  # reset
    s.undo()
    assert flags(store) == (0, 0, 0)  # not left suspended by an answer that is gone
    store.close()


def test_undoing_an_answer_and_its_repeat_shows_the_card_once(db_path: Path) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1", "c2"))], at("2026-01-01"))
    s = session(store, "2026-01-01")
    assert [answer(s, "2026-01-01", q) for q in (1, 4, 4)] == ["c1", "c2", "c1"]
    for _ in range(3):
        s.undo()
    assert [item.card.id for item in s.queued] == ["c1", "c2"]
    store.close()


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


def test_check_reads_cache_and_log_as_of_one_moment(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer from another terminal landing between check's read of the cache and its
    read of the log is not reported as damage."""
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1",))], at("2026-01-01"))
    other_terminal = Store.open(db_path)
    other = session(other_terminal, "2026-01-01")
    states = store.cards.states

    def states_then_answer() -> dict:
        cached = states()
        answer(other, "2026-01-01", 4)
        return cached

    monkeypatch.setattr(store.cards, "states", states_then_answer)
    assert check(store).differences == []
    monkeypatch.undo()
    assert check(store).differences == []  # and the answer itself is in both
    assert store.conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 1
    other_terminal.close()
    store.close()


def test_repair_keeps_an_answer_given_after_the_check(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check --repair` rebuilds from the log as it stands inside its write, so an answer
    from another terminal between the check and the rebuild is not rolled back."""
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1", "c2"))], at("2026-01-01"))
    answer_card(store, "2026-01-01", "toy", "c1", 4)
    with store.write() as conn:  # damage for the repair to mend
        conn.execute("UPDATE cards SET interval = 99 WHERE id = 'c1'")
    other_terminal = Store.open(db_path)
    other = session(other_terminal, "2026-01-01")
    create = store.backups.create

    def answer_then_back_up(*args: object, **kw: object) -> object:
        assert answer(other, "2026-01-01", 4) == "c2"
        return create(*args, **kw)

    monkeypatch.setattr(store.backups, "create", answer_then_back_up)
    result = check(store, repair=True)
    assert result.repaired
    monkeypatch.undo()
    assert check(store).differences == []
    assert store.conn.execute("SELECT interval FROM cards WHERE id = 'c2'").fetchone()[0] == 1
    other_terminal.close()
    store.close()
