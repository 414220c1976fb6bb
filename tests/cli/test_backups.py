"""Backups: unique names under races, no half-written copy left behind, restores that appear
whole and never let a review id be used twice (reliability issues 22 and 30); named, ordered
and rotated by real time, belonging to their exact database file, the newest sound copy kept
and restored; odd files in the backup folder passed over."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import add_review, at, deck_yaml, mlcards, no_traceback, review_count, toy_deck, write
from helpers import run_here as run

from mlcards.errors import StoreError, UndoRefused
from mlcards.models import Quality
from mlcards.session import Session
from mlcards.store import Store, backups, list_backups, prune_backups, restore, restore_backup


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

    real = restore.source_copier

    def killed(source: sqlite3.Connection):  # type: ignore[no-untyped-def]
        def build(temp: Path) -> None:
            real(source)(temp)
            raise KeyboardInterrupt  # as if killed right after the copy, before the link

        return build

    monkeypatch.setattr(restore, "source_copier", killed)
    with pytest.raises(KeyboardInterrupt):
        restore_backup(db_path, manual)
    assert not db_path.exists()  # nothing a later command could take for a new database
    monkeypatch.setattr(restore, "source_copier", real)
    restore_backup(db_path, manual)
    with Store.open(db_path, create=False) as restored:
        assert restored.conn.execute("SELECT count(*) FROM cards").fetchone()[0] == 1


def test_mlcards_now_does_not_name_order_or_rotate_backups(home: Path, db: Path) -> None:
    """The issue's story: one `MLCARDS_NOW=2026-09-01... status`, then more work, then
    `restore latest` must bring back the newest work, not the copy dated by the fake clock."""
    future = "2031-09-01T10:00:00+00:00"
    assert run(home, "status", MLCARDS_NOW=future).code == 0  # the daily backup: 1 review
    add_review(db, "2026-03-02")
    add_review(db, "2026-03-03")
    assert review_count(db) == 3
    assert run(home, "backup", "create").code == 0  # 3 reviews
    names = [b.path.name for b in list_backups(db)]
    assert len(names) == 2 and not any("2031" in name for name in names)
    assert names[0].endswith("-manual.db") and names[1].endswith("-daily.db")
    add_review(db, "2026-03-04")
    result = run(home, "backup", "restore", "latest")
    assert result.code == 0 and names[0] in result.out
    assert review_count(db) == 3
    assert run(home, "status", MLCARDS_NOW="2040-01-01T10:00:00+00:00").code == 0
    assert {b.path.name for b in list_backups(db)} >= set(names)  # nothing pruned


def test_backups_belong_to_their_exact_database_file(home: Path, tmp_path: Path) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    old, current = home / "mlcards.old", home / "mlcards.db"
    for path in (old, current):
        assert run(home, "--db", str(path), "import", str(deck)).code == 0
    add_review(old)
    assert run(home, "--db", str(old), "backup", "create").code == 0
    before = current.read_bytes()
    result = run(home, "backup", "restore", "latest")
    assert result.code == 66 and "no backups of" in result.err
    assert current.read_bytes() == before
    assert json.loads(run(home, "backup", "list", "--json").out) == []
    assert [b.reason for b in list_backups(old)] == ["manual", "daily"]
    assert all(b.path.name.startswith("mlcards.old-") for b in list_backups(old))


def break_an_index(path: Path) -> None:
    """An index that no longer matches its table: quick_check passes, integrity_check not."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX reviews_ord ON reviews(quality)' "
        "WHERE name = 'reviews_ord'"
    )
    conn.commit()
    conn.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA integrity_check").fetchone() != ("ok",)
    conn.close()


def test_no_daily_backup_of_a_database_that_fails_its_check(home: Path, db: Path) -> None:
    break_an_index(db)
    result = run(home, "status")
    assert result.code == 0
    assert "daily backup skipped" in result.err and "fails SQLite's integrity check" in result.err
    assert list_backups(db) == []


def test_restore_latest_falls_back_past_a_backup_with_a_broken_index(home: Path, db: Path) -> None:
    assert run(home, "backup", "create").code == 0
    sound = list_backups(db)[0]
    break_an_index(db)
    result = run(home, "backup", "create")  # a manual copy is kept, and marked unsound
    assert result.code == 0 and "fails its integrity check" in result.err
    newest = list_backups(db)[0]
    assert newest.sound is False and sound.sound is True
    result = run(home, "backup", "restore", "latest")
    assert result.code == 0, result.err
    assert f"from {sound.path.name}" in result.out


def test_rotation_never_drops_the_newest_sound_copy(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck()], datetime(2026, 1, 1, tzinfo=UTC))
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    for day in range(0, 300, 10):
        when = start + timedelta(days=day)
        monkeypatch.setattr(backups, "real_now", lambda when=when: when)
        if day:  # every copy after the first fails its check when it is made
            monkeypatch.setattr(backups, "_problems", lambda conn: ["row 1 missing from index"])
        store.backups.create("daily")
    store.close()
    prune_backups(db_path)
    kept = list_backups(db_path)
    assert len(kept) <= 7 + 4 + 6 + 1
    assert kept[-1].created == start and kept[-1].sound is True  # ten months old, kept


