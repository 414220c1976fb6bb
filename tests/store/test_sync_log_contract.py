"""The log contract around a leech's suspension: whatever order answers, undos, card
actions and two sessions come in, the cards' marks stay what ``check`` expects from the
events (a leech's own suspension aside), so ``mlcards check`` stays clean; and what the
log's event stamps cost an answer."""

from __future__ import annotations

import re
from pathlib import Path

from helpers import answer, answer_card, at, flags, session, toy_deck

from mlcards.config import Settings
from mlcards.services.admin import check
from mlcards.session import Session
from mlcards.store import Store


def suspended_leech(db_path: Path) -> tuple[Store, Session]:
    """c1 learned, then answered wrong in a session that suspends leeches at one lapse."""
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1",))], at("2026-01-01"))
    answer_card(store, "2026-01-01", "toy", "c1", 4)
    s = session(
        store, "2026-01-02", rules=Settings(leech_threshold=1).rules_for, suspend_leeches=True
    )
    answer(s, "2026-01-02", 1)
    assert flags(store) == (1, 1, 1)
    return store, s


def test_undoing_a_leech_answer_keeps_a_suspension_another_session_chose_since(
    db_path: Path,
) -> None:
    store, s = suspended_leech(db_path)
    other = Store.open(db_path)  # another session: unsuspends the card, then suspends it
    assert other.cards.suspend("toy", "c1", False)
    assert other.cards.suspend("toy", "c1", True)
    other.close()
    s.undo()
    assert flags(store)[:2] == (0, 1)  # no leech now, still suspended as chosen
    assert store.cards.marks_differences() == []
    store.close()


def test_check_accepts_a_leechs_own_suspension_and_its_repair_keeps_it(db_path: Path) -> None:
    store, _ = suspended_leech(db_path)
    assert check(store).differences == []
    store.conn.execute("UPDATE cards SET flagged = 1 WHERE id = 'c1'")  # a mark gone wrong
    store.conn.commit()
    assert check(store).differences == ["toy/c1: flagged is 1, its events say 0"]
    assert check(store, repair=True).repaired
    assert flags(store)[:2] == (1, 1)  # still a suspended leech: the repair kept it
    assert store.conn.execute("SELECT flagged FROM cards WHERE id = 'c1'").fetchone() == (0,)
    assert check(store).differences == []
    store.close()


def test_forgetting_a_suspended_leech_leaves_the_marks_as_the_events_say(db_path: Path) -> None:
    store, _ = suspended_leech(db_path)
    store.cards.forget([("toy", "c1")])
    assert flags(store) == (0, 0, 0)  # new again: its answers' suspension went with them
    assert store.cards.marks_differences() == []
    store.close()


def test_a_reset_of_a_suspended_leech_leaves_the_marks_as_the_events_say(db_path: Path) -> None:
    store, _ = suspended_leech(db_path)
    store.decks.import_decks([toy_deck(cards=("c1",), answer="b")], at("2026-01-02"))
    assert flags(store) == (0, 0, 0)
    assert store.cards.marks_differences() == []
    store.close()


def test_undoing_a_leech_suspension_lifts_it_even_after_a_reset(db_path: Path) -> None:
    store, s = suspended_leech(db_path)
    store.decks.import_decks([toy_deck(cards=("c1",), answer="b")], at("2026-01-02"))  # reset
    s.undo()
    assert flags(store) == (0, 0, 0)  # not left suspended by an answer that is gone
    assert check(store).ok
    store.close()


def test_forgetting_a_leech_keeps_a_suspension_the_learner_chose(db_path: Path) -> None:
    store, _ = suspended_leech(db_path)
    assert store.cards.suspend("toy", "c1", False)
    assert store.cards.suspend("toy", "c1", True)
    store.cards.forget([("toy", "c1")])
    assert flags(store)[:2] == (0, 1)
    assert store.cards.marks_differences() == []
    store.close()


def test_an_answer_stamps_its_event_with_one_write(db_path: Path) -> None:
    """The per-answer path pays for sync with one write of this device's stamp state (read
    once, then kept while nothing else changes it: ``test_kept.py``), and touches no other
    event table."""
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1", "c2"))], at("2026-01-01"))
    s = session(store, "2026-01-01")
    answer(s, "2026-01-01", 4)  # the first answer of a database may make its device id
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        assert answer(s, "2026-01-01", 4) == "c2"
    finally:
        store.conn.set_trace_callback(None)
    stamping = [x.split()[0].upper() for x in statements if "sync_state" in x]
    assert stamping == ["INSERT"], statements
    events = re.compile(r"\b(card_events|settings_events|tombstones|pending)\b")
    assert not [x for x in statements if events.search(x)], statements
    (uid, seq) = store.conn.execute("SELECT uid, seq FROM reviews WHERE card_id = 'c2'").fetchone()
    assert uid.endswith(f"-{seq}") and seq == 2
    store.close()


def test_a_suspension_asked_for_on_a_suspended_leech_outlives_the_leech(db_path: Path) -> None:
    """The learner suspends a card its leech answer already suspended: that choice is an
    event of its own, so undoing the answer leaves the card suspended."""
    store, s = suspended_leech(db_path)
    assert store.cards.act([("toy", "c1", "suspend", {})]) == 1
    s.undo()
    assert flags(store)[:2] == (0, 1)
    assert store.cards.marks_differences() == []
    store.close()


def test_a_second_suspension_of_a_suspended_leech_is_not_logged(db_path: Path) -> None:
    store, _ = suspended_leech(db_path)
    assert store.cards.act([("toy", "c1", "suspend", {})]) == 1
    assert store.cards.act([("toy", "c1", "suspend", {})]) == 0
    assert store.conn.execute("SELECT count(*) FROM card_events").fetchone() == (1,)
    store.close()
