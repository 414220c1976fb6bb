"""``render/plain.py`` prints the status table as rich does to a pipe, byte for byte, or
declines (None) and leaves it to rich."""

from __future__ import annotations

import io
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from mlcards.records import DeckStatus
from mlcards.render.plain import status_text, wrap_text
from mlcards.render.text import status_table

TODAY = date(2026, 11, 25)


def rich_prints(decks: list[DeckStatus], next_due: date | None, width: int, ahead: object) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, highlight=False, force_terminal=False)
    console.print(status_table(decks, TODAY, next_due, width, ahead))  # type: ignore[arg-type]
    return out.getvalue()


def deck(i: int, name: str = "Deck", n: int = 7, **counts: int) -> DeckStatus:
    return DeckStatus(id=f"deck-{i:02d}", name=name, cards=n, new=n, due=0, retired=0,
                      next_due=None, **counts)  # fmt: skip


decks_st = st.lists(
    st.builds(
        DeckStatus,
        id=st.from_regex(r"[a-z0-9][a-z0-9_-]{0,40}", fullmatch=True),
        name=st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=40),
        cards=st.integers(0, 10**7),
        new=st.integers(0, 10**6),
        due=st.integers(0, 10**6),
        retired=st.integers(0, 10),
        next_due=st.none(),
        suspended=st.integers(0, 10**5),
        learning=st.integers(0, 999),
        new_today=st.integers(0, 999),
        reviews_today=st.integers(0, 99999),
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(
    decks=decks_st,
    width=st.integers(1, 220),
    next_due=st.none() | st.dates(date(2026, 11, 1), date(2027, 12, 31)),
    ahead=st.none() | st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)),
)
def test_plain_text_is_riches_bytes_or_none(
    decks: list[DeckStatus], width: int, next_due: date | None, ahead: tuple[int, int] | None
) -> None:
    text = status_text(decks, TODAY, next_due, width, ahead)
    if text is not None:
        assert text == rich_prints(decks, next_due, width, ahead)


@pytest.mark.parametrize("width", [60, 80, 100, 160])
def test_the_everyday_table_is_served_plain(width: int) -> None:
    """The common case must not fall back to rich (else the fast path is dead code)."""
    decks = [deck(i, f"Benchmark deck {i}", 10000, learning=i) for i in range(1, 11)]
    text = status_text(decks, TODAY, None, width, (3, 9))
    assert text is not None and text == rich_prints(decks, None, width, (3, 9))
    assert status_text([], TODAY, None, width, None) == rich_prints([], None, width, None)


def test_declines_what_rich_would_shrink_cut_or_fold() -> None:
    assert status_text([deck(1, "é")], TODAY, None, 100, None) is None  # not ASCII
    assert status_text([deck(1, "x" * 90)], TODAY, None, 100, None) is None  # name cut
    assert status_text([deck(1)], TODAY, None, 30, None) is None  # table wider than 30
    assert wrap_text("a " + "b" * 11, 10) is None  # a word longer than the line


def test_wrap_keeps_a_trailing_space_only_where_it_fits() -> None:
    out = io.StringIO()
    Console(file=out, width=10).print("aaaa bbbb cccc dddddddddd e")
    assert [f"{line}\n" for line in wrap_text("aaaa bbbb cccc dddddddddd e", 10) or ()] == (
        out.getvalue().splitlines(keepends=True)
    )
