"""One whole review or practice session on the full screen, then its summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from mlcards.models import Choice, ScheduledCard

if TYPE_CHECKING:  # (the loop and rich load after the first card is drawn: ``_first_card``)
    from mlcards.config import Settings
    from mlcards.review.common import Screen
    from mlcards.session import Session
    from mlcards.store import Store


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
    read_at: tuple[int, int] | None = None
    """The store's state when the queue was read and cut to today's limits (``cut_queue``)."""


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


def _first_card(
    session: Session, size: tuple[int, int] | None
) -> tuple[ScheduledCard, tuple[Choice, ...], bool] | None:
    """The session's first question drawn without rich (``render/first.py``) wherever that
    is certain to be what rich would draw; the card, the choice order drawn for it (the
    loop shows it in that order) and whether it is on the screen; None: no card."""
    import os
    import sys

    from mlcards.render.first import first_frame, plain_enough
    from mlcards.render.glyphs import UNICODE, glyphs_for
    from mlcards.terminal import locale_is_utf8

    item = session.next()
    if item is None:
        return None
    order = tuple(session.choice_order(item))
    unicode = locale_is_utf8() is not False and glyphs_for(sys.stdout.encoding) is UNICODE
    plain = session.mode == "review" and unicode and sys.stdout.isatty() and plain_enough()
    if plain and size is not None:
        at = (session.answered + 1, session.answered + session.remaining)
        no_color = os.environ.get("NO_COLOR", "") != ""  # (as rich reads it)
        frame = first_frame(item, order, at, size, no_color)
        if frame is not None:
            sys.stdout.write(frame)
            sys.stdout.flush()
            return item, order, True
    return item, order, False


def run_session(
    screen: Callable[[], Screen],
    store: Store,
    queue: list[ScheduledCard],
    settings: Settings,
    today: date,
    options: SessionOptions,
) -> bool:
    """One review or practice session on the full screen, then its summary on the normal
    one. Every answer is in the log before the next card; returns False when it was
    interrupted (Ctrl-C, end of input). A closed terminal ends it quietly (exit 129).
    ``screen`` makes the Screen (a rich Console), once the first card is on the screen."""
    from mlcards import clock
    from mlcards.services.actions import StoreActions
    from mlcards.services.study import left_today, start_session
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
        read_at=options.read_at,
    )
    interrupted = hung_up = False
    with terminal_keys(full_screen=supports_screen()) as terminal:
        size = terminal.size()
        first = _first_card(session, size) if supports_screen() else None
        from mlcards.render.glyphs import ASCII, glyphs_for
        from mlcards.render.review import ReviewOutcome, render_summary
        from mlcards.review.reviewer import _Reviewer

        drawn = screen()
        glyphs = ASCII if locale_is_utf8() is False else glyphs_for(drawn.encoding)
        actions = StoreActions(store, today, terminal.pause, clock.now)
        reviewer = _Reviewer(
            drawn,
            session,
            actions,
            terminal,
            clock.now,
            glyphs,
            hyperlinks_supported(),
            terminal.size,  # the tty's own size (rich says 80x25 for any dumb terminal)
            printed=not supports_screen(),
        )
        if first is not None:  # shown already, or about to be, in this order
            reviewer.shown_order[first[0].key] = first[1]
            reviewer.on_screen = (first[0], *size) if first[2] and size else None
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
    drawn.print()
    left = left_today(store, settings, today, options.deck)
    next_due = store.cards.next_due(options.deck)
    drawn.print(render_summary(outcome, next_due, today, glyphs, left=left))
    for note in reviewer.notes:
        drawn.print(glyphs.text(note))
    for line in _endings(session, outcome.answered, interrupted):
        drawn.print(line)
    return not interrupted


def _endings(session: Session, answered: int, interrupted: bool) -> list[str]:
    """The summary's last lines: cards left when the time ran out, an interruption."""
    lines = []
    if session.out_of_time and session.remaining:
        cards = "1 card" if session.remaining == 1 else f"{session.remaining} cards"
        lines.append(f"Time is up: {cards} left for later.")
    if interrupted:
        given = "the 1 answer given was" if answered == 1 else f"the {answered} answers given were"
        lines.append(f"Interrupted: {given} saved.")
    return lines
