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
from mlcards.render.review import (
    CHOICE_KEYS,
    DEFAULT_RATING,
    RATING_WORDS,
    ReviewOutcome,
    answer_screen,
    help_screen,
    question_screen,
)
from mlcards.render.screen import UNICODE, Glyphs, Screenful
from mlcards.session import RATINGS, CardChanged, Session, quality_for
from mlcards.terminal import DOWN, END, ENTER, HOME, PAGE_DOWN, PAGE_UP, RESIZE, UP

if TYPE_CHECKING:
    from mlcards.config import Settings
    from mlcards.store import Store

CHANGED = "This card changed since it was shown (edited or re-imported); here it is again."
DONT_KNOW = "d"
QUIT = "q"
UNDO = "u"
RATING_KEYS = {"3": 3, "4": 4, "5": 5, ENTER: DEFAULT_RATING}
LINE_KEYS = {UP: -1, "k": -1, DOWN: 1, "j": 1}
PAGE_KEYS = {PAGE_UP: -1, PAGE_DOWN: 1, " ": 1}

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

    def flag(self, item: ScheduledCard) -> tuple[ScheduledCard, str]: ...

    def edit_if_changed(self, item: ScheduledCard) -> tuple[ScheduledCard | None, str]: ...

    def unsuspend(self, item: ScheduledCard) -> str: ...

    def unbury(self, item: ScheduledCard) -> str: ...


LEECH_WORDS = {
    "tag": "it is now tagged as a leech (`mlcards leeches`); consider rewriting it",
    "suspend": "it is now suspended as a leech (`mlcards unsuspend` brings it back)",
}


def scrolled(key: str, view: Screenful) -> int | None:
    """Where ``key`` moves the view's scrolling region to, or None if it is no scroll key."""
    if key in LINE_KEYS:
        target = view.scroll + LINE_KEYS[key]
    elif key in PAGE_KEYS:
        target = view.scroll + PAGE_KEYS[key] * max(view.page - 1, 1)
    elif key == HOME:
        target = 0
    elif key == END:
        target = view.max_scroll
    else:
        return None
    return min(max(target, 0), view.max_scroll)


