"""Browsing: ``cards`` (Anki's search language over every card) and ``show`` (one card's
whole story). Declarations and wiring only: ``mlcards.services.browse`` does the work,
``mlcards.render.browse`` draws it."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from mlcards.cli.base import (
    JsonOption,
    app,
    echo_json,
    new_console,
    open_store,
    study_today,
)
from mlcards.errors import UsageError

if TYPE_CHECKING:
    from rich.console import RenderableType


class Sort(StrEnum):
    deck = "deck"
    due = "due"
    interval = "interval"
    lapses = "lapses"
    ease = "ease"
    reviewed = "reviewed"
    added = "added"


NoPagerOption = Annotated[bool, typer.Option("--no-pager", help="Print without a pager.")]


def _page(renderable: RenderableType, no_pager: bool) -> None:
    """Through a pager on a terminal, as ``stats`` does (less -FRX unless $LESS says)."""
    from mlcards.cli.console import page

    page(new_console(), renderable, pager=not no_pager and sys.stdout.isatty())


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
    from mlcards.services.browse import find_cards

    settings = load_settings()
    today = study_today(settings)
    text = " ".join(query or [])
    with open_store(ctx) as store:
        found, search = find_cards(
            store, settings, today, text, sort.value, reverse, None if limit is None else limit + 1
        )
    more = limit is not None and len(found) > limit
    from mlcards.cli.quick import print_cards

    print_cards(
        found[:limit] if limit is not None else found, search, today, more, as_json, no_pager
    )


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
    Optional[list[str]],  # noqa: UP045
    typer.Argument(
        help="Cards as DECK/CARD, or a search query (a query starting with '-' goes after '--').",
        metavar="DECK/CARD...|QUERY",
        show_default=False,
    ),
]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Act on the cards a query finds without asking.")
]
PAST = {
    "suspend": ("suspended", "was already suspended"),
    "unsuspend": ("unsuspended", "was not suspended"),
    "bury": ("buried", "was already buried until tomorrow"),
    "unbury": ("unburied", "was not buried"),
    "flag": ("flagged", "was already flagged"),
    "unflag": ("unflagged", "was not flagged"),
    "forget": ("forgot", "was new already"),
}
"""Each action's past tense, and what a named card it left as it was already was."""


def _ask(action: str, count: int, shown: list[str]) -> bool:
    """Name the first cards a query found and ask on the terminal whether to act on them.
    Without a terminal to ask on, a usage error: a script says --yes, it never hangs."""
    from mlcards.wording import counted

    noun = counted(count, "card")
    if not sys.stdin.isatty():
        raise UsageError(
            f"{action}: {noun} match; add --yes to {action} them without asking "
            "(there is no terminal to ask on)"
        )
    sys.stderr.write(f"{action}: {noun} match:\n")
    for line in shown:
        sys.stderr.write(f"  {line}\n")
    if count > len(shown):
        sys.stderr.write(f"  ... and {count - len(shown)} more\n")
    sys.stderr.write(f"{action.capitalize()} {noun}? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _act(
    ctx: typer.Context,
    action: str,
    words: list[str] | None,
    yes: bool,
    as_json: bool,
    note: str | None = None,
) -> None:
    """One card action on refs (done at once) or on what a query finds (shown, asked)."""
    from mlcards.config import load_settings
    from mlcards.sanitize import terminal_safe
    from mlcards.services.browse import action_targets, apply_action, preview
    from mlcards.wording import counted

    settings = load_settings()
    today = study_today(settings)
    with open_store(ctx) as store:
        targets = action_targets(store, settings, today, words or [], action, note)
        if targets.by_query and targets.keys and not yes:
            import shutil

            from mlcards.render.browse import preview_line

            room = max(20, shutil.get_terminal_size().columns - 3)
            shown = [preview_line(card, room) for card in preview(store, targets.keys)]
            if not _ask(action, len(targets.keys), shown):
                typer.echo("Nothing was changed.")
                raise typer.Exit(1)
        unchanged = set(targets.unchanged)
        keys = [key for key in targets.keys if key not in unchanged]
        changed = apply_action(store, action, keys, today, note) if keys else 0
    past, was = PAST[action]
    if as_json:
        echo_json(
            {
                "action": action,
                "query": targets.by_query,
                "matched": len(targets.keys),
                "changed": changed,
                "cards": [{"deck": d, "card": c} for d, c in keys],
                "unchanged": [{"deck": d, "card": c} for d, c in targets.unchanged],
            }
        )
        return
    if not targets.keys:
        typer.echo("No cards match; nothing was changed.")
        return
    line = f"{past} {counted(changed, 'card')}"
    if targets.by_query and changed != len(targets.keys):
        line += f" of {len(targets.keys)} (the others {was.removeprefix('was ')})"
    if changed or not targets.unchanged:
        typer.echo(line)
    for deck_id, card_id in targets.unchanged:
        typer.echo(terminal_safe(f"{deck_id}/{card_id} {was}"))


def _card_action(action: str, doc: str) -> None:
    """Declare the command ``action`` on cards, whose only options are ``--yes`` and
    ``--json`` (the others, with options of their own, are written out below)."""

    def command(
        ctx: typer.Context,
        cards: Targets = None,
        yes: YesOption = False,
        as_json: JsonOption = False,
    ) -> None:
        _act(ctx, action, cards, yes, as_json)

    command.__doc__ = doc
    app.command(name=action)(command)


_card_action("suspend", "Suspend cards (they stop coming up until `mlcards unsuspend`).")


@app.command()
def unsuspend(
    ctx: typer.Context,
    cards: Targets = None,
    yes: YesOption = False,
    all_cards: Annotated[
        bool, typer.Option("--all", help="Every suspended card (the search is:suspended).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Bring suspended cards back into reviews."""
    if all_cards and cards:
        raise UsageError("--all or cards, not both")
    _act(ctx, "unsuspend", ["is:suspended"] if all_cards else cards, yes or all_cards, as_json)


_card_action("bury", "Hide cards until tomorrow.")
_card_action("unbury", "Bring buried cards back today.")


@app.command()
def flag(
    ctx: typer.Context,
    cards: Targets = None,
    yes: YesOption = False,
    note: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--note", metavar="TEXT", help="Why (shown by `mlcards show`)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Flag cards for editing (`mlcards flagged` lists them)."""
    _act(ctx, "flag", cards, yes, as_json, note)


_card_action("unflag", "Clear the edit flag of cards.")
_card_action("forget", "Make cards new again; their answers stay in the log but no longer count.")


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
