"""Reviewing: ``review`` and ``practice`` (declared here; what they do is in
``cli/reviewing.py``, shared with the typer-free ``review``), and the card lists
(``flagged``, ``leeches``, ``suspended``). The card actions (``suspend``, ``unsuspend``,
``unflag``...) are in ``cli/browse.py``: they take refs or a search, as ``cards`` does."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mlcards.cli.base import (
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
    global_options,
    new_console,
    open_store,
    study_today,
)

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
    from mlcards.cli.reviewing import run_review

    code = run_review(
        global_options(ctx).db,
        query,
        deck,
        tag,
        limit,
        minutes,
        new,
        no_shuffle,
        suspend_leeches,
    )
    if code:
        raise typer.Exit(code)


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
    from mlcards.cli.reviewing import opened, search_text, session
    from mlcards.services.study import with_leech_marks

    db = global_options(ctx).db
    with opened("practice", db, deck, tag, bundled=False) as (store, settings, deck):
        if query:
            from mlcards.services.browse import query_practice

            text = search_text(query, deck, tag)
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
        code = session(
            store, queue, settings, study_today(settings), mode="practice", shuffle=not no_shuffle
        )
    if code:
        raise typer.Exit(code)


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
