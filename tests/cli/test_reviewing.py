"""``cli/reviewing.py``: the search ``review QUERY`` and ``practice QUERY`` study, narrowed by
``--deck`` and ``--tag`` (one helper for both commands)."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from helpers import build_history

from mlcards.cli.reviewing import search_text
from mlcards.config import Settings
from mlcards.services.browse import query_practice, query_queue
from mlcards.store import Store

TODAY = date(2026, 3, 20)


def test_the_query_is_narrowed_by_deck_and_tag() -> None:
    assert search_text(["is:new", "grad"], None, None) == "is:new grad"
    assert search_text(["is:new"], "alpha", None) == 'is:new "deck:alpha"'
    assert search_text(["is:new"], None, "two words") == 'is:new "tag:two words"'
    assert search_text(["x"], "alpha", "optim") == 'x "deck:alpha" "tag:optim"'


def test_a_narrowed_query_finds_only_the_cards_of_that_deck_and_tag(db_path: Path) -> None:
    store = Store.open(db_path)
    build_history(store)

    def practised(deck: str | None, tag: str | None) -> set[str]:
        text = search_text(["-is:suspended"], deck, tag)
        return {card.key for card in query_practice(store, Settings(), TODAY, text, 50)}

    everywhere = practised(None, None)
    assert {key.split("/")[0] for key in everywhere} == {"alpha", "beta"}
    assert practised("beta", None) == {key for key in everywhere if key.startswith("beta/")}
    assert practised(None, "lr") == {"alpha/a1"} <= everywhere
    assert practised("beta", "lr") == set()
    queue = query_queue(store, Settings(), TODAY, search_text(["-is:suspended"], "alpha", "optim"))
    assert queue and all(card.key.startswith("alpha/") for card in queue)


def test_the_first_review_on_another_computer_syncs_before_it_starts(
    isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty database gets the bundled decks, then syncs (``sync_dir`` set), as every
    review start does: the other computer's answers count before the first card is shown."""
    from helpers import add_review

    from mlcards.cli.reviewing import _bundled_or_follow
    from mlcards.clock import now
    from mlcards.services.admin import check
    from mlcards.services.decks import import_bundled
    from mlcards.services.sync import sync

    folder = tmp_path / "synced"
    folder.mkdir()
    other = tmp_path / "other.db"
    with Store.open(other) as store:
        import_bundled(store, now(), tmp_path / "other-decks")
    add_review(other)
    with Store.open(other) as store:
        assert sync(store, folder, tmp_path / "other-lock").written == 1
    with Store.open(isolated_home / "mlcards.db") as store:
        _bundled_or_follow(store, Settings(sync_dir=str(folder)))
        assert check(store, False).ok
    assert "loaded the bundled decks" in capsys.readouterr().out
    conn = sqlite3.connect(isolated_home / "mlcards.db")
    try:
        assert conn.execute("SELECT count(*) FROM reviews").fetchone() == (1,)
    finally:
        conn.close()
