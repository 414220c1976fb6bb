"""What an answer keeps between its write transactions (``store/kept.py``): its deck's
scheduling settings and this device's stamp state are read once, then trusted only while
nothing changed the database; a commit by another connection, a change made by this one
outside the answers, or a rolled-back answer makes the next answer read them again."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import answer, at, session, toy_deck

from mlcards.config import Settings
from mlcards.services.admin import check, set_scheduling
from mlcards.session import Session
from mlcards.store import Store, log

DAY = "2026-01-01"


def reads(store: Store, s: Session) -> list[str]:
    """The tables of kept values one answer reads."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        answer(s, DAY, 4)
    finally:
        store.conn.set_trace_callback(None)
    return [
        table
        for table in ("schedule_settings", "sync_state")
        for x in statements
        if x.lstrip().upper().startswith("SELECT") and f"FROM {table}" in x
    ]


def opened(db_path: Path, cards: int = 6) -> tuple[Store, Session]:
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=tuple(f"c{i}" for i in range(cards)))], at(DAY))
    return store, session(store, DAY)


def test_answers_in_a_row_read_the_settings_and_stamp_state_once(db_path: Path) -> None:
    store, s = opened(db_path)
    assert reads(store, s) == ["schedule_settings", "sync_state"]
    assert reads(store, s) == []
    assert reads(store, s) == []
    store.close()


def test_a_commit_by_another_connection_makes_the_next_answer_read_again(db_path: Path) -> None:
    store, s = opened(db_path)
    reads(store, s)
    other = Store.open(db_path)
    assert other.cards.suspend("toy", "c5", True)  # any commit at all
    other.close()
    assert reads(store, s) == ["schedule_settings", "sync_state"]
    assert reads(store, s) == []
    store.close()


def test_a_change_by_this_connection_makes_the_next_answer_read_again(db_path: Path) -> None:
    store, s = opened(db_path)
    reads(store, s)
    assert store.cards.suspend("toy", "c5", True)
    assert reads(store, s) == ["schedule_settings", "sync_state"]
    store.close()


def test_settings_changed_by_another_session_decide_the_next_answer(db_path: Path) -> None:
    store, s = opened(db_path)
    answer(s, DAY, 4)
    answer(s, DAY, 4)
    other = Store.open(db_path)
    set_scheduling(other, Settings(), "scheduler", "fsrs")
    other.close()
    card = answer(s, DAY, 4)
    stability = store.conn.execute(
        "SELECT stability FROM reviews WHERE card_id = ? ORDER BY id DESC", (card,)
    ).fetchone()[0]
    assert stability is not None  # graded by FSRS, as stored now: not SM-2 as kept before
    assert check(store).ok
    store.close()


def test_two_sessions_answering_in_turn_never_reuse_a_sequence_number(db_path: Path) -> None:
    store, s = opened(db_path, cards=8)
    other = Store.open(db_path)
    t = session(other, DAY)
    for _ in range(3):
        answer(s, DAY, 4)
        answer(t, DAY, 4)
    other.close()
    seqs = [r[0] for r in store.conn.execute("SELECT seq FROM reviews ORDER BY id")]
    assert seqs == list(range(1, 7))
    device = store.conn.execute("SELECT count(DISTINCT device) FROM reviews").fetchone()[0]
    assert device == 1
    assert check(store).ok
    store.close()


def test_an_answer_rolled_back_leaves_nothing_kept(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, s = opened(db_path)
    answer(s, DAY, 4)

    def killed(*_: object) -> None:  # after the answer took its stamp, before the commit
        raise RuntimeError("killed before the commit")

    monkeypatch.setattr(log, "add_from", killed)
    with pytest.raises(RuntimeError):
        answer(s, DAY, 4)
    monkeypatch.undo()
    assert reads(store, s) == ["schedule_settings", "sync_state"]
    seqs = [r[0] for r in store.conn.execute("SELECT seq FROM reviews ORDER BY id")]
    assert seqs == [1, 2]  # the rolled-back answer's number is neither skipped nor reused
    assert check(store).ok
    store.close()
