"""``mlcards sync`` and ``mlcards undo``: typer declarations over ``services.sync`` and
``services.study.undo_last_actions``. The quiet sync ``review`` and ``practice`` run at
their start and end is ``cli/reviewing.py``'s ``sync_if_set`` (typer-free)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mlcards.cli.base import JsonOption, app, echo_json, open_store
from mlcards.cli.boundary import lock_dir
from mlcards.errors import UsageError


@app.command()
def sync(
    ctx: typer.Context,
    folder: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(
            help="The synced folder (default: the sync_dir setting).",
            metavar="[DIR]",
            show_default=False,
        ),
    ] = None,
    new_device: Annotated[
        bool,
        typer.Option(
            "--new-device",
            help="Give this database a new device id first (a copy of another computer's "
            "data dir): its own events since the copy move to it.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Merge the answers, undos, card actions and settings of your other devices from a
    folder that Syncthing, git or Dropbox moves, and add this device's own."""
    from mlcards.config import load_settings
    from mlcards.services.sync import sync as run_sync
    from mlcards.wording import counted

    if folder is None:
        configured = load_settings().sync_dir
        if not configured:
            raise UsageError(
                "sync: name the folder (`mlcards sync DIR`) or set one once "
                "(`mlcards config set sync_dir DIR`)"
            )
        folder = Path(configured)
    from mlcards.syncfolder import ensure_layout

    ensure_layout(folder)  # a missing folder stops here, before the database is opened
    with open_store(ctx, create=True) as store:
        if new_device:
            from mlcards.services.sync import new_device as take_new_id

            fresh, moved = take_new_id(store, folder)
            if not as_json:
                typer.echo(
                    f"new device id {fresh}: {counted(moved, 'event')} of this database moved to it"
                )
        summary = run_sync(store, folder, lock_dir())
    if as_json:
        echo_json(summary.to_dict())
        return
    from mlcards.sanitize import quote_path

    typer.echo(
        f"synced with {quote_path(folder)}: {counted(summary.read, 'event')} read, "
        f"{summary.applied} new, {summary.written} written"
        + (f"; replayed {', '.join(summary.decks)}" if summary.decks else "")
    )
    if summary.pending:
        typer.echo(
            f"{counted(summary.pending, 'answer')} "
            f"{'waits' if summary.pending == 1 else 'wait'} for a deck not imported here "
            "(`mlcards import` it and they count)"
        )


@app.command()
def undo(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Take back the last card action given from the command line (suspend, unsuspend,
    bury, unbury, flag, unflag, forget: every card it changed), on every synced device."""
    from mlcards.services.study import undo_last_actions

    with open_store(ctx) as store:
        undone = undo_last_actions(store)
    if as_json:
        echo_json({"undone": undone})
        return
    if not undone:
        typer.echo("Nothing to undo.")
        return
    from mlcards.sanitize import terminal_safe

    for item in undone:
        typer.echo(terminal_safe(f"undone: {item['action']} {item['deck']}/{item['card']}"))
