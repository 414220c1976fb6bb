"""In a real terminal, ``mlcards review`` draws its first question before rich is imported
(``render/first.py``), byte for byte what rich draws when it draws that frame itself, and
the loop does not draw it a second time."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect
import pytest
from helpers import deck_yaml, write
from pty_helpers import env, finish, import_deck, question

WATCHED = """
import sys
seen = []

class Watch:
    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        if "don't know" in text:
            seen.append("rich" in sys.modules)
        return self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)

sys.stdout = Watch(sys.stdout)
sys.argv = ["mlcards", "review", "--no-shuffle"]
try:
    from mlcards.launch import main
    main()
finally:
    sys.stdout = sys.stdout.stream
    with open(sys.argv_file, "w") as out:
        out.write(repr(seen))
"""


def spawn(home: Path, cwd: Path, code: str, **extra: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-c", code],
        cwd=str(cwd),
        env=env(home, **extra),
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=30,
    )


def first_frame(home: Path, cwd: Path, **extra: str) -> tuple[str, str]:
    """The review's output up to its first footer, and whether rich was loaded when each
    frame with a footer was written (``WATCHED``)."""
    record = cwd / "seen.txt"
    child = spawn(home, cwd, WATCHED.replace("sys.argv_file", repr(str(record))), **extra)
    assert question(child) == "c1"
    child.expect("q quit")
    shown = child.before + child.after
    child.send("q")
    assert finish(child)[0] == 0
    return shown, record.read_text()


@pytest.mark.slow
def test_the_first_question_is_drawn_once_before_rich_loads_as_rich_draws_it(
    isolated_home: Path, tmp_path: Path
) -> None:
    import_deck(isolated_home, tmp_path, write(tmp_path / "toy.yaml", deck_yaml()))
    fast, loaded = first_frame(isolated_home, tmp_path)
    assert loaded == "[False]"  # one frame with the footer, written before rich was loaded
    # COLUMNS and LINES (the terminal's own size here) leave the frame to rich
    drawn, loaded = first_frame(isolated_home, tmp_path, COLUMNS="80", LINES="24")
    assert loaded == "[True]"
    assert fast == drawn
