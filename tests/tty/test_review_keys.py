"""Every review key in a real pseudo-terminal, checked on screen and in the database."""

from __future__ import annotations

import re
import shlex
import sqlite3
import sys
from pathlib import Path

import pexpect
import pytest
from helpers import deck_yaml, mlcards_argv, write
from pty_helpers import (
    cards,
    env,
    finish,
    first_question,
    import_deck,
    one_review,
    question,
    review,
    reviews,
    run_cli,
    screen,
    spawn,
)

pytestmark = pytest.mark.slow  # every test drives `mlcards review` in a pseudo-terminal

DAY1 = "2026-03-01T09:00:00+00:00"
DAY2 = "2026-03-02T09:00:00+00:00"
DAY3 = "2026-03-03T09:00:00+00:00"


TOY_CARDS = ("c1", "c2", "c3", "c4")  # the ``toy`` fixture's cards (tests/conftest.py)


def test_undo_takes_back_answers_one_by_one(isolated_home: Path, tmp_path: Path, toy: Path) -> None:
    child = review(isolated_home, tmp_path)
    assert question(child) == "c1"
    child.send("1")
    child.expect("Rate it")
    child.send("4")
    assert question(child) == "c2"
    child.send("2")  # wrong
    child.expect("Enter continue")
    child.send("\r")
    assert question(child) == "c3"
    assert len(reviews(isolated_home)) == 2
    child.send("u")
    assert question(child) == "c2"
    child.expect("Undone")
    assert len(reviews(isolated_home)) == 1
    child.send("u")
    assert question(child) == "c1"
    assert reviews(isolated_home) == []
    assert cards(isolated_home)["c1"]["due"] is None  # new again
    child.send("u")
    child.expect("Nothing to undo")
    child.send("1")
    child.expect("Rate it")
    child.send("5")
    assert question(child) == "c2"
    child.send("q")
    row = one_review(child, isolated_home)
    assert (row["card_id"], row["quality"]) == ("c1", 5)


def test_suspend_until_unsuspended(isolated_home: Path, tmp_path: Path, toy: Path) -> None:
    child = review(isolated_home, tmp_path)
    assert question(child) == "c1"
    child.send("s")
    assert question(child) == "c2"
    child.expect("Suspended toy/c1")
    child.send("q")
    assert finish(child)[0] == 0
    assert cards(isolated_home)["c1"]["suspended"] == 1
    code, out = run_cli(isolated_home, tmp_path, "suspended")
    assert code == 0 and "toy/c1" in out
    assert first_question(isolated_home, tmp_path, now=DAY3) == "c2"  # still out of every queue
    assert run_cli(isolated_home, tmp_path, "unsuspend", "toy/c1")[0] == 0
    assert first_question(isolated_home, tmp_path, now=DAY3) == "c1"


def test_bury_hides_the_card_until_the_next_study_day(
    isolated_home: Path, tmp_path: Path, toy: Path
) -> None:
    child = review(isolated_home, tmp_path)
    assert question(child) == "c1"
    child.send("b")
    assert question(child) == "c2"
    child.expect("Buried toy/c1 until tomorrow")
    child.send("q")
    finish(child)
    assert first_question(isolated_home, tmp_path) == "c2"
    assert first_question(isolated_home, tmp_path, now=DAY2) == "c1"


def test_flag_lists_the_card_with_its_file_and_line(
    isolated_home: Path, tmp_path: Path, toy: Path
) -> None:
    child = review(isolated_home, tmp_path)
    question(child)
    child.send("f")
    child.expect("Why flag it")
    child.send("Beta is ")
    child.send("\x7f")  # backspace
    child.send("\x7f\x7fis Right too\x1b[D")  # an arrow key is no text
    child.expect("Beta is Right too")
    child.send("\r")
    child.expect("Flagged for editing")
    child.expect("flagged")  # in the header
    child.send("2")  # wrong
    child.expect("Enter continue")
    child.send("f")  # on the answer screen it takes the flag off, asking nothing
    child.expect("Flag removed")
    child.send("u")  # and back on, with its note
    child.expect("flagged again")
    child.send("\r")
    assert question(child) == "c2"
    child.send("f")
    child.expect("Why flag it")
    child.send("no\x1b")  # Esc: no flag after all
    child.expect("Not flagged")
    child.send("q")
    finish(child)
    code, out = run_cli(isolated_home, tmp_path, "flagged")
    assert code == 0
    assert "toy/c1" in out and f"{toy.resolve()}:4" in out
    assert "note: Beta is Right too" in out and "toy/c2" not in out
    assert cards(isolated_home)["c1"]["flag_note"] == "Beta is Right too"
    assert run_cli(isolated_home, tmp_path, "unflag", "toy/c1")[0] == 0
    assert "No flagged cards" in run_cli(isolated_home, tmp_path, "flagged")[1]


