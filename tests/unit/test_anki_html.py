"""Deck text to field HTML: the fast test for plain text says what the full pattern says, and
text it passes is what markdown-it would have written for it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mlcards.anki.html import _MARKDOWN, _parser, _plain, markdown_to_html

SIGNS = "ab 1.)-+=>#*_`[]<&|~\\!\t\n\r\x0b\x0c\x1c\x1f\0"


@given(st.text(alphabet=st.sampled_from(SIGNS), max_size=12) | st.text(max_size=12))
def test_the_ascii_fast_path_agrees_with_the_markdown_pattern(text: str) -> None:
    assert _plain(text) == (_MARKDOWN.search(text) is None)


def test_plain_text_comes_back_as_it_is_and_markup_does_not() -> None:
    assert markdown_to_html("  gradient descent  ") == "gradient descent"
    assert markdown_to_html("a < b") == "a &lt; b"
    assert markdown_to_html("1. first") == "<ol>\n<li>first</li>\n</ol>"


TEXT_BITS = st.sampled_from(
    [*"ab 1.)-+=>:/@#*_`[]<&|~\\!\"'(){}?,;\t\n", "\u00e9", "\u00a0", "\u2028", "http://x", "    "]
)


@settings(max_examples=500)
@given(st.lists(TEXT_BITS, max_size=14).map("".join) | st.text(max_size=10))
def test_text_taken_as_plain_is_what_the_parser_writes(text: str) -> None:
    """Nothing Markdown reads (emphasis, a list, an entity, ``<``) skips the parser: what the
    shortcut returns is markdown-it's paragraph, quotes aside (left as they are, as
    ``html.escape(quote=False)`` leaves them)."""
    if not _plain(text):
        return
    rendered = str(_parser().render(text)).strip().removeprefix("<p>").removesuffix("</p>")
    assert markdown_to_html(text) == rendered.replace("&quot;", '"')
