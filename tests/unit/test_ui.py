"""What a person sees, rendered into an 80-column console, and the answer loop driven by keys."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from helpers import at, toy_deck
from rich.console import Console
from screen_helpers import FakeJournal, NoActions, Recorder, drive_screens

from mlcards.bundled import bundled_deck_files
from mlcards.deck import load_deck
from mlcards.models import Quality, ScheduledCard
from mlcards.render.review import (
    Answer,
    CardView,
    ReviewOutcome,
    render_card,
    render_summary,
)
from mlcards.review import run_review
from mlcards.session import Session

TODAY = date(2026, 3, 1)


def console(width: int = 80) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=width, color_system=None, legacy_windows=False), buffer


def scheduled(card_index: int = 0, deck_file: Path | None = None) -> ScheduledCard:
    deck = load_deck(deck_file) if deck_file else toy_deck()
    return ScheduledCard(deck.id, deck.name, deck.cards[card_index], 0, 2.5, 0, None, None)


ALL_CARDS = [
    (path, index) for path in bundled_deck_files() for index in range(len(load_deck(path).cards))
]


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize(("path", "index"), ALL_CARDS, ids=[f"{p.stem}-{i}" for p, i in ALL_CARDS])
def test_every_bundled_card_fits_the_terminal(path: Path, index: int, width: int) -> None:
    item = scheduled(index, path)
    con, buffer = console(width)
    order = list(item.card.choices)
    con.print(render_card(CardView(item, tuple(order), position=1, total=1)))
    chosen = (order[0].id,)
    answer = Answer(chosen, item.card.is_correct(set(chosen)))
    con.print(render_card(CardView(item, tuple(order), answer=answer)))
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= width
    text = " ".join(" ".join(lines).split())
    for choice in item.card.choices:
        assert " ".join(choice.text.split()[:3]) in text


def test_question_screen_shows_deck_progress_choices_and_keys() -> None:
    item = scheduled(0, bundled_deck_files()[0])
    con, buffer = console()
    con.print(render_card(CardView(item, item.card.choices, position=3, total=12, elapsed_s=65)))
    out = buffer.getvalue()
    assert "Batch Normalization · A morning walk" in out
    assert "new · 3 of 12 · 1:05" in out
    assert "[1]" in out and "[4]" in out and "[5]" not in out
    assert "1-4 answer · d don't know · u undo · s suspend · b bury · f flag · e edit" in out
    assert "q quit" in out


def test_answer_screen_marks_the_right_and_the_chosen_choice() -> None:
    item = scheduled()
    con, buffer = console()
    con.print(render_card(CardView(item, item.card.choices, answer=Answer(("b",), False))))
    out = buffer.getvalue()
    assert "✘ Wrong" in out
    assert "Alpha  ✔ correct" in out
    assert "Beta  ✘ your choice" in out
    assert "Because." in out


def test_summary_names_answered_accuracy_and_next_due() -> None:
    con, buffer = console()
    con.print(render_summary(ReviewOutcome(4, 3, False), date(2026, 3, 7), TODAY))
    out = buffer.getvalue()
    assert "Answered  4" in out and "3 (75%)" in out and "in 6 days (2026-03-07)" in out


def drive(keys: list[str], items: list[ScheduledCard]) -> tuple[ReviewOutcome, FakeJournal]:
    journal = FakeJournal()
    session = Session(items, TODAY, journal=journal)
    pressed = iter(keys)
    con, _ = console()
    now = lambda: at("2026-03-01")  # noqa: E731
    return run_review(con, session, NoActions(), lambda: next(pressed), now), journal


def test_run_review_records_each_answer_from_keys() -> None:
    deck = toy_deck(cards=("c1", "c2"))
    items = [ScheduledCard("toy", "Toy", c, 0, 2.5, 0, None, None) for c in deck.cards]
    outcome, journal = drive(["9", "x", "1", "5", "2", "enter", "1", "enter"], items)
    assert outcome == ReviewOutcome(answered=3, correct=2, quit_early=False)
    assert [(r.card_id, r.quality, r.same_day_repeat) for r in journal.records] == [
        ("c1", Quality.EASY, False),
        ("c2", Quality.WRONG, False),
        ("c2", Quality.GOOD, True),
    ]


def test_undo_takes_back_answers_in_reverse_order() -> None:
    deck = toy_deck(cards=("c1", "c2"))
    items = [ScheduledCard("toy", "Toy", c, 0, 2.5, 0, None, None) for c in deck.cards]
    # answer c1 right, c2 wrong; undo twice (c2, then c1); answer both right
    keys = ["1", "4", "2", "u", "u", "u", "1", "5", "1", "4"]
    outcome, journal = drive(keys, items)
    assert [(r.card_id, r.quality) for r in journal.records] == [
        ("c1", Quality.EASY),
        ("c2", Quality.GOOD),
    ]
    assert outcome == ReviewOutcome(answered=2, correct=2, quit_early=False)


def test_suspend_and_bury_take_the_card_out_of_the_session() -> None:
    deck = toy_deck(cards=("c1", "c2", "c3"))
    items = [ScheduledCard("toy", "Toy", c, 0, 2.5, 0, None, None) for c in deck.cards]
    outcome, journal = drive(["s", "b", "1", "4"], items)
    assert [r.card_id for r in journal.records] == ["c3"]
    assert outcome.answered == 1 and not outcome.quit_early


def test_rating_screen_u_goes_back_to_the_question_without_saving() -> None:
    items = [scheduled()]
    outcome, journal = drive(["2", "u", "1", "4"], items)
    assert [(r.chosen, r.quality) for r in journal.records] == [(("a",), Quality.GOOD)]


def test_quit_before_answering_records_nothing() -> None:
    outcome, journal = drive(["q"], [scheduled()])
    assert outcome.quit_early and journal.records == []


class FlagActions(NoActions):
    """Flags for real (on the card copy), as the store does."""

    def __init__(self) -> None:
        self.notes: list[str | None] = []

    def flag(self, item: ScheduledCard, note: str | None = None) -> tuple[ScheduledCard, str]:
        from dataclasses import replace

        self.notes.append(note)
        return replace(item, flagged=not item.flagged), "flag toggled"


def test_the_flagged_marker_stays_after_undo() -> None:
    deck = toy_deck(cards=("c1", "c2"))
    items = [ScheduledCard("toy", "Toy", c, 0, 2.5, 0, None, None) for c in deck.cards]
    # flag c1, answer it wrong, go on, undo the answer: c1 is back, still flagged
    frames, journal = drive_screens(["f", "enter", "2", "enter", "u", "q"], items, FlagActions())
    assert "Question c1?" in frames[-1] and "new · flagged · 1 of 2" in frames[-1]
    assert journal.records == []


def test_an_unrated_right_answer_is_saved_as_good_when_the_session_is_cut_short() -> None:
    def interrupted() -> str:
        raise KeyboardInterrupt

    keys = iter(["1"])
    journal = FakeJournal()
    session = Session([scheduled()], TODAY, journal=journal)
    con, _ = console()
    with pytest.raises(KeyboardInterrupt):
        run_review(
            con, session, NoActions(), lambda: next(keys, None) or interrupted(),
            lambda: at("2026-03-01"),
        )  # fmt: skip
    assert [(r.chosen, r.quality) for r in journal.records] == [(("a",), Quality.GOOD)]


def test_rating_keys_show_the_schedulers_intervals() -> None:
    frames, journal = drive_screens(["1", "4"], [scheduled()])
    answer = " ".join(frames[1].split())
    line = (
        "Rate it: 3 hard → again today, then 1d · 4 good → 1d (Enter) · 5 easy → 1d, longer after"
    )
    assert line.replace("· ", "") in answer.replace("· ", "")  # wherever the line breaks
    assert [r.quality for r in journal.records] == [Quality.GOOD]


def shown_order(frame: str) -> list[str]:
    import re

    return re.findall(r"\[\d\]\s+(Alpha|Beta|Gamma)", frame)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "keys",
    [["d", "u"], ["d", "enter", "u"], ["s", "u"], ["b", "u"]],
    ids=["answer", "answer-then-next", "suspend", "bury"],
)
def test_undo_shows_the_card_with_the_choices_in_the_order_it_was_shown(
    seed: int, keys: list[str]
) -> None:
    """Choices are shuffled on each showing, but a card an undo brings back is shown as it
    was: the key you meant still points at the same choice."""
    import random

    deck = toy_deck(cards=("c1", "c2"))
    items = [ScheduledCard("toy", "Toy", c, 0, 2.5, 0, None, None) for c in deck.cards]
    session = Session(items, TODAY, random.Random(seed), journal=FakeJournal())
    pressed = iter([*keys, "q"])
    screen = Recorder()
    run_review(screen, session, NoActions(), lambda: next(pressed), lambda: at("2026-03-01"))  # type: ignore[arg-type]
    frames = [view.text for view in screen.frames]
    first, last = frames[0], frames[-1]
    assert "Question c1?" in first and "Question c1?" in last
    assert any(said in last for said in ("Undone", "unsuspended", "unburied"))
    assert shown_order(last) == shown_order(first)


def test_f_asks_why_and_enter_alone_gives_no_note() -> None:
    deck = toy_deck(cards=("c1", "c2"))
    items = [ScheduledCard("toy", "Toy", c, 0, 2.5, 0, None, None) for c in deck.cards]
    actions = FlagActions()
    typed = ["f", "T", "y", "p", "o", "x", "backspace", " ", "1", "enter"]
    keys = [*typed, "f", "f", "enter", "f", "f", "n", "escape", "q"]
    frames, _ = drive_screens(keys, items, actions)
    assert "Why flag it? (Enter: done, none if empty; Esc: cancel) Typo 1▏" in frames[9]
    assert "Question c1?" in frames[9] and "[1]" in frames[9]  # asked on the card's screen
    # a note with its case; an unflag asks nothing; Enter alone flags without a note; Esc
    # flags nothing
    assert actions.notes == ["Typo 1", None, "", None]
    assert "Not flagged." in frames[-1]


def test_a_capital_letter_is_its_key() -> None:
    """Keys keep their case (a flag's note is typed too); the review reads Q as q."""
    deck = toy_deck(cards=("c1", "c2"))
    items = [ScheduledCard("toy", "Toy", c, 0, 2.5, 0, None, None) for c in deck.cards]
    frames, journal = drive_screens(["D", "enter", "Q"], items)
    assert "Not known" in frames[1] and "Question c2?" in frames[-1]
    assert [r.quality for r in journal.records] == [Quality.BLACKOUT]