def test_edit_opens_the_editor_at_the_card_and_reimports(
    isolated_home: Path, tmp_path: Path, toy: Path
) -> None:
    editor = write(
        tmp_path / "editor.py",
        "import sys\n"
        "from pathlib import Path\n"
        "line, path = sys.argv[1], Path(sys.argv[2])\n"
        "Path(sys.argv[2] + '.line').write_text(line)\n"
        "path.write_text(path.read_text().replace('Question c1?', 'Edited question one?'))\n",
    )
    child = review(isolated_home, tmp_path, EDITOR=f"{sys.executable} {editor}")
    assert question(child) == "c1"
    child.send("e")
    child.expect("Edited question one")
    child.expect("Re-imported toy.yaml")
    assert Path(str(toy) + ".line").read_text() == "+4"
    child.send("1")
    child.expect("Rate it")
    child.send("4")
    question(child)
    child.send("q")
    assert finish(child)[0] == 0
    assert "Edited question one?" in str(cards(isolated_home)["c1"]["content"])
    (row,) = reviews(isolated_home)
    assert row["card_id"] == "c1"


def test_question_mark_shows_every_key(isolated_home: Path, tmp_path: Path, toy: Path) -> None:
    child = review(isolated_home, tmp_path)
    question(child)
    child.send("?")
    child.expect("any key to go back")
    help_screen = screen(child)
    for key in ("undo", "suspend", "bury", "flag", "edit", "end the session"):
        assert key in help_screen
    child.send("x")
    assert question(child) == "c1"
    child.send("q")
    assert finish(child)[0] == 0


def test_practice_is_labelled_logged_and_leaves_the_schedule(
    isolated_home: Path, tmp_path: Path, toy: Path
) -> None:
    child = review(isolated_home, tmp_path, "--limit", "1")
    question(child)
    child.send("1")
    child.expect("Rate it")
    child.send("4")
    finish(child)
    before = cards(isolated_home)["c1"]
    practice = spawn(isolated_home, tmp_path, "--no-shuffle", command="practice", MLCARDS_NOW=DAY1)
    practice.expect("PRACTICE")
    assert question(practice) == "c1"
    practice.send("2")
    practice.expect("Enter continue")
    practice.send("q")
    assert finish(practice)[0] == 0
    rows = reviews(isolated_home)
    assert [(r["mode"], r["quality"]) for r in rows] == [("review", 4), ("practice", 1)]
    after = cards(isolated_home)["c1"]
    for column in ("repetitions", "easiness", "interval", "due", "lapses", "last_review_id"):
        assert after[column] == before[column], column
    wrong_only = spawn(
        isolated_home, tmp_path, "--wrong-only", command="practice", MLCARDS_NOW=DAY1
    )
    assert question(wrong_only) == "c1"  # its last answer (in practice) was wrong
    wrong_only.send("q")
    finish(wrong_only)


def test_eighth_lapse_tags_a_leech_or_suspends_it(
    isolated_home: Path, tmp_path: Path, toy: Path
) -> None:
    db = isolated_home / "mlcards.db"
    conn = sqlite3.connect(db)
    conn.execute(
        "UPDATE cards SET repetitions = 3, interval = 10, due = '2026-02-20', lapses = 7, "
        "last_review_day = '2026-02-10' WHERE id IN ('c1', 'c2')"
    )
    conn.commit()
    conn.close()
    child = review(isolated_home, tmp_path, "--limit", "1")
    assert question(child) == "c1"
    child.send("2")
    child.expect("lapsed 8 times")
    child.expect("tagged as a leech")
    child.send("q")
    finish(child)
    assert (cards(isolated_home)["c1"]["leech"], cards(isolated_home)["c1"]["suspended"]) == (1, 0)
    assert "toy/c1" in run_cli(isolated_home, tmp_path, "leeches")[1]
    second = review(isolated_home, tmp_path, "--deck", "toy", "--suspend-leeches", now=DAY2)
    assert question(second) == "c2"
    second.send("2")
    second.expect("suspended as a leech")
    second.send("\r")
    question(second)
    second.send("q")
    finish(second)
    assert cards(isolated_home)["c2"]["suspended"] == 1


