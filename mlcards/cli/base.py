"""The command line's shared parts: the typer apps, the global options, opening the store,
the option types, printing, and the error boundary that turns every failure into a message
and an exit code. The commands themselves are in the other modules of ``mlcards.cli``, one
per group, and only declare and wire: what a command does lives in ``mlcards.services`` (and
the store), what it shows in ``mlcards.render``. Heavy modules are imported inside the
commands that need them, so ``mlcards --help`` stays quick.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional

import typer

from mlcards import __version__
from mlcards.cli.boundary import JSON_PRINTED as JSON_PRINTED
from mlcards.cli.boundary import data_home, fail, open_db, report
from mlcards.cli.boundary import settings_for as settings_for
from mlcards.cli.boundary import study_today as study_today
from mlcards.cli.console import new_console as new_console
from mlcards.cli.console import replace_unencodable

if TYPE_CHECKING:
    from rich.console import RenderableType

    from mlcards.store import Store


def _conventional_help() -> None:
    """Plain help in the usual convention: an argument shows as its metavar (``PATH...``,
    ``[DECK/CARD]...``), never as a Python type (``<list[Path]>``) or in braces. typer has no
    setting for this, so its argument class is given the conventional rendering here, in
    this process only."""
    from typer.core import TyperArgument

    def make_metavar(self: TyperArgument, ctx: object = None, *, usage: bool = False) -> str:
        name = self.metavar or (self.name or "").upper()
        if usage and not self.required and not name.startswith("["):
            name = f"[{name}]"
        return name + ("..." if self.nargs != 1 and not name.endswith("...") else "")

    setattr(TyperArgument, "make_metavar", make_metavar)  # noqa: B010
    if hasattr(TyperArgument, "display_type_rich"):  # typer 0.29's rich help
        setattr(TyperArgument, "display_type_rich", lambda self, ctx: None)  # noqa: B010


_conventional_help()


app = typer.Typer(
    name="mlcards",
    help="Spaced-repetition multiple-choice flashcards for learning machine learning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help and usage errors: typer's rich formatting costs ~70 ms of start-up, twice
    # what Python itself takes (see benchmarks/RESULTS.md, row 6).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


config_app = typer.Typer(help="Show or change settings (config.yaml in the data dir).")


app.add_typer(config_app, name="config", no_args_is_help=True)


backup_app = typer.Typer(help="List, make or restore backups of the database.")


app.add_typer(backup_app, name="backup", no_args_is_help=True)


@dataclass(frozen=True)
class Options:
    """The global options, handed to each command through typer's context."""

    db: Path | None = None

    def db_path(self) -> Path:
        from mlcards.config import db_path

        return db_path(self.db)


def global_options(ctx: typer.Context) -> Options:
    return ctx.obj if isinstance(ctx.obj, Options) else Options()


def show(renderable: RenderableType) -> None:
    """The one place a command's rich output is printed."""
    new_console().print(renderable)


def echo_lines(lines: list[str]) -> None:
    from mlcards.sanitize import terminal_safe

    for line in lines:
        typer.echo(terminal_safe(line))


def echo_json(document: object) -> None:
    import json  # here: most commands print no JSON, and it costs start-up time

    typer.echo(json.dumps(document, indent=2))
    JSON_PRINTED[0] = True


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mlcards {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    db: Annotated[
        Optional[Path],  # noqa: UP045 - typer reads the annotation at run time
        typer.Option(
            "--db",
            help="Database file (default: $MLCARDS_DB, else mlcards.db in $MLCARDS_HOME or "
            "the user data dir); before or after the command.",
            metavar="PATH",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    ctx.obj = Options(db=db)


def open_store(ctx: typer.Context, create: bool = False) -> Store:
    """Open the database (``--db`` or the default); see ``boundary.open_db``."""
    return open_db(global_options(ctx).db, create)


def open_for_import(ctx: typer.Context, dry_run: bool) -> Store:
    """A dry run writes nothing at all: no new database file, no daily backup."""
    if not dry_run:
        return open_store(ctx, create=True)
    from mlcards.store import Store

    path = global_options(ctx).db_path()
    store = Store.open(path, create=False) if path.exists() else Store.in_memory()
    store.home = data_home()
    from mlcards.clock import now

    store.clock = now
    return store


def valued(*names: str, metavar: str, text: str) -> Any:
    """A typer option that takes a value (``metavar``), with no default shown: the default is
    the parameter's own, None. For an ``Annotated`` parameter: ``Annotated[T, valued(...)]``."""
    return typer.Option(*names, metavar=metavar, help=text, show_default=False)


def output_option(text: str) -> Any:
    """``--output``/``-o FILE``: where a command writes instead of stdout (``text`` says how)."""
    return typer.Option(
        "--output", "-o", help=text, metavar="FILE", dir_okay=False, show_default=False
    )


def deck_option(text: str) -> Any:
    """``--deck``/``-d DECK``, saying (``text``) what the deck is for."""
    return valued("--deck", "-d", metavar="DECK", text=text)


DeckOption = Annotated[
    Optional[str],  # noqa: UP045 - typer reads the annotation at run time
    deck_option("Only cards of this deck: its id (see `mlcards status`) or its name."),
]


TagOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--tag", "-t", metavar="TAG", help="Only cards with this tag.", show_default=False
    ),
]


NoShuffleOption = Annotated[bool, typer.Option("--no-shuffle", help="Show choices in file order.")]


JsonOption = Annotated[bool, typer.Option("--json", help="Print as JSON.")]


Count = Optional[int]  # noqa: UP045 - typer reads the annotation at run time


LimitOption = Annotated[
    Count,
    typer.Option("--limit", "-n", min=1, max=10**6, metavar="N", help="At most this many cards."),
]


MinutesOption = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option("--minutes", "-m", min=0.1, metavar="M", help="Stop after this many minutes."),
]


