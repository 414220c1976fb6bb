"""Browsing: ``cards`` (Anki's search language over every card) and ``show`` (one card's
whole story). Declarations and wiring only: ``mlcards.services.browse`` does the work,
``mlcards.render.browse`` draws it."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from typing import Annotated, Optional

import typer

from mlcards.cli.base import (
    JsonOption,
    app,
    echo_json,
    new_console,
    open_store,
    study_today,
)


class Sort(StrEnum):
    deck = "deck"
    due = "due"
    interval = "interval"
    lapses = "lapses"
    ease = "ease"
    reviewed = "reviewed"
    added = "added"


NoPagerOption = Annotated[bool, typer.Option("--no-pager", help="Print without a pager.")]


def _page(renderable: object, no_pager: bool) -> None:
    """Through a pager on a terminal, as ``stats`` does (less -FRX unless $LESS says)."""
    console = new_console()
    if no_pager or not sys.stdout.isatty():
        console.print(renderable)
        return
    if not os.environ.get("LESS"):
        os.environ["LESS"] = "FRX"
    with console.pager(styles=not console.no_color):
        console.print(renderable)


def _echo_json_lines(rows: list[dict[str, object]]) -> None:
    """A JSON array with one object per line: as readable as indented JSON for a list, and
    written by json's C encoder (indenting falls back to Python's: a third of a second for
    3,000 cards)."""
    import json

    if not rows:
        echo_json([])
        return
    typer.echo("[\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]")


@app.command()
def cards(
    ctx: typer.Context,
    query: Annotated[
        Optional[list[str]],  # noqa: UP045 - typer reads the annotation at run time
        typer.Argument(
            help="A search in Anki's language (words joined with spaces); a query that "
            "starts with '-' goes after '--': mlcards cards -- -is:new",
            metavar="QUERY",
            show_default=False,
        ),
    ] = None,
    sort: Annotated[
        Sort,
        typer.Option(
            "--sort",
            "-s",
            metavar="KEY",
            help="deck (file order), due, interval, lapses, ease, reviewed or added.",
        ),
    ] = Sort.deck,
    reverse: Annotated[bool, typer.Option("--reverse", "-r", help="Reverse the order.")] = False,
    limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--limit", "-n", min=1, max=10**7, metavar="N", help="At most N cards."),
    ] = None,
    as_json: JsonOption = False,
    no_pager: NoPagerOption = False,
) -> None:
    """List the cards a search names: deck:ID tag:TAG is:due prop:ivl>10 rated:7 "a phrase"
    word -word (a or b); see README, Searching cards."""
    from mlcards.config import load_settings
    from mlcards.services.browse import card_json, find_cards

    settings = load_settings()
    today = study_today(settings)
    text = " ".join(query or [])
    with open_store(ctx) as store:
        found, search = find_cards(
            store, settings, today, text, sort.value, reverse, None if limit is None else limit + 1
        )
    more = limit is not None and len(found) > limit
    found = found[:limit] if limit is not None else found
    if as_json:
        _echo_json_lines([card_json(card, search) for card in found])
        return
    from mlcards.render.browse import cards_table

    width = new_console().width
    _page(cards_table(found, today, search.fsrs_decks, width, more), no_pager)


@app.command()
def show(
    ctx: typer.Context,
    card: Annotated[
        str,
        typer.Argument(
            help="DECK/CARD, or the card id alone where one deck has it.", metavar="DECK/CARD"
        ),
    ],
    as_json: JsonOption = False,
    no_pager: NoPagerOption = False,
) -> None:
    """One card: as the learner sees it, its state, and every answer given to it."""
    from mlcards.config import load_settings
    from mlcards.services.browse import card_story, story_json

    settings = load_settings()
    today = study_today(settings)
    with open_store(ctx) as store:
        story = card_story(store, settings, card)
    if as_json:
        echo_json(story_json(story))
        return
    from mlcards.render.browse import card_story as render_story

    width = new_console().width
    _page(
        render_story(story.card, story.scheduler, story.leech, story.history, today, width),
        no_pager,
    )


Targets = Annotated[
    list[str],
    typer.Argument(
        help="Cards as DECK/CARD, or a search query (a query starting with '-' goes after '--').",
        metavar="DECK/CARD...|QUERY",
        show_default=False,
    ),
]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Act on the cards a query finds without asking.")
]


def _act(
    ctx: typer.Context, action: str, words: list[str], yes: bool, note: str | None = None
) -> None:
    from mlcards.config import load_settings
    from mlcards.services.browse import action_targets, apply_action, names_cards

    settings = load_settings()
    today = study_today(settings)
    with open_store(ctx) as store:
        keys = action_targets(store, settings, today, words)
        if not keys:
            typer.echo("No cards match; nothing was changed.")
            return
        if not yes and not names_cards(words):
            sys.stderr.write(f"{action}: {len(keys)} card(s) match.\n")
            if not typer.confirm(f"{action.capitalize()} {len(keys)} card(s)?", err=True):
                typer.echo("Nothing was changed.")
                raise typer.Exit(1)
        changed = apply_action(store, action, keys, today, note)
    past = {
        "bury": "buried",
        "forget": "forgot",
        "flag": "flagged",
        "suspend": "suspended",
        "unbury": "unburied",
    }
    typer.echo(
        f"{past[action]} {changed} card(s)" + (f" of {len(keys)}" if changed != len(keys) else "")
    )


@app.command()
def suspend(ctx: typer.Context, cards: Targets, yes: YesOption = False) -> None:
    """Suspend cards (they stop coming up until `mlcards unsuspend`)."""
    _act(ctx, "suspend", cards, yes)


@app.command()
def bury(ctx: typer.Context, cards: Targets, yes: YesOption = False) -> None:
    """Hide cards until tomorrow."""
    _act(ctx, "bury", cards, yes)


@app.command()
def flag(
    ctx: typer.Context,
    cards: Targets,
    yes: YesOption = False,
    note: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--note", metavar="TEXT", help="Why (shown by `mlcards show`)."),
    ] = None,
) -> None:
    """Flag cards for editing (`mlcards flagged` lists them)."""
    _act(ctx, "flag", cards, yes, note)


@app.command()
def forget(ctx: typer.Context, cards: Targets, yes: YesOption = False) -> None:
    """Make cards new again; their answers stay in the log but no longer count."""
    _act(ctx, "forget", cards, yes)


@app.command()
def unbury(ctx: typer.Context, cards: Targets, yes: YesOption = False) -> None:
    """Show buried cards again today."""
    _act(ctx, "unbury", cards, yes)


@app.command()
def edit(
    ctx: typer.Context,
    card: Annotated[
        str,
        typer.Argument(help="DECK/CARD, or the card id alone.", metavar="DECK/CARD"),
    ],
) -> None:
    """Open a card's deck file at its line in $VISUAL/$EDITOR, then re-import it."""
    from mlcards.config import load_settings
    from mlcards.sanitize import terminal_safe
    from mlcards.services.browse import edit_card

    settings = load_settings()
    with open_store(ctx) as store:
        typer.echo(terminal_safe(edit_card(store, card, study_today(settings))))
