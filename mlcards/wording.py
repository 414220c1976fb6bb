"""How a count reads in English: ``1 card``, ``2 cards``, said one way in every message.

Pure text, no I/O, importable from every layer (the lint report, the screens, the commands).
"""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str = "") -> str:
    """``noun`` for one, else ``nouns`` (the noun and an ``s`` when not given)."""
    return noun if count == 1 else nouns or noun + "s"


def counted(count: int, noun: str, nouns: str = "") -> str:
    """``1 card``, ``2 cards``: a count and its noun, singular or plural (``nouns`` when the
    plural is not the noun plus ``s``)."""
    return f"{count} {plural(count, noun, nouns)}"
