"""Deck Markdown -> HTML for an Anki field, with nothing a card could run.

Raw HTML in deck text is escaped (markdown-it with ``html`` off), images are not rendered
(a remote image would report when a card is shown), and links keep only http(s) and mailto
targets. What remains is the small set of tags markdown-it itself writes for CommonMark:
paragraphs, emphasis, code, lists, quotes, headings, rules, tables and links.
"""

from __future__ import annotations

import html
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "hr", "a"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "s", "del", "table", "thead", "tbody", "tr"}
    | {"th", "td"}
)
_TAG = re.compile(r"</?([a-zA-Z0-9]+)")


def _validate_link(url: str) -> bool:
    return url.strip().lower().startswith(_SAFE_SCHEMES)


def link_html(title: str, url: str) -> str:
    """A reference: its title as a link when the URL is http(s) or mailto, else as text."""
    shown = markdown_to_html(title) if title else html.escape(url, quote=False)
    if not _validate_link(url):
        return shown
    return f'<a href="{html.escape(url.strip(), quote=True)}">{shown}</a>'


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # only once a text needs it: plain text never does

    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["table", "strikethrough"])
    parser.disable("image")
    parser.validateLink = _validate_link  # type: ignore[method-assign]
    return parser


_MARKDOWN = re.compile(r"[\\`*_\[\]<>&!#|~\0]|[^\S ]|^ *(?:[-+=>]|\d+[.)])|^ {4}")
"""What could make text more than plain words to markdown-it; anything else renders as the
escaped text itself, so most choices skip the parser (it is most of an export's time)."""
_ASCII_SIGNS = re.compile(r"[\\`*_\[\]<>&!#|~\0\t\n\x0b\x0c\r\x1c-\x1f]")
_LEADING = re.compile(r" *(?:[-+=>]|\d+[.)])| {4}")
"""``_MARKDOWN`` split for ASCII text (most of it): a character class of the signs and of
ASCII whitespace other than the space, searched alone, and the start of the text, matched
there only; one alternation tried at every position is several times slower."""


def _plain(text: str) -> bool:
    """Whether ``_MARKDOWN`` finds nothing in ``text``."""
    if text.isascii():
        return not (_ASCII_SIGNS.search(text) or _LEADING.match(text))
    return not _MARKDOWN.search(text)


@lru_cache(maxsize=8192)
def markdown_to_html(text: str) -> str:
    """Deck Markdown as field HTML; a single paragraph loses its ``<p>`` so short choices
    stay inline."""
    if _plain(text):  # nothing to escape either: ``&``, ``<`` and ``>`` are signs
        return text.strip(" ")
    rendered = str(_parser().render(text)).strip()
    unexpected = {m.group(1).lower() for m in _TAG.finditer(rendered)} - _ALLOWED_TAGS
    if unexpected:  # markdown-it changed what it writes: fall back to text, never to markup
        return html.escape(text).replace("\n", "<br>")
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return rendered
