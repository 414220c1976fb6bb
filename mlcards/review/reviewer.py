"""The key loop of one session (``_Reviewer``): draws a page, reads a key, dispatches it
through the key table, and keeps the history that ``u`` takes back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from mlcards.errors import UndoRefused
from mlcards.models import Choice, Quality, ScheduledCard
from mlcards.records import ReviewRecord
from mlcards.render.glyphs import UNICODE, Glyphs
from mlcards.render.keys import SCROLLS
from mlcards.render.review import Answer, CardView, ReviewOutcome
from mlcards.review.ahead import Ahead
from mlcards.review.common import (
    CHANGED,
    LEECH_WORDS,
    QUIT,
    CardActions,
    KeyReader,
    Screen,
    _Done,
    _Page,
    scroll_to,
)
from mlcards.review.pages import _Help, _Note, _Question
from mlcards.session import CardChanged, Session
from mlcards.terminal import ENTER, RESIZE


class _Reviewer:
    """The key loop of one session; every answer reaches the journal before the next card."""

    def __init__(
        self,
        screen: Screen,
        session: Session,
        actions: CardActions,
        read_key: KeyReader,
        now: Callable[[], datetime],
        glyphs: Glyphs = UNICODE,
        links: bool = False,
        measure: Callable[[], tuple[int, int] | None] | None = None,
        printed: bool = False,
    ) -> None:
        self.screen = screen
        self.measure = measure
        self.printed = printed
        """Frames are printed one after another (``TERM=dumb``: no cursor moves): each ends
        with a line break, so it is one line shorter than the terminal, or its top line
        would scroll away."""
        self.session = session
        self.actions = actions
        self.read_key = read_key
        self.now = now
        self.glyphs = glyphs
        self.links = links
        self.started = time.monotonic()
        self.message = ""
        self.history: list[_Done] = []
        self.fresh: dict[str, ScheduledCard] = {}
        """The newest flag and content of each card changed on screen, by card key."""
        self.notes: list[str] = []
        """Said after the session, on the normal screen."""
        self.shown_order: dict[str, tuple[Choice, ...]] = {}
        """The choice order of a card whose answer, suspend or bury was undone, by card
        key: it comes back as it was shown, so a key still means the same choice."""
        self.last_size: tuple[int, int] | None = None
        """The size the last screen was drawn at (the screens laid out ahead take it)."""
        self.ahead = Ahead(self)
        """Screens laid out while an answer commits."""
        self.on_screen: tuple[ScheduledCard, int, int] | None = None
        """The first question's card and the size it was drawn at before rich loaded
        (``render/first.py``): that frame is rich's own, so it is not drawn again, unless
        the card the loop shows is not that one (changed since by an edit or an import)."""

    def outcome(self, quit_early: bool) -> ReviewOutcome:
        return ReviewOutcome(self.session.answered, self.session.correct, quit_early)

    def size(self) -> tuple[int, int]:
        """The screen's size now (the terminal's own, when it can say); kept as
        ``last_size``."""
        measured = self.measure() if self.measure is not None else None
        width, height = measured or self.screen.size
        self.last_size = max(width, 20), max(height - self.printed, 6)
        return self.last_size

    def view(
        self,
        item: ScheduledCard,
        order: list[Choice],
        size: tuple[int, int],
        scroll: int | None,
        *,
        selected: frozenset[str] | None = None,
        answer: Answer | None = None,
        position: tuple[int, int] | None = None,
    ) -> CardView:
        """The view of ``item`` as the session stands now; ``position`` (shown, of) is given
        on the answer screen, where the session has moved on already."""
        position = position or (
            self.session.answered + 1,
            self.session.answered + self.session.remaining,
        )
        return CardView(
            item,
            tuple(order),
            position=position[0],
            total=position[1],
            elapsed_s=time.monotonic() - self.started,
            mode=self.session.mode,
            message=self.message,
            selected=selected,
            answer=answer,
            width=size[0],
            height=size[1],
            scroll=scroll,
            glyphs=self.glyphs,
            links=self.links,
        )

    def show(self, page: _Page) -> str:
        """The one draw / read / scroll loop: until an action of ``page`` says where next."""
        scroll: int | None = None  # None: where the page opens (after an answer: the why)
        while True:
            width, height = self.size()
            view = page.view(width, height, scroll)
            if not self._on_screen_already(page, width, height):
                self.ahead.draw(view)
            prepare = getattr(page, "prepare", None)  # work for the next key, done meanwhile
            if prepare is not None:
                prepare(width)
            key = self.read_key()
            if key == RESIZE:
                continue  # laid out anew at the new size, from the same place
            action = page.keys.get(key.lower() if len(key) == 1 else key)
            if action in SCROLLS:
                scroll = scroll_to(action, view)
                continue
            self.message = ""
            step = page.act(action, key)
            if step is not None:
                return step
            if page.reopen:
                scroll, page.reopen = None, False

    def _on_screen_already(self, page: _Page, width: int, height: int) -> bool:
        drawn, self.on_screen = self.on_screen, None
        if drawn is None or not isinstance(page, _Question):
            return False
        return drawn == (page.item, width, height)

    def show_help(self) -> None:
        self.show(_Help(self))

    def current(self, item: ScheduledCard, shown: bool = True) -> ScheduledCard:
        """``item`` with its newest flag and content; ``shown``: it is the session's current
        card, so the session gets the fresh copy too."""
        fresh = self.fresh.get(item.key)
        if fresh is None:
            return item
        updated = replace(item, card=fresh.card, path=fresh.path, flagged=fresh.flagged)
        if updated == item:
            return item
        if shown:
            self.session.replace_current(updated)
        return updated

    def remember(self, item: ScheduledCard) -> None:
        self.fresh[item.key] = item

    def run(self) -> ReviewOutcome:
        while (item := self.session.next()) is not None:
            if self.show(self.ahead.question(item)) == QUIT:
                return self.outcome(quit_early=True)
        return self.outcome(quit_early=False)

    def toggle_flag(self, item: ScheduledCard, page: _Page) -> ScheduledCard:
        """Flag the card, with the note the learner types (Enter alone: none; Esc: no
        flag after all), or take its flag off."""
        note = None
        if not item.flagged:
            note = self.ask_note(page)
            if note is None:
                self.message = "Not flagged."
                return item
        flagged, self.message = self.actions.flag(item, note)
        self.remember(flagged)
        self.history.append(_Done("flag", flagged))
        return flagged

    def ask_note(self, page: _Page) -> str | None:
        """A flag's note, typed on the screen it was asked on; None if Esc cancels."""
        prompt = _Note(self, page)
        return prompt.text if self.show(prompt) == ENTER else None

    def undo(self) -> bool:
        """Take back the last action, whatever it was; True when the card it was done to is
        to be shown now (an answer, a suspend or a bury undone)."""
        if not self.history or (self.history[-1].kind == "answer" and not self.session.can_undo):
            self.message = "Nothing to undo yet."
            return False
        done = self.history.pop()
        key = done.item.key
        if done.kind == "answer":
            try:
                self.session.undo()
            except UndoRefused as refused:
                self.history.append(done)
                self.message = f"Not undone: {refused}."
                return False
            self.message = f"Undone: your answer to {key} was taken back."
            self.shown_order[key] = done.order
            return True
        if done.kind in ("suspend", "bury"):
            undo = self.actions.unsuspend if done.kind == "suspend" else self.actions.unbury
            self.message = undo(done.item)
            self.session.put_back(done.item)
            self.shown_order[key] = done.order
            return True
        restored, _ = self.actions.flag(done.item)
        self.remember(replace(self.fresh.get(key, restored), flagged=restored.flagged))
        state = "flagged again" if restored.flagged else "no longer flagged"
        self.message = f"Undone: the flag; {key} is {state}."
        return False

    def order_for(self, item: ScheduledCard) -> list[Choice]:
        """The order to show ``item``'s choices in: as last shown if an undo brings it back
        (and its choices are the same), else the session's (shuffled) order."""
        shown = self.shown_order.pop(item.key, ())
        choices = {choice.id: choice for choice in item.card.choices}
        if shown and sorted(choices) == sorted(choice.id for choice in shown):
            return [choices[choice.id] for choice in shown]
        return self.session.choice_order(item)

    def save(
        self,
        item: ScheduledCard,
        order: list[Choice],
        chosen: tuple[str, ...],
        quality: Quality,
        response_ms: int,
        meanwhile: Callable[[], object] | None = None,
        next_now: bool = False,
    ) -> ReviewRecord | None:
        """The answer, graded and written (``meanwhile`` run while it commits: the next
        screen laid out; ``next_now``: the next card is drawn right after, so the session
        draws it inside the answer's transaction); None (and the card shown again) if the
        card changed since it was shown."""
        try:
            record = self.session.answer(
                item, chosen, quality, response_ms, self.now(), meanwhile, look_ahead=next_now
            )
        except CardChanged:
            self.message = CHANGED
            return None
        self.history.append(_Done("answer", item, tuple(order)))
        if record.leech_action:
            self.message = f"This card has lapsed {item.lapses + 1} times: "
            self.message += LEECH_WORDS[record.leech_action]
        return record


def run_review(
    screen: Screen,
    session: Session,
    actions: CardActions,
    read_key: KeyReader,
    now: Callable[[], datetime],
    glyphs: Glyphs = UNICODE,
    links: bool = False,
) -> ReviewOutcome:
    """Drive a session: draw, read keys, grade; each answer is saved before the next card."""
    return _Reviewer(screen, session, actions, read_key, now, glyphs, links).run()
