"""The review screen's `e` key: $EDITOR started, stopped and read back safely (a bad
$EDITOR keeps the session, SIGTERM reaches the editor first, an unchanged file imports
nothing)."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import pexpect
import pytest
from helpers import at, deck_yaml, write
from helpers import run_child as run

from mlcards.store import Store

DAY = date(2026, 3, 1)


@pytest.mark.slow
def test_an_editor_with_an_unbalanced_quote_keeps_the_session(home: Path, tmp_path: Path) -> None:
    from pty_helpers import finish, spawn

    assert run(home, "import", str(write(tmp_path / "toy.yaml", deck_yaml()))).code == 0
    child = spawn(home, tmp_path, "--no-shuffle", EDITOR='code --wait "My Editor')
    child.expect("don't know")
    child.send("e")
    child.expect("Could not start the editor: \\$EDITOR is not a command line")
    child.send("q")
    code, text = finish(child)
    assert code == 0 and "Traceback" not in text


@pytest.mark.slow
def test_sigterm_reaches_the_editor_before_anything_harsher(home: Path, tmp_path: Path) -> None:
    from pty_helpers import spawn

    assert run(home, "import", str(write(tmp_path / "toy.yaml", deck_yaml()))).code == 0
    marker = tmp_path / "editor.log"
    editor = write(
        tmp_path / "editor.py",
        "import signal, sys, time\n"
        f"log = open({str(marker)!r}, 'a', buffering=1)\n"
        "def term(signum, frame):\n"
        "    log.write('saved on SIGTERM\\n')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, term)\n"
        "log.write('started\\n')\n"
        "time.sleep(60)\n",
    )
    child = spawn(home, tmp_path, "--no-shuffle", EDITOR=f"{sys.executable} {editor}")
    assert child.expect(["don't know", pexpect.EOF]) == 0, child.before
    child.send("e")
    deadline = time.monotonic() + 20
    while "started" not in (marker.read_text() if marker.exists() else ""):
        assert time.monotonic() < deadline, "the editor did not start"
        time.sleep(0.05)
    child.kill(15)
    child.expect(pexpect.EOF)
    child.close()
    assert marker.read_text().splitlines() == ["started", "saved on SIGTERM"]


def test_edit_with_no_change_imports_nothing_and_makes_no_backup(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`e` when the editor leaves the file alone: no import, so no pre-import backup (a
    copy of the whole database each time); a real change is re-imported."""
    import contextlib
    import sys

    from helpers import answer_card, deck_yaml, write

    from mlcards.deck import load_deck
    from mlcards.services.actions import StoreActions
    from mlcards.store import list_backups

    deck = write(tmp_path / "toy.yaml", deck_yaml(cards=("c1", "c2")))
    store = Store.open(db_path)
    store.decks.import_decks([load_deck(deck)], at("2026-03-01"))
    answer_card(store, "2026-03-01", "toy", "c1", 4)  # reviews exist: imports back up first
    actions = StoreActions(store, DAY, contextlib.nullcontext, lambda: at("2026-03-01"))
    item = store.cards.one("toy", "c2")
    assert item is not None
    monkeypatch.setenv("EDITOR", "true")
    before = len(list_backups(db_path))
    _, said = actions.edit_if_changed(item)
    assert said == "No changes: toy.yaml is as it was."
    assert len(list_backups(db_path)) == before
    editor = write(
        tmp_path / "edit.py",
        "import sys, pathlib\np = pathlib.Path(sys.argv[-1])\n"
        "p.write_text(p.read_text().replace('Question c2?', 'Question c2, edited?'))\n",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    edited, said = actions.edit_if_changed(item)
    assert said == "Re-imported toy.yaml." and edited is not None
    assert edited.card.question == "Question c2, edited?"
    store.close()