@dataclass(frozen=True)
class _Done:
    """One action ``u`` can take back: an answer, a suspend, a bury or a flag."""

    kind: str
    item: ScheduledCard


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
    ) -> None:
        self.screen = screen
        self.measure = measure
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

    def outcome(self, quit_early: bool) -> ReviewOutcome:
        return ReviewOutcome(self.session.answered, self.session.correct, quit_early)

    def size(self) -> tuple[int, int]:
        """The screen's size now (the terminal's own, when it can say)."""
        measured = self.measure() if self.measure is not None else None
        width, height = measured or self.screen.size
        return max(width, 20), max(height, 6)

    def draw(self, view: Screenful) -> Screenful:
        self.screen.print(view, end="", crop=False)
        return view

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

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

    def show_help(self) -> None:
        scroll = 0
        while True:
            view = self.draw(help_screen(*self.size(), scroll, self.glyphs))
            key = self.read_key()
            moved = scrolled(key, view)
            if moved is not None and view.max_scroll:
                scroll = moved
            elif key != RESIZE:
                return

    def run(self) -> ReviewOutcome:
        while (item := self.session.next()) is not None:
            if self.card(item) == QUIT:
                return self.outcome(quit_early=True)
        return self.outcome(quit_early=False)

    def toggle_flag(self, item: ScheduledCard) -> ScheduledCard:
        flagged, self.message = self.actions.flag(item)
        self.remember(flagged)
        self.history.append(_Done("flag", flagged))
        return flagged

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
            return True
        if done.kind in ("suspend", "bury"):
            undo = self.actions.unsuspend if done.kind == "suspend" else self.actions.unbury
            self.message = undo(done.item)
            self.session.put_back(done.item)
            return True
        restored, _ = self.actions.flag(done.item)
        self.remember(replace(self.fresh.get(key, restored), flagged=restored.flagged))
        state = "flagged again" if restored.flagged else "no longer flagged"
        self.message = f"Undone: the flag; {key} is {state}."
        return False

    def card(self, item: ScheduledCard) -> str:
        """Show one card until it is answered, set aside, or the learner quits."""
        item = self.current(item)
        order = self.session.choice_order(item)
        selected: set[str] = set()
        scroll = 0
        shown_at = time.monotonic()
        position = self.session.answered + 1
        total = self.session.answered + self.session.remaining
        while True:
            multiple = item.card.multiple
            width, height = self.size()
            view = self.draw(
                question_screen(
                    item,
                    order,
                    position=position,
                    total=total,
                    elapsed_s=self.elapsed,
                    selected=selected if multiple else None,
                    mode=self.session.mode,
                    message=self.message,
                    width=width,
                    height=height,
                    scroll=scroll,
                    glyphs=self.glyphs,
                )
            )
            key = self.read_key()
            moved = scrolled(key, view)
            if moved is not None:
                scroll = moved
                continue
            if key == RESIZE:
                continue
            self.message = ""
            if key == QUIT:
                return QUIT
            if key == UNDO:
                if self.undo():
                    return "next"
                item = self.current(item)
            elif key in ("s", "b"):
                kind = "suspend" if key == "s" else "bury"
                action = self.actions.suspend if key == "s" else self.actions.bury
                self.message = f"{action(item)} (u takes it back)"
                self.history.append(_Done(kind, item))
                self.session.drop(item)
                return "next"
            elif key == "f":
                self.toggle_flag(item)
                item = self.current(item)
            elif key == "e":
                edited, self.message = self.actions.edit_if_changed(item)
                if edited is None:
                    self.session.drop(item)
                    return "next"
                if edited.card != item.card:
                    self.remember(edited)
                    item = self.current(item)
                    order = self.session.choice_order(item)
                    selected, scroll = set(), 0
            elif key == "?":
                self.show_help()
            elif key in (DONT_KNOW, ENTER) or key in CHOICE_KEYS[: len(order)]:
                chosen: tuple[str, ...] | None = None
                if key == DONT_KNOW:
                    chosen = ()
                elif key == ENTER:
                    if multiple and selected:
                        chosen = tuple(c.id for c in order if c.id in selected)
                elif not multiple:
                    chosen = (order[CHOICE_KEYS.index(key)].id,)
                else:
                    selected ^= {order[CHOICE_KEYS.index(key)].id}
                if chosen is None:
                    continue
                step = self.answered(item, order, chosen, shown_at, dont_know=key == DONT_KNOW)
                if step != "again":
                    return step
                selected, scroll = set(), 0
                item = self.current(item)

    def save(
        self, item: ScheduledCard, chosen: tuple[str, ...], quality: Quality, response_ms: int
    ) -> ReviewRecord | None:
        """The answer, graded and written; None (and the card shown again) if the card
        changed since it was shown."""
        try:
            record = self.session.answer(item, chosen, quality, response_ms, self.now())
        except CardChanged:
            self.message = CHANGED
            return None
        self.history.append(_Done("answer", item))
        if record.leech_action:
            self.message = f"This card has lapsed {item.lapses + 1} times: "
            self.message += LEECH_WORDS[record.leech_action]
        return record

    def answered(
        self,
        item: ScheduledCard,
        order: list[Choice],
        chosen: tuple[str, ...],
        shown_at: float,
        dont_know: bool = False,
    ) -> str:
        """The answer screen. A wrong answer is saved at once; a right one when it is rated,
        or, if the session ends first (q, Ctrl-C, a closed terminal), as good (4)."""
        response_ms = int((time.monotonic() - shown_at) * 1000)
        correct = not dont_know and item.card.is_correct(set(chosen))
        position = self.session.answered + 1
        total = self.session.answered + self.session.remaining
        previews = self.session.preview_range(item, RATINGS) if correct else {}
        pending = correct
        scroll = 0

        def rate(rating: int) -> bool:
            nonlocal pending
            pending = False
            return (
                self.save(item, chosen, quality_for(True, rating=rating), response_ms) is not None
            )

        def rate_default() -> str:
            if not rate(DEFAULT_RATING):
                return f"Your answer to {item.key} was not saved: the card changed since"
            word = RATING_WORDS[DEFAULT_RATING]
            return f"Your answer to {item.key} was saved as {word} ({DEFAULT_RATING})"

        if (
            not correct
            and self.save(item, chosen, quality_for(False, dont_know), response_ms) is None
        ):
            return "next"  # changed since it was shown: the session shows it again
        try:
            while True:
                width, height = self.size()
                view = self.draw(
                    answer_screen(
                        item,
                        order,
                        chosen,
                        correct=correct,
                        dont_know=dont_know,
                        rating=previews if pending else None,
                        message=self.message,
                        position=position,
                        total=total,
                        elapsed_s=self.elapsed,
                        mode=self.session.mode,
                        width=width,
                        height=height,
                        scroll=scroll,
                        glyphs=self.glyphs,
                        links=self.links,
                    )
                )
                key = self.read_key()
                moved = scrolled(key, view)
                if moved is not None:
                    scroll = moved
                    continue
                if key == RESIZE:
                    continue
                self.message = ""
                if pending and key in RATING_KEYS:
                    rate(RATING_KEYS[key])
                    return "next"  # (a card that changed meanwhile comes next, as it is now)
                if pending and key == UNDO:
                    self.message = "Choose again."
                    return "again"
                if key == ENTER:
                    return "next"
                if key == QUIT:
                    if pending:
                        self.notes.append(rate_default() + ".")
                    return QUIT
                if key == UNDO:
                    if self.undo():
                        return "next"
                    item = self.current(item, shown=False)
                elif key == "f":
                    item = self.toggle_flag(item)
                elif key == "e":
                    saved = f"{rate_default()}. " if pending else ""
                    edited, words = self.actions.edit_if_changed(item)
                    self.message = saved + words
                    if edited is not None:
                        self.remember(edited)
                        item = self.current(item, shown=False)
                elif key == "?":
                    self.show_help()
        except BaseException:
            if pending:
                self.notes.append(rate_default() + ".")
            raise


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
    from mlcards.render.screen import glyphs_for
    from mlcards.services.study import StoreActions, start_session
    from mlcards.terminal import Hangup, hyperlinks_supported, supports_screen, terminal_keys

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
    glyphs = glyphs_for(screen.encoding)
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
            terminal.size if supports_screen() else None,
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
    screen.print(render_summary(outcome, store.cards.next_due(options.deck), today))
    for note in reviewer.notes:
        screen.print(glyphs.text(note))
    if session.out_of_time and session.remaining:
        screen.print(f"Time is up: {session.remaining} card(s) left for later.")
    if interrupted:
        screen.print(f"Interrupted: the {outcome.answered} answer(s) given were saved.")
    return not interrupted
