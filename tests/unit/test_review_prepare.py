"""Work done for the next key while a screen is read, and layouts done without rich where
they are provably the same: footers laid out once, the next question's Markdown, title
and choices laid out before its key comes, borders drawn without wrapping; none changes
what is drawn (segment for segment)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.padding import Padding
from rich.segment import Segment
from rich.text import Text
from screen_helpers import CARDS, bundled, question_screen

from mlcards.render import pieces, review, screen
from mlcards.render.glyphs import ASCII, UNICODE
from mlcards.render.screen import lines_of
from mlcards.sanitize import markdown_safe


def test_a_footer_comes_from_its_cache_as_fresh_lists() -> None:
    parts: list[Text | str] = [Text("1 hard", style="bold"), "q quit", "? help"]
    first = pieces.footer(parts, 50, UNICODE)
    assert first == pieces.footer_lines(parts, 50, UNICODE)
    first[0].clear()  # a caller changing its lines changes no other caller's
    assert pieces.footer(parts, 50, UNICODE) == pieces.footer_lines(parts, 50, UNICODE)
    other = pieces.footer([Text("1 hard", style="italic"), "q quit", "? help"], 50, UNICODE)
    assert other != first and other[0]  # another style is another footer


@pytest.mark.parametrize(("path", "index"), CARDS[:3])
def test_a_prepared_question_is_drawn_without_markdown(
    path: Path, index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = bundled(path, index)
    order = list(item.card.choices)
    review._question_lines.cache_clear()
    expected = question_screen(item, order, position=1, total=2, width=80, height=24).text
    review._question_lines.cache_clear()
    review.prepare_question(item.card.question, 80, UNICODE)

    def no_markdown(text: str) -> object:
        raise AssertionError("laid out again")

    monkeypatch.setattr(review, "_markdown", no_markdown)
    assert question_screen(item, order, position=1, total=2, width=80, height=24).text == expected


def drawn(renderable: object, width: int) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=True, color_system="truecolor")
    console.print(Padding(renderable, (0, 1)))
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(
    first=st.from_regex(r"[A-Za-z]", fullmatch=True),
    words=st.lists(st.from_regex(r"[A-Za-z0-9,.?!'\";:%()/=+-]{0,12}", fullmatch=True)),
    spaces=st.sampled_from([" ", "  "]),
    width=st.integers(8, 120),
)
def test_plain_text_is_drawn_as_markdown_draws_it(
    first: str, words: list[str], spaces: str, width: int
) -> None:
    """What ``_markdown`` draws without the parser equals what rich's Markdown draws."""
    from rich.markdown import Markdown

    text = first + spaces.join(words)

    fast = pieces.markdown(text)
    assert isinstance(fast, Text)  # the fast path was taken (else this test proves nothing)
    assert drawn(fast, width) == drawn(Markdown(markdown_safe(text.strip())), width)


def test_markdown_syntax_still_goes_to_the_parser() -> None:
    for text in ("Use `x`", "*a*", "- item", "1. first", "a & b", "a\\b", "a\nb", "# T", "<b>"):
        assert not isinstance(pieces.markdown(text), Text)


_WORDS = st.sampled_from(
    ["a", "word", "longer-word", "supercalifragilisticexpialidocious", "日本語のテキスト", "😀",
     "👩‍👩‍👧", "é", "x²", "—", "α", "", " ", "[b]", "`code`", "0123456789" * 3]
)  # fmt: skip
_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["[1]", "[2]", "[9]", "[x]1", "[ ]2", "[x]9"]),
        st.lists(_WORDS, max_size=40).map(" ".join),
        st.sampled_from(["", "bold"]),
    ),
    min_size=1,
    max_size=9,
)


