"""Command line: typer declarations and wiring only. Maps every error to its exit code.

What a command does lives in ``mlcards.service`` (and the store); what it shows comes from
``mlcards.render``. Heavy modules (sqlite-utils, rich's renderers, the deck loader) are
imported inside the commands that need them, so ``mlcards --help`` stays quick.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional

import typer

from mlcards import __version__
from mlcards.errors import DeckError, MlcardsError, NotATerminalError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

    from rich.console import Console, RenderableType

    from mlcards.config import Settings
    from mlcards.models import ScheduledCard
    from mlcards.store import Store

EXIT_INTERRUPTED = 130


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


def _options(ctx: typer.Context) -> Options:
    return ctx.obj if isinstance(ctx.obj, Options) else Options()


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _show(renderable: RenderableType) -> None:
    """The one place a command's rich output is printed."""
    _console().print(renderable)


def _echo_lines(lines: list[str]) -> None:
    from mlcards.sanitize import terminal_safe

    for line in lines:
        typer.echo(terminal_safe(line))


_JSON_PRINTED = False


def _echo_json(document: object) -> None:
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
            "the user data dir).",
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


def _open_store(ctx: typer.Context, create: bool = False) -> Store:
    """Open the database; a missing one is created by review and import, or at the default
    location, never at a path someone may have mistyped for a read-only command."""
    from mlcards.store import Store

    options = _options(ctx)
    explicit = options.db is not None or bool(os.environ.get("MLCARDS_DB"))
    store = Store.open(options.db_path(), create=create or not explicit, daily_backup=True)
    from mlcards.sanitize import terminal_safe

    for warning in store.warnings:
        sys.stderr.write(f"mlcards: warning: {terminal_safe(warning)}\n")
    return store


def _open_for_import(ctx: typer.Context, dry_run: bool) -> Store:
    """A dry run writes nothing at all: no new database file, no daily backup."""
    if not dry_run:
        return _open_store(ctx, create=True)
    from mlcards.store import Store

    path = _options(ctx).db_path()
    return Store.open(path, create=False) if path.exists() else Store.in_memory()


def _today(settings: Settings | None = None) -> date:
    """The current study day, by the rollover hour of ``settings`` (loaded if not given)."""
    from mlcards.clock import now, study_day
    from mlcards.config import load_settings

    return study_day(now(), (settings or load_settings()).rollover_hour)


def _need_terminal(command: str) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NotATerminalError(
            f"mlcards {command} needs an interactive terminal (stdin and stdout must be a "
            "TTY); for scripts use `mlcards status --json`"
        )


