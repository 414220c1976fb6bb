"""The review as a person sees it in tmux at 80x24 and 60x20: only the visible pane is read
(``capture-pane -p``, no scrollback), so whatever scrolled away does not count."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import deck_yaml, write
from pty_helpers import Tmux, import_deck, reviews

from mlcards.bundled import bundled_deck_files
from mlcards.deck import load_deck

pytestmark = pytest.mark.slow
SIZES = [(80, 24), (60, 20)]
IDS = ["80x24", "60x20"]
WHERE = re.compile(r"lines (\d+)-(\d+) of (\d+)")

Factory = Callable[..., Tmux]


@pytest.fixture
def tmux(isolated_home: Path, tmp_path: Path) -> Iterator[Factory]:
    started: list[Tmux] = []

    def start(*args: str, width: int, height: int, **extra: str) -> Tmux:
        session = Tmux(isolated_home, tmp_path, *args, width=width, height=height, **extra)
        started.append(session)
        return session

    yield start
    for session in started:
        session.close()


def fits(shown: str, width: int, height: int) -> None:
    lines = shown.rstrip("\n").split("\n")
    assert len(lines) <= height
    assert max(len(line) for line in lines) <= width


def where(shown: str) -> tuple[int, int, int]:
    match = WHERE.search(shown)
    assert match, shown
    first, last, total = (int(g) for g in match.groups())
    return first, last, total


@pytest.mark.parametrize(("width", "height"), SIZES, ids=IDS)
def test_a_wrong_batchnorm_answer_shows_verdict_and_right_choice_and_scrolls_to_the_end(
    tmux: Factory, isolated_home: Path, width: int, height: int
) -> None:
    card = load_deck(bundled_deck_files()[0]).cards[0]
    screen = tmux("review", "--deck", "batchnorm", "--no-shuffle", width=width, height=height)
    question = screen.wait("don't know", "q quit")
    fits(question, width, height)
    assert "Batch Normalization" in question.splitlines()[0]
    assert "[4]" in question  # every choice with its key, and the keys below them
    screen.send("4")  # "right after the activation function of the layer": wrong
    shown = screen.wait("Wrong", "Enter continue")
    fits(shown, width, height)
    lines = shown.splitlines()
    assert "✘ Wrong" in lines[0]
    text = " ".join(shown.split())
    assert "[2] Maria should use Batch Normalization after the activation function" in text
    assert "✔ correct" in text and "✘ your choice" in text
    assert "q quit" in lines[-1] or "q quit" in shown.rstrip().splitlines()[-1]
    first, last, total = where(shown)
    assert first > 1 and last < total  # it opens at the explanation, and says where it is
    assert "Explanation" in shown and "Question" not in shown
    assert "Batch Normalization is a popular technique" in shown
    assert "Home question" in shown  # the question is one key away
    pages = 0
    while last < total:
        screen.send("PageDown")
        pages += 1
        before = last
        deadline = 100
        while (last := where(screen.screen())[1]) == before and deadline:
            deadline -= 1
            screen.wait("Enter continue", timeout=1)
        assert last > before
        shown = screen.screen()
        fits(shown, width, height)
        assert "✘ Wrong" in shown.splitlines()[0]  # the verdict stays
        assert "✔ correct" in shown and "Enter continue" in shown
        assert pages < 40
    assert "end" in shown
    assert card.references[-1].url in screen.joined()  # whole, once wrapped lines are joined
    screen.send("Home")
    top = screen.wait("lines 1-")
    assert where(top)[0] == 1 and "Maria was taking her morning walk" in top
    screen.send("j")
    assert where(screen.wait("lines 2-"))[0] == 2
    screen.send("Enter")  # the wrong card comes back at the end of the session
    screen.wait("don't know")
    screen.send("q")
    screen.wait("EXIT=0")
    (row,) = reviews(isolated_home)
    assert (row["quality"], row["correct"]) == (1, 0)


@pytest.mark.parametrize(("width", "height"), SIZES, ids=IDS)
def test_typeahead_answers_then_rates(
    tmux: Factory, isolated_home: Path, tmp_path: Path, width: int, height: int
) -> None:
    import_deck(isolated_home, tmp_path, write(tmp_path / "toy.yaml", deck_yaml()))
    screen = tmux("review", "--no-shuffle", width=width, height=height)
    screen.wait("Question c1?", "q quit")
    screen.send("15", literal=True)  # both bytes in one write: answer 1 (right), rate 5
    shown = screen.wait("Question c2?")
    fits(shown, width, height)
    screen.send("q")
    screen.wait("EXIT=0")
    (row,) = reviews(isolated_home)
    assert (row["card_id"], row["correct"], row["quality"]) == ("c1", 1, 5)


@pytest.mark.parametrize(("width", "height"), SIZES, ids=IDS)
def test_select_all_answer_shows_the_three_marks(
    tmux: Factory, isolated_home: Path, tmp_path: Path, width: int, height: int
) -> None:
    deck = write(tmp_path / "multi.yaml", deck_yaml("multi", ("m1",), answer="[a, c]"))
    import_deck(isolated_home, tmp_path, deck)
    screen = tmux("review", "--no-shuffle", width=width, height=height)
    screen.wait("Enter submit")
    screen.send("12", literal=True)  # typed at once: both are toggled
    screen.wait("[x]1", "[x]2")
    screen.send("Enter")
    shown = screen.wait("Wrong", "Enter continue")
    fits(shown, width, height)
    assert "[x]1 Alpha  ✔ ticked: right" in shown
    assert "[x]2 Beta  ✘ ticked: wrong" in shown
    assert "[ ]3 Gamma  ○ missed: right" in shown
    screen.send("q")
    screen.wait("EXIT=0")
    (row,) = reviews(isolated_home)
    assert row["chosen"] == '["a", "b"]' and row["correct"] == 0


def test_a_resize_redraws_the_answer_at_the_new_size(
    tmux: Factory, isolated_home: Path, tmp_path: Path
) -> None:
    screen = tmux("review", "--deck", "batchnorm", "--no-shuffle", width=100, height=30)
    screen.wait("don't know")
    screen.send("2")
    screen.wait("Correct", "Rate it")
    for width, height in ((80, 24), (60, 20), (120, 40)):
        screen.resize(width, height)

        def redrawn(shown: str, width: int = width) -> bool:
            lines = shown.splitlines()
            rules = [line for line in lines if line.startswith("──")]
            return (
                bool(lines)
                and "Correct" in lines[0]
                and len(rules[-1:][0] if rules else "") == width
            )

        shown = screen.wait_until(redrawn)
        fits(shown, width, height)
        assert "✔ Correct" in shown.splitlines()[0] and "✔ correct" in shown
        assert "3 hard" in shown and "5 easy" in shown
    screen.send("5")
    screen.wait("EXIT=0")
    (row,) = reviews(isolated_home)
    assert row["quality"] == 5


@pytest.mark.parametrize(("width", "height"), SIZES, ids=IDS)
def test_a_dumb_terminal_gets_frames_that_fit_it(
    isolated_home: Path, tmp_path: Path, width: int, height: int
) -> None:
    """TERM=dumb: frames are printed one after another, each with its line break, so each
    is one line shorter than the terminal (whose size is asked of the tty: rich says 80x25
    for every dumb terminal) and the verdict stays on the top line."""
    import_deck(isolated_home, tmp_path, write(tmp_path / "toy.yaml", deck_yaml()))
    screen = Tmux(
        isolated_home, tmp_path, "review", "--no-shuffle", width=width, height=height,
        prefix=("env", "TERM=dumb"),
    )  # fmt: skip
    try:
        shown = screen.wait("Question c1?", "q quit")
        assert shown.splitlines()[0].startswith("╭─ Toy")  # the box's top border
        fits(shown, width, height)
        screen.send("2")  # wrong
        shown = screen.wait("Wrong", "Enter continue")
        assert "✘ Wrong" in shown.splitlines()[0], shown
        screen.send("q")
        screen.wait("EXIT=0")
    finally:
        screen.close()


@pytest.mark.parametrize(
    "locale",
    [("LANG=C",), ("LC_ALL=C", "LANG=C.UTF-8"), ("LANG=POSIX",), ("LANG=en_US.ISO-8859-1",)],
)
def test_a_locale_that_is_not_utf8_gets_the_ascii_screen(
    tmux: Factory, isolated_home: Path, tmp_path: Path, locale: tuple[str, ...]
) -> None:
    """Python turns a C locale into C.UTF-8 for itself; the screen follows the locale the
    learner set, as the README says: ASCII marks, ASCII boxes, and the summary too."""
    import_deck(isolated_home, tmp_path, write(tmp_path / "toy.yaml", deck_yaml()))
    unset = ("-u", "LC_ALL", "-u", "LC_CTYPE", "-u", "LANG", "-u", "PYTHONUTF8")
    screen = Tmux(
        isolated_home, tmp_path, "review", "--no-shuffle", width=80, height=24,
        prefix=("env", *unset, *locale),
    )  # fmt: skip
    try:
        shown = screen.wait("Question c1?", "q quit")
        assert shown.splitlines()[0].startswith("+- Toy"), shown
        assert shown.isascii(), shown
        screen.send("2")
        shown = screen.wait("Wrong", "Enter continue")
        assert "x Wrong" in shown and "+ correct" in shown and shown.isascii(), shown
        screen.send("q")
        shown = screen.wait("EXIT=0")
        assert "Session ended early" in shown and shown.isascii(), shown
    finally:
        screen.close()
