"""Decks follow their files (issue 20, items 4 and 5): a deck file edited outside mlcards is
re-imported at the start of the next session; one that no longer loads is reported as
FILE:LINE and its deck kept; deck files in the data dir are recorded relative to it, so the
data dir can move."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from helpers import at, deck_yaml, mlcards, write

from mlcards.deck import load_deck
from mlcards.services.decks import follow_deck_files
from mlcards.store import Store

NOW = at("2026-03-01")


def _store(home: Path) -> Store:
    store = Store.open(home / "mlcards.db")
    store.home = home
    return store


def _touch_later(path: Path) -> None:
    """Give the file a new mtime even on a file system with coarse timestamps."""
    later = path.stat().st_mtime_ns + 2_000_000_000
    os.utime(path, ns=(later, later))


def _active(store: Store, deck_id: str) -> list[str]:
    rows = store.conn.execute(
        "SELECT id FROM cards WHERE deck_id = ? AND retired = 0 ORDER BY position", (deck_id,)
    )
    return [r[0] for r in rows]


def test_an_edited_file_is_reimported_and_a_broken_one_reported_until_fixed(
    isolated_home: Path, tmp_path: Path
) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml("toy", ("c1", "c2")))
    with _store(isolated_home) as store:
        store.decks.import_decks([load_deck(deck)], NOW)
        assert follow_deck_files(store, NOW) == ([], [])  # nothing changed: nothing said

        write(deck, deck_yaml("toy", ("c1", "c2", "c3")))
        _touch_later(deck)
        changed, warnings = follow_deck_files(store, NOW)
        assert warnings == []
        assert changed == ["toy.yaml changed: deck toy re-imported (1 added)."]
        assert _active(store, "toy") == ["c1", "c2", "c3"]
        assert follow_deck_files(store, NOW) == ([], [])  # recorded: said once

        write(deck, deck_yaml("toy", ("c1",)) + "  - id: [broken\n")
        _touch_later(deck)
        for _ in range(2):  # the next session says so again
            changed, warnings = follow_deck_files(store, NOW)
            assert changed == []
            (warning,) = warnings
            assert warning.startswith(f"{deck}:") and warning.split(":")[1].isdigit()
            assert "keeps its cards as they were" in warning
            assert _active(store, "toy") == ["c1", "c2", "c3"]

        write(deck, deck_yaml("toy", ("c1", "c2", "c3")))
        _touch_later(deck)
        assert follow_deck_files(store, NOW) == ([], [])  # back as imported: nothing to do


def test_a_touched_file_costs_one_hash_and_then_one_stat(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml("toy"))
    with _store(isolated_home) as store:
        store.decks.import_decks([load_deck(deck)], NOW)
        _touch_later(deck)
        assert follow_deck_files(store, NOW) == ([], [])
        import mlcards.deck

        def no_parse(*args: object, **kwargs: object) -> None:
            raise AssertionError("an unchanged file must not be parsed")

        monkeypatch.setattr(mlcards.deck, "load_deck", no_parse)
        assert follow_deck_files(store, NOW) == ([], [])
        (size, mtime), *_ = store.conn.execute("SELECT file_size, file_mtime_ns FROM decks")
        assert (size, mtime) == (deck.stat().st_size, deck.stat().st_mtime_ns)


def test_a_changed_deck_id_is_refused_and_the_deck_kept(
    isolated_home: Path, tmp_path: Path
) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml("toy"))
    with _store(isolated_home) as store:
        store.decks.import_decks([load_deck(deck)], NOW)
        write(deck, deck_yaml("other"))
        _touch_later(deck)
        changed, (warning,) = follow_deck_files(store, NOW)
        assert changed == [] and "its deck id is now 'other', was 'toy'" in warning
        assert store.decks.ids() == ["toy"]


def test_a_missing_file_says_where_it_looked(isolated_home: Path, tmp_path: Path) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml("toy"))
    with _store(isolated_home) as store:
        store.decks.import_decks([load_deck(deck)], NOW)
        deck.unlink()
        changed, (warning,) = follow_deck_files(store, NOW)
        assert str(deck) in warning and "missing" in warning
        assert _active(store, "toy") == ["c1", "c2", "c3"]


def test_twenty_decks_are_checked_in_a_few_milliseconds(
    isolated_home: Path, tmp_path: Path
) -> None:
    paths = [write(tmp_path / f"d{i}.yaml", deck_yaml(f"d{i}", ("c1", "c2"))) for i in range(20)]
    with _store(isolated_home) as store:
        store.decks.import_decks([load_deck(p) for p in paths], NOW)
        best = min(_timed(lambda: follow_deck_files(store, NOW)) for _ in range(5))
    print(f"20 decks checked in {best * 1000:.2f} ms")
    assert best < 0.05  # measured about 0.3 ms; generous for a loaded CI machine


def _timed(call: object) -> float:
    start = time.perf_counter()
    call()  # type: ignore[operator]
    return time.perf_counter() - start


def test_files_in_the_data_dir_are_recorded_relative_to_it(isolated_home: Path) -> None:
    (isolated_home / "converted").mkdir(parents=True)
    own = write(isolated_home / "converted" / "toy.yaml", deck_yaml("toy"))
    with _store(isolated_home) as store:
        store.decks.import_decks([load_deck(own)], NOW)
        assert store.conn.execute("SELECT path FROM decks").fetchone()[0] == "converted/toy.yaml"
        assert store.decks.paths() == {"toy": str(isolated_home / "converted" / "toy.yaml")}


def test_a_moved_data_dir_keeps_its_decks(tmp_path: Path) -> None:
    """`mv` of the whole data dir: re-import, the file check and `e`'s path all follow, and
    a database from before relative records (absolute paths into the old place) too."""
    old, new = tmp_path / "old-home", tmp_path / "new-home"
    (old / "decks").mkdir(parents=True)
    for name in ("mine", "legacy"):
        write(old / "decks" / f"{name}.yaml", deck_yaml(name))
        code, _, err = mlcards(old, "import", str(old / "decks" / f"{name}.yaml"))
        assert code == 0, err
    conn = sqlite3.connect(old / "mlcards.db")
    with conn:  # as an older mlcards recorded it
        legacy = str(old / "decks" / "legacy.yaml")
        conn.execute("UPDATE decks SET path = ? WHERE id = 'legacy'", (legacy,))
    conn.close()
    shutil.move(old, new)
    for name in ("mine", "legacy"):
        code, out, err = mlcards(new, "import", str(new / "decks" / f"{name}.yaml"))
        assert code == 0, err  # not refused as another file's deck
    with _store(new) as store:
        assert store.decks.paths() == {
            "mine": str(new / "decks" / "mine.yaml"),
            "legacy": str(new / "decks" / "legacy.yaml"),
        }
        card = store.cards.one("legacy", "c1")
        assert card is not None and card.path == str(new / "decks" / "legacy.yaml")  # for `e`
        assert follow_deck_files(store, NOW) == ([], [])
        target = new / "decks" / "mine.yaml"
        write(target, deck_yaml("mine", ("c1",)))
        _touch_later(target)
        changed, _ = follow_deck_files(store, NOW)
        assert changed == ["mine.yaml changed: deck mine re-imported (2 retired)."]


@pytest.mark.slow
def test_review_follows_edited_files_in_a_moved_data_dir(tmp_path: Path) -> None:
    """In a real terminal: the data dir moved, a deck file edited outside mlcards, a broken
    one; `review` says what it re-imported and which file does not load, then `e` edits the
    moved file and re-imports it."""
    import pexpect
    from pty_helpers import finish, spawn

    old, new = tmp_path / "old-home", tmp_path / "new-home"
    (old / "converted").mkdir(parents=True)
    toy = write(old / "converted" / "toy.yaml", deck_yaml("toy", ("c1", "c2")))
    other = write(old / "converted" / "other.yaml", deck_yaml("other", ("o1",)))
    for deck in (toy, other):
        assert mlcards(old, "import", str(deck))[0] == 0
    shutil.move(old, new)
    toy, other = new / "converted" / "toy.yaml", new / "converted" / "other.yaml"
    write(toy, deck_yaml("toy", ("c1", "c2", "c3")))
    write(other, deck_yaml("other", ("o1",)) + "  - id: [broken\n")
    editor = write(
        tmp_path / "editor.py",
        "import sys\nfrom pathlib import Path\npath = Path(sys.argv[2])\n"
        "path.write_text(path.read_text().replace('Question c1?', 'Edited c1?'))\n",
    )
    child = spawn(
        new, tmp_path, "--no-shuffle", "--deck", "toy", EDITOR=f"{sys.executable} {editor}"
    )
    child.expect("toy.yaml changed: deck toy re-imported \\(1 added\\)")
    child.expect(f"{other}:\\d+: ")
    child.expect("Question c1\\?")
    child.send("e")
    child.expect("Edited c1")
    child.expect("Re-imported toy.yaml")
    child.send("q")
    assert finish(child)[0] == 0
    child = spawn(new, tmp_path, "--deck", "toy")
    assert child.expect([f"{other}:\\d+: ", "toy.yaml changed", pexpect.TIMEOUT], timeout=10) == 0
    child.expect("don.t know")
    child.send("q")
    finish(child)


def test_decks_imported_before_the_stamps_are_checked_without_a_backup_each(
    isolated_home: Path, tmp_path: Path
) -> None:
    """After migration 13 no deck has a stamp: an unchanged file is stamped quietly (no
    import, no pre-import backup); a file whose cards changed meanwhile is re-imported."""
    from helpers import answer_card

    same = write(tmp_path / "same.yaml", deck_yaml("same"))
    edited = write(tmp_path / "edited.yaml", deck_yaml("edited"))
    with _store(isolated_home) as store:
        store.decks.import_decks([load_deck(same), load_deck(edited)], NOW)
        answer_card(store, "2026-03-01", "same", "c1", 4)  # history: imports back up first
        with store.write() as conn:
            conn.execute(
                "UPDATE decks SET file_size = NULL, file_mtime_ns = NULL, file_sha256 = NULL"
            )
        write(edited, deck_yaml("edited", ("c1",)))
        backups = len(list((isolated_home / "backups").glob("*pre-import.db")))
        changed, warnings = follow_deck_files(store, NOW)
        assert warnings == []
        assert changed == ["edited.yaml changed: deck edited re-imported (2 retired)."]
        assert _active(store, "edited") == ["c1"]
        assert len(list((isolated_home / "backups").glob("*pre-import.db"))) == backups + 1
        assert (
            store.conn.execute("SELECT count(*) FROM decks WHERE file_sha256 IS NULL").fetchone()[0]
            == 0
        )


def test_a_copied_data_dir_opens_its_own_files_not_the_old_ones(tmp_path: Path) -> None:
    """`cp -r` of a data dir whose database recorded absolute paths (an older mlcards): the
    copy's `e` and file check use the copy's files, never the original's."""
    old, new = tmp_path / "old-home", tmp_path / "new-home"
    (old / "decks").mkdir(parents=True)
    write(old / "decks" / "mine.yaml", deck_yaml("mine"))
    assert mlcards(old, "import", str(old / "decks" / "mine.yaml"))[0] == 0
    conn = sqlite3.connect(old / "mlcards.db")
    with conn:
        conn.execute("UPDATE decks SET path = ?", (str(old / "decks" / "mine.yaml"),))
    conn.close()
    shutil.copytree(old, new)
    with _store(new) as store:
        assert store.decks.paths() == {"mine": str(new / "decks" / "mine.yaml")}
        card = store.cards.one("mine", "c1")
        assert card is not None and card.path == str(new / "decks" / "mine.yaml")
