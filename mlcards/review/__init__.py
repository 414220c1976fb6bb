"""The review loop: shows a card, reads keys, grades through the session, moves on.

UI-free apart from what it is handed: a ``Screen`` to draw on (a rich Console in the app, a
Console writing to a buffer in tests), a key reader (``mlcards.terminal``), and
``CardActions`` that do the store's part of suspend, bury, flag and edit. Every screen is
laid out to the screen's size at the moment it is drawn, so a resize is just a redraw.
"""

from mlcards.review.common import CardActions, Screen, scroll_to, scrolled
from mlcards.review.session import SessionOptions, run_review, run_session

__all__ = [
    "CardActions",
    "Screen",
    "SessionOptions",
    "run_review",
    "run_session",
    "scroll_to",
    "scrolled",
]
