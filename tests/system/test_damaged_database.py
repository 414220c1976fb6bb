"""A database file that is not a sound mlcards database (zero bytes, truncated, damaged,
another program's, a malformed row): refused with exit 74 and a way out, never changed."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pexpect
import pytest
from helpers import (
    HOSTILE,
    big_deck_yaml,
    deck_yaml,
    mlcards,
    review_count,
    subprocess_env,
    write,
)
from helpers import run_child as run
from pty_helpers import spawn_mlcards

from mlcards.store import list_backups

pytestmark = pytest.mark.slow  # the real command in child processes

NOT_MLCARDS = "not an mlcards database"


COMMANDS = [
    ["status"],
    ["status", "--json"],
    ["stats"],
    ["flagged"],
    ["check"],
    ["export", "reviews"],
    ["backup", "create"],
    ["unflag", "toy/c1"],
    ["practice"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_zero_byte_database_is_refused_and_left_empty(
    home: Path, tmp_path: Path, command: list[str]
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run(home, "--db", str(empty), *command)
    assert result.code in (74, 1) if command == ["practice"] else result.code == 74
    if command != ["practice"]:  # practice needs a terminal first
        assert f"{empty}: {NOT_MLCARDS} (the file is empty)" in result.err
        assert "backup restore latest" in result.err
    assert empty.read_bytes() == b""


def test_import_and_review_refuse_a_zero_byte_database(home: Path, tmp_path: Path) -> None:
    empty = home / "mlcards.db"
    home.mkdir()
    empty.touch()
    result = run(home, "import", str(write(tmp_path / "t.yaml", deck_yaml())))
    assert result.code == 74 and NOT_MLCARDS in result.err
    child = spawn_mlcards(
        "review",
        env=subprocess_env(home),
        dimensions=(40, 80),
        encoding="utf-8",
        timeout=30,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 74
    assert NOT_MLCARDS in child.before and "No decks yet" not in child.before
    assert empty.read_bytes() == b""
    assert not (home / "backups").exists()


def test_a_truncated_copy_is_refused_and_left_as_it_is(
    home: Path, db: Path, tmp_path: Path
) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = db.read_bytes()
    for size in (50, 4096, len(data) // 2):
        cut = tmp_path / f"cut-{size}.db"
        cut.write_bytes(data[:size])
        for command in (["status"], ["import", str(HOSTILE / "markup-in-title.yaml")]):
            result = run(home, "--db", str(cut), *command)
            assert result.code == 74, (size, result.err)
            assert NOT_MLCARDS in result.err and "truncated" in result.err
        assert cut.read_bytes() == data[:size]


def test_restore_latest_puts_back_a_backup_over_a_zero_byte_database(home: Path, db: Path) -> None:
    assert run(home, "backup", "create").code == 0
    db.write_bytes(b"")
    result = run(home, "backup", "restore", "latest")
    assert result.code == 0, result.err
    assert "the damaged database was kept as" in result.out
    assert review_count(db) == 1
    assert [p.stat().st_size for p in home.glob("mlcards.db.damaged-*")] == [0]


def test_a_malformed_study_day_is_reported_by_check(home: Path, db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER reviews_append_only_update")
    conn.execute("UPDATE reviews SET study_day = '2026-13-99'")
    conn.commit()
    conn.close()
    result = run(home, "check")
    assert result.code == 74
    assert "integrity: reviews 1: study_day is not a date" in result.out
    result = run(home, "check", "--json")
    assert result.code == 74
    assert json.loads(result.out)["integrity"] == [
        "the trigger reviews_append_only_update is missing",
        "reviews 1: study_day is not a date",
    ]


def test_a_damaged_page_gives_exit_74_and_restore_by_name_works(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = home / "mlcards.db"
    deck = write(tmp_path / "big.yaml", big_deck_yaml("big", 400))
    assert mlcards(home, "import", str(deck))[0] == 0
    assert mlcards(home, "backup", "create")[0] == 0
    size = db.stat().st_size
    assert size > 40_000
    with open(db, "r+b") as f:
        f.seek(20480)
        f.write(os.urandom(min(12288, size - 20480)))
    for command in (["status", "--json"], ["stats", "--json"], ["export", "reviews"]):
        code, _, err = mlcards(home, *command)
        assert code in (0, 74), err  # depends on which pages the command reads
        assert "internal error" not in err and "Traceback" not in err
    code, out, err = mlcards(home, "check")
    assert code == 74, out + err
    assert "internal error" not in err and "backup restore latest" in err
    code, out, err = mlcards(home, "check", "--json")
    assert code == 74, out + err
    assert json.loads(out)["ok"] is False and json.loads(out)["integrity"]
    name = list_backups(db)[0].path.name
    code, out, err = mlcards(home, "backup", "restore", name)
    assert code == 0, err
    assert "damaged database was kept" in out
    code, out, _ = mlcards(home, "status", "--json")
    assert code == 0 and json.loads(out)["totals"]["cards"] == 400


def test_another_programs_sqlite_file_is_refused_unchanged(tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    code, _, err = mlcards(tmp_path / "home", "--db", str(other), "status")
    assert code == 74 and "another program" in err
    assert other.read_bytes() == before
