"""Store.append_reviews: many answers in one transaction, leaving the same cache as record()."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import at, toy_deck

from mlcards.errors import StoreError
from mlcards.models import Quality
from mlcards.records import ReviewRecord
from mlcards.replay import replay
from mlcards.session import Session, build_queue
from mlcards.store import Store


def graded_records(store: Store, days: list[str], quality: Quality) -> list[ReviewRecord]:
    """What a learner answering every card each day would produce, without writing it."""
    from datetime import date

    records = []
    for day in days:
        today = date.fromisoformat(day)
        queue = build_queue(store.cards.due(today, 200), store.cards.new(20), [])
        session = Session(queue, today)
        while (item := session.next()) is not None:
            rec = session.answer(item, item.card.answer, quality, 900, at(day))
            records.append(rec)
            store.log.record(rec)
    return records


def test_append_reviews_writes_what_record_writes(tmp_path: Path) -> None:
    one, bulk = Store.open(tmp_path / "one.db"), Store.open(tmp_path / "bulk.db")
    deck = toy_deck()
    for s in (one, bulk):
        s.decks.import_decks([deck], at("2026-01-01"))
    records = graded_records(one, ["2026-01-01", "2026-01-02", "2026-01-08"], Quality.GOOD)
    assert bulk.log.append(records) == len(records)
    device = {"uid", "device", "ord"}  # each database is its own device; the rest is equal

    def facts(store: Store) -> list[dict[str, object]]:
        return [{k: v for k, v in row.items() if k not in device} for row in store.log.rows()]

    assert facts(bulk) == facts(one)
    assert [r["ord"].split("|")[0] for r in bulk.log.rows()] == [
        r["ord"].split("|")[0] for r in one.log.rows()
    ]
    assert bulk.cards.states() == one.cards.states()
    cached = {k: v for k, v in bulk.cards.states().items() if v["last_review_id"] is not None}
    replayed = replay(bulk.log.replay_rows(), {})
    assert {k: {f: cached[k][f] for f in v} for k, v in replayed.items()} == replayed
    one.close()
    bulk.close()


def test_append_reviews_is_all_or_nothing(db_path: Path) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck()], at("2026-01-01"))
    scratch = Store.open(db_path.with_name("other.db"))
    scratch.decks.import_decks([toy_deck()], at("2026-01-01"))
    records = graded_records(scratch, ["2026-01-01"], Quality.GOOD)
    unknown = replace(records[-1], card_id="no-such-card")
    with pytest.raises(StoreError):
        store.log.append([*records, unknown])
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM reviews").fetchone() == (0,)
    conn.close()
    assert all(v["last_review_id"] is None for v in store.cards.states().values())
    store.close()
    scratch.close()
