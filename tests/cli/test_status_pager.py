"""``mlcards status`` on a 60x20 terminal: longer than the screen, through the pager (as
``cards`` and ``stats``); one screen or less, printed as it is; never when piped. Both the
typer command and the quick path of ``cli/quick.py``."""

from __future__ import annotations

import contextlib
import io
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import run, tagged_deck

from mlcards.store import Store


class TerminalOut(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def paged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What went through the pager (rich's system pager calls pydoc.pager)."""
    shown: list[str] = []
    monkeypatch.setattr("pydoc.pager", shown.append)
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setenv("LINES", "20")
    monkeypatch.setenv("LESS", "FRX")
    return shown


def decks(db_path: Path, count: int) -> None:
    with Store.open(db_path) as store:
        store.decks.import_decks(
            [tagged_deck(f"deck{i:02d}", [("c1", ["t"])]) for i in range(count)],
            datetime(2026, 3, 1, tzinfo=UTC),
        )


def quick_status() -> str:
    from mlcards.cli.quick import status

    out = TerminalOut()
    with contextlib.redirect_stdout(out):
        assert status(["status"]) == 0
    return out.getvalue()


@pytest.mark.parametrize(("count", "pages"), [(12, True), (2, False)])
def test_status_longer_than_the_screen_is_paged(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db_path: Path,
    paged: list[str],
    count: int,
    pages: bool,
) -> None:
    decks(db_path, count)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, _ = run(capsys, "status")
    assert code == 0
    assert bool(paged) is pages
    shown = re.sub(r"\x1b\[[0-9;]*m", "", paged[0] if pages else out)  # the styles
    assert "deck01" in shown and "total" in shown
    assert max(len(line) for line in shown.splitlines()) <= 60
    assert (len(shown.splitlines()) >= 20) is pages
    paged.clear()
    printed = quick_status()
    assert bool(paged) is pages and (printed == "") is pages


def test_status_piped_or_no_pager_is_never_paged(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db_path: Path,
    paged: list[str],
) -> None:
    decks(db_path, 12)
    code, out, _ = run(capsys, "status")
    assert code == 0 and "deck11" in out and not paged
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, _ = run(capsys, "status", "--no-pager")
    assert code == 0 and "deck11" in out and not paged
