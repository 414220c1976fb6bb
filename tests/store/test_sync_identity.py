"""Two databases under one device id (a data dir copied to another computer): ``mlcards
sync`` refuses to merge their two histories as one, and changes nothing; a copy that only
catches up with the folder (a restored backup) is fine."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sync_helpers import Device, deck

from mlcards.models import Quality
from mlcards.services.browse import apply_action
from mlcards.services.sync import SharedDeviceError


def copied(tmp_path: Path) -> tuple[Device, Device]:
    folder = tmp_path / "folder"
    a = Device(tmp_path / "a" / "mlcards.db", folder, real=True)
    a.import_deck(deck())
    a.answer([Quality.GOOD])
    a.sync()
    a.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (tmp_path / "b").mkdir()
    shutil.copy(a.store.path, tmp_path / "b" / "mlcards.db")
    b = Device(tmp_path / "b" / "mlcards.db", folder, real=True)
    b.now = a.now + timedelta(minutes=5)
    assert b.store_device == a.store_device
    return a, b


def test_two_copies_that_both_answered_are_refused_and_unchanged(tmp_path: Path) -> None:
    a, b = copied(tmp_path)
    a.answer([Quality.GOOD])
    b.answer([Quality.WRONG])
    a.sync()
    before = b.facts(), b.marks()
    with pytest.raises(SharedDeviceError) as refused:
        b.sync()
    message = str(refused.value)
    assert "another database uses the same id" in message and "--new-device" in message
    assert refused.value.exit_code == 65
    assert (b.facts(), b.marks()) == before
    a.sync()  # the first one, whose events the file holds, goes on


def test_a_copy_whose_card_action_differs_is_refused(tmp_path: Path) -> None:
    a, b = copied(tmp_path)
    b.sync()
    apply_action(b.store, "suspend", [("toy", "c2")], b.today)
    b.sync()
    apply_action(a.store, "flag", [("toy", "c3")], a.today, "typo")
    with pytest.raises(SharedDeviceError):
        a.sync()


def test_a_copy_that_only_caught_up_is_not_refused(tmp_path: Path) -> None:
    a, b = copied(tmp_path)
    a.answer([Quality.GOOD, Quality.GOOD])
    a.sync()
    b.sync()  # as a restored backup: learns what its id wrote since
    assert b.facts() == a.facts()
    b.sync()
    assert b.check_problems() == []


def test_a_copy_that_answered_without_writing_is_refused(tmp_path: Path) -> None:
    a, b = copied(tmp_path)
    b.answer([Quality.GOOD])  # b uses seq n+1 without writing it
    a.answer([Quality.EASY])
    a.sync()  # a writes its own n+1
    with pytest.raises(SharedDeviceError):
        b.sync()


def test_a_new_device_id_carries_the_copys_own_events_and_converges(tmp_path: Path) -> None:
    from mlcards.services.sync import new_device

    a, b = copied(tmp_path)
    a.answer([Quality.GOOD])
    b.answer([Quality.WRONG, Quality.GOOD])
    apply_action(b.store, "flag", [("toy", "c4")], b.today, "mine")
    a.sync()
    mine = {f[2:] for f in b.facts() - a.facts()}
    assert len(mine) == 2
    with pytest.raises(SharedDeviceError):
        b.sync()
    fresh, moved = new_device(b.store, b.folder)
    assert fresh != a.store_device and moved == 3
    assert b.check_problems() == []
    for _ in range(2):
        for device in (b, a):
            device.sync()
    assert b.facts() == a.facts() and b.marks() == a.marks()
    assert b.exported_cards() == a.exported_cards() and b.check_problems() == []
    assert len(b.facts()) == 4  # the shared answer, a's, and b's two
    assert mine <= {f[2:] for f in a.facts()}


def test_a_new_device_id_on_a_copy_that_wrote_nothing_moves_nothing(tmp_path: Path) -> None:
    from mlcards.services.sync import new_device

    a, b = copied(tmp_path)
    assert new_device(b.store, b.folder)[1] == 0
    b.answer([Quality.GOOD])
    a.answer([Quality.GOOD])
    for _ in range(2):
        for device in (a, b):
            device.sync()
    assert b.facts() == a.facts() and len(a.facts()) == 3


def test_an_answer_the_copy_undid_does_not_take_the_originals_answer(tmp_path: Path) -> None:
    from mlcards.replay import replay
    from mlcards.schedulers import build
    from mlcards.services.sync import new_device

    a, b = copied(tmp_path)
    a.answer([Quality.GOOD, Quality.GOOD])
    b.answer([Quality.GOOD, Quality.WRONG])
    row = max(b.store.log.rows(), key=lambda r: r["ord"])
    b.store.log.undo(
        row["id"],
        row["session"],
        lambda key, rows, starts, spec: replay(rows, starts, build(spec)).get(key),
    )
    a.sync()
    new_device(b.store, b.folder)
    for _ in range(2):
        for device in (b, a):
            device.sync()
    assert len(a.facts()) == 4 and b.facts() == a.facts()  # the shared one, a's 2, b's 1
    assert b.check_problems() == [] and a.check_problems() == []


def test_a_backup_restored_on_the_same_computer_is_not_refused(tmp_path: Path) -> None:
    from mlcards.store import list_backups, restore_backup

    folder = tmp_path / "folder"
    path = tmp_path / "a" / "mlcards.db"
    a = Device(path, folder, real=True)
    a.import_deck(deck())
    a.answer([Quality.GOOD])
    a.store.backups.create("manual")
    a.answer([Quality.GOOD, Quality.WRONG])
    a.sync()
    before = a.facts()
    a.store.close()
    restore_backup(path, list_backups(path)[0])  # keeps the sequence: numbers never reused
    restored = Device(path, folder, real=True)
    restored.now = a.now
    restored.sync()
    assert restored.facts() == before
    restored.answer([Quality.GOOD])
    restored.sync()
    assert len(restored.facts()) == 4 and restored.check_problems() == []
