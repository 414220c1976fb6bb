"""The log stays the truth when sessions overlap, decks change mid-session and answers are
undone: every scenario ends with `mlcards check` at exit 0, with no repair.

The four scenarios drive real `mlcards review` processes on one database (pexpect); a
hypothesis state machine interleaves two sessions' answers, undos, edits and imports and
checks replay == cache after every step.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from helpers import deck_yaml, write
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from pty_helpers import cards, finish, import_deck, question, review, reviews, run_cli

from mlcards.config import Settings
from mlcards.deck import parse_deck
from mlcards.errors import UndoRefused
from mlcards.models import ScheduledCard
from mlcards.replay import replay, schedule_differences
from mlcards.services.study import StoreSource, todays_queue
from mlcards.session import CardChanged, Session, quality_for
from mlcards.store import Store

DAY1 = "2026-03-01T09:00:00+00:00"
DAY2 = "2026-03-02T09:00:00+00:00"

pytestmark = pytest.mark.slow


def check_is_clean(home: Path, cwd: Path) -> None:
    code, out = run_cli(home, cwd, "check")
    assert code == 0, out
    assert "ok: the stats totals match the log" in out
    assert re.search(r"^ok: the schedules? of [\d,]+ cards? match(es)? the log$", out, re.M), out


def test_two_sessions_answer_the_same_new_card(isolated_home: Path, tmp_path: Path) -> None:
    """A answers right (5), B wrong: B's answer is a same-day repeat of A's, the card is
    new only once, and the schedule is A's."""
    import_deck(isolated_home, tmp_path, write(tmp_path / "toy.yaml", deck_yaml(cards=("c1",))))
    a, b = review(isolated_home, tmp_path), review(isolated_home, tmp_path)
    assert question(a) == "c1" and question(b) == "c1"
    a.send("1")
    a.expect("Rate it")
    a.send("5")
    assert finish(a)[0] == 0
    b.send("2")
    b.expect("Enter continue")
    b.send("\r")
    assert question(b) == "c1"  # wrong: it comes back
    b.send("q")
    assert finish(b)[0] == 0
    first, second = reviews(isolated_home)
    assert (first["quality"], first["was_new"], first["same_day_repeat"]) == (5, 1, 0)
    assert (second["quality"], second["was_new"], second["same_day_repeat"]) == (1, 0, 1)
    c1 = cards(isolated_home)["c1"]
    assert (c1["repetitions"], c1["interval"], c1["due"], c1["lapses"]) == (1, 1, "2026-03-02", 0)
    check_is_clean(isolated_home, tmp_path)


def test_undo_is_refused_once_another_session_answered(isolated_home: Path, tmp_path: Path) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml(cards=("c1", "c2")))
    import_deck(isolated_home, tmp_path, deck)
    a, b = review(isolated_home, tmp_path), review(isolated_home, tmp_path)
    assert question(a) == "c1" and question(b) == "c1"
    a.send("1")
    a.expect("Rate it")
    a.send("5")
    assert question(a) == "c2"
    b.send("2")
    b.expect("Enter continue")
    b.send("\r")
    assert question(b) == "c2"
    a.send("u")
    a.expect("Not undone")
    a.expect("answered again since")
    for child in (a, b):
        child.send("q")
        assert finish(child)[0] == 0
    assert len(reviews(isolated_home)) == 2  # both answers kept
    c1 = cards(isolated_home)["c1"]
    assert (c1["repetitions"], c1["due"]) == (1, "2026-03-02")  # due, not lost
    check_is_clean(isolated_home, tmp_path)


