"""A read-only file system gives each command its documented exit code and message, never an
internal error (reliability issue, item 5). Needs root to mount a tmpfs; skipped elsewhere."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import deck_yaml, write
from helpers import mlcards_here as mlcards  # in this process: fast


def _mount(point: Path, *options: str) -> bool:
    done = subprocess.run(["mount", *options, point], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def read_only_home(tmp_path: Path) -> Iterator[Path]:
    point = tmp_path / "ro"
    point.mkdir()
    if os.geteuid() != 0 or not _mount(point, "-t", "tmpfs", "-o", "size=20m", "tmpfs"):
        pytest.skip("mounting a tmpfs needs root")
    try:
        home = point / "home"
        deck = write(tmp_path / "toy.yaml", deck_yaml())
        assert mlcards(home, "import", str(deck))[0] == 0
        assert mlcards(home, "backup", "create")[0] == 0
        assert _mount(point, "-o", "remount,ro")
        yield home
    finally:
        subprocess.run(["umount", "-l", point], capture_output=True)


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        (("config", "set", "new_per_day", "5"), (73,)),
        (("config", "set", "scheduler", "fsrs"), (73, 74)),
        (("backup", "create"), (73, 74)),
        (("import", "{deck}"), (73, 74)),
        (("backup", "restore", "latest"), (73, 74)),
        (("export", "reviews", "-o", "{home}/out.csv"), (73, 74)),
    ],
    ids=["config", "scheduler", "backup", "import", "restore", "export"],
)
def test_a_read_only_file_system_is_a_clear_error(
    read_only_home: Path, tmp_path: Path, args: tuple[str, ...], codes: tuple[int, ...]
) -> None:
    deck = write(tmp_path / "new.yaml", deck_yaml("other"))
    filled = [a.format(deck=deck, home=read_only_home) for a in args]
    code, out, err = mlcards(read_only_home, *filled)
    assert code in codes, out + err
    assert "internal error" not in err and "Traceback" not in err
    assert "read-only" in err.lower() or "cannot write" in err.lower(), err
