"""`mlcards sync`, `mlcards undo`, `mlcards unbury`, the `sync_dir` setting and `status` on
the command line (the folder module stood in for by ``sync_helpers.FakeFolder``)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers import deck_yaml, run, write
from sync_helpers import FakeFolder

from mlcards.services import sync as sync_service


@pytest.fixture(autouse=True)
def fake_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync_service, "folder_io", FakeFolder)


def test_sync_writes_this_devices_events_and_says_what_it_did(
    capsys: pytest.CaptureFixture[str], toy: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "synced"
    folder.mkdir()
    assert run(capsys, "suspend", "toy/c1")[0] == 0
    code, out, _ = run(capsys, "sync", str(folder), "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["events_written"] == 1 and summary["events_applied"] == 0
    (own,) = folder.glob("mlcards-*.jsonl")
    assert json.loads(own.read_text())["action"] == "suspend"
    code, out, _ = run(capsys, "sync", str(folder), "--json")
    assert json.loads(out)["events_written"] == 0


def test_sync_without_a_folder_names_the_setting(
    capsys: pytest.CaptureFixture[str], toy: Path, tmp_path: Path
) -> None:
    code, _, err = run(capsys, "sync")
    assert code == 2 and "sync_dir" in err
    assert run(capsys, "config", "set", "sync_dir", str(tmp_path / "s"))[0] == 0
    code, _, err = run(capsys, "sync")
    assert code == 66 and "no such folder" in err
    assert not (tmp_path / "s").exists()  # a mistyped path never becomes a sync folder
    (tmp_path / "s").mkdir()
    code, out, _ = run(capsys, "sync")
    assert code == 0 and "synced with" in out and "0 events read" in out


def test_undo_takes_back_the_last_command_line_action(
    capsys: pytest.CaptureFixture[str], toy: Path, db_path: Path
) -> None:
    run(capsys, "flag", "--note", "why", "toy/c1", "toy/c2")
    run(capsys, "bury", "toy/c3")
    run(capsys, "unbury", "toy/c3")
    code, out, _ = run(capsys, "undo", "--json")
    assert code == 0 and json.loads(out) == {
        "undone": [{"deck": "toy", "card": "c3", "action": "unbury"}]
    }
    conn = sqlite3.connect(db_path)
    buried = "SELECT buried_until IS NOT NULL FROM cards WHERE id = 'c3'"
    assert conn.execute(buried).fetchone() == (1,)
    assert run(capsys, "check")[0] == 0
    code, out, _ = run(capsys, "undo")
    assert code == 0 and "Nothing to undo" in out


def test_check_finds_and_repairs_marks_that_differ_from_their_events(
    capsys: pytest.CaptureFixture[str], toy: Path, db_path: Path
) -> None:
    run(capsys, "suspend", "toy/c1")
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE cards SET suspended = 0, flagged = 1 WHERE id = 'c1'")
    conn.commit()
    code, out, _ = run(capsys, "check", "--json")
    found = json.loads(out)["schedule_differences"]
    assert code != 0
    assert any("suspended" in p for p in found) and any("flagged" in p for p in found)
    assert run(capsys, "check", "--repair")[0] == 0
    assert conn.execute("SELECT suspended, flagged FROM cards WHERE id = 'c1'").fetchone() == (1, 0)


def test_status_counts_answers_waiting_for_a_deck(
    capsys: pytest.CaptureFixture[str], isolated_home: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    folder = tmp_path / "synced"
    folder.mkdir()
    run(capsys, "--db", str(other), "import", str(deck))
    from helpers import add_review

    add_review(other)
    assert run(capsys, "--db", str(other), "sync", str(folder))[0] == 0
    run(capsys, "import", str(write(tmp_path / "b.yaml", deck_yaml("b"))))
    code, out, _ = run(capsys, "sync", str(folder), "--json")
    assert json.loads(out)["pending"] == 1
    code, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["sync_pending"] == 1
    code, out, _ = run(capsys, "import", str(deck))
    code, out, _ = run(capsys, "status", "--json")
    assert "sync_pending" not in json.loads(out)
    assert run(capsys, "check")[0] == 0


def test_a_failed_sync_at_review_start_warns_and_goes_on(
    capsys: pytest.CaptureFixture[str], toy: Path, db_path: Path, tmp_path: Path
) -> None:
    from mlcards.cli.reviewing import sync_if_set
    from mlcards.config import Settings
    from mlcards.store import Store

    blocker = write(tmp_path / "not-a-folder", "x")
    with Store.open(db_path) as store:
        sync_if_set(store, Settings(sync_dir=str(blocker)))
    assert "warning: sync with" in capsys.readouterr().err
