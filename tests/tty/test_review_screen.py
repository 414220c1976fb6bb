"""The full-screen review in a real pseudo-terminal: keys typed ahead, the answer kept on
every way out, a closed terminal, Ctrl-Z, non-UTF-8 locales, undo of any action, links."""

from __future__ import annotations

import shlex
import signal
import time
from pathlib import Path

import pexpect
import pytest
from helpers import mlcards_argv
from pty_helpers import cards, env, finish, one_review, review, reviews, spawn, spawn_mlcards

pytestmark = pytest.mark.slow
DAY1 = "2026-03-01T09:00:00+00:00"


def crash_reports(home: Path) -> list[Path]:
    return list(home.glob("mlcards-crash-*.log")) if home.exists() else []


def rating_c1(home: Path, cwd: Path) -> pexpect.spawn:
    """A review on a 24-row terminal, c1 answered right: its rating screen."""
    child = review(home, cwd, rows=24)
    child.expect(r"Question c1\?")
    child.send("1")
    child.expect("Rate it")
    return child


def test_typeahead_15_answers_then_rates_5(isolated_home: Path, tmp_path: Path, toy: Path) -> None:
    child = review(isolated_home, tmp_path, rows=24)
    child.expect(r"Question c1\?")
    child.expect("q quit")
    child.send("15")  # one write: the rating must not be dropped
    child.expect(r"Question c2\?")
    child.send("q")
    row = one_review(child, isolated_home)
    assert (row["card_id"], row["quality"]) == ("c1", 5)


def test_q_on_the_rating_screen_saves_the_answer_as_good(
    isolated_home: Path, tmp_path: Path, toy: Path
) -> None:
    child = rating_c1(isolated_home, tmp_path)
    child.send("q")
    code, text = finish(child)
    assert code == 0
    assert "Your answer to toy/c1 was saved as good (4)." in " ".join(text.split())
    (row,) = reviews(isolated_home)
    assert (row["quality"], row["correct"]) == (4, 1)


def test_ctrl_c_on_the_rating_screen_keeps_the_answer(
    isolated_home: Path, tmp_path: Path, toy: Path
) -> None:
    child = rating_c1(isolated_home, tmp_path)
    child.sendintr()
    code, text = finish(child)
    assert code == 130 and "Traceback" not in text
    assert "Interrupted: the 1 answer given was saved" in text
    assert [r["quality"] for r in reviews(isolated_home)] == [4]


@pytest.mark.parametrize("how", ["sighup", "close"])
def test_a_closed_terminal_ends_quietly_with_the_answers_saved(
    isolated_home: Path, tmp_path: Path, toy: Path, how: str
) -> None:
    child = review(isolated_home, tmp_path, rows=24)
    child.expect(r"Question c1\?")
    child.send("2")  # wrong: saved at once
    child.expect("Enter continue")
    child.send("\r")
    child.expect(r"Question c2\?")
    child.send("1")  # right, not rated yet
    child.expect("Rate it")
    if how == "sighup":
        child.kill(signal.SIGHUP)
        child.expect(pexpect.EOF)
        child.close()
        status = child.exitstatus
    else:
        child.ptyproc.fileobj.close()  # the terminal window goes away: EIO, then SIGHUP
        child.ptyproc.wait()
        status = child.ptyproc.exitstatus
        child.close()
    assert status == 129
    assert [(r["card_id"], r["quality"]) for r in reviews(isolated_home)] == [
        ("c1", 1),
        ("c2", 4),
    ]
    assert crash_reports(isolated_home) == []


def test_ctrl_z_and_fg_give_back_single_key_mode(
    isolated_home: Path, tmp_path: Path, toy: Path
) -> None:
    shell = pexpect.spawn(
        "bash",
        ["--norc", "--noprofile", "-i"],
        cwd=str(tmp_path),
        env=env(isolated_home, MLCARDS_NOW=DAY1, PS1="$ "),
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=20,
    )
    shell.expect(r"\$ ")
    shell.sendline(shlex.join(mlcards_argv("review", "--no-shuffle")))
    shell.expect(r"Question c1\?")
    shell.expect("q quit")
    shell.sendcontrol("z")
    shell.expect("Stopped")
    shell.expect(r"\$ ")
    shell.sendline("stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo")
    shell.expect(r"\$ ")
    assert "icanon" in shell.before.split() and "-icanon" not in shell.before.split()
    shell.sendline("fg")
    shell.expect(r"Question c1\?")  # drawn again
    shell.expect("q quit")
    time.sleep(0.3)
    shell.send("1")  # no Enter: single keys again
    shell.expect("Rate it")
    shell.send("4")
    shell.expect(r"Question c2\?")
    shell.send("q")
    shell.expect("Session ended early")
    shell.expect(r"\$ ")
    shell.sendline("exit")
    shell.expect(pexpect.EOF)
    assert [r["quality"] for r in reviews(isolated_home)] == [4]


