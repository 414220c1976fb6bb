"""The review loop: shows a card, reads keys, grades through the session, moves on.

UI-free apart from what it is handed: a ``Screen`` to show renderables on (a rich Console in
the app, a Console writing to a buffer in tests), a key reader (``mlcards.terminal``), and
``CardActions`` that do the store's part of suspend, bury, flag and edit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from mlcards.errors import UndoRefused
from mlcards.models import Choice, ScheduledCard
from mlcards.render.review import (
    CHOICE_KEYS,
    ReviewOutcome,
    render_answer,
    render_help,
    render_question,
    render_rating_prompt,
)
from mlcards.session import CardChanged, Session, quality_for
from mlcards.terminal import ENTER

if TYPE_CHECKING:
    from mlcards.config import Settings
    from mlcards.store import Store

CHANGED = "This card changed since it was shown (edited or re-imported); here it is again."
DONT_KNOW = "d"
QUIT = "q"
RATING_KEYS = {"3": 3, "4": 4, "5": 5, ENTER: 4}

KeyReader = Callable[[], str]


class Screen(Protocol):
    """Where the loop shows things (``rich.console.Console`` fits)."""

    def print(self, *objects: object) -> None: ...

    def clear(self) -> None: ...


class CardActions(Protocol):
    """What the review screen may do to a card besides answering it (the store, in the app)."""

    def suspend(self, item: ScheduledCard) -> str: ...

    def bury(self, item: ScheduledCard) -> str: ...

    def flag(self, item: ScheduledCard) -> tuple[ScheduledCard, str]: ...

    def edit(self, item: ScheduledCard) -> tuple[ScheduledCard | None, str]: ...


LEECH_WORDS = {
    "tag": "it is now tagged as a leech (`mlcards leeches`); consider rewriting it",
    "suspend": "it is now suspended as a leech (`mlcards unsuspend` brings it back)",
}


class _Reviewer:
    """The key loop of one session; every answer reaches the journal before the next card."""

    def __init__(
        self,
        screen: Screen,
        session: Session,
        actions: CardActions,
        read_key: KeyReader,
        now: Callable[[], datetime],
        clear: bool,
    ) -> None:
        self.screen = screen
        self.session = session
        self.actions = actions
        self.read_key = read_key
        self.now = now
        self.clear = clear
        self.started = time.monotonic()
        self.message = ""

    def outcome(self, quit_early: bool) -> ReviewOutcome:
        return ReviewOutcome(self.session.answered, self.session.correct, quit_early)

    def show(self, *renderables: object) -> None:
        if self.clear:
            self.screen.clear()
        for renderable in renderables:
            self.screen.print(renderable)

    def draw_question(self, item: ScheduledCard, order: list[Choice], selected: set[str]) -> None:
        self.show(
            render_question(
                item,
                order,
                position=self.session.answered + 1,
                total=self.session.answered + self.session.remaining,
                elapsed_s=time.monotonic() - self.started,
                selected=selected if item.card.multiple else None,
                mode=self.session.mode,
                message=self.message,
            )
        )
        self.message = ""

    def show_help(self) -> None:
        self.show(render_help())
        self.read_key()

    def run(self) -> ReviewOutcome:
        while (item := self.session.next()) is not None:
            step = self.card(item)
            if step == QUIT:
                return self.outcome(quit_early=True)
        return self.outcome(quit_early=False)

    def card(self, item: ScheduledCard) -> str:
        """Show one card until it is answered, set aside, or the learner quits."""
        order = self.session.choice_order(item)
        selected: set[str] = set()
        self.draw_question(item, order, selected)
        shown_at = time.monotonic()
        while True:
            key = self.read_key()
            if key == QUIT:
                return QUIT
            if key == "u":
                try:
                    undone = self.session.undo()
                except UndoRefused as refused:
                    self.message = f"Not undone: {refused}."
                    self.draw_question(item, order, selected)
                    continue
                if undone is None:
                    self.message = "Nothing to undo yet."
                    self.draw_question(item, order, selected)
                    continue
                self.message = "Undone: the last answer was taken back."
                return "next"
            if key in ("s", "b"):
                action = self.actions.suspend if key == "s" else self.actions.bury
                self.message = action(item)
                self.session.drop(item)
                return "next"
            if key == "f":
                item, self.message = self.actions.flag(item)
                self.session.replace_current(item)
            elif key == "e":
                edited, self.message = self.actions.edit(item)
                if edited is None:
                    self.session.drop(item)
                    return "next"
                item = edited
                self.session.replace_current(item)
                order = self.session.choice_order(item)
                selected = set()
            elif key == "?":
                self.show_help()
            elif key == DONT_KNOW:
                return self.answered(item, order, (), shown_at, dont_know=True)
            elif key in CHOICE_KEYS[: len(order)]:
                choice_id = order[CHOICE_KEYS.index(key)].id
                if not item.card.multiple:
                    return self.answered(item, order, (choice_id,), shown_at)
                selected ^= {choice_id}
            elif key == ENTER and item.card.multiple and selected:
                chosen = tuple(c.id for c in order if c.id in selected)
                return self.answered(item, order, chosen, shown_at)
            elif key != "resize":
                continue
            self.draw_question(item, order, selected)

    def answered(
        self,
        item: ScheduledCard,
        order: list[Choice],
        chosen: tuple[str, ...],
        shown_at: float,
        dont_know: bool = False,
    ) -> str:
        response_ms = int((time.monotonic() - shown_at) * 1000)
        correct = not dont_know and item.card.is_correct(set(chosen))

        def draw(message: str = "") -> None:
            self.show(
                render_answer(item, order, chosen, correct=correct, dont_know=dont_know),
                render_rating_prompt(correct, message),
            )

        draw()
        if correct:
            while (key := self.read_key()) not in RATING_KEYS:
                if key == "u":
                    self.message = "Choose again."
                    return "again"
                if key == "?":
                    self.show_help()
                    draw()
                elif key == "resize":
                    draw()
            quality = quality_for(True, rating=RATING_KEYS[key])
            try:
                self.session.answer(item, chosen, quality, response_ms, self.now())
            except CardChanged:
                self.message = CHANGED
            return "next"
        try:
            record = self.session.answer(
                item, chosen, quality_for(False, dont_know), response_ms, self.now()
            )
        except CardChanged:
            self.message = CHANGED
            return "next"
        message = ""
        if record.leech_action:
            message = f"This card has lapsed {item.lapses + 1} times: "
            message += LEECH_WORDS[record.leech_action]
            draw(message)
        while (key := self.read_key()) not in (ENTER, " "):
            if key == QUIT:
                return QUIT
            if key == "u":
                try:
                    self.session.undo()
                    self.message = "Undone: the last answer was taken back."
                except UndoRefused as refused:
                    self.message = f"Not undone: {refused}."
                return "next"
            if key == "f":
                item, message = self.actions.flag(item)
            elif key == "?":
                self.show_help()
            elif key != "resize":
                continue
            draw(message)
        return "next"


def run_review(
    screen: Screen,
    session: Session,
    actions: CardActions,
    read_key: KeyReader,
    now: Callable[[], datetime],
    clear: bool = True,
) -> ReviewOutcome:
    """Drive a session: draw, read keys, grade; each answer is saved before the next card."""
    return _Reviewer(screen, session, actions, read_key, now, clear).run()


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


def run_session(
    screen: Screen,
    store: Store,
    queue: list[ScheduledCard],
    settings: Settings,
    today: date,
    options: SessionOptions,
) -> bool:
    """One review or practice session in the terminal, then its summary. Every answer is in
    the log before the next card; returns False when it was interrupted (Ctrl-C, EOF)."""
    import random
    import uuid

    from mlcards import clock
    from mlcards.render.review import render_summary
    from mlcards.scheduling import scheduler_for
    from mlcards.service import StoreActions, session_hooks
    from mlcards.terminal import terminal_keys

    refresh, may_show = session_hooks(store, settings, today, options.mode, options.new_limit)
    session = Session(
        queue,
        today,
        rng=random.Random() if options.shuffle else None,
        journal=store.log,
        mode=options.mode,
        session_id=uuid.uuid4().hex,
        leech_threshold=settings.leech_threshold,
        deck_leech_thresholds=settings.leech_thresholds(),
        suspend_leeches=options.suspend_leeches,
        deadline=time.monotonic() + options.minutes * 60 if options.minutes else None,
        refresh=refresh,
        may_show=may_show,
        scheduler_for=scheduler_for(settings, {item.deck_id for item in queue}),
    )
    interrupted = False
    with terminal_keys() as terminal:
        actions = StoreActions(store, today, terminal.pause, clock.now)
        try:
            outcome = run_review(screen, session, actions, terminal, clock.now)
        except (KeyboardInterrupt, EOFError):
            interrupted = True
            outcome = ReviewOutcome(session.answered, session.correct, quit_early=True)
    screen.print()
    screen.print(render_summary(outcome, store.cards.next_due(options.deck), today))
    if session.out_of_time and session.remaining:
        screen.print(f"Time is up: {session.remaining} card(s) left for later.")
    if interrupted:
        screen.print(f"Interrupted: the {outcome.answered} answer(s) given were saved.")
    return not interrupted
