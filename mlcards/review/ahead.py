"""Screens laid out ahead of their turn, while an answer commits.

An answer's commit writes and syncs the log with the GIL released (``store.db.alongside``);
meanwhile the screen that follows it is laid out on another thread: after a right answer the
question most likely drawn next, after a wrong one the answer screen. Each is used only if it
is exactly what would be drawn then (the same card, position, size, message and time to the
second); otherwise it is laid out again, and nothing of the guess stays (the choice
shuffler is put back as it was).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mlcards.models import ScheduledCard
from mlcards.render.review import CardView, card_screen
from mlcards.render.screen import Screenful, printed, write_printed
from mlcards.review.pages import _Question

if TYPE_CHECKING:
    from mlcards.review.reviewer import _Reviewer


class Ahead:
    """The reviewer's screens: laid out once for what they show, and the next question
    made while an answer commits."""

    def __init__(self, reviewer: _Reviewer) -> None:
        self.r = reviewer
        self.laid: tuple[CardView, Screenful] | None = None
        """The last screen laid out, and the view it shows (its time to the second)."""
        self.page: tuple[_Question, tuple[Any, ...] | None] | None = None
        """The next question's page made while an answer committed, and the choice
        shuffler's state from before it."""
        self.framed: tuple[Screenful, str] | None = None
        """A screen laid out ahead and the text the screen's ``print`` makes of it."""

    def lay_out(self, view: CardView) -> Screenful:
        """``card_screen(view)``, or the same screen again when nothing it shows changed (it
        shows the time to the second): what was laid out ahead is not laid out twice."""
        shown = replace(view, elapsed_s=float(int(view.elapsed_s)))
        if self.laid is not None and self.laid[0] == shown:
            return self.laid[1]
        screen = card_screen(view)
        self.laid = (shown, screen)
        return screen

    def question_job(self) -> None:
        """While a right answer commits: the question most likely drawn next, made and laid
        out as it will be shown (the session one answer further on), and its frame's text."""
        r = self.r
        item = r.session.after_current()
        if item is None or item.key in r.fresh or item.key in r.shown_order:
            return
        rng = r.session.rng
        shuffled_from = rng.getstate() if rng else None  # (before the page shuffles)
        self.page = (page := _Question(r, item)), shuffled_from
        answered, remaining = r.session.answered, r.session.remaining
        size = r.last_size or r.size()  # (as last drawn: a resize since lays it out again)
        view = page.view_at(*size, (answered + 2, answered + remaining))
        text = printed(r.screen, view)
        self.framed = (view, text) if text is not None else None

    def question(self, item: ScheduledCard) -> _Question:
        """The question page of ``item``: the one made ahead if it is that card's."""
        r = self.r
        made, self.page = self.page, None
        if made is not None:
            page, shuffled_from = made
            changed = item.key in r.fresh or item.key in r.shown_order
            if page.item == item and not changed:
                page.shown_at = time.monotonic()
                return page
            if shuffled_from is not None and r.session.rng is not None:
                r.session.rng.setstate(shuffled_from)  # as if never made
        return _Question(r, item)

    def draw(self, view: Screenful) -> None:
        """Print ``view``: as the text made of it ahead if it is that screen."""
        framed, self.framed = self.framed, None
        if framed is not None and framed[0] is view:
            write_printed(self.r.screen, framed[1])
        else:
            self.r.screen.print(view, end="", crop=False)