@pytest.mark.parametrize(
    "locale",
    [
        {"LANG": "en_US.ISO-8859-1", "LC_ALL": "", "PYTHONIOENCODING": "iso-8859-1"},
        {"LANG": "C", "LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"},
    ],
    ids=["latin-1", "C"],
)
def test_a_non_utf8_terminal_gets_an_ascii_screen(
    isolated_home: Path, tmp_path: Path, locale: dict[str, str]
) -> None:
    child = spawn_mlcards(
        "review",
        "--deck",
        "batchnorm",
        "--no-shuffle",
        cwd=str(tmp_path),
        env={**env(isolated_home), **locale},
        dimensions=(24, 80),
        timeout=20,
    )  # bytes, not text: whatever comes out is checked as it is
    child.expect(b"q quit")
    child.send("4")
    child.expect(b"x Wrong")
    child.expect(b"Enter continue")
    child.send("\x1b[F")  # End
    child.expect(b"end")
    child.send("\r")
    child.expect(b"q quit")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    raw = child.before
    assert b"Traceback" not in raw and b"UnicodeEncodeError" not in raw
    assert [r["quality"] for r in reviews(isolated_home)] == [1]
    assert crash_reports(isolated_home) == []


def test_u_takes_back_a_suspend_a_bury_and_a_flag(
    isolated_home: Path, tmp_path: Path, toy: Path
) -> None:
    child = review(isolated_home, tmp_path, rows=24)
    child.expect(r"Question c1\?")
    child.send("s")
    child.expect(r"Question c2\?")
    child.expect("u takes it back")
    assert cards(isolated_home)["c1"]["suspended"] == 1
    child.send("u")
    child.expect(r"Question c1\?")
    child.expect("toy/c1 is no longer suspended")
    assert cards(isolated_home)["c1"]["suspended"] == 0
    child.send("b")
    child.expect(r"Question c2\?")
    child.send("u")
    child.expect(r"Question c1\?")
    child.expect("no longer buried")
    assert cards(isolated_home)["c1"]["buried_until"] is None
    child.send("f")
    child.expect("Why flag it")
    child.send("\r")
    child.expect("Flagged for editing")
    assert cards(isolated_home)["c1"]["flagged"] == 1
    child.send("u")
    child.expect("no longer flagged")
    assert cards(isolated_home)["c1"]["flagged"] == 0
    child.send("u")
    child.expect("Nothing to undo yet")
    child.send("q")
    assert finish(child)[0] == 0


def test_edit_without_a_change_does_not_claim_a_reimport(
    isolated_home: Path, tmp_path: Path, toy: Path
) -> None:
    child = review(isolated_home, tmp_path, rows=24, EDITOR="true")
    child.expect(r"Question c1\?")
    child.send("e")
    child.expect("No changes: toy.yaml is as it was")
    assert "Re-imported" not in child.before
    child.send("q")
    assert finish(child)[0] == 0


def test_references_are_osc8_links_only_when_the_terminal_shows_them(
    isolated_home: Path, tmp_path: Path
) -> None:
    url = "https://arxiv.org/abs/1502.03167"
    for extra, linked in (({"MLCARDS_HYPERLINKS": "1"}, True), ({}, False)):
        child = spawn(isolated_home, tmp_path, "--deck", "batchnorm", "--no-shuffle", **extra)
        child.setwinsize(24, 80)
        child.expect("q quit")
        child.send("4")
        child.expect("Enter continue")
        child.send("\x1b[F")
        child.expect(url)
        child.expect("Enter continue")
        raw = child.before
        assert ("\x1b]8;" in raw) is linked
        child.send("q")
        finish(child)


def test_a_lone_escape_is_a_key(isolated_home: Path, tmp_path: Path, toy: Path) -> None:
    child = review(isolated_home, tmp_path, rows=24)
    child.expect(r"Question c1\?")
    child.send("?")
    child.expect("any key to go back")
    child.send("\x1b")  # Esc alone: back to the question
    child.expect(r"Question c1\?")
    child.expect("q quit")
    child.send("q")
    assert finish(child)[0] == 0
