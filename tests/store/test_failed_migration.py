"""A migration that fails: the database stays at the schema it had, the error says which
step failed, and the copy made before it is dropped again when nothing was applied (a
migration failing at every start must not leave a whole copy of the database each time);
it is kept when earlier steps were applied."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mlcards.errors import MlcardsError
from mlcards.store import Store, list_backups, migrations
from mlcards.store import db as store_db

OLD = 13  # the schema of a database made by mlcards with 13 migrations


def old_database(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(store_db, "MIGRATIONS", migrations.MIGRATIONS[:OLD])
        patch.setattr(store_db, "SCHEMA_VERSION", OLD)
        Store.open(db_path).close()


def version(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return int(conn.execute("SELECT max(id) FROM migrations").fetchone()[0])
    finally:
        conn.close()


def test_a_first_step_that_fails_leaves_the_database_and_no_copy(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_database(db_path, monkeypatch)
    conn = sqlite3.connect(db_path)  # what migration 14 makes, there already
    conn.execute("CREATE TABLE card_text_keys (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    for _ in range(3):  # every start of mlcards tries again
        with pytest.raises(MlcardsError) as failed:
            Store.open(db_path)
        message = str(failed.value)
        assert "card_text_keys already exists" in message
        assert 'schema 14, "full-text index of card text", failed' in message
        assert f"left at schema {OLD}" in message
        assert version(db_path) == OLD
        assert list_backups(db_path) == []


def test_a_later_step_that_fails_keeps_the_copy_from_before(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_database(db_path, monkeypatch)
    broken = migrations.Migration(
        20, "a step that fails", lambda db: db.execute("SELECT * FROM no_such_table")
    )
    steps = (*migrations.MIGRATIONS[:19], broken)
    with monkeypatch.context() as patch:
        patch.setattr(store_db, "MIGRATIONS", steps)
        patch.setattr(store_db, "SCHEMA_VERSION", 20)
        with pytest.raises(MlcardsError, match="left at schema 19"):
            Store.open(db_path)
    assert version(db_path) == 19  # steps 14 to 19 were applied, each in its transaction
    (copy,) = list_backups(db_path)
    assert copy.reason == "pre-migration" and version(copy.path) == OLD
    with Store.open(db_path) as store:  # the real migrations go on from 19
        assert store.schema_version() == migrations.SCHEMA_VERSION
    assert [b.reason for b in list_backups(db_path)] == ["pre-migration", "pre-migration"]


def test_a_step_another_mlcards_applied_meanwhile_is_not_applied_again(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two mlcards open an old database at once: the second read the schema version before
    the first applied a step. Each step's transaction asks the stored version again, so the
    second goes on from where the first got to instead of failing on a table made twice."""
    with monkeypatch.context() as patch:  # the first mlcards got as far as schema 14
        patch.setattr(store_db, "MIGRATIONS", migrations.MIGRATIONS[: OLD + 1])
        patch.setattr(store_db, "SCHEMA_VERSION", OLD + 1)
        Store.open(db_path).close()
    with monkeypatch.context() as patch:  # the second read 13 before that
        patch.setattr(store_db.Database, "schema_version", lambda self: OLD)
        Store.open(db_path).close()
    assert version(db_path) == migrations.SCHEMA_VERSION
    with Store.open(db_path) as store:
        assert store.health_problems() == []
