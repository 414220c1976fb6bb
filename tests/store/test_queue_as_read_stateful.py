"""A random walk of a review session that takes the card queued next as it read it
(``StoreSource.read_at``) while another session answers and suspends cards, the session
itself suspends and undoes: after every answer, the card it drew inside the answer's
transaction is what reading it then gives (the same card, and today's limits' verdict),
and ``check`` stays clean."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import date
from pathlib import Path

import pytest
from helpers import answer_card, at, toy_deck
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mlcards.config import Settings
from mlcards.errors import MlcardsError
from mlcards.models import Quality
from mlcards.services.admin import check
from mlcards.services.study import cut_queue, start_session
from mlcards.store import Store

DAY = "2026-01-01"
TODAY = date.fromisoformat(DAY)
CARDS = tuple(f"c{i}" for i in range(8))
LIMITS = Settings(new_per_day=4, reviews_per_day=4)


class QueueAsRead(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        path = Path(self.folder.name) / "walk.db"
        self.store = Store.open(path)
        self.store.decks.import_decks([toy_deck("walk", CARDS)], at(DAY))
        self.other = Store.open(path)
        queue, read_at = cut_queue(self.store, LIMITS, TODAY)
        self.session = start_session(
            self.store, LIMITS, TODAY, queue, shuffle=False, read_at=read_at
        )

    def teardown(self) -> None:
        self.store.close()
        self.other.close()
        self.folder.cleanup()

    def _answer(self, quality: int, right: bool, look_ahead: bool) -> None:
        item = self.session.next()
        if item is None:
            return
        chosen = item.card.answer if right else ("b",)
        try:
            self.session.answer(item, chosen, Quality(quality), 900, at(DAY), look_ahead=look_ahead)
        except MlcardsError:
            return
        looked = self.session._looked
        if look_ahead and looked is not None:
            fresh, allowed = self.session._draw(looked[0])  # read now: nothing since the commit
            assert (looked[1], looked[2]) == (fresh, allowed)

    @rule(quality=st.sampled_from([3, 4, 5]))
    def rate(self, quality: int) -> None:
        self._answer(quality, True, True)

    @rule()
    def answer_wrong(self) -> None:
        self._answer(1, False, False)

    @rule()
    def undo(self) -> None:
        with contextlib.suppress(MlcardsError):  # (another session answered it since)
            self.session.undo()

    @rule(card=st.sampled_from(CARDS), suspended=st.booleans())
    def suspend_here(self, card: str, suspended: bool) -> None:
        self.store.cards.suspend("walk", card, suspended)

    @rule(card=st.sampled_from(CARDS), suspended=st.booleans())
    def suspend_elsewhere(self, card: str, suspended: bool) -> None:
        self.other.cards.suspend("walk", card, suspended)

    @rule(card=st.sampled_from(CARDS))
    def answer_elsewhere(self, card: str) -> None:
        with contextlib.suppress(StopIteration):  # not in its queue (suspended, answered)
            answer_card(self.other, DAY, "walk", card, 4)

    @invariant()
    def check_finds_nothing(self) -> None:
        found = check(self.store)
        assert found.ok, found.to_dict()


QueueAsRead.TestCase.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
TestQueueAsRead = pytest.mark.slow(QueueAsRead.TestCase)
