"""The pages of the review loop: the question, the answer (rating pending, then saved), the
help screen and the flag-note prompt. Each says what its keys do; the loop draws it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mlcards.models import Choice, ScheduledCard
from mlcards.render.keys import (
    ANSWER,
    CHOICE_KEYS,
    DEFAULT_RATING,
    KEYMAPS,
    QUESTION,
    RATING,
    RATING_WORDS,
    help_screen,
)
from mlcards.render.review import Answer, CardView, prepare_card
from mlcards.render.screen import Screenful
from mlcards.review.common import AGAIN, BACK, NEXT, QUIT, SCROLL_KEYS, _Done, _Page
from mlcards.session import RATINGS, quality_for
from mlcards.terminal import BACKSPACE, ENTER, ESCAPE

if TYPE_CHECKING:
    from mlcards.review.reviewer import _Reviewer


class _Help:
    """The key table, until any key that does not scroll it."""

    keys = SCROLL_KEYS

    def __init__(self, reviewer: _Reviewer) -> None:
        self.reviewer = reviewer
        self.reopen = False

    def view(self, width: int, height: int, scroll: int | None) -> Screenful:
        return help_screen(width, height, scroll or 0, self.reviewer.glyphs)

    def act(self, action: str | None, key: str) -> str | None:
        return BACK


class _Note:
    """A flag's note typed on the line under the card: Enter keeps it, Esc cancels."""

    keys: dict[str, str] = {}
    LIMIT = 200

    def __init__(self, reviewer: _Reviewer, under: _Page) -> None:
        self.reviewer, self.under = reviewer, under
        self.text = ""
        self.reopen = False

    def view(self, width: int, height: int, scroll: int | None) -> Screenful:
        cursor = "_" if self.reviewer.glyphs.ascii else "▏"
        self.reviewer.message = (
            f"Why flag it? (Enter: done, none if empty; Esc: cancel) {self.text}{cursor}"
        )
        return self.under.view(width, height, None)

    def act(self, action: str | None, key: str) -> str | None:
        if key in (ENTER, ESCAPE):
            return key
        if key == BACKSPACE:
            self.text = self.text[:-1]
        elif len(key) == 1 and key.isprintable() and len(self.text) < self.LIMIT:
            self.text += key
        return None


class _Question:
    """One card's question screen, until it is answered, set aside, or the learner quits."""

    def __init__(self, reviewer: _Reviewer, item: ScheduledCard) -> None:
        self.r = reviewer
        self.item = reviewer.current(item)
        self.order = reviewer.order_for(self.item)
        self.selected: set[str] = set()
        self.shown_at = time.monotonic()
        self.reopen = False
        self.keys = KEYMAPS[QUESTION]

    def view(self, width: int, height: int, scroll: int | None) -> Screenful:
        return self.r.ahead.lay_out(self.card_view(width, height, scroll))

    def view_at(self, width: int, height: int, position: tuple[int, int]) -> Screenful:
        """The screen as it opens with the session at ``position`` (shown, of)."""
        return self.r.ahead.lay_out(self.card_view(width, height, None, position))

    def card_view(
        self, width: int, height: int, scroll: int | None, position: tuple[int, int] | None = None
    ) -> CardView:
        selected = frozenset(self.selected) if self.item.card.multiple else None
        return self.r.view(
            self.item, self.order, (width, height), scroll, selected=selected, position=position
        )

    def act(self, action: str | None, key: str) -> str | None:
        r, item = self.r, self.item
        if action == QUIT:
            return QUIT
        if action == "undo":
            if r.undo():
                return NEXT
            self.item = r.current(item)
        elif action in ("suspend", "bury"):
            act = r.actions.suspend if action == "suspend" else r.actions.bury
            r.message = f"{act(item)} (u takes it back)"
            r.history.append(_Done(action, item, tuple(self.order)))
            r.session.drop(item)
            return NEXT
        elif action == "flag":
            r.toggle_flag(item, self)
            self.item = r.current(item)
        elif action == "edit":
            return self.edit()
        elif action == "help":
            r.show_help()
        elif action == "dont_know":
            return self.answer((), dont_know=True)
        elif action == "submit" and item.card.multiple and self.selected:
            return self.answer(tuple(c.id for c in self.order if c.id in self.selected))
        elif action == "choose" and CHOICE_KEYS.index(key) < len(self.order):
            picked = self.order[CHOICE_KEYS.index(key)].id
            if not item.card.multiple:
                return self.answer((picked,))
            self.selected ^= {picked}
        return None

    def edit(self) -> str | None:
        r, item = self.r, self.item
        edited, r.message = r.actions.edit_if_changed(item)
        if edited is None:
            r.session.drop(item)
            return NEXT
        if edited.card != item.card:
            r.remember(edited)
            self.item = r.current(item)
            self.order = r.session.choice_order(self.item)
            self.selected, self.reopen = set(), True
        return None

    def answer(self, chosen: tuple[str, ...], dont_know: bool = False) -> str | None:
        response_ms = int((time.monotonic() - self.shown_at) * 1000)
        page = _Answered(self.r, self.item, self.order, chosen, response_ms, dont_know)
        step = page.run()
        if step != AGAIN:
            return step
        self.selected, self.reopen = set(), True
        self.item = self.r.current(self.item)
        return None


