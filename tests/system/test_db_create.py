"""A new database appears whole or not at all (reliability issue, item 1)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import (
    at,
    deck_yaml,
    mlcards,
    mlcards_argv,
    session_for,
    subprocess_env,
    write,
)

from mlcards.models import Quality
from mlcards.store import Store, list_backups
from mlcards.store.db import create_whole

KILL_RUNS = int(os.environ.get("MLCARDS_KILL_RUNS", "30"))


def test_a_build_that_dies_leaves_no_database(tmp_path: Path) -> None:
    path = tmp_path / "mlcards.db"

    def dies(temp: Path) -> None:
        temp.write_bytes(b"")  # the start of a database, then the process is gone
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        create_whole(path, dies)
    assert not path.exists()
    assert os.listdir(tmp_path) == []
    with Store.open(path) as store:
        assert store.schema_version() > 0


def test_a_database_made_meanwhile_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "mlcards.db"

    def other_process_wins(temp: Path) -> None:
        Store._build_empty(temp)
        path.write_bytes(b"theirs")

    create_whole(path, other_process_wins)
    assert path.read_bytes() == b"theirs"
    assert os.listdir(tmp_path) == ["mlcards.db"]


def test_a_killed_processs_temporary_database_is_removed(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    pid = int(dead.stdout)
    leftover = tmp_path / f".mlcards.db.new-{pid}-deadbeef"
    leftover.write_bytes(b"half")
    Path(f"{leftover}-wal").write_bytes(b"half")
    alive = tmp_path / f".mlcards.db.new-{os.getpid()}-cafef00d"
    alive.write_bytes(b"being built")  # a creation under way in a live process is left alone
    with Store.open(tmp_path / "mlcards.db"):
        pass
    assert sorted(os.listdir(tmp_path)) == sorted([alive.name, "mlcards.db"])


def _appeared(db: Path, run: int) -> bool:
    if run % 2:
        return db.exists()
    return db.parent.exists() and bool(os.listdir(db.parent))


@pytest.mark.slow
def test_sigkill_while_the_first_import_creates_the_database(tmp_path: Path) -> None:
    """Killed at random moments of its first command, mlcards leaves no database or a whole
    one: never an empty file that every later command refuses."""
    deck = write(tmp_path / "toy.yaml", deck_yaml(cards=("c1", "c2", "c3")))
    home = tmp_path / "home"
    start = time.monotonic()
    assert mlcards(home, "--db", str(tmp_path / "timing.db"), "import", str(deck))[0] == 0
    full = time.monotonic() - start
    rng = random.Random(11)
    outcomes = {"none": 0, "whole": 0}
    for run in range(KILL_RUNS):
        db = tmp_path / f"run-{run}" / "mlcards.db"
        child = subprocess.Popen(
            mlcards_argv("--db", str(db), "import", str(deck)),
            env=subprocess_env(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Even runs: the moment any file appears beside the database's path (the temporary
        # database being built); odd runs: a random moment after the database itself appears
        # (or after the calibrated time). Waits are bounded by the child's own end, so a
        # loaded machine (another test worker) shifts them without emptying either outcome.
        deadline = time.monotonic() + 10 * full

        while time.monotonic() < deadline and child.poll() is None and not _appeared(db, run):
            time.sleep(0.0005)
        if run % 2:
            time.sleep(rng.uniform(0, full / 4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        if not db.exists():
            outcomes["none"] += 1
            continue
        code, out, err = mlcards(home, "--db", str(db), "status", "--json")
        assert code == 0, f"run {run}: {out}{err}"
        outcomes["whole"] += 1
    assert outcomes["none"] > 0 and outcomes["whole"] > 0, outcomes


@pytest.mark.slow
def test_dry_run_creates_no_database_and_no_backup(tmp_path: Path) -> None:
    home = tmp_path / "home"
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    target = tmp_path / "sub" / "new.db"
    code, out, _ = mlcards(home, "--db", str(target), "import", "--dry-run", "--json", str(deck))
    assert code == 0 and json.loads(out)["decks"][0]["added"] == ["c1", "c2", "c3"]
    assert not target.exists() and not target.parent.exists()
    db = tmp_path / "real.db"
    assert mlcards(home, "--db", str(db), "import", str(deck))[0] == 0
    with Store.open(db) as store:
        session = session_for(store)
        item = session.next()
        assert item is not None
        session.answer(item, item.card.answer, Quality.GOOD, 10, at("2026-03-01"))
    code, _, _ = mlcards(
        home, "--db", str(db), "import", "--dry-run", str(deck), MLCARDS_NOW="2026-04-01T10:00"
    )
    assert code == 0 and list_backups(db) == []
