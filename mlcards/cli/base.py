"""The command line's shared parts: the typer apps, the global options, opening the store,
the option types, printing, and the error boundary that turns every failure into a message
and an exit code. The commands themselves are in the other modules of ``mlcards.cli``, one
per group, and only declare and wire: what a command does lives in ``mlcards.services`` (and
the store), what it shows in ``mlcards.render``. Heavy modules are imported inside the
commands that need them, so ``mlcards --help`` stays quick.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional

import typer

from mlcards import __version__
from mlcards.cli.console import new_console as new_console
from mlcards.cli.console import utf8 as _utf8
from mlcards.errors import DeckError, MlcardsError, NotATerminalError
from mlcards.wording import counted

if TYPE_CHECKING:
    from datetime import date

    from rich.console import RenderableType

    from mlcards.config import Settings
    from mlcards.store import Store


EXIT_INTERRUPTED = 130
EXIT_NO_MEMORY = 71


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


_JSON_PRINTED = False


def echo_json(document: object) -> None:
    import json  # here: most commands print no JSON, and it costs start-up time

    global _JSON_PRINTED
    typer.echo(json.dumps(document, indent=2))
    _JSON_PRINTED = True


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
    """Open the database; a missing one is created by review and import, or at the default
    location, never at a path someone may have mistyped for a read-only command."""
    from mlcards.store import Store

    options = global_options(ctx)
    explicit = options.db is not None or bool(os.environ.get("MLCARDS_DB"))
    store = Store.open(options.db_path(), create=create or not explicit, daily_backup=True)
    store.home = _data_dir()
    from mlcards.clock import now

    store.clock = now
    from mlcards.sanitize import terminal_safe

    for warning in store.warnings:
        sys.stderr.write(f"mlcards: warning: {terminal_safe(warning)}\n")
    return store


def open_for_import(ctx: typer.Context, dry_run: bool) -> Store:
    """A dry run writes nothing at all: no new database file, no daily backup."""
    if not dry_run:
        return open_store(ctx, create=True)
    from mlcards.store import Store

    path = global_options(ctx).db_path()
    store = Store.open(path, create=False) if path.exists() else Store.in_memory()
    store.home = _data_dir()
    from mlcards.clock import now

    store.clock = now
    return store


def _data_dir() -> Path | None:
    """The data dir deck files are recorded relative to (None when there is none)."""
    from mlcards.config import data_dir

    try:
        return data_dir()
    except MlcardsError:
        return None


def settings_for(store: Store, settings: Settings | None = None) -> Settings:
    """The settings a command works with: ``config.yaml``'s, with the scheduling values the
    database keeps (which decide its schedules)."""
    from mlcards.config import load_settings
    from mlcards.services.admin import effective_settings

    return effective_settings(store, settings or load_settings())


def study_today(settings: Settings | None = None) -> date:
    """The current study day, by the rollover hour of ``settings`` (loaded if not given)."""
    from mlcards.clock import now, study_day
    from mlcards.config import load_settings

    return study_day(now(), (settings or load_settings()).rollover_hour)


def need_terminal(command: str) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NotATerminalError(
            f"mlcards {command} needs an interactive terminal (stdin and stdout must be a "
            "TTY); for scripts use `mlcards status --json`"
        )


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


def _crash_report() -> str:
    import tempfile
    import time

    text = traceback.format_exc()
    name = f"mlcards-crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
    try:
        from mlcards.config import data_dir

        folder = data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
    except (OSError, MlcardsError):
        path = Path(tempfile.gettempdir()) / name
        path.write_text(text, encoding="utf-8")
    return str(path)


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


def _fail(
    message: str,
    code: int,
    as_json: bool = False,
    *,
    label: str = "error: ",
    problems: list[str] | None = None,
    shown: bool = False,
) -> NoReturn:
    """The one exit for errors: ``mlcards: error: MESSAGE`` on stderr (terminal-safe; not
    when ``shown`` already), and with ``--json`` the same as one JSON object on stdout,
    unless the command already printed its JSON document there."""
    from mlcards.sanitize import terminal_safe

    if not shown:
        sys.stderr.write(f"mlcards: {label}{terminal_safe(message)}\n")
    if as_json and not _JSON_PRINTED:
        error: dict[str, object] = {"message": message, "exit_code": code}
        if problems is not None:
            error["problems"] = problems
        import json

        sys.stdout.write(json.dumps({"error": error}) + "\n")
    sys.stdout.flush()
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> NoReturn:
    """The error boundary: every failure becomes a message on stderr and an exit code.

    Every error, usage errors included, leaves here as one terminal-safe message and its exit
    code (with ``--json``, as a JSON object on stdout as well); Ctrl-C outside a review is 130;
    anything unexpected leaves a crash report.
    """
    from mlcards.sanitize import terminal_safe

    global _JSON_PRINTED
    _JSON_PRINTED = False  # per command (a second main() in one process starts afresh)
    for stream in (sys.stdout, sys.stderr):  # a non-UTF-8 terminal: "?" rather than a crash
        if not _utf8(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    args = hoist_db(list(sys.argv[1:] if argv is None else argv))
    as_json = _wants_json(args)
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="mlcards", standalone_mode=False)
    except DeckError as exc:
        for problem in exc.problems:
            sys.stderr.write(terminal_safe(problem) + "\n")
        count = len(exc.problems)
        _fail(
            f"{counted(count, 'problem')} in deck files; nothing was written",
            65,
            as_json,
            label="",
            problems=exc.problems,
        )
    except MlcardsError as exc:
        _fail(str(exc), exc.exit_code, as_json)
    except typer.TyperException as exc:  # a usage error found by the parser: exit 2
        import io

        usage = io.StringIO()
        exc.show(usage)  # type: ignore[attr-defined]
        sys.stderr.write(terminal_safe(usage.getvalue()))
        _fail(exc.format_message(), exc.exit_code, as_json, shown=True)
    except typer.Abort:
        _fail("aborted (end of input)", 1, as_json)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED, as_json, label="")
    except MemoryError:
        _fail(
            "out of memory; nothing was left half written (a database change is rolled back, "
            "an output file is replaced only when whole)",
            EXIT_NO_MEMORY,
            as_json,
        )
    except Exception as exc:
        from mlcards.store import as_store_error

        mapped = as_store_error(exc, Path("the database"))
        if mapped is not None:  # met outside any open store's guard
            _fail(str(mapped), mapped.exit_code, as_json)
        report = _crash_report()
        message = f"{type(exc).__name__}: {exc} (full report: {report})"
        _fail(message, 1, as_json, label="internal error: ")
    raise SystemExit(result if isinstance(result, int) and not isinstance(result, bool) else 0)
