"""The schema the migrations make, against a copy kept here (``tests/data/schema.txt``).

A released migration must make the same tables and indexes forever: a database made before
a change and one made after must not differ, or ``check`` would find the older one damaged.
The migrations keep their DDL as literals (``store/migrations.py``), not in the modules
that use the tables; this test catches an edit to them. A new migration changes the schema
on purpose: write the file again with ``MLCARDS_WRITE_SCHEMA=1 pytest`` this test.
"""

from __future__ import annotations

import os
from pathlib import Path

from mlcards.store import Store

SNAPSHOT = Path(__file__).resolve().parent.parent / "data" / "schema.txt"


def schema(store: Store) -> str:
    rows = store.conn.execute(  # (not SQLite's own tables, nor the ones FTS5 makes itself)
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE TABLE ''%' ORDER BY type, name"
    )
    return "".join(f"{kind} {name} on {table}\n{sql}\n\n" for kind, name, table, sql in rows)


def test_the_migrations_make_the_schema_kept_here(db_path: Path) -> None:
    store = Store.open(db_path)
    made = schema(store)
    store.close()
    if os.environ.get("MLCARDS_WRITE_SCHEMA"):
        SNAPSHOT.write_text(made, encoding="utf-8")
    assert made == SNAPSHOT.read_text(encoding="utf-8")
