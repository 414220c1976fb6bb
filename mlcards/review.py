"""The review loop: shows a card, reads keys, grades through the session, moves on.

UI-free apart from what it is handed: a ``Screen`` to draw on (a rich Console in the app, a
Console writing to a buffer in tests), a key reader (``mlcards.terminal``), and
``CardActions`` that do the store's part of suspend, bury, flag and edit. Every screen is
laid out to the screen's size at the moment it is drawn, so a resize is just a redraw.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from mlcards.errors import UndoRefused
from mlcards.models import Choice, Quality, ReviewRecord, ScheduledCard
from mlcards.render.keys import (
    ANSWER,
    CHOICE_KEYS,
    DEFAULT_RATING,
    KEYMAPS,
    QUESTION,
    RATING,
    RATING_WORDS,
    SCROLLS,
    help_screen,
)
from mlcards.render.review import Answer, CardView, ReviewOutcome, card_screen
from mlcards.render.screen import UNICODE, Glyphs, Screenful
from mlcards.session import RATINGS, CardChanged, Session, quality_for
from mlcards.terminal import BACKSPACE, ENTER, ESCAPE, RESIZE

if TYPE_CHECKING:
    from mlcards.config import Settings
    from mlcards.store import Store

CHANGED = "This card changed since it was shown (edited or re-imported); here it is again."
QUIT = "quit"
NEXT = "next"
AGAIN = "again"
BACK = "back"

KeyReader = Callable[[], str]


class Screen(Protocol):
    """Where the loop draws (``rich.console.Console`` fits)."""

    def print(self, *objects: object, end: str = "\n", crop: bool = True) -> None: ...

    @property
    def size(self) -> tuple[int, int]: ...

    @property
    def encoding(self) -> str: ...


class CardActions(Protocol):
    """What the review screen may do to a card besides answering it (the store, in the app)."""

    def suspend(self, item: ScheduledCard) -> str: ...

    def bury(self, item: ScheduledCard) -> str: ...

    def flag(self, item: ScheduledCard, note: str | None = None) -> tuple[ScheduledCard, str]:
        """Toggle the flag; ``note`` is why (a flag's; "" for none, None keeps the old)."""
        ...

    def edit_if_changed(self, item: ScheduledCard) -> tuple[ScheduledCard | None, str]: ...

    def unsuspend(self, item: ScheduledCard) -> str: ...

    def unbury(self, item: ScheduledCard) -> str: ...


LEECH_WORDS = {
    "tag": "it is now tagged as a leech (`mlcards leeches`); consider rewriting it",
    "suspend": "it is now suspended as a leech (`mlcards unsuspend` brings it back)",
}
SCROLL_KEYS = {key: action for key, action in KEYMAPS[ANSWER].items() if action in SCROLLS}


def scroll_to(action: str, view: Screenful) -> int:
    """Where a scroll action moves the view's scrolling region to."""
    steps = {"line_up": -1, "line_down": 1}
    pages = {"page_up": -1, "page_down": 1}
    if action in steps:
        target = view.scroll + steps[action]
    elif action in pages:
        target = view.scroll + pages[action] * max(view.page - 1, 1)
    else:
        target = 0 if action == "top" else view.max_scroll
    return min(max(target, 0), view.max_scroll)


def scrolled(key: str, view: Screenful) -> int | None:
    """Where ``key`` moves the view's scrolling region to, or None if it is no scroll key."""
    action = SCROLL_KEYS.get(key)
    return None if action is None else scroll_to(action, view)


class _Page(Protocol):
    """One screen of the loop: how it looks now, and what its actions do."""

    reopen: bool
    """Set by an action that changed what is shown: the next view opens afresh."""

    @property
    def keys(self) -> dict[str, str]: ...

    def view(self, width: int, height: int, scroll: int | None) -> Screenful: ...

    def act(self, action: str | None, key: str) -> str | None: ...


@dataclass(frozen=True)
class _Done:
    """One action ``u`` can take back: an answer, a suspend, a bury or a flag; and the
    order the card's choices were shown in, for showing it again as it was."""

    kind: str
    item: ScheduledCard
    order: tuple[Choice, ...] = ()


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

    def outcome(self, quit_early: bool) -> ReviewOutcome:
        return ReviewOutcome(self.session.answered, self.session.correct, quit_early)

    def size(self) -> tuple[int, int]:
        """The screen's size now (the terminal's own, when it can say)."""
        measured = self.measure() if self.measure is not None else None
        width, height = measured or self.screen.size
        return max(width, 20), max(height - self.printed, 6)

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
            self.screen.print(view, end="", crop=False)
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
            if self.show(_Question(self, item)) == QUIT:
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
    ) -> ReviewRecord | None:
        """The answer, graded and written; None (and the card shown again) if the card
        changed since it was shown."""
        try:
            record = self.session.answer(item, chosen, quality, response_ms, self.now())
        except CardChanged:
            self.message = CHANGED
            return None
        self.history.append(_Done("answer", item, tuple(order)))
        if record.leech_action:
            self.message = f"This card has lapsed {item.lapses + 1} times: "
            self.message += LEECH_WORDS[record.leech_action]
        return record


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
        selected = frozenset(self.selected) if self.item.card.multiple else None
        view = self.r.view(self.item, self.order, (width, height), scroll, selected=selected)
        return card_screen(view)

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
            if self.r.save(self.item, self.order, self.chosen, quality, self.response_ms) is None:
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
        return card_screen(view)

    def rate(self, rating: int) -> bool:
        self.pending = False
        quality = quality_for(True, rating=rating)
        saved = self.r.save(self.item, self.order, self.chosen, quality, self.response_ms)
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
            self.rate(DEFAULT_RATING if key == ENTER else int(key))
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