def test_limits_and_tag_filter_across_simulated_days(isolated_home: Path, tmp_path: Path) -> None:
    deck = deck_yaml(cards=("c1", "c2", "c3", "c4", "c5"))
    deck = deck.replace("tags: [testing]", "tags: [testing, odd]", 1)  # only c1 is 'odd'
    import_deck(isolated_home, tmp_path, write(tmp_path / "toy.yaml", deck))
    assert run_cli(isolated_home, tmp_path, "config", "set", "new_per_day", "2")[0] == 0
    tagged = review(isolated_home, tmp_path, "--tag", "odd")
    assert question(tagged) == "c1"
    tagged.expect("1 of 1")
    tagged.send("1")
    tagged.expect("Rate it")
    tagged.send("4")
    tagged.expect("Session complete")
    finish(tagged)
    day1 = review(isolated_home, tmp_path)
    assert question(day1) == "c2"  # one new card left of today's two
    day1.expect("1 of 1")
    day1.send("1")
    day1.expect("Rate it")
    day1.send("4")
    assert finish(day1)[0] == 0
    again = review(isolated_home, tmp_path)
    said = " ".join(finish(again)[1].split())  # says why, not just "nothing" (issue 14)
    assert "Nothing to review now. Today's 2 new cards are done (3 more wait)" in said
    assert "Next review: tomorrow" in said
    day2 = review(isolated_home, tmp_path, now=DAY2)
    shown = [question(day2)]
    day2.expect("1 of 4")  # two due reviews, then two new cards
    for _ in range(3):
        day2.send("1")
        day2.expect("Rate it")
        day2.send("4")
        shown.append(question(day2))
    day2.send("q")
    finish(day2)
    assert shown == ["c1", "c2", "c3", "c4"]


def test_resize_redraws_at_the_new_width(isolated_home: Path, tmp_path: Path, toy: Path) -> None:
    child = review(isolated_home, tmp_path)
    question(child)
    child.expect("q quit")
    child.setwinsize(40, 60)
    child.expect(r"Question c1\?")
    child.expect("q quit")
    border = [line for line in screen(child).splitlines() if line.startswith("╰")]
    assert border and len(border[-1].rstrip()) == 60
    child.send("q")
    assert finish(child)[0] == 0


@pytest.mark.parametrize("how", ["q", "ctrl-c", "sigterm"])
def test_the_terminal_is_restored(isolated_home: Path, tmp_path: Path, toy: Path, how: str) -> None:
    script = (
        f"{shlex.join(mlcards_argv('review', '--no-shuffle'))}; "
        "echo; stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo END"
    )
    child = pexpect.spawn(
        "bash",
        ["-c", script],
        env=env(isolated_home, MLCARDS_NOW=DAY1),
        cwd=str(tmp_path),
        dimensions=(50, 80),
        encoding="utf-8",
        timeout=20,
    )
    question(child)
    if how == "q":
        child.send("q")
    elif how == "ctrl-c":
        child.sendintr()
    else:
        import os
        import signal
        import subprocess

        pids = subprocess.run(  # this test's own mlcards: the child of its shell, no other run's
            ["pgrep", "-P", str(child.pid), "-f", "mlcards review --no-shuffle"],
            capture_output=True,
            text=True,
        ).stdout.split()
        for pid in pids:
            if int(pid) != child.pid:
                os.kill(int(pid), signal.SIGTERM)
    child.expect("END")
    flags = re.sub(r"\s+", " ", child.before.split("\n")[-1]).strip().split()
    assert "icanon" in flags and "echo" in flags, child.before
    child.close()
