"""Loading decks from hostile places (issue 15): only regular files are read (no device,
FIFO or symlink loop hangs or fills memory), folder walks are bounded, and line numbers stay
right whatever the line endings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import HOSTILE, deck_yaml, no_traceback, write
from helpers import run_child as run

from mlcards.deck import load_decks
from mlcards.deckfiles import read_regular_file
from mlcards.errors import DeckError


@pytest.mark.slow
def test_cr_only_line_endings_report_the_right_lines(home: Path) -> None:
    result = run(home, "import", str(HOSTILE / "cr-only-line-endings.yaml"))
    assert result.code == 65
    assert "cr-only-line-endings.yaml:11: card 'c1': answer 'nope'" in result.err
    assert "cr-only-line-endings.yaml:13: card 'c1': tag 'Not A Slug'" in result.err


@pytest.fixture
def deck_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    write(folder / "good.yaml", deck_yaml("good"))
    return folder


@pytest.mark.slow
def test_a_symlink_to_dev_zero_is_refused_not_read(home: Path, db: Path, deck_folder: Path) -> None:
    (deck_folder / "zero.yaml").symlink_to("/dev/zero")
    before = db.read_bytes()
    result = run(home, "import", str(deck_folder), timeout=30)
    assert result.code == 65
    assert f"{deck_folder / 'zero.yaml'}:1: cannot read: a device, not a regular file" in result.err
    assert db.read_bytes() == before


@pytest.mark.slow
def test_a_fifo_in_a_deck_folder_is_refused_without_hanging(
    home: Path, db: Path, deck_folder: Path
) -> None:
    os.mkfifo(deck_folder / "pipe.yaml")
    before = db.read_bytes()
    result = run(home, "import", str(deck_folder), timeout=30)
    assert result.code == 65
    assert "pipe.yaml:1: cannot read: a named pipe (FIFO), not a regular file" in result.err
    result = run(home, "import", str(deck_folder / "pipe.yaml"), timeout=30)
    assert result.code == 65 and "a named pipe (FIFO)" in result.err
    assert db.read_bytes() == before


@pytest.mark.slow
def test_a_self_referencing_symlink_is_a_clear_problem(
    home: Path, db: Path, deck_folder: Path
) -> None:
    (deck_folder / "loop.yaml").symlink_to("loop.yaml")
    before = db.read_bytes()
    for target in (deck_folder, deck_folder / "loop.yaml"):
        result = run(home, "import", str(target))
        assert result.code == 65, result.err
        no_traceback(result)
        assert "loop.yaml:1: cannot read: a symlink loop" in result.err
    assert db.read_bytes() == before


@pytest.mark.slow
def test_a_symlink_loop_between_folders_reads_each_folder_once(
    home: Path, deck_folder: Path, tmp_path: Path
) -> None:
    (deck_folder / "sub").mkdir()
    write(deck_folder / "sub" / "inner.yaml", deck_yaml("inner"))
    (deck_folder / "sub" / "up").symlink_to("..")  # sub/up/sub/up/... back to the top
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write(elsewhere / "linked.yaml", deck_yaml("linked"))
    (deck_folder / "linked").symlink_to(elsewhere)  # a symlinked subfolder is read
    result = run(home, "import", "--json", str(deck_folder))
    assert result.code == 0, result.err
    decks = [d["deck"] for d in json.loads(result.out)["decks"]]
    assert sorted(decks) == ["good", "inner", "linked"]


def test_an_unreadable_subfolder_is_reported(
    deck_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (deck_folder / "private").mkdir()
    write(deck_folder / "private" / "secret.yaml", deck_yaml("secret"))
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "private":  # as for a folder of mode 000 (tests may run as root)
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(DeckError) as error:
        load_decks([deck_folder])
    assert error.value.problems == [
        f"{deck_folder / 'private'}: cannot read this folder: Permission denied"
    ]


@pytest.mark.slow
def test_import_of_the_root_folder_stops_with_a_clear_message(home: Path) -> None:
    result = run(home, "import", "/", timeout=120)
    assert result.code == 2
    assert "/: more than 10,000 folders to search for decks" in result.err
    assert not (home / "mlcards.db").exists()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
def test_reads_stop_at_the_cap_whatever_st_size_says() -> None:
    maps = Path("/proc/self/maps")
    assert maps.stat().st_size == 0  # a regular file that says it is empty
    with pytest.raises(DeckError) as error:
        read_regular_file(maps, max_bytes=64)
    assert error.value.problems == [f"{maps}:1: file grew past the 64-byte limit while read"]
