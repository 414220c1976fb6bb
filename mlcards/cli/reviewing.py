"""What ``review`` and ``practice`` do, without typer: the typer commands (``cli/study.py``)
and the typer-free ``review`` of ``cli/quick.py`` both call ``run_review``, so the two paths
cannot drift; ``practice`` opens (``opened``), searches (``search_text``) and ends
(``session``) as ``review`` does. Failures are raised (``MlcardsError``...) for the
caller's error boundary (``cli/boundary.py``); a session ended by Ctrl-C returns
``EXIT_INTERRUPTED``.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

from mlcards.cli.boundary import (
    EXIT_INTERRUPTED,
    lock_dir,
    need_terminal,
    open_db,
    settings_for,
    study_today,
)
from mlcards.cli.console import new_console

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date
    from pathlib import Path
    from typing import Any

    from mlcards.config import Settings
    from mlcards.models import ScheduledCard
    from mlcards.store import Store


def sync_if_set(store: Store, settings: Settings) -> None:
    """The sync of ``review``/``practice`` (when ``sync_dir`` is set): a warning on failure."""
    if not settings.sync_dir:
        return
    from pathlib import Path

    from mlcards.sanitize import terminal_safe
    from mlcards.services.sync import sync_quietly

    def warn(message: str) -> None:
        sys.stderr.write(f"mlcards: warning: {terminal_safe(message)}\n")

    try:
        locks = lock_dir()
    except Exception as exc:  # no data dir: the sync is skipped, the review goes on
        warn(f"sync skipped: {exc}")
        return
    sync_quietly(store, Path(settings.sync_dir), locks, warn)


def session(
    store: Store, queue: list[ScheduledCard], settings: Settings, today: date, **options: Any
) -> int:
    """Run a session on ``queue``, then sync (when ``sync_dir`` is set); 0, or
    ``EXIT_INTERRUPTED`` when the session was interrupted."""
    from mlcards.review import SessionOptions, run_session

    try:
        done = run_session(new_console, store, queue, settings, today, SessionOptions(**options))
    finally:
        sync_if_set(store, settings)
    return 0 if done else EXIT_INTERRUPTED


def follow_files(store: Store, settings: Settings) -> None:
    """Sync (when ``sync_dir`` is set), re-import the decks whose files changed since they
    were imported; say what changed."""
    from mlcards.clock import now
    from mlcards.services.decks import follow_deck_files

    sync_if_set(store, settings)
    changed, warnings = follow_deck_files(store, now(), settings.max_deck_bytes)
    if changed:
        from rich.text import Text

        console = new_console()
        for line in changed:
            console.print(Text(line))
    for warning in warnings:
        sys.stderr.write(f"mlcards: warning: {warning}\n")


def _bundled_or_follow(store: Store, settings: Settings) -> None:
    """An empty database gets the bundled decks, then syncs (a new computer learns the
    others' answers before its first card); otherwise the bundled decks are updated, and
    the sync and the deck files followed."""
    from mlcards.clock import now
    from mlcards.config import data_dir
    from mlcards.services.decks import import_bundled, update_bundled

    copies = data_dir() / "decks"
    if store.decks.count() == 0:
        decks = import_bundled(store, now(), copies)
        names = ", ".join(d.name for d in decks)
        cards = sum(len(d.cards) for d in decks)
        new_console().print(f"No decks yet: loaded the bundled decks ({names}; {cards} cards).")
        sync_if_set(store, settings)
    else:
        for warning in update_bundled(store, now(), copies):
            sys.stderr.write(f"mlcards: warning: {warning}\n")
        follow_files(store, settings)


def search_text(query: list[str], deck: str | None, tag: str | None) -> str:
    """A session's search: the QUERY words, narrowed to ``--deck`` and ``--tag`` when given."""
    text = " ".join(query) + (f' "deck:{deck}"' if deck else "")
    return text + (f' "tag:{tag}"' if tag else "")


@contextmanager
def opened(
    command: str, db: Path | None, deck: str | None, tag: str | None, *, bundled: bool
) -> Iterator[tuple[Store, Settings, str | None]]:
    """What ``review`` and ``practice`` do before choosing their cards: a terminal, the
    store (made if missing) and its settings, the deck files followed (``bundled``: an empty
    database gets the bundled decks), ``--deck`` and ``--tag`` checked; the store, the
    settings and the deck's id."""
    from mlcards.config import load_settings
    from mlcards.services.decks import check_deck, check_tag

    need_terminal(command)
    settings = load_settings()
    with open_db(db, create=True) as store:
        settings = settings_for(store, settings)
        if bundled:
            _bundled_or_follow(store, settings)
        else:
            follow_files(store, settings)
        deck = check_deck(store, deck)
        check_tag(store, tag)
        yield store, settings, deck


def run_review(
    db: Path | None,
    query: list[str] | None = None,
    deck: str | None = None,
    tag: str | None = None,
    limit: int | None = None,
    minutes: float | None = None,
    new: int | None = None,
    no_shuffle: bool = False,
    suspend_leeches: bool = False,
) -> int:
    """``mlcards review``: the cards due today, then new ones; returns the exit code."""
    from mlcards.services.study import cut_queue, why_nothing_to_review

    with opened("review", db, deck, tag, bundled=True) as (store, settings, deck):
        today = study_today(settings)
        if query:
            from mlcards.services.browse import query_queue

            text = search_text(query, deck, tag)
            queue, read_at = query_queue(store, settings, today, text, new, limit), None
        else:
            queue, read_at = cut_queue(store, settings, today, deck, tag, new, limit)
        if not queue:
            from rich.text import Text

            said = "Nothing to review now among the cards this search finds."
            if not query:
                why = why_nothing_to_review(store, settings, today, deck)
                said = f"Nothing to review now. {why}"
            new_console().print(Text(said))
            return 0
        return session(
            store,
            queue,
            settings,
            today,
            shuffle=not no_shuffle,
            deck=deck,
            minutes=minutes,
            suspend_leeches=suspend_leeches,
            new_limit=new,
            read_at=read_at,
        )
