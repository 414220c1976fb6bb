"""Screens laid out while an answer commits (``review/ahead.py``, ``store/alongside.py``).

What the learner sees must be exactly what the loop draws without the work done ahead: the
same bytes on the terminal, the same choice orders, the same answers logged, whether the
guess of the next card was right or not.
"""

from __future__ import annotations

import io
import random
import threading
import time
from datetime import date

import pytest
from helpers import at, toy_deck
from rich.console import Console
from screen_helpers import FakeJournal, NoActions

from mlcards.models import ScheduledCard
from mlcards.records import ReviewRecord
from mlcards.review import run_review
from mlcards.review.ahead import Ahead
from mlcards.review.pages import _Answered
from mlcards.session import Session
from mlcards.store.alongside import alongside

TODAY = date(2026, 3, 1)


def strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def items(count: int) -> list[ScheduledCard]:
    deck = toy_deck(cards=tuple(f"c{i}" for i in range(count)))
    return [ScheduledCard("toy", "Toy", c, 0, 2.5, 0, None, None) for c in deck.cards]


class Dropping:
    """A card source under which the cards in ``gone`` left the queue (suspended
    elsewhere): the card guessed to come next may not be the one drawn."""

    def __init__(self, gone: set[str]) -> None:
        self.gone = gone

    def refresh(self, item: ScheduledCard) -> ScheduledCard | None:
        return None if item.card.id in self.gone else item

    def may_show(self, item: ScheduledCard) -> bool:
        return True

    def unchanged(self) -> bool:
        return False


def run(
    keys: list[str], seed: int, gone: frozenset[str] = frozenset(), count: int = 6
) -> tuple[str, list[tuple[tuple[str, ...], int]], FakeJournal]:
    """The terminal's bytes, each answer (chosen, quality) and the journal of one session
    on a full-screen rich Console (80x24, colour)."""
    out = io.StringIO()
    screen = Console(
        file=out,
        width=80,
        height=24,
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
    )
    journal = FakeJournal()
    session = Session(
        items(count),
        TODAY,
        random.Random(seed),
        journal=journal,
        source=Dropping(set(gone)),
    )
    pressed = iter([*keys, "q"])
    run_review(screen, session, NoActions(), lambda: next(pressed), lambda: at("2026-03-01"))  # type: ignore[arg-type]
    answers = [(r.chosen, int(r.quality)) for r in journal.records]
    return out.getvalue(), answers, journal


def without_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Ahead, "question_job", lambda self: None)
    monkeypatch.setattr(_Answered, "lay_out_ahead", lambda self: None)


def counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often a question made ahead was shown, and a frame written from its text."""
    used = {"pages": 0, "frames": 0}
    question, draw = Ahead.question, Ahead.draw

    def counted_question(self: Ahead, item: ScheduledCard) -> object:
        made = self.page
        page = question(self, item)
        used["pages"] += made is not None and page is made[0]
        return page

    def counted_draw(self: Ahead, view: object) -> None:
        used["frames"] += self.framed is not None and self.framed[0] is view
        draw(self, view)  # type: ignore[arg-type]

    monkeypatch.setattr(Ahead, "question", counted_question)
    monkeypatch.setattr(Ahead, "draw", counted_draw)
    return used


SESSIONS = [
    # any choice, then Enter: rated good when right, on to the next card when wrong
    ["1", "enter"] * 8,
    ["2", "5"] * 3 + ["3", "enter"] * 5,
    # a wrong answer's repeat, an undo, a suspend and a bury between the answers
    ["1", "enter", "u", "1", "enter", "s", "2", "enter", "b", "u", "1", "enter"],
    # don't know (saved at once: the answer screen is laid out while it commits)
    ["d", "enter", "d", "enter", "1", "3"],
]


@pytest.mark.parametrize("keys", SESSIONS, ids=["enter", "ratings", "undo-suspend", "dont-know"])
@pytest.mark.parametrize("seed", [1, 7, 42])
def test_the_terminal_gets_the_same_bytes_with_the_screens_laid_out_ahead(
    monkeypatch: pytest.MonkeyPatch, keys: list[str], seed: int
) -> None:
    used = counting(monkeypatch)
    ahead = run(keys, seed)
    with monkeypatch.context() as off:
        without_ahead(off)
        plain = run(keys, seed)
    assert ahead[0] == plain[0]
    assert ahead[1] == plain[1]
    if keys is SESSIONS[0]:  # (every session of right answers shows some card made ahead)
        assert used["pages"] > 0 and used["frames"] > 0, used


def test_a_wrong_guess_of_the_next_card_leaves_no_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    """The card queued next left the queue (suspended elsewhere): the page made for it is
    dropped and the choice shuffler put back, so every later card shows its choices in the
    order it would have had."""
    used = counting(monkeypatch)
    keys = ["1", "enter"] * 6
    for seed in range(8):
        ahead = run(keys, seed, gone=frozenset({"c1", "c3"}))
        with monkeypatch.context() as off:
            without_ahead(off)
            plain = run(keys, seed, gone=frozenset({"c1", "c3"}))
        assert ahead[0] == plain[0], seed
        assert ahead[1] == plain[1], seed
    assert used["pages"] > 0  # (a right answer to c4 guesses c5 right: pages made were used)


def test_a_question_made_ahead_times_the_answer_from_when_it_is_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page is made while the previous answer commits (here the commit takes 2 s),
    but its response time counts from when the loop shows it, after the commit."""
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])

    class SlowCommit(FakeJournal):
        def answer(self, *args: object, **kwargs: object) -> tuple[int, ReviewRecord]:
            result = super().answer(*args, **kwargs)  # type: ignore[arg-type]
            clock[0] += 2.0
            return result

    steps = iter(["1", "4", "wait", "1", "4", "q"])

    def key() -> str:
        step = next(steps)
        if step == "wait":
            clock[0] += 7.5
            return next(steps)
        return step

    journal = SlowCommit()
    used = counting(monkeypatch)
    session = Session(items(3), TODAY, None, journal=journal)
    screen = Console(file=io.StringIO(), width=80, height=24, force_terminal=True)
    run_review(screen, session, NoActions(), key, lambda: at("2026-03-01"))
    assert used["pages"] == 2
    assert [r.response_ms for r in journal.records] == [0, 7500]


# -- alongside ------------------------------------------------------------------------------


def test_the_job_runs_on_another_thread_while_the_block_runs() -> None:
    started = threading.Event()
    threads: list[int] = []

    def job() -> None:
        threads.append(threading.get_ident())
        started.set()

    with alongside(job):
        assert started.wait(10), "the job did not run while the block waited"
    assert threads and threads[0] != threading.get_ident()


def test_the_block_ends_only_when_the_job_is_done() -> None:
    done: list[str] = []

    def job() -> None:
        time.sleep(0.05)
        done.append("job")

    with alongside(job):
        pass
    assert done == ["job"]


def test_what_the_job_raises_is_dropped_and_what_the_block_raises_is_not() -> None:
    ran: list[str] = []

    def failing() -> None:
        ran.append("job")
        raise RuntimeError("laid out wrong")

    with alongside(failing):
        pass
    assert ran == ["job"]
    finished = threading.Event()
    with pytest.raises(KeyError), alongside(lambda: (time.sleep(0.05), finished.set())):
        raise KeyError("the commit failed")
    assert finished.is_set()  # waited for, even so


def test_a_commit_that_fails_shows_nothing_made_for_after_it() -> None:
    """The next question was laid out (and its frame made) while the answer committed; the
    commit failed, so the error ends the session and that frame never reaches the terminal."""
    from mlcards.errors import StoreError

    made: list[str] = []

    class FullDisk(FakeJournal):
        def answer(self, shown, today, decide, meanwhile=None, then=None):  # type: ignore[no-untyped-def]
            if meanwhile is not None:
                meanwhile()
                made.append("next screen")
            raise StoreError("database or disk is full")

    out = io.StringIO()
    screen = Console(file=out, width=80, height=24, force_terminal=True)
    session = Session(items(3), TODAY, None, journal=FullDisk())
    pressed = iter(["1", "4", "q"])
    with pytest.raises(StoreError):
        run_review(screen, session, NoActions(), lambda: next(pressed), lambda: at("2026-03-01"))  # type: ignore[arg-type]
    assert made == ["next screen"]
    assert "Question c0?" in out.getvalue()
    assert "Question c1?" not in out.getvalue()