class _Answered:
    """The answer screen. A wrong answer is saved at once; a right one when it is rated,
    or, if the session ends first (q, Ctrl-C, a closed terminal), as good (4)."""

    def __init__(
        self,
        reviewer: _Reviewer,
        item: ScheduledCard,
        order: list[Choice],
        chosen: tuple[str, ...],
        response_ms: int,
        dont_know: bool,
    ) -> None:
        self.r = reviewer
        self.item, self.order, self.chosen = item, order, chosen
        self.response_ms = response_ms
        self.dont_know = dont_know
        self.correct = not dont_know and item.card.is_correct(set(chosen))
        self.position = reviewer.session.answered + 1
        self.total = reviewer.session.answered + reviewer.session.remaining
        self.previews = reviewer.session.preview_range(item, RATINGS) if self.correct else {}
        self.pending = self.correct
        self.reopen = False

    @property
    def keys(self) -> dict[str, str]:
        return KEYMAPS[RATING if self.pending else ANSWER]

    def run(self) -> str:
        if not self.correct:
            quality = quality_for(False, self.dont_know)
            saved = self.r.save(
                self.item, self.order, self.chosen, quality, self.response_ms, self.lay_out_ahead
            )
            if saved is None:
                return NEXT  # changed since it was shown: the session shows it again
        try:
            return self.r.show(self)
        except BaseException:
            if self.pending:
                self.r.notes.append(self.rate_default() + ".")
            raise

    def view(self, width: int, height: int, scroll: int | None) -> Screenful:
        rating = self.previews if self.pending else None
        answer = Answer(self.chosen, self.correct, self.dont_know, rating)
        size, where = (width, height), (self.position, self.total)
        view = self.r.view(self.item, self.order, size, scroll, answer=answer, position=where)
        return self.r.ahead.lay_out(view)

    def lay_out_ahead(self) -> None:
        """While a wrong answer commits: this screen laid out (``Ahead.lay_out``) at the
        size the question was drawn at (a resize since lays it out again)."""
        self.view(*(self.r.last_size or self.r.size()), None)

    def prepare(self, width: int) -> None:
        """While the answer is read: the next cards' questions, titles and choices laid
        out (the slowest parts of drawing a question)."""
        for item in self.r.session.queued[:2]:
            prepare_card(item, width, self.r.glyphs)

    def rate(self, rating: int, next_now: bool = False) -> bool:
        """Save the right answer with ``rating``; ``next_now``: the next question is drawn
        right after it (a rating key), so it is drawn inside the answer's transaction and
        laid out while it commits (not on the way out, or before an edit)."""
        self.pending = False
        quality = quality_for(True, rating=rating)
        ahead = self.r.ahead.question_job if next_now else None
        saved = self.r.save(
            self.item, self.order, self.chosen, quality, self.response_ms, ahead, next_now
        )
        return saved is not None

    def rate_default(self) -> str:
        key = self.item.key
        if not self.rate(DEFAULT_RATING):
            return f"Your answer to {key} was not saved: the card changed since"
        word = RATING_WORDS[DEFAULT_RATING]
        return f"Your answer to {key} was saved as {word} ({DEFAULT_RATING})"

    def act(self, action: str | None, key: str) -> str | None:
        r = self.r
        if action == "rate":
            self.rate(DEFAULT_RATING if key == ENTER else int(key), next_now=True)
            return NEXT  # (a card that changed meanwhile comes next, as it is now)
        if action == "choose_again":
            r.message = "Choose again."
            return AGAIN
        if action == "continue":
            return NEXT
        if action == QUIT:
            if self.pending:
                r.notes.append(self.rate_default() + ".")
            return QUIT
        if action == "undo":
            if r.undo():
                return NEXT
            self.item = r.current(self.item, shown=False)
        elif action == "flag":
            self.item = r.toggle_flag(self.item, self)
        elif action == "edit":
            saved = f"{self.rate_default()}. " if self.pending else ""
            edited, words = r.actions.edit_if_changed(self.item)
            r.message = saved + words
            if edited is not None:
                r.remember(edited)
                self.item = r.current(self.item, shown=False)
        elif action == "help":
            r.show_help()
        return None
