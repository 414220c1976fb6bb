"""Deck text to field HTML: the fast test for plain text says what the full pattern says."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mlcards.anki.html import _MARKDOWN, _plain, markdown_to_html

SIGNS = "ab 1.)-+=>#*_`[]<&|~\\!\t\n\r\x0b\x0c\x1c\x1f\0"


@given(st.text(alphabet=st.sampled_from(SIGNS), max_size=12) | st.text(max_size=12))
def test_the_ascii_fast_path_agrees_with_the_markdown_pattern(text: str) -> None:
    assert _plain(text) == (_MARKDOWN.search(text) is None)


def test_plain_text_comes_back_as_it_is_and_markup_does_not() -> None:
    assert markdown_to_html("  gradient descent  ") == "gradient descent"
    assert markdown_to_html("a < b") == "a &lt; b"
    assert markdown_to_html("1. first") == "<ol>\n<li>first</li>\n</ol>"