@settings(max_examples=400, deadline=None)
@given(rows=_ROWS, width=st.integers(6, 120), indent=st.integers(0, 1), ascii=st.booleans())
def test_choices_are_laid_out_as_the_rich_table_lays_them_out(
    rows: list[tuple[str, str, str]], width: int, indent: int, ascii: bool
) -> None:
    """The choices block put together from cached cells is, segment for segment, what
    rich's grid draws: long, wide (CJK, emoji) and empty texts, ticked rows, both glyph sets."""
    g = ASCII if ascii else UNICODE
    if width - indent <= pieces.KEY_CELLS + 1:
        return  # the screen draws these with the table itself
    table = pieces.choices_table(rows)
    expected = lines_of(Padding(table, (0, 0, 0, indent)) if indent else table, width, g)
    assert pieces.choice_lines(rows, width, g, indent) == expected
    assert pieces.choice_lines(rows, width, g, indent) == expected  # and again, from the cache


def test_choices_too_narrow_for_their_text_are_drawn_by_the_table() -> None:
    item = bundled(*CARDS[0])
    order = list(item.card.choices)
    rows = [(f"[{i + 1}]", c.text.strip(), "") for i, c in enumerate(order)]
    table = pieces.choices_table(rows)
    for width in range(1, 8):
        drawn = review._question_choices(order, None, UNICODE, width, 1)
        assert drawn == lines_of(Padding(table, (0, 0, 0, 1)), width, UNICODE)


@settings(max_examples=300, deadline=None)
@given(
    left=st.lists(_WORDS, max_size=12).map(" ".join),
    right=st.lists(_WORDS, max_size=8).map(" ".join),
    width=st.integers(6, 120),
    top=st.booleans(),
    ascii=st.booleans(),
)
def test_border_lines_are_drawn_as_rich_draws_them(
    left: str, right: str, width: int, top: bool, ascii: bool
) -> None:
    """``one_line`` (a border or rule drawn without rich's wrapping) is what ``lines_of``
    draws: box borders with a title and a note, rules with labels."""
    g = ASCII if ascii else UNICODE
    labels = (Text(left, style="bold"), Text(right))

    def drawn() -> tuple[list[Segment], list[Segment]]:
        return (
            screen.box_line(width, g, top, *labels),
            screen.rule_line(width, g, labels[0], right),
        )

    fast = drawn()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(screen, "one_line", lambda text, w, glyphs: lines_of(text, w, glyphs)[0])
        assert drawn() == fast


@pytest.mark.parametrize(("path", "index"), CARDS[:4])
def test_a_prepared_card_is_drawn_without_laying_out_its_parts(
    path: Path, index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After ``prepare_card`` (while the previous answer is read), the question screen in
    any choice order lays out neither the Markdown, nor a choice, nor the box's title."""
    item = bundled(path, index)
    order = list(reversed(item.card.choices))
    selected = frozenset[str]() if item.card.multiple else None  # as the review shows it
    shown: dict[str, Any] = {"position": 3, "total": 9, "elapsed_s": 75.0, "selected": selected}
    shown.update(width=80, height=30)
    review._question_lines.cache_clear()
    review._title_line.cache_clear()
    pieces._cell.cache_clear()
    expected = question_screen(item, order, **shown).lines
    review._question_lines.cache_clear()
    review._title_line.cache_clear()
    pieces._cell.cache_clear()
    review.prepare_card(item, 80, UNICODE)

    def laid_out(*args: object, **kwargs: object) -> object:
        raise AssertionError("laid out again")

    monkeypatch.setattr(review, "_markdown", laid_out)
    monkeypatch.setattr(pieces, "layout", laid_out)
    real_box_line = screen.box_line

    def bottom_only(width: int, g: object, top: bool, *rest: Any) -> list[Segment]:
        assert not top, "the title was laid out again"
        return real_box_line(width, g, top, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(review, "box_line", bottom_only)
    assert question_screen(item, order, **shown).lines == expected


@settings(max_examples=300, deadline=None)
@given(
    note=st.one_of(
        st.lists(_WORDS, max_size=8).map(" ".join),
        st.from_regex(
            r"(more [↓v]  )?(new|review)( · flagged)? · \d+ of \d+ · \d+:\d\d", fullmatch=True
        ),
    ),
    width=st.integers(1, 120),
    ascii=st.booleans(),
)
def test_the_bottom_border_is_drawn_as_rich_draws_it(note: str, width: int, ascii: bool) -> None:
    g = ASCII if ascii else UNICODE
    expected = screen.box_line(width, g, False, None, Text(note))
    assert screen.bottom_line(width, g, note) == expected
