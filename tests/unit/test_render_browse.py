"""``mlcards show`` as drawn by ``mlcards.render.browse.card_story``: every part of the card
at 60 and 80 columns, deck text made harmless, NO_COLOR, and plain lines when piped."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers import build_history, run
from rich.console import Console

from mlcards.models import Choice, Reference
from mlcards.records import BrowsedCard, HistoryEntry
from mlcards.render.browse import card_story, preview_line
from mlcards.store import Store

TODAY = date(2026, 3, 20)
LONG = "a choice long enough that it has to wrap at sixty columns, under itself " * 2
URL = "https://example.com/" + "a-very-long-path/" * 6 + "end"


@pytest.fixture
def leech(db_path: Path) -> tuple[BrowsedCard, list[HistoryEntry]]:
    with Store.open(db_path) as store:
        build_history(store)
        card = store.search.card("alpha", "leech")
        history = store.search.history("alpha", "leech")
    assert card is not None
    long = replace(
        card.card,
        title="Leech",
        choices=(Choice("a", "Alpha"), Choice("b", LONG), Choice("c", "Gamma")),
        explanation="Because **the** key is *Alpha*.",
        references=(Reference("A paper", URL),),
    )
    return replace(card, card=long, flagged=True, flag_note="check the key"), history


def draw(card: BrowsedCard, history: list[HistoryEntry], width: int, **console: Any) -> str:
    out = io.StringIO()
    Console(file=out, width=width, **console).print(
        card_story(card, "sm2", True, history, TODAY, width)
    )
    return out.getvalue()


@pytest.mark.parametrize("width", [60, 80])
def test_every_part_fits_the_width(
    leech: tuple[BrowsedCard, list[HistoryEntry]], width: int
) -> None:
    text = draw(*leech, width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert all(line == line.rstrip() for line in lines)  # no padding when piped
    assert "alpha/leech  Leech" in lines[0]
    assert "Question leech?" in text
    assert "✓ 1. Alpha" in text and "  2. a choice long enough" in text
    wrapped = next(i for i, line in enumerate(lines) if "2. a choice" in line)
    assert lines[wrapped + 1].startswith("     ")  # a long choice wraps under itself
    assert "Because the key is Alpha." in text  # Markdown, as the review screen draws it
    assert "A paper" in text and "".join(text.split()).count(URL) == 1
    for label in ("Stage", "Due", "Interval", "EF", "Lapses", "Flagged", "Added"):
        assert label in text
    assert "8 (leech)" in text and "check the key" in text
    assert "History (17 answers)" in text and "Chosen" in text
    assert "Gamma" in text.split("History")[1] and "✗" in text


def test_deck_text_reaches_the_terminal_escaped(
    leech: tuple[BrowsedCard, list[HistoryEntry]],
) -> None:
    card, history = leech
    evil = replace(
        card.card,
        title="\x1b[5mblink",
        question="Which\x9b2J?",
        choices=(Choice("a", "\x1b]8;;file:///etc/passwd\x1b\\A"), *card.card.choices[1:]),
        explanation="Because\x07.",
        references=(Reference("Ref\x08", "https://example.com/\x1b[2J"),),
        tags=("t\x1b[31m",),
    )
    text = draw(replace(card, card=evil, flag_note="\x1b]0;x\x07"), history, 80)
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
    assert "\x08" not in text
    assert "\\x1b" in text or "^[" in text or "\\e" in text  # shown, not acted on


def test_no_color_keeps_colours_off(
    leech: tuple[BrowsedCard, list[HistoryEntry]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    colour = draw(*leech, 80, force_terminal=True, color_system="standard")
    assert "\x1b[32m" in colour or "\x1b[1;32m" in colour  # the right choice, green
    monkeypatch.setenv("NO_COLOR", "1")
    plain = draw(*leech, 80, force_terminal=True, color_system="standard")
    assert "\x1b[32m" not in plain and "\x1b[31m" not in plain and ";32m" not in plain


@pytest.mark.parametrize("width", [60, 80])
def test_show_on_the_command_line_fits(
    capsys: pytest.CaptureFixture[str],
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    with Store.open(db_path) as store:
        build_history(store)
    monkeypatch.setenv("MLCARDS_NOW", "2026-03-20T12:00:00+00:00")
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, _ = run(capsys, "show", "alpha/leech")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= width
    assert "\x1b" not in out  # piped: plain text
    assert "✓ 1. Alpha" in out and "History (17 answers)" in out


@pytest.mark.parametrize("width", [20, 30, 57])
def test_a_preview_line_cut_to_its_width_says_so(
    leech: tuple[BrowsedCard, list[HistoryEntry]], width: int
) -> None:
    card = replace(leech[0], card=replace(leech[0].card, title="Why LSTMs remember long ranges"))
    whole = preview_line(card, 200)
    assert whole == "alpha/leech  Why LSTMs remember long ranges"
    cut = preview_line(card, width)
    if len(whole) <= width:
        assert cut == whole
    else:
        assert len(cut) == width and cut.endswith("…") and whole.startswith(cut[:-1])