def test_a_resize_while_answering_lays_the_next_question_out_at_the_new_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The next question is laid out ahead at the size the answer screen was drawn at; the
    terminal is made smaller with the rating key, so it is laid out again at the new size:
    the same bytes as without the work done ahead."""

    def session_output() -> str:
        out = io.StringIO()
        screen = Console(file=out, width=80, height=24, force_terminal=True, legacy_windows=False)
        keys = iter(["1", "4", "1", "4", "q"])

        def key() -> str:
            pressed = next(keys)
            if pressed == "4":
                screen.size = (60, 20) if screen.size.width == 80 else (80, 24)
            return pressed

        session = Session(items(3), TODAY, None, journal=FakeJournal())
        run_review(screen, session, NoActions(), key, lambda: at("2026-03-01"))  # type: ignore[arg-type]
        return out.getvalue()

    used = counting(monkeypatch)
    ahead = session_output()
    assert used["pages"] == 2 and used["frames"] == 0  # (made, but not at the size shown)
    with monkeypatch.context() as off:
        without_ahead(off)
        assert session_output() == ahead
    assert "Question c1?" in strip_ansi(ahead) and "Question c2?" in strip_ansi(ahead)


@pytest.mark.parametrize(
    ("keys", "answer_screen"),
    [(["2", "x", "enter"], "wrong"), (["1", "e", "enter"], "edit")],
)
def test_a_card_suspended_elsewhere_while_an_answer_is_read_is_not_shown(
    keys: list[str], answer_screen: str
) -> None:
    """A wrong answer is saved before its screen; a right one rated on the way to an edit
    is saved before the edit: the learner may take a while, and another session may
    suspend the card queued next meanwhile (``x``, or during the edit). It is read again
    when it is drawn, so it is not shown."""
    gone: set[str] = set()
    shown: list[str] = []
    out = io.StringIO()
    screen = Console(file=out, width=80, height=24, force_terminal=True, legacy_windows=False)

    class Edits(NoActions):
        def edit_if_changed(self, item: ScheduledCard) -> tuple[ScheduledCard | None, str]:
            gone.add("c1")  # (while the deck file was open in the editor)
            return item, "no change"

    pressed = iter([*keys, "q"])

    def key() -> str:
        step = next(pressed)
        if step == "x":
            gone.add("c1")
            step = next(pressed)
        return step

    session = Session(items(3), TODAY, None, journal=FakeJournal(), source=Dropping(gone))
    real_next = session.next

    def watched_next() -> ScheduledCard | None:
        item = real_next()
        if item is not None:
            shown.append(item.card.id)
        return item

    session.next = watched_next  # type: ignore[method-assign]
    run_review(screen, session, Edits(), key, lambda: at("2026-03-01"))  # type: ignore[arg-type]
    assert "c1" not in shown, (answer_screen, shown)
    assert "c2" in shown


def test_a_resize_with_a_wrong_choice_lays_the_answer_screen_out_at_the_new_size() -> None:
    """A wrong answer's screen is laid out while it commits, at the size the question was
    drawn at; the terminal is made smaller with the wrong choice, so the answer screen is
    laid out again at the new size: the same bytes as without the work done ahead, and
    the screen laid out ahead was not the one drawn."""
    laid: list[int] = []

    def session_output(ahead: bool) -> str:
        out = io.StringIO()
        screen = Console(file=out, width=80, height=24, force_terminal=True, legacy_windows=False)
        keys = iter(["2", "enter", "q"])

        def key() -> str:
            pressed = next(keys)
            if pressed == "2":
                screen.size = (60, 20)
            return pressed

        session = Session(items(2), TODAY, None, journal=FakeJournal())
        with pytest.MonkeyPatch.context() as patch:
            real = _Answered.lay_out_ahead

            def counted(self: _Answered) -> None:
                laid.append(1)
                if ahead:
                    real(self)

            patch.setattr(_Answered, "lay_out_ahead", counted)
            run_review(screen, session, NoActions(), key, lambda: at("2026-03-01"))  # type: ignore[arg-type]
        return out.getvalue()

    assert session_output(True) == session_output(False)
    assert laid == [1, 1]
    assert "Wrong" in strip_ansi(session_output(True))
