"""`mlcards review` driven in a real pseudo-terminal, checking the screen and the database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import deck_yaml, write
from pty_helpers import (
    ANSI,
    NOW,
    RIGHT,
    WRONG,
    finish,
    import_deck,
    key_for,
    one_review,
    reviews,
    screen,
    spawn,
    status_json,
)

pytestmark = pytest.mark.slow  # every test drives `mlcards review` in a pseudo-terminal


def test_newcomer_answers_batchnorm_right_and_it_is_due_tomorrow(
    isolated_home: Path, tmp_path: Path
) -> None:
    child = spawn(isolated_home, tmp_path)
    child.expect("loaded the bundled decks")
    key = key_for(child, RIGHT)
    assert "A morning walk" in screen(child)
    assert "How should Maria use Batch Normalization" in screen(child)
    child.send(key)
    child.expect("Correct")
    child.expect("Rate it")
    child.send("\x1b[F")  # End: the references close the scrolling explanation
    child.expect("Rate it")
    text = screen(child)
    assert "Ioffe & Szegedy" in text and "arxiv.org/abs/1502.03167" in text
    child.send("\r")
    if child.expect(["don't know", "Session complete"]) == 0:  # another bundled card
        child.send("q")
    code, text = finish(child)
    assert code == 0
    assert re.search(r"Answered\s+1\b", ANSI.sub("", child.before + text))
    (row,) = reviews(isolated_home)
    assert row["card_id"] == "batchnorm-placement"
    assert json.loads(str(row["chosen"])) == ["after-previous-activation"]
    assert (row["correct"], row["quality"], row["same_day_repeat"]) == (1, 4, 0)
    assert (row["repetitions"], row["interval"], row["due"]) == (1, 1, "2026-03-02")
    assert row["reviewed_at"] == "2026-03-01T09:00:00.000Z"
    assert row["study_day"] == "2026-03-01"
    assert isinstance(row["response_ms"], int) and row["response_ms"] >= 0
    today = status_json(isolated_home, tmp_path, NOW)
    tomorrow = status_json(isolated_home, tmp_path, "2026-03-02T09:00:00+00:00")
    batchnorm = [d for d in tomorrow["decks"] if d["id"] == "batchnorm"][0]  # type: ignore[index,union-attr]
    assert batchnorm["due"] == 1 and batchnorm["new"] == 0
    assert [d for d in today["decks"] if d["id"] == "batchnorm"][0]["due"] == 0  # type: ignore[index,union-attr]


def test_wrong_answer_comes_back_in_the_same_session(isolated_home: Path, tmp_path: Path) -> None:
    child = spawn(isolated_home, tmp_path, "--deck", "batchnorm")
    child.send(key_for(child, WRONG))
    child.expect("Wrong")
    child.expect("Enter continue")
    assert "correct" in screen(child)
    child.send("\r")
    child.send(key_for(child, RIGHT))
    child.expect("Rate it")
    child.send("5")
    code, text = finish(child)
    assert code == 0 and "Session complete" in text and "Correct   1 (50%)" in text
    first, second = reviews(isolated_home)
    assert (first["quality"], first["correct"], first["same_day_repeat"]) == (1, 0, 0)
    assert (second["quality"], second["correct"], second["same_day_repeat"]) == (5, 1, 1)
    assert (second["repetitions"], second["interval"], second["easiness"]) == (0, 1, 1.96)


def test_dont_know_shows_the_answer_and_scores_zero(isolated_home: Path, tmp_path: Path) -> None:
    child = spawn(isolated_home, tmp_path, "--deck", "batchnorm", "--limit", "1")
    child.expect("don't know")
    child.send("d")
    child.expect("Not known")
    child.send("q")
    row = one_review(child, isolated_home)
    assert (row["quality"], row["correct"], row["chosen"]) == (0, 0, "[]")


def test_nothing_due_says_when_and_exits_0(isolated_home: Path, tmp_path: Path) -> None:
    child = spawn(isolated_home, tmp_path, "--deck", "batchnorm")
    child.send(key_for(child, RIGHT))
    child.expect("Rate it")
    child.send("4")
    assert finish(child)[0] == 0
    again = spawn(isolated_home, tmp_path, "--deck", "batchnorm")
    code, text = finish(again)
    assert code == 0
    assert "Nothing to review now. Next review: tomorrow (2026-03-02)" in text


def test_ctrl_c_keeps_answers_and_exits_130(isolated_home: Path, tmp_path: Path) -> None:
    import_deck(isolated_home, tmp_path, write(tmp_path / "toy.yaml", deck_yaml()))
    child = spawn(isolated_home, tmp_path, "--no-shuffle")
    child.expect("don't know")
    child.send("1")
    child.expect("Rate it")
    child.send("\r")
    child.expect("don't know")
    child.sendintr()
    code, text = finish(child)
    assert code == 130
    assert "Traceback" not in text
    assert "Interrupted: the 1 answer given was saved" in text
    assert len(reviews(isolated_home)) == 1


def test_select_all_that_apply_toggles_and_submits(isolated_home: Path, tmp_path: Path) -> None:
    deck = write(tmp_path / "multi.yaml", deck_yaml("multi", ("m1",), answer="[a, c]"))
    import_deck(isolated_home, tmp_path, deck)
    child = spawn(isolated_home, tmp_path, "--no-shuffle")
    child.expect("Enter submit")
    assert "Select all that apply" in screen(child)
    child.send("1")
    child.expect(r"\[x\]1")
    child.send("3")
    child.expect(r"\[x\]3")
    child.send("\r")
    child.expect("Correct")
    child.send("4")
    row = one_review(child, isolated_home)
    assert json.loads(str(row["chosen"])) == ["a", "c"] and row["correct"] == 1


@pytest.mark.parametrize("term", ["dumb", "xterm-256color"])
def test_no_color_screen_has_no_colour_codes(
    isolated_home: Path, tmp_path: Path, term: str
) -> None:
    child = spawn(isolated_home, tmp_path, "--deck", "batchnorm", NO_COLOR="1", TERM=term)
    child.expect("don't know")
    raw = child.before
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", raw)  # no foreground colours
    child.send("q")
    assert finish(child)[0] == 0
