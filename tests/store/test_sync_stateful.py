"""A random walk of two and of three devices answering, undoing, suspending, flagging,
forgetting, editing their deck, changing a setting, with clocks that jump (back too), and
syncing through one folder in any order: after a final round of syncs every device has the
same log (by event id), the same cards (schedules and marks), the same settings, the same
``export cards``, and a clean ``check``."""

from __future__ import annotations

import tempfile
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule
from sync_helpers import Device, deck

from mlcards.errors import UndoRefused
from mlcards.models import Quality
from mlcards.replay import replay
from mlcards.schedulers import build
from mlcards.services.admin import replay_with
from mlcards.services.browse import apply_action
from mlcards.services.study import undo_last_actions

CARDS = ("c1", "c2", "c3", "c4", "c5")
ACTIONS = ("suspend", "unsuspend", "bury", "unbury", "flag", "unflag", "forget")


class Devices(RuleBasedStateMachine):
    count = 2
    real = False
    leeches = False

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        root = Path(self.tmp.name)
        folder = root / "folder"
        self.devices = [
            Device(
                root / f"d{i}" / "mlcards.db",
                folder,
                skew=timedelta(minutes=7 * i),
                real=self.real,
                leeches=self.leeches,
            )
            for i in range(self.count)
        ]
        self.answer_key = "a"
        self.cards = CARDS[:4]
        for device in self.devices:
            device.import_deck(deck(self.answer_key, self.cards))

    def teardown(self) -> None:
        try:
            self.converge()
        finally:
            for device in self.devices:
                device.store.close()
            self.tmp.cleanup()

    def _device(self, index: int) -> Device:
        return self.devices[index % self.count]

    @rule(
        index=st.integers(0, 2),
        qualities=st.lists(st.sampled_from(list(Quality)), min_size=1, max_size=4),
    )
    def answer(self, index: int, qualities: list[Quality]) -> None:
        self._device(index).answer(qualities)

    @rule(index=st.integers(0, 2))
    def undo_answer(self, index: int) -> None:
        device = self._device(index)
        mine = [
            r
            for r in device.store.log.rows()
            if r["device"] == device.store_device and r["session"]
        ]
        if not mine:
            return
        row = max(mine, key=lambda r: r["ord"])
        with suppress(UndoRefused):  # answered again since: both answers stay
            action = device.leech_actions.get(row["id"], "")
            device.store.log.undo(
                row["id"],
                row["session"],
                lambda key, rows, starts, spec: replay(rows, starts, build(spec)).get(key),
                clear_leech=bool(action),
                lift_suspension=action == "suspend",
            )

    @rule(
        index=st.integers(0, 2),
        action=st.sampled_from(ACTIONS),
        cards=st.sets(st.sampled_from(CARDS), min_size=1, max_size=2),
        note=st.sampled_from([None, "typo", ""]),
    )
    def card_action(self, index: int, action: str, cards: set[str], note: str | None) -> None:
        device = self._device(index)
        device.tick()
        keys = [("toy", c) for c in sorted(cards)]
        apply_action(device.store, action, keys, device.today, note)

    @rule(index=st.integers(0, 2))
    def undo_card_action(self, index: int) -> None:
        device = self._device(index)
        device.tick()
        undo_last_actions(device.store)

    @rule(
        index=st.integers(0, 2),
        answer_key=st.sampled_from(["a", "b"]),
        more=st.booleans(),
        take_waiting=st.booleans(),
    )
    def edit_deck(self, index: int, answer_key: str, more: bool, take_waiting: bool) -> None:
        """The learner edits the deck file (its answer key, a new card) on one device, and
        imports it (or a review re-imports it)."""
        self.answer_key = answer_key
        self.cards = CARDS if more else self.cards
        device = self._device(index)
        device.tick()
        device.import_deck(deck(self.answer_key, self.cards), take_waiting=take_waiting)

    @rule(index=st.integers(0, 2), fuzz=st.booleans())
    def change_fuzz(self, index: int, fuzz: bool) -> None:
        device = self._device(index)
        device.tick()
        device.store.cards.rebuild_decks(["toy"], replay_with, settings={"": {"fuzz": fuzz}})

    @rule(index=st.integers(0, 2), balance=st.booleans())
    def change_balance(self, index: int, balance: bool) -> None:
        """Load balancing on or off: each draw then counts the deck's other due days, so a
        forget or reset must count in every replay exactly where it happened."""
        device = self._device(index)
        device.tick()
        device.store.cards.rebuild_decks(
            ["toy"], replay_with, settings={"": {"load_balance": balance}}
        )

    @rule(index=st.integers(0, 2), minutes=st.integers(-600, 3 * 24 * 60))
    def clock_moves(self, index: int, minutes: int) -> None:
        self._device(index).now += timedelta(minutes=minutes)

    @precondition(lambda self: self.real)
    @rule(
        index=st.integers(0, 2),
        kind=st.sampled_from(["older", "torn", "deleted"]),
        keep=st.floats(0, 1),
        conflict=st.sampled_from(
            ["", ".sync-conflict-20260101-120000-ABCDEFG", " (x's conflicted copy 2026-01-01)"]
        ),
    )
    def sync_tool_glitch(self, index: int, kind: str, keep: float, conflict: str) -> None:
        """What a sync tool does to a device's file: an older copy put in its place (the
        newer one kept aside as a conflict copy, or not), half a line still arriving, the
        file deleted."""
        device = self._device(index)
        own = device.folder / f"mlcards-{device.store_device}.jsonl"
        if not own.exists():
            return
        data = own.read_bytes()
        lines = data.splitlines(keepends=True)
        if kind == "deleted":
            own.unlink()
        elif kind == "torn":
            own.write_bytes(data[: int(len(data) * keep)])
        else:
            if conflict:
                (own.parent / f"mlcards-{device.store_device}{conflict}.jsonl").write_bytes(data)
            own.write_bytes(b"".join(lines[: int(len(lines) * keep)]))

    @rule(index=st.integers(0, 2))
    def sync(self, index: int) -> None:
        self._device(index).sync()

    def converge(self) -> None:
        for device in self.devices:
            device.import_deck(deck(self.answer_key, self.cards), take_waiting=False)
        for _ in range(2):
            for device in self.devices:
                device.sync()
        first = self.devices[0]
        for device in self.devices:
            assert device.check_problems() == []
            assert device.facts() == first.facts()
            assert device.store.settings.read() == first.store.settings.read()
            if self.leeches:  # a leech's suspension is its own device's, the rest is shared
                assert unsuspended(device.marks()) == unsuspended(first.marks())
            else:
                assert device.marks() == first.marks()
                assert device.exported_cards() == first.exported_cards()
            assert device.store.cards.pending_answers() == 0


