"""User text -> terminal-safe text: the one sanitiser between user data and the terminal.

Deck text, file names, settings and anything else a user (or a deck's author) wrote can hold
characters a terminal obeys instead of showing: ESC and the C1 controls start escape
sequences (set the window title, write the clipboard, plant a hyperlink, clear the screen),
other C0 controls and DEL move the cursor or erase, and the bidi overrides reorder what is
shown. Each of them is shown as a visible escape (``\\x1b``, ``\\u202e``) instead; everything
else, tab and newline included, passes unchanged. Rich markup is a separate matter: user text
reaches rich only as ``Text`` (never parsed as markup), which this module does not change.
"""

from __future__ import annotations

import os
import re

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0 controls except tab and newline, DEL, C1 controls, and the bidi embeddings, overrides
and isolates (U+202A-U+202E, U+2066-U+2069)."""

_UNSAFE_IN_NAMES = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every character a terminal would act on written as a visible escape."""
    return UNSAFE.sub(_escape, text)


def quote_path(path: str | os.PathLike[str]) -> str:
    """A file name or path for a message: as ``terminal_safe``, and tabs and newlines are
    escaped too, so a name cannot fake a line of its own."""
    return _UNSAFE_IN_NAMES.sub(_escape, os.fspath(path))


def first_unsafe(text: str) -> str | None:
    """The first character ``terminal_safe`` would escape, or None; also one written as an
    HTML character reference (``&#x202e;``), which Markdown rendering decodes onto the
    screen."""
    match = UNSAFE.search(text)
    if match is None and "&" in text:
        import html

        match = UNSAFE.search(html.unescape(text))
    return match.group() if match else None


_REFERENCE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")


def _defuse(match: re.Match[str]) -> str:
    import html

    decoded = html.unescape(match.group())
    return "&amp;" + match.group()[1:] if UNSAFE.search(decoded) else match.group()


def markdown_safe(text: str) -> str:
    """Markdown source for the terminal: as ``terminal_safe``, and a character reference
    that would decode to such a character is shown as written instead of decoded."""
    return _REFERENCE.sub(_defuse, terminal_safe(text))


def describe_char(char: str) -> str:
    """A character by its code point and, for the common ones, its name (``U+001B (ESC)``)."""
    name = _NAMES.get(char)
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


_NAMES = {
    "\x00": "NUL",
    "\x07": "BEL",
    "\x08": "backspace",
    "\x0d": "carriage return",
    "\x1b": "ESC",
    "\x7f": "DEL",
    "\x85": "NEL",
    "\x9b": "CSI",
    "\x9d": "OSC",
    "\u202a": "left-to-right embedding",
    "\u202b": "right-to-left embedding",
    "\u202c": "pop directional formatting",
    "\u202d": "left-to-right override",
    "\u202e": "right-to-left override",
    "\u2066": "left-to-right isolate",
    "\u2067": "right-to-left isolate",
    "\u2068": "first strong isolate",
    "\u2069": "pop directional isolate",
}

__all__ = [
    "UNSAFE",
    "describe_char",
    "first_unsafe",
    "markdown_safe",
    "quote_path",
    "terminal_safe",
]
