"""``show`` and ``status`` on a real 60x20 terminal (tmux): through the pager when longer
than the screen, every line within 60 columns; a card action on a query asks on the
terminal (pexpect)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import build_history, tagged_deck

from mlcards.store import Store

pytestmark = pytest.mark.slow


def _fits(screen: str, width: int) -> None:
    assert all(len(line.rstrip()) <= width for line in screen.splitlines()), screen


def test_show_at_60x20_pages_and_fits(isolated_home: Path, tmp_path: Path) -> None:
    from pty_helpers import Tmux

    with Store.open(isolated_home / "mlcards.db") as store:
        build_history(store)
    screen = Tmux(
        isolated_home,
        tmp_path,
        "show",
        "alpha/leech",
        width=60,
        height=20,
        MLCARDS_NOW="2026-03-20T12:00:00+00:00",
        PAGER="less",
        LESS="",
    )
    shown = screen.wait("alpha/leech", "Question leech?")
    assert "EXIT=" not in shown  # less holds the 30-odd lines: the story does not fit
    _fits(shown, 60)
    screen.send("G")  # to the end: the history table, still within 60 columns
    _fits(screen.wait("26-03-17"), 60)
    screen.send("q")
    screen.wait("EXIT=0")


def test_status_longer_than_60x20_pages(isolated_home: Path, tmp_path: Path) -> None:
    from pty_helpers import Tmux

    with Store.open(isolated_home / "mlcards.db") as store:
        store.decks.import_decks(
            [tagged_deck(f"deck{i:02d}", [("c1", ["t"])]) for i in range(14)],
            datetime(2026, 3, 1, tzinfo=UTC),
        )
    screen = Tmux(isolated_home, tmp_path, "status", width=60, height=20, PAGER="less", LESS="")
    shown = screen.wait("deck00")
    assert "EXIT=" not in shown and "Next review" not in shown  # the rest is below
    _fits(shown, 60)
    screen.send("q")
    screen.wait("EXIT=0")


def test_a_query_action_asks_on_the_terminal(isolated_home: Path, tmp_path: Path) -> None:
    import pexpect
    from pty_helpers import run_cli, spawn

    with Store.open(isolated_home / "mlcards.db") as store:
        build_history(store)
    now = "2026-03-20T12:00:00+00:00"
    child = spawn(isolated_home, tmp_path, "tag:optim", command="suspend", MLCARDS_NOW=now)
    child.expect("6 cards match")
    child.expect(r"Suspend 6 cards\? \[y/N\]")
    child.sendline("y")
    child.expect("suspended 6 cards")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    code, out = run_cli(isolated_home, tmp_path, "cards", "--json", "is:suspended", now=now)
    assert code == 0 and out.count('"suspended": true') == 6
