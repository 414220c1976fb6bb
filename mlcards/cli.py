"""Command line: parses arguments, wires the pieces together, maps errors to exit codes.

Heavy modules (sqlite-utils, rich's renderers, the deck loader) are imported inside the
commands that need them, so ``mlcards --help`` stays quick.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional

import typer

from mlcards import __version__
from mlcards.errors import DeckError, MlcardsError, NotATerminalError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from mlcards.models import ImportSummary
    from mlcards.store import Store

EXIT_INTERRUPTED = 130

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

_state: dict[str, Any] = {"db": None}


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mlcards {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    db: Annotated[
        Optional[Path],  # noqa: UP045 - typer reads the annotation at run time
        typer.Option(
            "--db",
            help="Database file (default: $MLCARDS_DB, else mlcards.db in $MLCARDS_HOME or "
            "the user data dir).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    _state["db"] = db


def _open_store() -> Store:
    from mlcards.config import db_path
    from mlcards.store import Store

    return Store.open(db_path(_state["db"]))


def _today() -> Any:
    from mlcards.clock import now, study_day
    from mlcards.config import load_settings

    return study_day(now(), load_settings().rollover_hour)


def _import_bundled(store: Store, console: Console) -> None:
    from mlcards.clock import now
    from mlcards.deck import bundled_deck_files, load_decks

    decks = load_decks(bundled_deck_files())
    store.import_decks(decks, now())
    names = ", ".join(d.name for d in decks)
    cards = sum(len(d.cards) for d in decks)
    console.print(f"No decks yet: loaded the bundled decks ({names}; {cards} cards).")


@app.command()
def review(
    deck: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--deck", "-d", help="Only cards of this deck (its id).", show_default=False),
    ] = None,
    limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--limit", "-n", min=1, help="At most this many cards.", show_default=False),
    ] = None,
    no_shuffle: Annotated[
        bool, typer.Option("--no-shuffle", help="Show choices in file order.")
    ] = False,
) -> None:
    """Review the cards due today, then new ones, in the terminal."""
    import random

    from mlcards import clock
    from mlcards.config import load_settings
    from mlcards.session import Session, build_queue
    from mlcards.ui import render_summary, run_review, terminal_keys

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NotATerminalError(
            "mlcards review needs an interactive terminal (stdin and stdout must be a TTY); "
            "for scripts use `mlcards status --json`"
        )
    settings = load_settings()
    console = _console()
    with _open_store() as store:
        if store.deck_count() == 0:
            _import_bundled(store, console)
        if deck is not None and deck not in store.deck_ids():
            raise UsageError(f"no deck {deck!r}; decks: {', '.join(store.deck_ids())}")
        today = clock.study_day(clock.now(), settings.rollover_hour)
        new_done, reviews_done = store.counts_today(today)
        queue = build_queue(
            store.due_cards(today, max(settings.reviews_per_day - reviews_done, 0), deck),
            store.new_cards(max(settings.new_per_day - new_done, 0), deck),
            store.repeat_cards(today, deck),
            limit,
        )
        if not queue:
            from mlcards.ui import describe_due

            when = describe_due(store.next_due(deck), today)
            console.print(f"Nothing to review now. Next review: {when}.")
            return
        session = Session(queue, today, rng=None if no_shuffle else random.Random())
        interrupted = False
        with terminal_keys() as read_key:
            try:
                outcome = run_review(console, session, store.record, read_key, clock.now)
            except (KeyboardInterrupt, EOFError):
                from mlcards.ui import ReviewOutcome

                interrupted = True
                outcome = ReviewOutcome(session.answered, session.correct, quit_early=True)
        console.print()
        render_summary(console, outcome, store.next_due(deck), today)
        if interrupted:
            console.print(f"Interrupted: the {outcome.answered} answer(s) given were saved.")
            raise typer.Exit(EXIT_INTERRUPTED)


@app.command("import")
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Deck files or folders (searched for *.yaml / *.yml).", show_default=False
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Import or update decks. All files are checked first; then all land, or none."""
    from mlcards.clock import now
    from mlcards.deck import load_decks

    decks = load_decks(paths)
    if not decks:
        raise UsageError("no deck files (*.yaml, *.yml) found in " + ", ".join(map(str, paths)))
    with _open_store() as store:
        summaries = store.import_decks(decks, now(), dry_run=dry_run)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "dry_run": dry_run,
                    "changed": any(s.changed for s in summaries),
                    "decks": [s.to_dict() for s in summaries],
                },
                indent=2,
            )
        )
        return
    _print_import(_console(), summaries, dry_run)


