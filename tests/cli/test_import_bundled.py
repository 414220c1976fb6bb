"""`mlcards import --bundled` (issue 20, item 6): a database that started with the learner's
own deck gets the bundled decks later, and the empty messages say how."""

from __future__ import annotations

from pathlib import Path

from helpers import deck_yaml, mlcards, write

from mlcards.bundled import bundled_deck_files


def test_bundled_decks_join_a_database_that_started_with_my_own(
    isolated_home: Path, tmp_path: Path
) -> None:
    mine = write(tmp_path / "mine.yaml", deck_yaml("mine"))
    assert mlcards(isolated_home, "import", str(mine))[0] == 0
    code, out, err = mlcards(isolated_home, "status", "--json")
    assert code == 0

    code, out, err = mlcards(isolated_home, "import", "--bundled", "--dry-run")
    assert code == 0, err
    assert not (isolated_home / "decks").exists()  # a dry run writes no copies either

    code, out, err = mlcards(isolated_home, "import", "--bundled")
    assert code == 0, err
    shipped = bundled_deck_files()
    copies = sorted(p.name for p in (isolated_home / "decks").glob("*.yaml"))
    assert copies == sorted(p.name for p in shipped)
    import json

    code, out, _ = mlcards(isolated_home, "status", "--json")
    ids = [d["id"] for d in json.loads(out)["decks"]]
    assert ids[0] == "mine" and "batchnorm" in ids and len(ids) == 1 + len(shipped)

    code, out, err = mlcards(isolated_home, "import", "--bundled")  # again: nothing changes
    assert code == 0, err


def test_import_wants_paths_or_bundled(isolated_home: Path) -> None:
    code, _, err = mlcards(isolated_home, "import")
    assert code == 2 and "--bundled" in err


def test_the_empty_messages_mention_import_bundled(isolated_home: Path, tmp_path: Path) -> None:
    code, out, _ = mlcards(isolated_home, "status")
    assert "mlcards import --bundled" in out.replace("\n", " ")
    from datetime import date

    from mlcards.config import Settings
    from mlcards.services.study import why_nothing_to_review
    from mlcards.store import Store

    mine = write(tmp_path / "mine.yaml", deck_yaml("mine"))
    assert mlcards(isolated_home, "import", str(mine))[0] == 0
    with Store.open(isolated_home / "mlcards.db") as store:
        why = why_nothing_to_review(store, Settings(), date(2026, 3, 1))
    assert "mlcards import --bundled" in why
