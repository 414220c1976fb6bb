"""One whole review or practice session on the full screen, then its summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ParamSpec

from mlcards.models import ScheduledCard
from mlcards.render.review import ReviewOutcome
from mlcards.review.common import Screen
from mlcards.review.reviewer import _Reviewer

if TYPE_CHECKING:
    from mlcards.config import Settings
    from mlcards.store import Store

P = ParamSpec("P")


def _running(reviewer: Callable[P, _Reviewer]) -> Callable[P, ReviewOutcome]:
    def run(*args: P.args, **kwargs: P.kwargs) -> ReviewOutcome:
        """Drive a session: draw, read keys, grade; each answer is saved before the next
        card. Takes what ``_Reviewer`` is made with (screen, session, actions, read_key,
        now, glyphs, links...)."""
        return reviewer(*args, **kwargs).run()

    return run


run_review = _running(_Reviewer)


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
    from mlcards.render.glyphs import ASCII, glyphs_for
    from mlcards.render.review import render_summary
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
