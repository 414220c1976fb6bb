"""Every action key, before and after an answer, on a card that comes back the same day.

A flag, an edit or a refresh hands the screen a new copy of the card on screen; the session
must still know it as the card it is answering (the crash of the daily-loop issue, item 1).
Driven in a real pseudo-terminal, judged by the screen, the exit code and `mlcards check`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pexpect
import pytest
from helpers import deck_yaml, write
from pty_helpers import finish, import_deck, reviews, run_cli, screen, spawn

pytestmark = pytest.mark.slow

DAY1 = "2026-03-01T09:00:00+00:00"
EDITOR = (  # each call changes c1: its question first, then its explanation
    "import re, sys\n"
    "from pathlib import Path\n"
    "path = Path(sys.argv[2])\n"
    "count = Path(str(path) + '.count')\n"
    "n = int(count.read_text()) if count.exists() else 0\n"
    "count.write_text(str(n + 1))\n"
    "text = path.read_text()\n"
    "text = text.replace('Question c1?', 'Question c1? (edited)', 1) if n == 0 else\\\n"
    "    re.sub(r'Because\\d*\\.', 'Because%d.' % n, text, count=1)\n"
    "path.write_text(text)\n"
)


def question(child: pexpect.spawn, seen: str = "") -> str:
    """Wait for a question screen (its footer offers "don't know") and say which card;
    ``seen`` is the part of the screen an earlier expect already read."""
    while not re.search(r"Question (c\d)\?", seen):
        child.expect("don't know")
        seen = screen(child)
    return re.findall(r"Question (c\d)\?", seen)[-1]


def before_answer(child: pexpect.spawn, key: str) -> None:
    """Press ``key`` on c1's question screen and bring c1 back to the screen."""
    if key == "d":
        return  # d is the answer itself (don't know): pressed below
    child.send(key)
    if key in ("s", "b"):
        child.expect("u takes it back")
        child.send("u")
    elif key == "?":
        child.expect("any key to go back")
        child.send("x")
    elif key == "e":
        child.expect("Re-imported")
    elif key == "u":
        child.expect(r"Nothing to undo|Undone")
        if child.match.group(0) == "Undone":  # the answer before was taken back: give it again
            question(child, screen(child))
            child.send("1")
            child.expect("Rate it")
            child.send("4")
            assert question(child) == "c1"
            return
    elif key == "f":
        child.expect("Why flag it")
        child.send("\r")  # no note
        child.expect("Flagged for editing")
    assert question(child, screen(child) if key in ("e", "u", "f") else "") == "c1"


def after_answer(child: pexpect.spawn, key: str, wrong: bool) -> None:
    """Press ``key`` on c1's answer screen (d is no key there, and must do nothing)."""
    if key in ("f", "d"):
        child.send(key)
    elif key == "e":
        child.send("e")
        child.expect("Re-imported")
    elif key == "?":
        child.send("?")
        child.expect("any key to go back")
        child.send("x")
    elif key == "u" and wrong:
        child.send("u")  # the wrong answer is taken back: answer it wrong once more
        assert question(child) == "c1"
        child.send("2")
        child.expect("Enter continue")


@pytest.mark.parametrize("key", ["f", "e", "s", "b", "u", "d", "?"])
def test_a_card_that_repeats_survives_every_action_key(
    isolated_home: Path, tmp_path: Path, key: str
) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml(cards=("c1", "c2", "c3")))
    import_deck(isolated_home, tmp_path, deck)
    editor = write(tmp_path / "editor.py", EDITOR)
    child = spawn(
        isolated_home,
        tmp_path,
        "--no-shuffle",
        "--new",
        "3",
        MLCARDS_NOW=DAY1,
        EDITOR=f"{sys.executable} {editor}",
    )
    assert question(child) == "c1"
    before_answer(child, key)
    child.send("d" if key == "d" else "2")  # wrong: c1 comes back today
    child.expect("Enter continue")
    after_answer(child, key, wrong=True)
    child.send("\r")
    assert question(child) == "c2"
    child.send("2")  # wrong too, so c1's repeat is not the last card left
    child.expect("Enter continue")
    child.send("\r")
    assert question(child) == "c3"
    child.send("1")
    child.expect("Rate it")
    child.send("4")
    assert question(child) == "c1"  # the repeat
    before_answer(child, key)
    child.send("1")
    child.expect("Rate it")
    after_answer(child, key, wrong=False)
    child.send("\r" if key == "e" else "4")  # e saved the pending answer as good (4)
    assert question(child) == "c2"
    child.send("1")
    child.expect("Rate it")
    child.send("4")
    child.expect("Answered")
    code, text = finish(child)
    assert code == 0, text
    assert "internal error" not in text
    rows = reviews(isolated_home)
    assert [(r["card_id"], bool(r["correct"])) for r in rows][-5:] == [
        ("c1", False),
        ("c2", False),
        ("c3", True),
        ("c1", True),
        ("c2", True),
    ]
    code, out = run_cli(isolated_home, tmp_path, "check", now=DAY1)
    assert code == 0, out