DeckOption = Annotated[
    Optional[str],  # noqa: UP045 - typer reads the annotation at run time
    typer.Option(
        "--deck", "-d", metavar="ID", help="Only cards of this deck (its id).", show_default=False
    ),
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
CardRefs = Annotated[
    list[str], typer.Argument(help="Cards as DECK/CARD.", metavar="DECK/CARD", show_default=False)
]


def _session(
    store: Store, queue: list[ScheduledCard], settings: Settings, today: date, **options: Any
) -> None:
    from mlcards.review import SessionOptions, run_session

    if not run_session(_console(), store, queue, settings, today, SessionOptions(**options)):
        raise typer.Exit(EXIT_INTERRUPTED)


@app.command()
def review(
    ctx: typer.Context,
    deck: DeckOption = None,
    tag: TagOption = None,
    limit: LimitOption = None,
    minutes: MinutesOption = None,
    new: NewOption = None,
    no_shuffle: NoShuffleOption = False,
    suspend_leeches: SuspendLeechesOption = False,
) -> None:
    """Review the cards due today, then new ones, in the terminal."""
    from rich.text import Text

    from mlcards.clock import now
    from mlcards.config import data_dir, load_settings
    from mlcards.service import (
        check_deck,
        check_tag,
        import_bundled,
        todays_queue,
        update_bundled,
        why_nothing_to_review,
    )

    _need_terminal("review")
    settings = load_settings()
    copies = data_dir() / "decks"
    with _open_store(ctx, create=True) as store:
        if store.decks.count() == 0:
            decks = import_bundled(store, now(), copies)
            names = ", ".join(d.name for d in decks)
            cards = sum(len(d.cards) for d in decks)
            _console().print(f"No decks yet: loaded the bundled decks ({names}; {cards} cards).")
        else:
            for warning in update_bundled(store, now(), copies):
                sys.stderr.write(f"mlcards: warning: {warning}\n")
        check_deck(store, deck)
        check_tag(store, tag)
        today = _today(settings)
        queue = todays_queue(store, settings, today, deck, tag, new, limit)
        if not queue:
            why = why_nothing_to_review(store, settings, today, deck)
            _console().print(Text(f"Nothing to review now. {why}"))
            return
        _session(
            store,
            queue,
            settings,
            today,
            shuffle=not no_shuffle,
            deck=deck,
            minutes=minutes,
            suspend_leeches=suspend_leeches,
            new_limit=new,
        )


@app.command()
def practice(
    ctx: typer.Context,
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
    from mlcards.config import load_settings
    from mlcards.service import check_deck, check_tag, with_leech_marks

    _need_terminal("practice")
    settings = load_settings()
    with _open_store(ctx, create=True) as store:
        check_deck(store, deck)
        check_tag(store, tag)
        queue = with_leech_marks(store.cards.practice(limit, deck, tag, wrong_only), settings)
        if not queue:
            what = "answered wrong last time" if wrong_only else "reviewed yet"
            _console().print(f"No cards {what} to practise. Try `mlcards review`.")
            return
        _session(store, queue, settings, _today(settings), mode="practice", shuffle=not no_shuffle)


def _card_list(ctx: typer.Context, kind: str, as_json: bool, empty: str) -> None:
    from mlcards.config import load_settings
    from mlcards.render.text import card_list
    from mlcards.service import marked_cards

    with _open_store(ctx) as store:
        cards = marked_cards(store, kind, load_settings())
    if as_json:
        _echo_json(cards)
    else:
        _echo_lines(card_list(cards, empty))


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


@app.command()
def unsuspend(
    ctx: typer.Context,
    cards: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(help="Cards as DECK/CARD.", metavar="DECK/CARD", show_default=False),
    ] = None,
    all_cards: Annotated[bool, typer.Option("--all", help="Every suspended card.")] = False,
) -> None:
    """Bring suspended cards back into reviews."""
    from mlcards.service import unsuspend as bring_back

    if not cards and not all_cards:
        raise UsageError("name the cards (DECK/CARD) or use --all")
    with _open_store(ctx) as store:
        count = bring_back(store, cards or [], every=all_cards)
    typer.echo(f"unsuspended {count} card(s)")


@app.command()
def unflag(ctx: typer.Context, cards: CardRefs) -> None:
    """Clear the edit flag of cards."""
    from mlcards.service import unflag as clear_flags

    with _open_store(ctx) as store:
        count = clear_flags(store, cards)
    typer.echo(f"unflagged {count} card(s)")


@app.command("import")
def import_(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Deck files or folders (*.yaml / *.yml), or question files to convert "
            "(.csv, .tsv, .gift).",
            metavar="PATH",
            show_default=False,
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Let a file take over a deck id that an earlier import took from another file.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Import or update decks. All files are checked first; then all land, or none.

    CSV, TSV and Moodle GIFT files are converted to YAML decks kept in the data dir
    (converted/DECK-ID.yaml, the copy to edit); importing the same file again updates the
    same deck and keeps its history."""
    from mlcards.clock import now
    from mlcards.config import data_dir, load_settings
    from mlcards.render.text import import_summary
    from mlcards.service import load_for_import

    loaded = load_for_import(
        paths, data_dir() / "converted", load_settings().max_deck_bytes, dry_run=dry_run
    )
    from mlcards.sanitize import terminal_safe

    for line in loaded.skipped:
        sys.stderr.write(terminal_safe(line) + "\n")
    if not loaded.decks:
        raise UsageError("no deck files (*.yaml, *.yml) found in " + ", ".join(map(str, paths)))
    with _open_for_import(ctx, dry_run) as store:
        summaries = store.decks.import_decks(loaded.decks, now(), dry_run=dry_run, replace=replace)
    if as_json:
        _echo_json(
            {
                "dry_run": dry_run,
                "changed": any(s.changed for s in summaries),
                "decks": [s.to_dict() for s in summaries],
                "skipped": loaded.skipped,
                "converted": [str(p) for p in loaded.converted],
            }
        )
        return
    _show(import_summary(summaries, dry_run))
    from mlcards.sanitize import quote_path

    for written in loaded.converted:
        typer.echo(f"converted deck kept at {quote_path(written)} (edit it there)")


@app.command()
def convert(
    source: Annotated[
        Path, typer.Argument(help="A .csv, .tsv or .gift file.", metavar="SRC", show_default=False)
    ],
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output",
            "-o",
            help="Write the YAML deck here (default: stdout).",
            metavar="FILE",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--format",
            "-f",
            metavar="csv|tsv|gift",
            help="The source's format (default: by extension).",
            show_default=False,
        ),
    ] = None,
    deck_id: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--deck-id",
            metavar="ID",
            help="The deck id (default: from the file name).",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--name",
            metavar="NAME",
            help="The deck name (default: from the file name).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Convert MMLU-style CSV/TSV or Moodle GIFT questions into an mlcards YAML deck."""
    from mlcards.config import load_settings
    from mlcards.formats import convert_file, detect_format
    from mlcards.output import open_output

    kind = detect_format(source, fmt)
    if kind is None:
        raise UsageError(f"{source}: not a .csv, .tsv or .gift file; name one with --format")
    conversion = convert_file(
        source, kind, deck_id=deck_id, name=name, max_bytes=load_settings().max_deck_bytes
    )
    from mlcards.sanitize import quote_path, terminal_safe

    for line in conversion.skipped:
        sys.stderr.write(terminal_safe(line) + "\n")
    with open_output(output) as stream:
        stream.write(conversion.yaml_text)
    if output is not None:
        count = len(conversion.deck.cards)
        where = quote_path(output)
        sys.stderr.write(f"wrote {count} card(s) of deck {conversion.deck.id} to {where}\n")


@app.command()
def lint(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Deck files or folders.", metavar="PATH", show_default=False),
    ],
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on any warning.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Find answer cues in decks: a key longer than its distractors, absolute words only in
    wrong choices, duplicate choices, missing references; and how often "pick the longest"
    would win."""
    from mlcards.deck import load_decks
    from mlcards.lint import format_report, lint_decks

    report = lint_decks(load_decks(paths))
    if as_json:
        _echo_json(report.to_dict())
    else:
        _echo_lines(format_report(report))
    if strict and report.warnings:
        raise typer.Exit(1)


@app.command()
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Cards per deck: how many, how many new, due today and retired; the next review."""
    from mlcards.config import load_settings
    from mlcards.service import deck_status

    today = _today()
    settings = load_settings()
    with _open_store(ctx) as store:
        decks = deck_status(store, settings, today)
        next_due = store.cards.next_due()
    if as_json:
        from mlcards.stats import status_json

        _echo_json(status_json(decks, today, next_due))
        return
    from mlcards.render.text import status_table

    console = _console()
    console.print(status_table(decks, today, next_due, console.width))


def _stats_document(
    ctx: typer.Context,
    today: date,
    since: date | None,
    deck: str | None,
    tag: str | None,
    every_card: bool = False,
) -> tuple[dict[str, Any], Settings]:
    from mlcards.config import load_settings
    from mlcards.models import StatsQuery
    from mlcards.service import stats_document
    from mlcards.stats import DISTRACTOR_CARDS

    settings = load_settings()
    query = StatsQuery(
        today=today,
        since=since,
        deck_id=deck,
        tag=tag,
        distractor_cards=None if every_card else DISTRACTOR_CARDS,
    )
    with _open_store(ctx) as store:
        return stats_document(store, settings, query, since), settings


@app.command()
def stats(
    ctx: typer.Context,
    deck: DeckOption = None,
    tag: TagOption = None,
    days: Annotated[
        int,
        typer.Option(
            "--days",
            min=1,
            max=36500,
            metavar="N",
            help="Days of history to consider, up to today.",
        ),
    ] = 365,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the numbers as one JSON document.")
    ] = False,
    every_card: Annotated[
        bool,
        typer.Option(
            "--all", help="Distractor picks of every answered card (default: the 20 most missed)."
        ),
    ] = False,
    no_pager: Annotated[
        bool, typer.Option("--no-pager", help="Print the dashboard without a pager.")
    ] = False,
) -> None:
    """Progress: today, streaks, calendar, forecast, retention, stages, hardest cards."""
    from datetime import timedelta

    today = _today()
    since = today - timedelta(days=days - 1)
    doc, settings = _stats_document(ctx, today, since, deck, tag, every_card)
    if as_json:
        from mlcards.stats import dumps

        typer.echo(dumps(doc))
        return
    from mlcards.render.dashboard import render_dashboard, render_no_reviews

    if doc["totals"]["answers"] == 0:
        _show(render_no_reviews(doc))
        return
    console = _console()
    dashboard = render_dashboard(doc, settings.leech_threshold_for(deck or ""), console.width)
    if no_pager or not sys.stdout.isatty():
        console.print(dashboard)
        return
    with console.pager(styles=not console.no_color):  # as git does: $PAGER, else less
        console.print(dashboard)


class ExportKind(StrEnum):
    reviews = "reviews"
    cards = "cards"
    stats = "stats"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


@app.command()
def export(
    ctx: typer.Context,
    what: Annotated[
        ExportKind,
        typer.Argument(
            help="reviews (the log), cards or stats.", metavar="WHAT", show_default=False
        ),
    ],
    fmt: Annotated[
        Optional[ExportFormat],  # noqa: UP045
        typer.Option(
            "--format",
            "-f",
            metavar="csv|json",
            help="The format (default: csv; json for stats).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output",
            "-o",
            help="Write to this file (atomically) instead of stdout.",
            metavar="FILE",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    deck: DeckOption = None,
    since: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--since",
            metavar="DATE",
            help="Only reviews from this study day on (YYYY-MM-DD).",
            show_default=False,
        ),
    ] = None,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="CSV cells exactly as stored: no ' before text a spreadsheet would run as a "
            "formula (=, +, -, @, tab, CR).",
        ),
    ] = False,
) -> None:
    """Export the review log, the cards or the stats document as CSV or JSON."""
    from datetime import date, timedelta

    from mlcards import service
    from mlcards.output import open_output
    from mlcards.stats import DEFAULT_DAYS, dumps
    from mlcards.store import Scope

    fmt = fmt or (ExportFormat.json if what is ExportKind.stats else ExportFormat.csv)
    if what is ExportKind.stats and fmt is ExportFormat.csv:
        raise UsageError("export stats is a JSON document: use --format json")
    try:
        since_day = date.fromisoformat(since) if since is not None else None
    except ValueError:
        raise UsageError(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
    if what is ExportKind.stats:
        today = _today()
        window = since_day or today - timedelta(days=DEFAULT_DAYS - 1)
        doc, _ = _stats_document(ctx, today, window, deck, None)
        with open_output(output) as stream:
            stream.write(dumps(doc) + "\n")
        return
    progress = None
    if sys.stderr.isatty():
        from mlcards.render.dashboard import progress as bar

        def progress(
            rows: Iterable[tuple[object, ...]], total: int
        ) -> Iterable[tuple[object, ...]]:
            return bar(rows, total, "Exporting reviews")

    with _open_store(ctx) as store, open_output(output) as stream:
        scope = Scope(deck=deck, since=since_day)
        service.export(store, stream, what.value, fmt.value, scope, progress, raw=raw)


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
        bool, typer.Option("--repair", help="Rebuild the schedule from the log (after a backup).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Check the database: SQLite integrity, foreign keys, and the schedule against the log."""
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
                result.integrity, result.differences, result.cards, result.repaired, result.backup
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

    args = list(sys.argv[1:] if argv is None else argv)
    as_json = _wants_json(args)
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="mlcards", standalone_mode=False)
    except DeckError as exc:
        for problem in exc.problems:
            sys.stderr.write(terminal_safe(problem) + "\n")
        count = len(exc.problems)
        _fail(
            f"{count} problem{'s' if count != 1 else ''} in deck files; nothing was written",
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
    except Exception as exc:
        from mlcards.store import as_store_error

        mapped = as_store_error(exc, Path("the database"))
        if mapped is not None:  # met outside any open store's guard
            _fail(str(mapped), mapped.exit_code, as_json)
        report = _crash_report()
        message = f"{type(exc).__name__}: {exc} (full report: {report})"
        _fail(message, 1, as_json, label="internal error: ")
    raise SystemExit(result if isinstance(result, int) and not isinstance(result, bool) else 0)


# -- FSRS: evaluate, optimize, simulate (issue 13) ----------------------------------------------


@app.command()
def evaluate(ctx: typer.Context, deck: DeckOption = None, as_json: JsonOption = False) -> None:
    """How well SM-2 and FSRS predicted your own answers: log loss, RMSE(bins) and AUC over
    every first-of-day review of a card answered on an earlier day."""
    from mlcards.config import load_settings
    from mlcards.render.fsrs import evaluation_view
    from mlcards.scheduling import evaluate as run_evaluate
    from mlcards.service import check_deck

    settings = load_settings()
    with _open_store(ctx) as store:
        check_deck(store, deck)
        doc = run_evaluate(store, settings, deck)
    if as_json:
        _echo_json(doc)
    elif not doc["schedulers"][0]["reviews"]:
        typer.echo("Nothing to evaluate yet: no card has been answered on two study days.")
    else:
        _show(evaluation_view(doc))


@app.command()
def optimize(
    ctx: typer.Context,
    deck: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--deck",
            "-d",
            help="Fit this deck's reviews, for this deck (default: every deck's, for all).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Fit FSRS's parameters to your own review log and save them in the settings; FSRS
    decks are rescheduled with them (after a backup)."""
    from mlcards.config import load_settings, save_setting, with_setting
    from mlcards.render.fsrs import optimize_view
    from mlcards.scheduling import changed_decks, reschedule
    from mlcards.scheduling import optimize as run_optimize
    from mlcards.service import check_deck

    settings = load_settings()
    with _open_store(ctx) as store:
        check_deck(store, deck)
        result = run_optimize(store, settings, deck)
        value = ",".join(f"{w:g}" for w in result.parameters)
        new = with_setting("fsrs_parameters", value, deck)
        done = reschedule(store, new, changed_decks(settings, new, store.decks.ids()))
        save_setting("fsrs_parameters", value, deck)
    doc = result.to_dict() | {"deck": deck, "rescheduled": done.decks}
    if as_json:
        _echo_json(doc)
        return
    _show(optimize_view(doc, f"for deck {deck}" if deck else "for every deck without its own"))
    if done.decks:
        typer.echo(f"rescheduled {done.cards} card(s) of {', '.join(done.decks)} from the log")


@app.command()
def simulate(
    ctx: typer.Context,
    days: Annotated[
        int, typer.Option("--days", min=1, max=3650, help="How many study days to simulate.")
    ] = 30,
    deck: DeckOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reviews per day and expected recall over the next days of your cards, under SM-2 and
    under FSRS at a few desired retentions (FSRS with your parameters models your memory)."""
    from mlcards.config import load_settings
    from mlcards.render.fsrs import simulation_view
    from mlcards.scheduling import simulate_next
    from mlcards.service import check_deck

    settings = load_settings()
    today = _today(settings)
    with _open_store(ctx) as store:
        check_deck(store, deck)
        doc = simulate_next(store, settings, today, days, deck)
    if as_json:
        _echo_json(doc)
        return
    console = _console()
    console.print(simulation_view(doc, console.width))
