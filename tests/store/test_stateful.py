"""A random walk through imports, edits, reviews, retirements and repairs, checking invariants."""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import at, toy_deck
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mlcards.models import Quality
from mlcards.services.admin import check
from mlcards.session import Session, build_queue
from mlcards.store import Store

CARD_IDS = tuple(f"c{i}" for i in range(6))


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.path = Path(self.folder.name) / "walk.db"
        self.store = Store.open(self.path)
        self.day = date(2026, 1, 1)
        self.review_count = 0
        self.present: tuple[str, ...] = ()
        self.answer = "a"
        self.text = "Alpha"

    def teardown(self) -> None:
        self.store.close()
        self.folder.cleanup()

    def _import(self) -> None:
        deck = toy_deck("walk", self.present, answer=self.answer, text_a=self.text)
        self.store.decks.import_decks([deck], at(self.day.isoformat()))

    @rule(cards=st.sets(st.sampled_from(CARD_IDS), min_size=1))
    def import_cards(self, cards: set[str]) -> None:
        self.present = tuple(sorted(cards))
        self._import()

    @precondition(lambda self: self.present)
    @rule(text=st.sampled_from(["Alpha", "Alpha!", "Alpha (fixed)"]))
    def edit_text(self, text: str) -> None:
        self.text = text
        self._import()

    @precondition(lambda self: self.present)
    @rule(answer=st.sampled_from(["a", "b", "[a, c]"]))
    def change_answer(self, answer: str) -> None:
        self.answer = answer
        self._import()

    @precondition(lambda self: self.present)
    @rule(qualities=st.lists(st.sampled_from(list(Quality)), min_size=1, max_size=8))
    def review_today(self, qualities: list[Quality]) -> None:
        queue = build_queue(
            self.store.cards.due(self.day, 200),
            self.store.cards.new(20),
            self.store.cards.repeats(self.day),
        )
        session = Session(queue, self.day)
        for quality in qualities:
            item = session.next()
            if item is None:
                break
            chosen = item.card.answer if quality >= Quality.HARD else ()
            self.store.log.record(
                session.answer(item, chosen, quality, 500, at(self.day.isoformat()))
            )
            self.review_count += 1

    @rule(days=st.integers(min_value=1, max_value=10))
    def time_passes(self, days: int) -> None:
        self.day += timedelta(days=days)

    @rule()
    def corrupt_cache_then_repair(self) -> None:
        conn = sqlite3.connect(self.path)
        conn.execute("UPDATE cards SET interval = interval + 7, due = '2099-01-01'")
        conn.commit()
        conn.close()
        result = check(self.store, repair=True)  # what `mlcards check --repair` runs
        assert result.repaired == bool(result.differences)

    @invariant()
    def review_log_only_grows(self) -> None:
        count = self.store.conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
        assert count == self.review_count

    @invariant()
    def every_review_points_to_a_card(self) -> None:
        orphans = self.store.conn.execute(
            "SELECT count(*) FROM reviews r LEFT JOIN cards c "
            "ON c.deck_id = r.deck_id AND c.id = r.card_id WHERE c.id IS NULL"
        ).fetchone()[0]
        assert orphans == 0
        assert self.store.integrity_problems() == []

    @invariant()
    def check_finds_nothing(self) -> None:
        found = check(self.store)  # schedules against a replay, marks, totals, search index
        assert found.ok, found.to_dict()

    @invariant()
    def retired_cards_never_reach_a_queue(self) -> None:
        retired = {r[0] for r in self.store.conn.execute("SELECT id FROM cards WHERE retired = 1")}
        queued = {i.card.id for i in self.store.cards.due(self.day + timedelta(days=400), 999)}
        queued |= {i.card.id for i in self.store.cards.new(999)}
        assert not retired & queued


StoreMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestStoreWalk = pytest.mark.slow(StoreMachine.TestCase)  # 40 walks of 25 steps
