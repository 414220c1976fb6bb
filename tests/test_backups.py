"""Backup files: unique names under races, no half-written copy left behind, restores that
appear whole and never let a review id be used twice (reliability issues 22 and 30)."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import at, mlcards, toy_deck

from mlcards.errors import UndoRefused
from mlcards.models import Quality
from mlcards.session import Session
from mlcards.store import Store, backups, list_backups, restore_backup


def _answer(store: Store, session: Session, day: str = "2026-03-01") -> None:
    item = session.next()
    assert item is not None
    session.answer(item, item.card.answer, Quality.GOOD, 10, at(day))


def _session(store: Store, sid: str = "s1") -> Session:
    from datetime import date

    queue = store.cards.new(20)
    return Session(queue, date(2026, 3, 1), journal=store.log, session_id=sid)


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def _back_up(db_path: Path, barrier: Any) -> None:
    with Store.open(db_path) as store:
        barrier.wait()
        store.backups.create("manual")


def test_backups_made_in_the_same_second_get_different_names(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four processes back up in the same real second (the clock is held still): each gets
    a name of its own, none fails."""
    monkeypatch.setattr(backups, "real_now", lambda: datetime(2026, 3, 1, 9, tzinfo=UTC))
    Store.open(db_path).close()
    forked = multiprocessing.get_context("fork")
    barrier = forked.Barrier(4)
    workers = [forked.Process(target=_back_up, args=(db_path, barrier)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    names = [b.path.name for b in list_backups(db_path)]
    assert len(set(names)) == 4, names


def test_half_written_backups_of_killed_processes_are_removed(
    db_path: Path, isolated_home: Path
) -> None:
    Store.open(db_path).close()
    folder = db_path.parent / "backups"
    folder.mkdir()
    dead = folder / f".mlcards.db-{_dead_pid()}-0badc0de.part"
    dead.write_bytes(b"x" * 4096)
    old_style = folder / "mlcards.db-20261101T090000Z-daily.db.part"
    old_style.write_bytes(b"x" * 4096)
    live = folder / f".mlcards.db-{os.getpid()}-0badc0de.part"  # a backup under way
    live.write_bytes(b"x")
    other_db = folder / "other.db-20261101T090000Z-daily.db.part"  # not this database's
    other_db.write_bytes(b"x")
    code, out, err = mlcards(isolated_home, "backup", "list")
    assert code == 0
    assert "removed a half-written backup" in err and dead.name in err and old_style.name in err
    assert not dead.exists() and not old_style.exists()
    assert live.exists() and other_db.exists()
    with Store.open(db_path) as store:
        store.backups.create("manual")
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".part")) == sorted(
        [live.name, other_db.name]
    )


def test_a_failed_backup_leaves_no_partial_copy(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(db_path)

    def fails(*args: object, **kwargs: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backups, "_claim_name", fails)
    with pytest.raises(Exception, match="cannot write the backup"):
        store.backups.create("manual")
    store.close()
    assert [p.name for p in (db_path.parent / "backups").iterdir()] == []


def test_review_ids_are_never_reused_after_a_restore(db_path: Path) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1", "c2", "c3", "c4"))], at("2026-03-01"))
    session = _session(store)
    _answer(store, session)
    store.backups.create("manual")
    _answer(store, session)
    _answer(store, session)  # ids 1, 2, 3; the backup holds only 1
    highest = store.conn.execute("SELECT max(id) FROM reviews").fetchone()[0]
    manual = next(b for b in list_backups(db_path) if b.reason == "manual")
    restore_backup(db_path, manual)
    # the open session goes on: its undo names an answer the restore took away
    with pytest.raises(UndoRefused, match="no longer in the log"):
        session.undo()
    _answer(store, session)
    newest = store.conn.execute("SELECT max(id) FROM reviews").fetchone()[0]
    assert newest > highest
    store.close()


def test_a_restore_with_no_database_to_copy_into_appears_whole(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1",))], at("2026-03-01"))
    store.backups.create("manual")
    store.close()
    manual = list_backups(db_path)[0]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)

    real = backups.source_copier

    def killed(source: sqlite3.Connection):  # type: ignore[no-untyped-def]
        def build(temp: Path) -> None:
            real(source)(temp)
            raise KeyboardInterrupt  # as if killed right after the copy, before the link

        return build

    monkeypatch.setattr(backups, "source_copier", killed)
    with pytest.raises(KeyboardInterrupt):
        restore_backup(db_path, manual)
    assert not db_path.exists()  # nothing a later command could take for a new database
    monkeypatch.setattr(backups, "source_copier", real)
    restore_backup(db_path, manual)
    with Store.open(db_path, create=False) as restored:
        assert restored.conn.execute("SELECT count(*) FROM cards").fetchone()[0] == 1
