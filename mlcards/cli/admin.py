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
    app,
    backup_app,
    config_app,
    deck_option,
    echo_json,
    echo_lines,
    global_options,
    open_store,
    settings_for,
)


@config_app.command("show")
def config_show(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print every setting and its value (the scheduling ones as the database keeps them)."""
    from mlcards.config import config_path, load_settings
    from mlcards.render.text import config_lines

    settings = load_settings()
    if global_options(ctx).db_path().exists():
        with open_store(ctx) as store:
            settings = settings_for(store, settings)
    if as_json:
        echo_json(settings.to_dict())
    else:
        echo_lines(config_lines(settings.to_dict(), config_path()))


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


def _known_deck(ctx: typer.Context, deck: str) -> str:
    """A per-deck setting names a deck of the database (by id or name), when there is one:
    its id."""
    path = global_options(ctx).db_path()
    if not path.exists():
        return deck
    from mlcards.services.decks import check_deck
    from mlcards.store import Store

    with Store.open(path, create=False) as store:
        return check_deck(store, deck) or deck


@config_app.command("set", context_settings={"ignore_unknown_options": True})
def config_set(
    ctx: typer.Context,
    key: SettingKey,
    value: Annotated[
        str, typer.Argument(help="A whole number; sm2 or fsrs; a retention.", metavar="VALUE")
    ],
    deck: Annotated[
        Optional[str],  # noqa: UP045
        deck_option("Set it for this deck only (id or name)."),
    ] = None,
) -> None:
    """Change one setting, globally or for one deck (a deck of the database). A scheduling
    setting (scheduler, desired_retention, fsrs_parameters) recomputes the affected decks'
    schedules from their logs, after a backup, before it is saved."""
    from mlcards.config import SCHEDULING, checked_value, save_setting

    if value.startswith("--"):  # an option typed after the value, not a number
        raise UsageError(f"config set: {key} must be a whole number, not {value!r}")
    if deck is not None:
        deck = _known_deck(ctx, deck)
    from mlcards.sanitize import quote_path

    if key in SCHEDULING:
        settings = _set_scheduling(ctx, key, checked_value(key, value, deck), deck)
    else:
        settings = save_setting(key, value, deck)
    shown = settings.for_deck(deck).to_dict()[key] if deck else settings.to_dict()[key]
    typer.echo(f"{key} = {shown}" + (f" (deck {quote_path(deck)})" if deck else ""))


@config_app.command("unset")
def config_unset(
    ctx: typer.Context,
    key: SettingKey,
    deck: Annotated[
        Optional[str],  # noqa: UP045
        deck_option("Unset this deck's own value (id or name)."),
    ] = None,
) -> None:
    """Go back to the default for one setting (with --deck: to the global value)."""
    from mlcards.config import SCHEDULING, load_settings, unset_setting
    from mlcards.sanitize import quote_path

    if deck is not None:
        from contextlib import suppress

        with suppress(UsageError):  # a deck no longer in the database can still be unset
            deck = _known_deck(ctx, deck)

    if key in SCHEDULING:
        settings = _set_scheduling(ctx, key, None, deck)
        was_set = True
    else:
        was_set = unset_setting(key, deck)
        settings = load_settings()
    shown = settings.for_deck(deck).to_dict()[key] if deck else settings.to_dict()[key]
    where = f" (deck {quote_path(deck)})" if deck else ""
    state = "" if was_set else " (it was not set)"
    typer.echo(f"{key} = {shown}{where}{state}")


def _set_scheduling(ctx: typer.Context, key: str, value: object, deck: str | None) -> Settings:
    """A scheduling setting is kept in the database, set in the transaction that recomputes
    the decks it changes (after a backup): the two never disagree."""
    from mlcards.config import load_settings
    from mlcards.services.admin import set_scheduling

    with open_store(ctx) as store:
        done = set_scheduling(store, load_settings(), key, value, deck)
        settings = settings_for(store)
    if done.decks:
        from mlcards.wording import counted

        typer.echo(
            f"rescheduled {counted(done.cards, 'card')} of {', '.join(done.decks)} from the log"
            + (f" (backup: {done.backup.name})" if done.backup else "")
        )
    return settings


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
    """Check the database: SQLite integrity, foreign keys, the schedule and the stats totals
    against the log, and the search index against the cards."""
    from mlcards.config import load_settings
    from mlcards.errors import StoreError
    from mlcards.render.text import check_lines
    from mlcards.services.admin import check as run_check
    from mlcards.services.settings import file_differences

    with open_store(ctx) as store:
        settings_for(store)  # (a database takes over an older config.yaml's scheduling once)
        result = run_check(store, repair)
        notes = file_differences(store, load_settings())
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    if as_json:
        echo_json(result.to_dict())
    else:
        echo_lines(
            check_lines(
                result.integrity,
                result.differences,
                result.cards,
                result.repaired,
                result.backup,
                result.index,
                result.totals_differences,
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
    from mlcards.sanitize import quote_path
    from mlcards.store import list_backups, sweep_partials

    path = global_options(ctx).db_path()
    for removed in sweep_partials(path):
        typer.echo(f"removed a half-written backup: {quote_path(removed.name)}", err=True)
    backups = list_backups(path)
    if as_json:
        echo_json([b.to_dict() for b in backups])
    else:
        echo_lines(backup_lines(backups))


@backup_app.command("create")
def backup_create(ctx: typer.Context) -> None:
    """Back up the database now."""
    from mlcards.sanitize import quote_path
    from mlcards.store import backup_is_sound

    with open_store(ctx) as store:
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

    path = global_options(ctx).db_path()
    backup = find_backup(path, name)
    moved = restore_backup(path, backup)
    typer.echo(f"restored {quote_path(path)} from {quote_path(backup.path.name)}")
    if moved is not None:
        typer.echo(f"the damaged database was kept as {quote_path(moved)}")