def _print_import(console: Console, summaries: list[ImportSummary], dry_run: bool) -> None:
    from rich.table import Table

    table = Table(
        title="Import (dry run: nothing written)" if dry_run else "Import", title_justify="left"
    )
    table.add_column("Deck")
    for name in ("Added", "Updated", "Unchanged", "Retired", "Reset"):
        table.add_column(name, justify="right")
    for s in summaries:
        label = s.deck_id + (" (new)" if s.new_deck else "")
        counts = (s.added, s.updated, s.unchanged, s.retired, s.reset)
        table.add_row(label, *(str(len(c)) for c in counts))
    console.print(table)
    for s in summaries:
        if s.reset:
            console.print(
                f"{s.deck_id}: answer changed, schedule reset (history kept): {', '.join(s.reset)}"
            )
        if s.restored:
            console.print(f"{s.deck_id}: back from retirement: {', '.join(s.restored)}")
        if s.retired:
            console.print(
                f"{s.deck_id}: retired (gone from the file; history kept): {', '.join(s.retired)}"
            )
    if not any(s.changed for s in summaries):
        console.print("Nothing changed: the database already matches these files.")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Cards per deck: how many, how many new, due today and retired; the next review."""
    today = _today()
    with _open_store() as store:
        decks = store.status(today)
        next_due = store.next_due()
    totals = {
        key: sum(getattr(d, key) for d in decks) for key in ("cards", "new", "due", "retired")
    }
    if as_json:
        document = {
            "today": today.isoformat(),
            "decks": [d.to_dict() for d in decks],
            "totals": totals,
            "next_due": next_due.isoformat() if next_due else None,
        }
        typer.echo(json.dumps(document, indent=2))
        return
    from rich.table import Table

    from mlcards.ui import describe_due

    console = _console()
    if not decks:
        console.print("No decks yet. Run `mlcards review` to start with the bundled decks, or")
        console.print("`mlcards import PATH` to add your own.")
        return
    table = Table(title=f"Study day {today.isoformat()}", title_justify="left")
    table.add_column("Deck")
    for name in ("Cards", "New", "Due", "Retired"):
        table.add_column(name, justify="right")
    for d in decks:
        table.add_row(d.id, str(d.cards), str(d.new), str(d.due), str(d.retired))
    table.add_section()
    table.add_row("total", *(str(totals[k]) for k in ("cards", "new", "due", "retired")))
    console.print(table)
    console.print(f"Next review: {describe_due(next_due, today)}")


@config_app.command("show")
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Print every setting and its value."""
    from mlcards.config import config_path, load_settings

    settings = load_settings().to_dict()
    if as_json:
        typer.echo(json.dumps(settings, indent=2))
        return
    for key, value in settings.items():
        typer.echo(f"{key} = {value}")
    typer.echo(f"# file: {config_path()}")


@config_app.command("set")
def config_set(
    key: Annotated[str, typer.Argument(help="new_per_day, reviews_per_day or rollover_hour.")],
    value: Annotated[str, typer.Argument(help="A whole number.")],
) -> None:
    """Change one setting."""
    from mlcards.config import save_setting

    settings = save_setting(key, value)
    typer.echo(f"{key} = {settings.to_dict()[key]}")


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
    except OSError:
        path = Path(tempfile.gettempdir()) / name
        path.write_text(text, encoding="utf-8")
    return str(path)


def _fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"mlcards: {message}\n")
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> NoReturn:
    """The error boundary: every failure becomes a message on stderr and an exit code.

    Usage errors, ``--help`` and Ctrl-C outside a review are handled by typer (exit 2, 0 and
    130); everything of ours is caught here, and anything unexpected leaves a crash report.
    """
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="mlcards", standalone_mode=True)
    except DeckError as exc:
        for problem in exc.problems:
            sys.stderr.write(problem + "\n")
        count = len(exc.problems)
        _fail(f"{count} problem{'s' if count != 1 else ''} in deck files; nothing was written", 65)
    except MlcardsError as exc:
        _fail(f"error: {exc}", exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:
        report = _crash_report()
        _fail(f"internal error: {type(exc).__name__}: {exc} (full report: {report})", 1)
    raise SystemExit(0)