def unsuspended(marks: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``Device.marks`` without the suspension (the third column)."""
    return [(*row[:2], *row[3:]) for row in marks]


class ThreeDevices(Devices):
    count = 3


class TwoDevicesWithLeeches(Devices):
    """The same walk where a lapse makes a leech and suspends it (on the device that
    answered): forgets, resets, undos and syncs around it leave ``check`` clean."""

    leeches = True


class ThreeDevicesRealFolder(Devices):
    """The same walk through the real folder module (marks, locks, whole lines)."""

    count = 3
    real = True


Devices.TestCase.settings = settings(max_examples=20, stateful_step_count=30, deadline=None)
ThreeDevices.TestCase.settings = settings(max_examples=12, stateful_step_count=30, deadline=None)
TwoDevicesWithLeeches.TestCase.settings = settings(
    max_examples=20, stateful_step_count=30, deadline=None
)
ThreeDevicesRealFolder.TestCase.settings = settings(
    max_examples=25, stateful_step_count=30, deadline=None
)
TestTwoDevices = Devices.TestCase
TestThreeDevices = ThreeDevices.TestCase
TestTwoDevicesWithLeeches = TwoDevicesWithLeeches.TestCase
TestThreeDevicesRealFolder = pytest.mark.slow(ThreeDevicesRealFolder.TestCase)  # real files
