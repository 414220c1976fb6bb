"""This device's own file in the folder is what the other devices learn from: when a sync
tool deletes it, or puts an older copy in its place (a conflict resolved the wrong way, a
stale rsync), the next sync writes the missing events again (real folder module)."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

from sync_helpers import Device, deck

from mlcards.models import Quality


def seqs(device: Device) -> list[int]:
    path = device.folder / f"mlcards-{device.store_device}.jsonl"
    return [json.loads(line)["seq"] for line in path.read_text(encoding="utf-8").splitlines()]


def pair(tmp_path: Path) -> tuple[Device, Device]:
    folder = tmp_path / "folder"
    a = Device(tmp_path / "a" / "mlcards.db", folder, real=True)
    b = Device(tmp_path / "b" / "mlcards.db", folder, skew=timedelta(minutes=3), real=True)
    for device in (a, b):
        device.import_deck(deck())
    return a, b


def test_an_own_file_deleted_by_a_sync_tool_is_written_again(tmp_path: Path) -> None:
    a, b = pair(tmp_path)
    a.answer([Quality.GOOD, Quality.GOOD])
    a.sync()
    written = seqs(a)
    (a.folder / f"mlcards-{a.store_device}.jsonl").unlink()
    a.sync()  # nothing new of its own
    assert seqs(a) == written
    b.sync()
    assert b.facts() == a.facts()


def test_an_older_copy_put_in_place_of_the_own_file_is_completed(tmp_path: Path) -> None:
    a, b = pair(tmp_path)
    own = a.folder / f"mlcards-{a.store_device}.jsonl"
    a.answer([Quality.GOOD])
    a.sync()
    shutil.copy(own, tmp_path / "older.jsonl")
    a.answer([Quality.GOOD, Quality.WRONG])
    a.sync()
    whole = seqs(a)
    shutil.copy(tmp_path / "older.jsonl", own)
    a.answer([Quality.EASY])
    a.sync()
    assert seqs(a) == sorted(set(seqs(a))) and set(whole) < set(seqs(a))
    b.sync()
    assert b.facts() == a.facts()
