"""What the learner has done: ``status``, ``stats`` and ``export``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from mlcards.cli.console import page
from mlcards.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import date

    from mlcards.config import Settings


from mlcards.cli.base import (
    DeckOption,
    JsonOption,
    TagOption,
    app,
    echo_json,
    global_options,
    new_console,
    open_store,
    output_option,
    settings_for,
    show,
    study_today,
    valued,
)


@app.command()
def status(
    ctx: typer.Context,
    as_json: JsonOption = False,
    no_pager: Annotated[
        bool, typer.Option("--no-pager", help="Print without a pager, however long.")
    ] = False,
) -> None:
    """Cards per deck: how many, how many new, due today and retired; the next review."""
    from mlcards.config import load_settings
    from mlcards.services.study import status_of

    settings = load_settings()
    today = study_today(settings)
    with open_store(ctx) as store:
        shown = status_of(store, settings_for(store, settings), today)
    if as_json:
        echo_json(shown.document(today))
        return
    from mlcards.cli.quick import print_status

    print_status(shown, today, pager=not no_pager and sys.stdout.isatty())


def _stats_document(
    ctx: typer.Context,
    today: date,
    since: date | None,
    deck: str | None,
    tag: str | None,
    every_card: bool = False,
) -> tuple[dict[str, Any], Settings]:
    from mlcards.config import load_settings
    from mlcards.services.progress import stats_document
    from mlcards.stats import DISTRACTOR_CARDS
    from mlcards.statsdata import StatsQuery

    settings = load_settings()
    query = StatsQuery(
        today=today,
        since=since,
        deck_id=deck,
        tag=tag,
        distractor_cards=None if every_card else DISTRACTOR_CARDS,
    )
    with open_store(ctx) as store:
        settings = settings_for(store, settings)
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

    today = study_today()
    since = today - timedelta(days=days - 1)
    doc, settings = _stats_document(ctx, today, since, deck, tag, every_card)
    if as_json:
        from mlcards.exports import dumps

        typer.echo(dumps(doc))
        return
    from mlcards.render.dashboard import render_dashboard, render_no_reviews

    if doc["totals"]["answers"] == 0:
        show(render_no_reviews(doc))
        return
    console = new_console()
    deck = doc["filter"]["deck"]  # the id, when --deck named a deck by its name
    dashboard = render_dashboard(doc, settings.rules_for(deck).leech_threshold, console.width)
    page(console, dashboard, pager=not no_pager and sys.stdout.isatty())


class ExportKind(StrEnum):
    reviews = "reviews"
    cards = "cards"
    stats = "stats"
    apkg = "apkg"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


@app.command()
def export(
    ctx: typer.Context,
    what: Annotated[
        ExportKind,
        typer.Argument(
            help="reviews (the log), cards, stats, or apkg (an Anki package of the cards).",
            metavar="WHAT",
            show_default=False,
        ),
    ],
    query: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(
            help="apkg: only the cards this search finds (as `mlcards cards QUERY`).",
            metavar="[QUERY]",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        Optional[ExportFormat],  # noqa: UP045
        valued(
            "--format", "-f", metavar="csv|json", text="The format (default: csv; json for stats)."
        ),
    ] = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        output_option("Write to this file (atomically) instead of stdout."),
    ] = None,
    deck: DeckOption = None,
    since: Annotated[
        Optional[str],  # noqa: UP045
        valued("--since", metavar="DATE", text="Only reviews from this study day on (YYYY-MM-DD)."),
    ] = None,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="CSV cells exactly as stored: no ' before text a spreadsheet would run as a "
            "formula (=, +, -, @, tab, CR).",
        ),
    ] = False,
    history: Annotated[
        bool,
        typer.Option(
            "--history",
            help="apkg: also each card's schedule and review log (Anki takes them only for "
            "cards new to its collection).",
        ),
    ] = False,
) -> None:
    """Export the review log, the cards or the stats document as CSV or JSON, or the cards
    as an Anki package (.apkg, default mlcards.apkg) to study on a phone."""
    from datetime import timedelta

    from mlcards.exports import dumps
    from mlcards.output import open_output
    from mlcards.services.progress import export as write_export
    from mlcards.stats import DEFAULT_DAYS
    from mlcards.store import Scope

    if what is ExportKind.apkg:
        if fmt is not None or since is not None or raw:
            raise UsageError("export apkg takes -o, --deck and --history only")
        _export_apkg(ctx, output or Path("mlcards.apkg"), deck, history, " ".join(query or []))
        return
    fmt, since_day = _export_options(what, fmt, since, bool(query), history)
    if what is ExportKind.stats:
        today = study_today()
        window = since_day or today - timedelta(days=DEFAULT_DAYS - 1)
        doc, _ = _stats_document(ctx, today, window, deck, None)
        with open_output(output, global_options(ctx).db_path()) as stream:
            stream.write(dumps(doc) + "\n")
        return
    with open_store(ctx) as store, open_output(output, global_options(ctx).db_path()) as stream:
        scope = Scope(deck=deck, since=since_day)
        write_export(store, stream, what.value, fmt.value, scope, _progress_bar(), raw=raw)


def _export_options(
    what: ExportKind, fmt: ExportFormat | None, since: str | None, query: bool, history: bool
) -> tuple[ExportFormat, date | None]:
    """The format and the first day of an export other than apkg, or a UsageError for an
    option that is apkg's or does not fit ``what``."""
    from datetime import date

    if query:
        raise UsageError("a search (QUERY) is for export apkg; use --deck for the others")
    if history:
        raise UsageError("--history is for export apkg")
    fmt = fmt or (ExportFormat.json if what is ExportKind.stats else ExportFormat.csv)
    if what is ExportKind.stats and fmt is ExportFormat.csv:
        raise UsageError("export stats is a JSON document: use --format json")
    try:
        return fmt, date.fromisoformat(since) if since is not None else None
    except ValueError:
        raise UsageError(f"--since {since!r} is not a date (YYYY-MM-DD)") from None


def _progress_bar() -> (
    Callable[[Iterable[tuple[object, ...]], int], Iterable[tuple[object, ...]]] | None
):
    """A progress bar on stderr for a long export, when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None
    from mlcards.render.dashboard import progress as bar

    def progress(rows: Iterable[tuple[object, ...]], total: int) -> Iterable[tuple[object, ...]]:
        return bar(rows, total, "Exporting reviews")

    return progress


def _export_apkg(
    ctx: typer.Context, output: Path, deck: str | None, history: bool, query: str = ""
) -> None:
    from mlcards.clock import now
    from mlcards.config import load_settings
    from mlcards.sanitize import quote_path, terminal_safe
    from mlcards.services.anki import export_apkg

    with open_store(ctx) as store:
        settings = settings_for(store, load_settings())
        keys = None
        if query:
            from mlcards.services.browse import matching_keys

            keys = set(matching_keys(store, settings, study_today(settings), query))
        result = export_apkg(store, output, settings, now(), deck, history, keys)
    for line in result.skipped:
        sys.stderr.write(terminal_safe(line) + "\n")
    from mlcards.wording import counted

    reviews = f" and {counted(result.reviews, 'review')}" if history else ""
    sys.stderr.write(
        f"wrote {counted(result.cards, 'card')}{reviews} in {counted(len(result.decks), 'deck')}"
        f" to {quote_path(output)}\n"
    )
