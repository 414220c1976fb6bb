"""`mlcards check` and `check --repair` while another terminal answers: the cache and the
log are read as of one moment, and a repair never rolls back an answer given meanwhile."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import answer, answer_card, at, session, toy_deck

from mlcards.services.admin import check
from mlcards.store import Store


def test_check_reads_cache_and_log_as_of_one_moment(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer from another terminal landing between check's read of the cache and its
    read of the log is not reported as damage."""
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1",))], at("2026-01-01"))
    other_terminal = Store.open(db_path)
    other = session(other_terminal, "2026-01-01")
    states = store.cards.states

    def states_then_answer() -> dict:
        cached = states()
        answer(other, "2026-01-01", 4)
        return cached

    monkeypatch.setattr(store.cards, "states", states_then_answer)
    assert check(store).differences == []
    monkeypatch.undo()
    assert check(store).differences == []  # and the answer itself is in both
    assert store.conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 1
    other_terminal.close()
    store.close()


def test_repair_keeps_an_answer_given_after_the_check(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check --repair` rebuilds from the log as it stands inside its write, so an answer
    from another terminal between the check and the rebuild is not rolled back."""
    store = Store.open(db_path)
    store.decks.import_decks([toy_deck(cards=("c1", "c2"))], at("2026-01-01"))
    answer_card(store, "2026-01-01", "toy", "c1", 4)
    with store.write() as conn:  # damage for the repair to mend
        conn.execute("UPDATE cards SET interval = 99 WHERE id = 'c1'")
    other_terminal = Store.open(db_path)
    other = session(other_terminal, "2026-01-01")
    create = store.backups.create

    def answer_then_back_up(*args: object, **kw: object) -> object:
        assert answer(other, "2026-01-01", 4) == "c2"
        return create(*args, **kw)

    monkeypatch.setattr(store.backups, "create", answer_then_back_up)
    result = check(store, repair=True)
    assert result.repaired
    monkeypatch.undo()
    assert check(store).differences == []
    assert store.conn.execute("SELECT interval FROM cards WHERE id = 'c2'").fetchone()[0] == 1
    other_terminal.close()
    store.close()
