"""Work done for the next key while a screen is read: footers laid out once, the next
question's Markdown laid out before its key comes; neither changes what is drawn."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.padding import Padding
from rich.text import Text
from screen_helpers import CARDS, bundled, question_screen

from mlcards.render import pieces, review
from mlcards.render.glyphs import UNICODE
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
