"""The review loop: shows a card, reads keys, grades through the session, moves on.

UI-free apart from what it is handed: a ``Screen`` to draw on (a rich Console in the app, a
Console writing to a buffer in tests), a key reader (``mlcards.terminal``), and
``CardActions`` that do the store's part of suspend, bury, flag and edit. Every screen is
laid out to the screen's size at the moment it is drawn, so a resize is just a redraw.

The names below load on first use: ``run_session`` draws the first card (``render/first.py``)
before the loop's modules and rich are imported.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlcards.review.common import CardActions, Screen, scroll_to, scrolled
    from mlcards.review.reviewer import run_review
    from mlcards.review.session import SessionOptions, run_session

_WHERE = {
    "CardActions": "common",
    "Screen": "common",
    "scroll_to": "common",
    "scrolled": "common",
    "SessionOptions": "session",
    "run_review": "reviewer",
    "run_session": "session",
}

__all__ = [
    "CardActions",
    "Screen",
    "SessionOptions",
    "run_review",
    "run_session",
    "scroll_to",
    "scrolled",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'mlcards.review' has no attribute {name!r}")
    return getattr(import_module(f"mlcards.review.{_WHERE[name]}"), name)
