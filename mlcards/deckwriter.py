"""Deck documents (plain dicts, lists and strings) written as YAML that the strict loader in
``mlcards.deck`` reads back to the same values: ``|`` block scalars where a block keeps the
text exactly, quoted scalars otherwise. Used by the converters (``mlcards.formats``).

A deck can also be written a card at a time (``dump_deck_head``, then ``dump_card`` for each
card): the two give exactly the text ``dump_deck`` gives for the whole document, so a
converter streaming a million rows never holds the document in memory."""

from __future__ import annotations

import re

DeckValue = str | list["DeckValue"] | dict[str, "DeckValue"]
"""A deck document as plain data: what ``dump_deck`` writes and the loader reads back."""

BLOCK_KEYS = frozenset({"question", "explanation"})
"""Keys written as ``|`` block scalars whenever the text allows it, even on one line."""

# A plain scalar only for slug-shaped text that no YAML reader (1.1 or 1.2) takes for
# anything but a string: no leading digit (numbers, dates, 1_000), none of the 1.1 booleans.
_PLAIN_SAFE = re.compile(r"[a-z][a-z0-9_-]*")
_YAML11_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
# Characters a block or single-quoted scalar cannot carry as written: the loader's refusals,
# tabs, the line breaks YAML normalises (CR, NEL, LS, PS) and the byte-order mark.
_NEEDS_ESCAPE = re.compile(
    "[^\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}


def dump_deck(document: dict[str, DeckValue]) -> str:
    """Write a deck document as YAML that ``parse_deck`` reads back to the same values.

    Converters build plain data and let this function own the quoting, so no converted text
    can change the structure of the file: question and explanation become ``|`` blocks where
    a block keeps the text exactly, slug-shaped values stay plain, everything else is quoted.
    """
    lines: list[str] = []
    _dump_mapping(document, 0, lines)
    return "\n".join(lines) + "\n"


def dump_deck_head(document: dict[str, DeckValue]) -> str:
    """The deck's keys (without ``cards``) and the ``cards:`` line that ``dump_card`` items
    follow."""
    lines: list[str] = []
    _dump_mapping({k: v for k, v in document.items() if k != "cards"}, 0, lines)
    lines.append("cards:")
    return "\n".join(lines) + "\n"


def dump_card(card: dict[str, DeckValue]) -> str:
    """One item of the ``cards:`` list, as ``dump_deck`` writes it inside the document."""
    lines: list[str] = []
    _dump_sequence([card], 2, lines)
    return "\n".join(lines) + "\n"


def _dump_mapping(mapping: dict[str, DeckValue], indent: int, lines: list[str]) -> None:
    for key, value in mapping.items():
        _dump_entry(" " * indent + _flow_scalar(key) + ":", key, value, indent, lines)


def _dump_entry(head: str, key: str, value: DeckValue, indent: int, lines: list[str]) -> None:
    if isinstance(value, str):
        block = _block_scalar(value, indent + 2, force=key in BLOCK_KEYS)
        if block is None:
            lines.append(f"{head} {_flow_scalar(value)}")
        else:
            lines.append(f"{head} {block[0]}")
            lines.extend(block[1:])
    elif isinstance(value, list | dict) and not value:
        lines.append(f"{head} {'[]' if isinstance(value, list) else '{}'}")
    elif isinstance(value, list):
        lines.append(head)
        _dump_sequence(value, indent + 2, lines)
    elif isinstance(value, dict):
        lines.append(head)
        _dump_mapping(value, indent + 2, lines)
    else:  # pragma: no cover - the type says it cannot happen; the data may still try
        raise TypeError(f"cannot write {type(value).__name__} into a deck")


def _dump_sequence(items: list[DeckValue], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, dict) and item:
            first = len(lines)
            _dump_mapping(item, indent + 2, lines)
            lines[first] = pad + "- " + lines[first][indent + 2 :]
        elif isinstance(item, str):
            block = _block_scalar(item, indent + 2, force=False)
            if block is None:
                lines.append(f"{pad}- {_flow_scalar(item)}")
            else:
                lines.append(f"{pad}- {block[0]}")
                lines.extend(block[1:])
        elif isinstance(item, list) and item:
            lines.append(f"{pad}-")
            _dump_sequence(item, indent + 2, lines)
        else:
            lines.append(f"{pad}- {'[]' if isinstance(item, list) else '{}'}")


def _block_scalar(text: str, indent: int, *, force: bool) -> list[str] | None:
    """``|`` block lines for text a literal block keeps exactly, else None.

    Multi-line text always gets a block when it can; one-line text only for ``force`` keys.
    A block cannot keep trailing spaces (editors strip them), a first line that starts with
    a space (it would set the indentation), tabs or escaped characters: those are quoted.
    """
    if not force and "\n" not in text:
        return None
    body = text.rstrip("\n")
    if not body.strip() or _NEEDS_ESCAPE.search(text):
        return None
    rows = body.split("\n")
    first = next(row for row in rows if row)
    if first[0] == " " or any(row != row.rstrip(" ") for row in rows):
        return None
    trailing = len(text) - len(body)
    header = "|-" if trailing == 0 else "|" if trailing == 1 else "|+"
    pad = " " * indent
    out = [header] + [pad + row if row else "" for row in rows]
    out.extend([""] * (trailing - 1))
    return out


def _flow_scalar(text: str) -> str:
    if _PLAIN_SAFE.fullmatch(text) and text not in _YAML11_WORDS:
        return text
    if "\n" not in text and not _NEEDS_ESCAPE.search(text):
        return "'" + text.replace("'", "''") + "'"
    return '"' + "".join(_escape_char(c) for c in text) + '"'


def _escape_char(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if not _NEEDS_ESCAPE.fullmatch(char):
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