ODD_NAMES = [
    "mlcards.db-99999999T999999Z-manual.db",
    "mlcards.db-.db",
    "mlcards.db-20260101T000000Z-UPPER.db",
    "mlcards-20260101T000000Z-manual.db",  # the old naming: another database's, maybe
    "notes.txt",
    "mlcards.db-20260101T000000Z-manual.db.json",  # a record without its backup
]


def test_oddly_named_files_in_the_backup_folder_are_passed_over(home: Path, db: Path) -> None:
    folder = home / "backups"
    assert run(home, "backup", "create").code == 0
    for name in ODD_NAMES:
        write(folder / name, "junk")
    (folder / "mlcards.db-20260101T000000Z-daily.db").mkdir()
    (folder / "mlcards.db-20260102T000000Z-daily.db").symlink_to("nowhere")
    (folder / "mlcards.db-20260103T000000Z-daily.db").write_bytes(b"not sqlite")
    (folder / "mlcards.db-20260103T000000Z-daily.db.json").write_text("{not json")
    if sys.platform == "linux":
        (folder / os.fsdecode(b"mlcards.db-\xff\xfe.db")).write_text("x")
    for command in (["status"], ["backup", "list"], ["backup", "list", "--json"]):
        result = run(home, *command)
        assert result.code == 0, result.err
        no_traceback(result)
    listed = json.loads(run(home, "backup", "list", "--json").out)
    # the real manual and daily backups, after two junk files named like backups (by mtime)
    assert [(b["reason"], b["sound"]) for b in listed] == [
        ("daily", None),
        ("manual", None),
        ("manual", True),
        ("daily", True),
    ]
    result = run(home, "backup", "restore", "latest")
    assert result.code == 0, result.err
    assert "-manual.db" in result.out


def test_backup_list_columns_line_up(home: Path, db: Path) -> None:
    for _ in range(3):
        assert run(home, "backup", "create").code == 0
    assert run(home, "backup", "restore", "latest").code == 0  # adds a pre-restore copy
    lines = run(home, "backup", "list").out.splitlines()
    assert lines[0].split() == ["name", "created", "(UTC)", "size"]
    assert all(len(line) <= 80 for line in lines) and "-pre-restore.db" in lines[1]
    starts = {tuple(m.start() for m in re.finditer(r"(?<=  )\S", line)) for line in lines[1:]}
    assert len(starts) == 1, lines
    assert len({len(line) for line in lines}) == 1, lines


def test_restore_refuses_to_call_a_newer_database_damaged(home: Path, db: Path) -> None:
    assert run(home, "backup", "create").code == 0
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO migrations VALUES (99, 'from the future', 'then', '9.0.0')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    result = run(home, "backup", "restore", "latest")
    assert result.code == 78
    assert "needs mlcards >= 9.0.0" in result.err and "not restored" in result.err
    assert db.read_bytes() == before
    assert not list(home.glob("*.damaged-*"))


def test_restore_refuses_a_database_it_cannot_read(
    db: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    assert run(home, "backup", "create").code == 0
    backup = list_backups(db)[0]
    before = db.read_bytes()
    monkeypatch.setattr(restore.os, "access", lambda path, mode: Path(path) != db)
    with pytest.raises(StoreError, match="permission denied"):
        restore.restore_backup(db, backup)
    assert db.read_bytes() == before and not list(home.glob("*.damaged-*"))


def test_rotation_keeps_a_same_day_pre_restore_copy(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlcards.store import backups

    store = Store.open(db_path)
    store.decks.import_decks([toy_deck()], at("2026-03-01"))
    for when, reason in [
        ("2026-03-02T18:00:00+00:00", "pre-restore"),
        ("2026-03-02T18:05:00+00:00", "pre-import"),
        ("2026-03-20T09:00:00+00:00", "daily"),
    ]:  # real time, as backups see it
        monkeypatch.setattr(backups, "real_now", lambda when=when: datetime.fromisoformat(when))
        store.backups.create(reason)
    store.close()
    reasons = [b.reason for b in list_backups(db_path)]
    assert "pre-restore" in reasons  # a safety copy outlives same-day rotation


@pytest.mark.slow
def test_backups_of_a_similarly_named_database_are_not_ours(tmp_path: Path) -> None:
    home = tmp_path / "home"
    work = tmp_path / "mlcards-work.db"
    main = tmp_path / "mlcards.db"
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    for db in (work, main):
        assert mlcards(home, "--db", str(db), "import", str(deck))[0] == 0
    assert mlcards(home, "--db", str(work), "backup", "create")[0] == 0
    code, out, _ = mlcards(home, "--db", str(main), "backup", "list", "--json")
    assert json.loads(out) == []
    assert len(list_backups(work)) == 1


@pytest.mark.slow
def test_latest_skips_a_backup_that_is_not_sound(tmp_path: Path) -> None:
    home = tmp_path / "home"
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    assert mlcards(home, "import", str(deck))[0] == 0
    assert mlcards(home, "backup", "create")[0] == 0
    assert mlcards(home, "backup", "create")[0] == 0
    newest, older = list_backups(home / "mlcards.db")
    newest.path.write_bytes(b"not a database at all" * 100)
    code, out, err = mlcards(home, "backup", "restore", "latest")
    assert code == 0, err
    assert older.path.name in out
