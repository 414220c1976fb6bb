"""An export or a converted deck never replaces the database, its journal or a backup
(reliability issue, item 11): exit 73, every byte left as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from helpers import DATA, deck_yaml, write
from helpers import mlcards_here as mlcards  # in this process: fast


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def home_with_db(isolated_home: Path, tmp_path: Path) -> Path:
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    assert mlcards(isolated_home, "import", str(deck))[0] == 0
    assert mlcards(isolated_home, "backup", "create")[0] == 0
    return isolated_home


@pytest.mark.parametrize(
    "args",
    [
        ("export", "reviews", "-o", "{db}"),
        ("export", "cards", "-o", "{db}"),
        ("export", "stats", "-o", "{db}"),
        ("export", "reviews", "-o", "{db}-wal"),
        ("export", "reviews", "-o", "{backup}"),
        ("convert", "{csv}", "-o", "{db}"),
    ],
)
def test_output_over_the_database_is_refused(
    home_with_db: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    db = home_with_db / "mlcards.db"
    backup = next((home_with_db / "backups").glob("*.db"))
    link = tmp_path / "innocent.csv"
    link.symlink_to(db)  # through a link, too
    csv = DATA / "formats" / "csv-mmlu.csv"
    before = {p: digest(p) for p in (db, backup)}
    filled = [a.format(db=db, backup=backup, csv=csv) for a in args]
    code, out, err = mlcards(home_with_db, *filled)
    assert code == 73, out + err
    assert "not written" in err
    assert {p: digest(p) for p in (db, backup)} == before
    code, _, err = mlcards(home_with_db, "export", "reviews", "-o", str(link))
    assert code == 73 and digest(db) == before[db]
    assert mlcards(home_with_db, "check")[0] == 0
