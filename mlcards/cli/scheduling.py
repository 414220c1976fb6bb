"""FSRS on the learner's own log: ``evaluate``, ``optimize`` and ``simulate``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mlcards.cli.base import (
    DeckOption,
    JsonOption,
    app,
    deck_option,
    echo_json,
    new_console,
    open_store,
    settings_for,
    show,
    study_today,
)


@app.command()
def evaluate(ctx: typer.Context, deck: DeckOption = None, as_json: JsonOption = False) -> None:
    """How well SM-2 and FSRS predicted your own answers: log loss, RMSE(bins) and AUC over
    every first-of-day review of a card answered on an earlier day."""
    from mlcards.config import load_settings
    from mlcards.render.fsrs import evaluation_view
    from mlcards.services.scheduling import evaluate as run_evaluate

    settings = load_settings()
    with open_store(ctx) as store:
        settings = settings_for(store, settings)
        doc = run_evaluate(store, settings, deck)
    if as_json:
        echo_json(doc)
    elif not doc["schedulers"][0]["reviews"]:
        typer.echo("Nothing to evaluate yet: no card has been answered on two study days.")
    else:
        show(evaluation_view(doc))


@app.command()
def optimize(
    ctx: typer.Context,
    deck: Annotated[
        Optional[str],  # noqa: UP045
        deck_option("Fit this deck's reviews, for this deck (default: every deck's, for all)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Fit FSRS's parameters to your own review log and save them in the settings; FSRS
    decks are rescheduled with them (after a backup)."""
    from mlcards.config import load_settings
    from mlcards.render.fsrs import optimize_view
    from mlcards.services.decks import check_deck
    from mlcards.services.scheduling import fsrs_decks, optimize_and_save

    settings = load_settings()
    with open_store(ctx) as store:
        settings = settings_for(store, settings)
        result, done = optimize_and_save(store, settings, deck)
        deck = check_deck(store, deck)
        users = fsrs_decks(store, settings, deck)
    doc = result.to_dict() | {"deck": deck, "rescheduled": done.decks, "used_by": users}
    if as_json:
        echo_json(doc)
        return
    show(optimize_view(doc, f"for deck {deck}" if deck else "for every deck without its own"))
    if done.decks:
        from mlcards.wording import counted

        typer.echo(
            f"rescheduled {counted(done.cards, 'card')} of {', '.join(done.decks)} from the log"
        )


@app.command()
def simulate(
    ctx: typer.Context,
    days: Annotated[
        int,
        typer.Option(
            "--days", min=1, max=3650, metavar="N", help="How many study days to simulate."
        ),
    ] = 30,
    deck: DeckOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reviews per day and expected recall over the next days of your cards, under SM-2 and
    under FSRS at a few desired retentions (FSRS with your parameters models your memory)."""
    from mlcards.config import load_settings
    from mlcards.render.fsrs import simulation_view
    from mlcards.services.scheduling import simulate_next

    settings = load_settings()
    today = study_today(settings)
    with open_store(ctx) as store:
        settings = settings_for(store, settings)
        doc = simulate_next(store, settings, today, days, deck)
    if as_json:
        echo_json(doc)
        return
    console = new_console()
    console.print(simulation_view(doc, console.width))