NewOption = Annotated[
    Count,
    typer.Option(
        "--new",
        min=0,
        max=10**6,
        metavar="N",
        help="N new cards now, past (or below) today's new-card limit.",
    ),
]


SuspendLeechesOption = Annotated[
    bool,
    typer.Option("--suspend-leeches", help="Suspend a card that becomes a leech (not tag it)."),
]


def hoist_db(args: list[str]) -> list[str]:
    """``--db PATH`` may follow the command (``mlcards status --db X``) as well as come
    before it: it is moved to the front, where the global options are parsed. Nothing after
    ``--`` is touched."""
    end = args.index("--") if "--" in args else len(args)
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < end:
        arg = args[index]
        if index > 0 and arg == "--db" and index + 1 < end:
            front += args[index : index + 2]
            index += 2
            continue
        if index > 0 and arg.startswith("--db="):
            front.append(arg)
        else:
            rest.append(arg)
        index += 1
    return front + rest + args[end:]


def _wants_json(args: list[str]) -> bool:
    """Whether ``--json`` was given to the command (not as a value after ``--``)."""
    end = args.index("--") if "--" in args else len(args)
    return "--json" in args[:end]


class _Interrupted(Exception):
    """Ctrl-C in a command, carried past typer (which turns a ``KeyboardInterrupt`` into a
    silent exit 130) to the boundary, which says so as for any failure."""


def _keeping_interrupts(command: Any) -> Any:
    invoke = command.invoke

    def invoke_keeping(ctx: typer.Context) -> Any:
        try:
            return invoke(ctx)
        except KeyboardInterrupt as exc:
            raise _Interrupted from exc

    setattr(command, "invoke", invoke_keeping)  # noqa: B010
    return command


def main(argv: list[str] | None = None) -> NoReturn:
    """The error boundary: every failure becomes a message on stderr and an exit code.

    Every error, usage errors included, leaves here as one terminal-safe message and its exit
    code (with ``--json``, as a JSON object on stdout as well); Ctrl-C outside a review is 130;
    anything unexpected leaves a crash report.
    """
    from mlcards.sanitize import terminal_safe

    JSON_PRINTED[0] = False  # per command (a second main() in one process starts afresh)
    replace_unencodable()
    args = hoist_db(list(sys.argv[1:] if argv is None else argv))
    as_json = _wants_json(args)
    command = _keeping_interrupts(typer.main.get_command(app))
    try:
        result = command.main(args=args, prog_name="mlcards", standalone_mode=False)
    except typer.TyperException as exc:  # a usage error found by the parser: exit 2
        import io

        usage = io.StringIO()
        exc.show(usage)  # type: ignore[attr-defined]
        sys.stderr.write(terminal_safe(usage.getvalue()))
        fail(exc.format_message(), exc.exit_code, as_json, shown=True)
    except typer.Abort:
        fail("aborted (end of input)", 1, as_json)
    except _Interrupted:
        report(KeyboardInterrupt(), as_json)
    except (Exception, KeyboardInterrupt, MemoryError) as exc:
        report(exc, as_json)
    raise SystemExit(result if isinstance(result, int) and not isinstance(result, bool) else 0)