def test_an_answer_changed_mid_session_is_not_graded_against_the_old_key(
    isolated_home: Path, tmp_path: Path
) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml(cards=("c1",)))
    import_deck(isolated_home, tmp_path, deck)
    first = review(isolated_home, tmp_path, now=DAY1)
    assert question(first) == "c1"
    first.send("1")
    first.expect("Rate it")
    first.send("4")
    assert finish(first)[0] == 0  # learned yesterday, due today
    today = review(isolated_home, tmp_path, now=DAY2)
    assert question(today) == "c1"
    write(deck, deck_yaml(cards=("c1",), answer="b"))  # meanwhile the key changes
    import_deck(isolated_home, tmp_path, deck)
    today.send("1")  # the old key, right as it was shown
    today.expect("Rate it")
    today.send("4")
    assert question(today) == "c1"  # shown again, as it is now
    today.expect("changed since it was shown")
    today.send("2")  # the new key
    today.expect("Rate it")
    today.send("4")
    assert finish(today)[0] == 0
    rows = reviews(isolated_home)
    assert [(r["study_day"], r["chosen"], r["correct"]) for r in rows] == [
        ("2026-03-01", '["a"]', 1),
        ("2026-03-02", '["b"]', 1),
    ]
    c1 = cards(isolated_home)["c1"]
    assert (c1["repetitions"], c1["interval"], c1["due"]) == (1, 1, "2026-03-03")  # new again
    check_is_clean(isolated_home, tmp_path)


def test_edit_then_undo_then_answer_again(isolated_home: Path, tmp_path: Path) -> None:
    """Answer c1, press e on c2 and change c1's answer in the editor, undo, answer c1 again:
    graded against the new key, and the new review gets a new id."""
    deck = write(tmp_path / "toy.yaml", deck_yaml(cards=("c1", "c2")))
    import_deck(isolated_home, tmp_path, deck)
    editor = write(
        tmp_path / "edit.py",
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[-1])\n"
        "p.write_text(p.read_text().replace('answer: a', 'answer: b', 1))\n",
    )
    import sys

    child = review(isolated_home, tmp_path, EDITOR=f"{sys.executable} {editor}")
    assert question(child) == "c1"
    child.send("1")
    child.expect("Rate it")
    child.send("4")
    assert question(child) == "c2"
    (undone,) = reviews(isolated_home)
    child.send("e")
    child.expect("Re-imported")
    child.send("u")
    assert question(child) == "c1"
    child.send("2")  # Beta, the key since the edit
    child.expect("Rate it")
    child.send("4")
    assert question(child) == "c2"
    child.send("q")
    assert finish(child)[0] == 0
    (row,) = reviews(isolated_home)
    assert row["card_id"] == "c1" and row["chosen"] == '["b"]' and row["correct"] == 1
    assert row["id"] > undone["id"]  # never reused
    check_is_clean(isolated_home, tmp_path)


# -- two sessions, any order ---------------------------------------------------------------

TOY_CARDS = ("c1", "c2", "c3")


def toy(answers: dict[str, str], texts: dict[str, str]) -> str:
    return "id: toy\nname: Toy\ncards:\n" + "".join(
        deck_yaml(cards=(card,), answer=answers[card], question=texts[card]).split("cards:\n")[1]
        for card in TOY_CARDS
    )


@settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
class TwoSessions(RuleBasedStateMachine):
    """Two sessions on two connections to one database, and a deck file edited and
    re-imported between their answers."""

    def __init__(self) -> None:
        super().__init__()
        import tempfile

        self.folder = Path(tempfile.mkdtemp())
        self.path = self.folder / "toy.yaml"
        self.day = date(2026, 3, 1)
        self.answers = dict.fromkeys(TOY_CARDS, "a")
        self.texts = {card: f"Question {card}?" for card in TOY_CARDS}
        self.stores = [Store.open(self.folder / "db.sqlite") for _ in range(2)]
        self.reimport()
        self.sessions = [self.new_session(i) for i in range(2)]
        self.shown: list[object] = [None, None]

    def reimport(self) -> None:
        self.path.write_text(toy(self.answers, self.texts), encoding="utf-8")
        deck = parse_deck(self.path.read_text(encoding="utf-8"), str(self.path))
        self.stores[0].decks.import_decks([deck], datetime(2026, 3, 1, 12))

    def new_session(self, index: int) -> Session:
        store = self.stores[index]
        queue = todays_queue(store, Settings(), self.day)
        return Session(
            queue,
            self.day,
            journal=store.log,
            session_id=f"s{index}",
            source=StoreSource(store, Settings(), self.day),
        )

    @rule(index=st.integers(0, 1))
    def show(self, index: int) -> None:
        """A session puts its next card on screen (the answer may come much later)."""
        self.shown[index] = self.sessions[index].next()
        if self.shown[index] is None:
            self.sessions[index] = self.new_session(index)

    @rule(index=st.integers(0, 1), correct=st.booleans(), rating=st.sampled_from([3, 4, 5]))
    def answer(self, index: int, correct: bool, rating: int) -> None:
        session = self.sessions[index]
        item = self.shown[index]
        self.shown[index] = None
        if not isinstance(item, ScheduledCard) or session.queued[:1] != [item]:
            return  # nothing on screen (or it was undone away): press a key first
        wrong = next(c.id for c in item.card.choices if c.id not in item.card.answer)
        chosen = item.card.answer if correct else (wrong,)
        quality = quality_for(correct, rating=rating)
        when = datetime(self.day.year, self.day.month, self.day.day, 12)
        with contextlib.suppress(CardChanged):  # then shown again as it is now
            session.answer(item, chosen, quality, 1000, when)

    @rule(index=st.integers(0, 1))
    def undo(self, index: int) -> None:
        self.shown[index] = None
        with contextlib.suppress(UndoRefused):  # another session answered the card since
            self.sessions[index].undo()

    @rule(card=st.sampled_from(TOY_CARDS))
    def change_the_key(self, card: str) -> None:
        self.answers[card] = "b" if self.answers[card] == "a" else "a"
        self.reimport()

    @rule(card=st.sampled_from(TOY_CARDS))
    def change_the_text(self, card: str) -> None:
        self.texts[card] += " (edited)"
        self.reimport()

    @rule()
    def next_day(self) -> None:
        self.day = date.fromordinal(self.day.toordinal() + 1)
        self.sessions = [self.new_session(i) for i in range(2)]
        self.shown = [None, None]

    @invariant()
    def replaying_the_log_gives_the_cache(self) -> None:
        store = self.stores[1]
        cached = store.cards.states()
        schedule_from = {key: value["schedule_from"] for key, value in cached.items()}
        assert schedule_differences(cached, replay(store.log.replay_rows(), schedule_from)) == []
        assert store.integrity_problems() == []

    @invariant()
    def review_ids_only_grow(self) -> None:
        conn = sqlite3.connect(self.folder / "db.sqlite")
        try:
            (seq,) = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'reviews'")
            (top,) = conn.execute("SELECT coalesce(max(id), 0) FROM reviews").fetchone()
        except ValueError:
            return  # nothing written yet
        finally:
            conn.close()
        assert seq[0] >= top

    def teardown(self) -> None:
        for store in self.stores:
            store.close()


TestTwoSessions = TwoSessions.TestCase


# -- deck ids belong to one file ------------------------------------------------------------


def test_a_deck_id_from_another_file_is_refused_without_replace(
    isolated_home: Path, tmp_path: Path
) -> None:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    first = write(tmp_path / "one" / "optimization.yaml", deck_yaml("optimization", ("c1", "c2")))
    other = write(tmp_path / "two" / "optimization.yaml", deck_yaml("optimization", ("x1",)))
    assert run_cli(isolated_home, tmp_path, "import", str(first))[0] == 0
    db = isolated_home / "mlcards.db"
    before = db.read_bytes()
    for args in (("import", str(other)), ("import", "--dry-run", str(other))):
        code, out = run_cli(isolated_home, tmp_path, *args)
        assert code == 65, out
        assert str(other) in out and str(first.resolve()) in out and "--replace" in out
    assert db.read_bytes() == before
    assert set(cards(isolated_home)) == {"c1", "c2"}
    code, out = run_cli(isolated_home, tmp_path, "import", "--replace", str(other))
    assert code == 0, out
    kept = cards(isolated_home)
    assert kept["x1"]["retired"] == 0 and kept["c1"]["retired"] == 1  # history kept
