"""Keeping things in order: ``config``, ``check`` and ``backup``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from mlcards.errors import UsageError

if TYPE_CHECKING:
    from mlcards.config import Settings


from mlcards.cli.base import (
    JsonOption,
    _echo_json,
    _echo_lines,
    _open_store,
    _options,
    app,
    backup_app,
    config_app,
)


@config_app.command("show")
def config_show(as_json: JsonOption = False) -> None:
    """Print every setting and its value."""
    from mlcards.config import config_path, load_settings
    from mlcards.render.text import config_lines

    settings = load_settings().to_dict()
    if as_json:
        _echo_json(settings)
    else:
        _echo_lines(config_lines(settings, config_path()))


SettingKey = Annotated[
    str,
    typer.Argument(
        help="new_per_day, reviews_per_day, rollover_hour, leech_threshold, max_deck_bytes, "
        "scheduler (sm2 or fsrs), desired_retention or fsrs_parameters (with --deck: "
        "new_per_day, reviews_per_day, leech_threshold, scheduler, desired_retention, "
        "fsrs_parameters).",
        metavar="KEY",
    ),
]


def _known_deck(ctx: typer.Context, deck: str) -> None:
    """A per-deck setting names a deck of the database, when there is one."""
    path = _options(ctx).db_path()
    if not path.exists():
        return
    from mlcards.service import check_deck
    from mlcards.store import Store

    with Store.open(path, create=False) as store:
        check_deck(store, deck)


@config_app.command("set", context_settings={"ignore_unknown_options": True})
def config_set(
    ctx: typer.Context,
    key: SettingKey,
    value: Annotated[
        str, typer.Argument(help="A whole number; sm2 or fsrs; a retention.", metavar="VALUE")
    ],
    deck: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--deck", "-d", metavar="ID", help="Set it for this deck only.", show_default=False
        ),
    ] = None,
) -> None:
    """Change one setting, globally or for one deck (a deck of the database). A scheduling
    setting (scheduler, desired_retention, fsrs_parameters) recomputes the affected decks'
    schedules from their logs, after a backup, before it is saved."""
    from mlcards.config import SCHEDULING, save_setting, with_setting

    if value.startswith("--"):  # an option typed after the value, not a number
        raise UsageError(f"config set: {key} must be a whole number, not {value!r}")
    if deck is not None:
        _known_deck(ctx, deck)
    from mlcards.sanitize import quote_path

    if key in SCHEDULING:
        _reschedule_for(ctx, with_setting(key, value, deck))
    settings = save_setting(key, value, deck)
    shown = settings.for_deck(deck).to_dict()[key] if deck else settings.to_dict()[key]
    typer.echo(f"{key} = {shown}" + (f" (deck {quote_path(deck)})" if deck else ""))


@config_app.command("unset")
def config_unset(
    ctx: typer.Context,
    key: SettingKey,
    deck: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--deck", "-d", metavar="ID", help="Unset this deck's own value.", show_default=False
        ),
    ] = None,
) -> None:
    """Go back to the default for one setting (with --deck: to the global value)."""
    from mlcards.config import SCHEDULING, load_settings, unset_setting, without_setting
    from mlcards.sanitize import quote_path

    if key in SCHEDULING:
        _reschedule_for(ctx, without_setting(key, deck))
    was_set = unset_setting(key, deck)
    settings = load_settings()
    shown = settings.for_deck(deck).to_dict()[key] if deck else settings.to_dict()[key]
    where = f" (deck {quote_path(deck)})" if deck else ""
    state = "" if was_set else " (it was not set)"
    typer.echo(f"{key} = {shown}{where}{state}")


def _reschedule_for(ctx: typer.Context, new: Settings) -> None:
    """Before a scheduling setting is saved: recompute the decks it changes (nothing is
    saved when that fails, so the settings never name a scheduler the cache was not built
    with)."""
    from mlcards.config import load_settings
    from mlcards.scheduling import changed_decks, reschedule

    if not _options(ctx).db_path().exists():
        return
    with _open_store(ctx) as store:
        done = reschedule(store, new, changed_decks(load_settings(), new, store.decks.ids()))
    if done.decks:
        typer.echo(
            f"rescheduled {done.cards} card(s) of {', '.join(done.decks)} from the log"
            + (f" (backup: {done.backup.name})" if done.backup else "")
        )


@app.command()
def check(
    ctx: typer.Context,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair", help="Rebuild the schedule and the search index (after a backup)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Check the database: SQLite integrity, foreign keys, the schedule against the log, and
    the search index against the cards."""
    from mlcards.config import load_settings
    from mlcards.errors import StoreError
    from mlcards.render.text import check_lines
    from mlcards.scheduling import scheduler_for
    from mlcards.service import check as run_check

    settings = load_settings()
    with _open_store(ctx) as store:
        result = run_check(store, repair, scheduler_for(settings, store.decks.ids()))
    if as_json:
        _echo_json(result.to_dict())
    else:
        _echo_lines(
            check_lines(
                result.integrity,
                result.differences,
                result.cards,
                result.repaired,
                result.backup,
                result.index,
            )
        )
    if result.integrity:
        raise StoreError(
            "the database is damaged; `mlcards backup restore latest` puts back the newest "
            "sound backup"
        )
    if not result.ok:
        raise typer.Exit(1)


@backup_app.command("list")
def backup_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List backups, newest first."""
    from mlcards.render.text import backup_lines
    from mlcards.store import list_backups

    backups = list_backups(_options(ctx).db_path())
    if as_json:
        _echo_json([b.to_dict() for b in backups])
    else:
        _echo_lines(backup_lines(backups))


@backup_app.command("create")
def backup_create(ctx: typer.Context) -> None:
    """Back up the database now."""
    from mlcards.sanitize import quote_path
    from mlcards.store import backup_is_sound

    with _open_store(ctx) as store:
        path = store.backups.create("manual")
    typer.echo(f"backed up to {quote_path(path)}")
    if not backup_is_sound(path):
        sys.stderr.write(
            "mlcards: warning: the database fails its integrity check, and so does this copy; "
            "`mlcards check` says more\n"
        )


@backup_app.command("restore")
def backup_restore(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="A name from `mlcards backup list`, or 'latest'.", metavar="NAME")
    ],
) -> None:
    """Replace the database with a backup (the current one is backed up or kept aside first)."""
    from mlcards.sanitize import quote_path
    from mlcards.store import find_backup, restore_backup

    path = _options(ctx).db_path()
    backup = find_backup(path, name)
    moved = restore_backup(path, backup)
    typer.echo(f"restored {quote_path(path)} from {quote_path(backup.path.name)}")
    if moved is not None:
        typer.echo(f"the damaged database was kept as {quote_path(moved)}")
