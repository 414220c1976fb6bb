"""Reviewing: ``review`` and ``practice``, and the card lists (``flagged``, ``leeches``,
``suspended``). The card actions (``suspend``, ``unsuspend``, ``unflag``...) are in
``cli/browse.py``: they take refs or a search, as ``cards`` does."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from datetime import date

    from mlcards.config import Settings
    from mlcards.models import ScheduledCard
    from mlcards.store import Store


from mlcards.cli.base import (
    EXIT_INTERRUPTED,
    DeckOption,
    JsonOption,
    LimitOption,
    MinutesOption,
    NewOption,
    NoShuffleOption,
    SuspendLeechesOption,
    TagOption,
    app,
    echo_json,
    echo_lines,
    need_terminal,
    new_console,
    open_store,
    settings_for,
    study_today,
)


def _session(
    store: Store, queue: list[ScheduledCard], settings: Settings, today: date, **options: Any
) -> None:
    from mlcards.cli.sync import sync_if_set
    from mlcards.review import SessionOptions, run_session

    try:
        done = run_session(new_console(), store, queue, settings, today, SessionOptions(**options))
    finally:
        sync_if_set(store, settings)
    if not done:
        raise typer.Exit(EXIT_INTERRUPTED)


def _follow_files(store: Store, settings: Settings) -> None:
    """Sync (when ``sync_dir`` is set), re-import the decks whose files changed since they
    were imported; say what changed."""
    from mlcards.cli.sync import sync_if_set
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


QueryArgument = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Argument(
        help="Only the cards this search finds (as `mlcards cards QUERY`; after '--' if it "
        "starts with '-').",
        metavar="[QUERY]",
        show_default=False,
    ),
]


@app.command()
def review(
    ctx: typer.Context,
    query: QueryArgument = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    limit: LimitOption = None,
    minutes: MinutesOption = None,
    new: NewOption = None,
    no_shuffle: NoShuffleOption = False,
    suspend_leeches: SuspendLeechesOption = False,
) -> None:
    """Review the cards due today, then new ones, in the terminal."""
    from rich.text import Text

    from mlcards.clock import now
    from mlcards.config import data_dir, load_settings
    from mlcards.services.decks import check_deck, check_tag, import_bundled, update_bundled
    from mlcards.services.study import todays_queue, why_nothing_to_review

    need_terminal("review")
    settings = load_settings()
    copies = data_dir() / "decks"
    with open_store(ctx, create=True) as store:
        settings = settings_for(store, settings)
        if store.decks.count() == 0:
            decks = import_bundled(store, now(), copies)
            names = ", ".join(d.name for d in decks)
            cards = sum(len(d.cards) for d in decks)
            new_console().print(f"No decks yet: loaded the bundled decks ({names}; {cards} cards).")
        else:
            for warning in update_bundled(store, now(), copies):
                sys.stderr.write(f"mlcards: warning: {warning}\n")
            _follow_files(store, settings)
        deck = check_deck(store, deck)
        check_tag(store, tag)
        today = study_today(settings)
        if query:
            from mlcards.services.browse import query_queue

            text = " ".join([*query, *([f'"deck:{deck}"'] if deck else [])])
            text += f' "tag:{tag}"' if tag else ""
            queue = query_queue(store, settings, today, text, new, limit)
        else:
            queue = todays_queue(store, settings, today, deck, tag, new, limit)
        if not queue and query:
            new_console().print(Text("Nothing to review now among the cards this search finds."))
            return
        if not queue:
            why = why_nothing_to_review(store, settings, today, deck)
            new_console().print(Text(f"Nothing to review now. {why}"))
            return
        _session(
            store,
            queue,
            settings,
            today,
            shuffle=not no_shuffle,
            deck=deck,
            minutes=minutes,
            suspend_leeches=suspend_leeches,
            new_limit=new,
        )


@app.command()
def practice(
    ctx: typer.Context,
    query: QueryArgument = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    wrong_only: Annotated[
        bool, typer.Option("--wrong-only", help="Only cards whose last answer was wrong.")
    ] = False,
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", min=1, max=1_000_000, metavar="N", help="At most this many."),
    ] = 20,
    no_shuffle: NoShuffleOption = False,
) -> None:
    """Extra practice beyond what is due: logged as practice, the schedule is not changed."""
    from mlcards.config import load_settings
    from mlcards.services.decks import check_deck, check_tag
    from mlcards.services.study import with_leech_marks

    need_terminal("practice")
    settings = load_settings()
    with open_store(ctx, create=True) as store:
        settings = settings_for(store, settings)
        _follow_files(store, settings)
        deck = check_deck(store, deck)
        check_tag(store, tag)
        if query:
            from mlcards.services.browse import query_practice

            text = " ".join(query) + (f' "deck:{deck}"' if deck else "")
            text += f' "tag:{tag}"' if tag else ""
            queue = query_practice(store, settings, study_today(settings), text, limit, wrong_only)
        else:
            queue = with_leech_marks(store.cards.practice(limit, deck, tag, wrong_only), settings)
        if not queue and query:
            new_console().print("No cards this search finds can be practised now.")
            return
        if not queue:
            what = "answered wrong last time" if wrong_only else "reviewed yet"
            new_console().print(f"No cards {what} to practise. Try `mlcards review`.")
            return
        _session(
            store, queue, settings, study_today(settings), mode="practice", shuffle=not no_shuffle
        )


def _card_list(ctx: typer.Context, kind: str, as_json: bool, empty: str) -> None:
    from mlcards.config import load_settings
    from mlcards.render.text import card_list
    from mlcards.services.study import marked_cards

    with open_store(ctx) as store:
        cards = marked_cards(store, kind, load_settings())
    if as_json:
        echo_json(cards)
    else:
        echo_lines(card_list(cards, empty))


@app.command()
def flagged(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Cards flagged for editing during reviews (key f), with their file and line."""
    _card_list(ctx, "flagged", as_json, "No flagged cards.")


@app.command()
def leeches(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Cards that keep being forgotten (leech_threshold lapses, 8 by default), with their
    file and line."""
    _card_list(ctx, "leech", as_json, "No leeches.")


@app.command()
def suspended(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Suspended cards."""
    _card_list(ctx, "suspended", as_json, "No suspended cards.")