@dataclass(frozen=True)
class SessionOptions:
    """How one sitting runs (the options of ``review`` and ``practice``)."""

    mode: str = "review"
    shuffle: bool = True
    deck: str | None = None
    minutes: float | None = None
    suspend_leeches: bool = False
    new_limit: int | None = None
    """``--new N``: N new cards this session, past today's limits."""


def _silence_output() -> None:
    """The terminal is gone: nothing more can be shown, so say nothing (and no traceback
    about a failed write at exit)."""
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            os.dup2(devnull, stream.fileno())
    except (OSError, ValueError):
        pass


EXIT_HANGUP = 129


def run_session(
    screen: Screen,
    store: Store,
    queue: list[ScheduledCard],
    settings: Settings,
    today: date,
    options: SessionOptions,
) -> bool:
    """One review or practice session on the full screen, then its summary on the normal
    one. Every answer is in the log before the next card; returns False when it was
    interrupted (Ctrl-C, end of input). A closed terminal ends it quietly (exit 129)."""
    from mlcards import clock
    from mlcards.render.review import render_summary
    from mlcards.render.screen import ASCII, glyphs_for
    from mlcards.services.study import StoreActions, left_today, start_session
    from mlcards.terminal import (
        Hangup,
        hyperlinks_supported,
        locale_is_utf8,
        supports_screen,
        terminal_keys,
    )

    session = start_session(
        store,
        settings,
        today,
        queue,
        mode=options.mode,
        shuffle=options.shuffle,
        minutes=options.minutes,
        suspend_leeches=options.suspend_leeches,
        new_limit=options.new_limit,
    )
    glyphs = ASCII if locale_is_utf8() is False else glyphs_for(screen.encoding)
    interrupted = hung_up = False
    with terminal_keys(full_screen=supports_screen()) as terminal:
        actions = StoreActions(store, today, terminal.pause, clock.now)
        reviewer = _Reviewer(
            screen,
            session,
            actions,
            terminal,
            clock.now,
            glyphs,
            hyperlinks_supported(),
            terminal.size,  # the tty's own size (rich says 80x25 for any dumb terminal)
            printed=not supports_screen(),
        )
        try:
            outcome = reviewer.run()
        except Hangup:
            hung_up = True
        except (KeyboardInterrupt, EOFError):
            interrupted = True
        if hung_up or interrupted:
            outcome = ReviewOutcome(session.answered, session.correct, quit_early=True)
    if hung_up:
        _silence_output()
        raise SystemExit(EXIT_HANGUP)
    screen.print()
    left = left_today(store, settings, today, options.deck)
    next_due = store.cards.next_due(options.deck)
    screen.print(render_summary(outcome, next_due, today, glyphs, left=left))
    for note in reviewer.notes:
        screen.print(glyphs.text(note))
    if session.out_of_time and session.remaining:
        cards = "1 card" if session.remaining == 1 else f"{session.remaining} cards"
        screen.print(f"Time is up: {cards} left for later.")
    if interrupted:
        given = (
            "the 1 answer given was"
            if outcome.answered == 1
            else f"the {outcome.answered} answers given were"
        )
        screen.print(f"Interrupted: {given} saved.")
    return not interrupted
