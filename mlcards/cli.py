"""Command line: parses arguments, wires the pieces together, maps errors to exit codes.

Heavy modules (sqlite-utils, rich's renderers, the deck loader) are imported inside the
commands that need them, so ``mlcards --help`` stays quick.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional, TextIO

import typer

from mlcards import __version__
from mlcards.errors import (
    DeckError,
    InputNotFoundError,
    MlcardsError,
    NotATerminalError,
    OutputError,
    UsageError,
)

if TYPE_CHECKING:
    from datetime import date

    from rich.console import Console

    from mlcards.models import ImportSummary, ScheduledCard
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
backup_app = typer.Typer(help="List, make or restore backups of the database.")
app.add_typer(backup_app, name="backup", no_args_is_help=True)

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


def _open_store(create: bool = False) -> Store:
    """Open the database; a missing one is created by review and import, or at the default
    location, never at a path someone may have mistyped for a read-only command."""
    from mlcards.config import db_path
    from mlcards.store import Store

    explicit = _state["db"] is not None or bool(os.environ.get("MLCARDS_DB"))
    store = Store.open(db_path(_state["db"]), create=create or not explicit, daily_backup=True)
    for warning in store.warnings:
        sys.stderr.write(f"mlcards: warning: {warning}\n")
    return store


def _open_for_import(dry_run: bool) -> Store:
    """A dry run writes nothing at all: no new database file, no daily backup."""
    if not dry_run:
        return _open_store(create=True)
    from mlcards.config import db_path
    from mlcards.store import Store

    path = db_path(_state["db"])
    if not path.exists():
        return Store.in_memory()
    return Store.open(path, create=False)


def _today(settings: Any = None) -> Any:
    """The current study day, by the rollover hour of ``settings`` (loaded if not given)."""
    from mlcards.clock import now, study_day
    from mlcards.config import load_settings

    return study_day(now(), (settings or load_settings()).rollover_hour)


def _import_bundled(store: Store, console: Console) -> None:
    from mlcards.clock import now
    from mlcards.deck import bundled_deck_files, load_decks

    decks = load_decks(bundled_deck_files())
    store.import_decks(decks, now())
    names = ", ".join(d.name for d in decks)
    cards = sum(len(d.cards) for d in decks)
    console.print(f"No decks yet: loaded the bundled decks ({names}; {cards} cards).")


class _StoreActions:
    """What the review screen may do to a card, done in the store."""

    def __init__(self, store: Store, today: Any, pause: Any) -> None:
        self.store = store
        self.today = today
        self.pause = pause

    def suspend(self, item: ScheduledCard) -> str:
        self.store.suspend(item.deck_id, item.card.id)
        return f"Suspended {item.key} until `mlcards unsuspend {item.key}`."

    def bury(self, item: ScheduledCard) -> str:
        from datetime import timedelta

        self.store.bury(item.deck_id, item.card.id, self.today + timedelta(days=1))
        return f"Buried {item.key} until tomorrow."

    def flag(self, item: ScheduledCard) -> tuple[ScheduledCard, str]:
        from dataclasses import replace

        flagged = not item.flagged
        self.store.flag(item.deck_id, item.card.id, flagged)
        words = "Flagged for editing (`mlcards flagged`)." if flagged else "Flag removed."
        return replace(item, flagged=flagged), words

    def edit(self, item: ScheduledCard) -> tuple[ScheduledCard | None, str]:
        """Open the deck file at the card's line in $VISUAL/$EDITOR, then re-import it."""
        import shlex
        import subprocess
        from dataclasses import replace

        from mlcards.clock import now
        from mlcards.deck import load_deck

        path = Path(item.path) if item.path else None
        if path is None or not path.is_file():
            return item, f"The deck file of {item.key} is not available to edit."
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with self.pause():
            try:
                subprocess.run([*shlex.split(editor), f"+{item.card.line}", str(path)], check=False)
            except OSError as exc:
                return item, f"Could not start the editor {editor!r}: {exc.strerror}"
        try:
            deck = load_deck(path)
            self.store.import_decks([deck], now())
        except MlcardsError as exc:
            first = str(exc).splitlines()[0]
            return item, f"Not re-imported: {first}"
        fresh = self.store.scheduled_card(item.deck_id, item.card.id)
        if fresh is None:
            return None, f"{item.key} is no longer in its deck file: retired."
        return replace(item, card=fresh.card, path=fresh.path), f"Re-imported {path.name}."


def _queue(
    store: Store,
    settings: Any,
    today: Any,
    deck: str | None,
    tag: str | None,
    new_limit: int | None,
    limit: int | None,
) -> list[ScheduledCard]:
    """Today's queue under the daily limits (each deck's own and the global ones), then the
    session's ``--new`` and ``--limit``."""
    from mlcards.session import build_queue

    new_done, reviews_done = store.counts_today(today)
    review_room = max(settings.reviews_per_day - reviews_done, 0)
    new_room = max(settings.new_per_day - new_done, 0)
    if new_limit is not None:
        new_room = min(new_room, new_limit)
    due: list[ScheduledCard] = []
    new: list[ScheduledCard] = []
    for deck_id in [deck] if deck else store.deck_ids():
        own = settings.for_deck(deck_id)
        deck_new, deck_reviews = store.counts_today(today, deck_id)
        due += store.due_cards(
            today, min(review_room, max(own.reviews_per_day - deck_reviews, 0)), deck_id, tag
        )
        new += store.new_cards(
            min(new_room, max(own.new_per_day - deck_new, 0)), deck_id, tag, today
        )
    due.sort(key=lambda item: item.due or today)  # stable: deck order within a day
    repeats = store.repeat_cards(today, deck, tag)
    return build_queue(due[:review_room], new[:new_room], repeats, limit)


def _run_session(
    store: Store,
    queue: list[ScheduledCard],
    today: Any,
    *,
    mode: str,
    no_shuffle: bool,
    minutes: float | None,
    suspend_leeches: bool,
    settings: Any,
    deck: str | None,
) -> None:
    import random
    import time
    import uuid

    from mlcards import clock
    from mlcards.session import Session
    from mlcards.ui import ReviewOutcome, render_summary, run_review, terminal_keys

    console = _console()
    session = Session(
        queue,
        today,
        rng=None if no_shuffle else random.Random(),
        journal=store,
        mode=mode,
        session_id=uuid.uuid4().hex,
        leech_threshold=settings.leech_threshold,
        deck_leech_thresholds={
            deck_id: overrides["leech_threshold"]
            for deck_id, overrides in settings.decks.items()
            if "leech_threshold" in overrides
        },
        suspend_leeches=suspend_leeches,
        deadline=time.monotonic() + minutes * 60 if minutes else None,
    )
    interrupted = False
    with terminal_keys() as terminal:
        actions = _StoreActions(store, today, terminal.pause)
        try:
            outcome = run_review(console, session, actions, terminal, clock.now)
        except (KeyboardInterrupt, EOFError):
            interrupted = True
            outcome = ReviewOutcome(session.answered, session.correct, quit_early=True)
    console.print()
    render_summary(console, outcome, store.next_due(deck), today)
    if session.out_of_time and session.remaining:
        console.print(f"Time is up: {session.remaining} card(s) left for later.")
    if interrupted:
        console.print(f"Interrupted: the {outcome.answered} answer(s) given were saved.")
        raise typer.Exit(EXIT_INTERRUPTED)


def _need_terminal(command: str) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NotATerminalError(
            f"mlcards {command} needs an interactive terminal (stdin and stdout must be a "
            "TTY); for scripts use `mlcards status --json`"
        )


DeckOption = Annotated[
    Optional[str],  # noqa: UP045 - typer reads the annotation at run time
    typer.Option("--deck", "-d", help="Only cards of this deck (its id).", show_default=False),
]
TagOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--tag", "-t", help="Only cards with this tag.", show_default=False),
]
NoShuffleOption = Annotated[bool, typer.Option("--no-shuffle", help="Show choices in file order.")]


@app.command()
def review(
    deck: DeckOption = None,
    tag: TagOption = None,
    limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--limit",
            "-n",
            min=1,
            max=1_000_000,
            help="At most this many cards.",
            show_default=False,
        ),
    ] = None,
    minutes: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(
            "--minutes", "-m", min=0.1, help="Stop after this many minutes.", show_default=False
        ),
    ] = None,
    new: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--new",
            min=0,
            max=1_000_000,
            help="At most this many new cards.",
            show_default=False,
        ),
    ] = None,
    no_shuffle: NoShuffleOption = False,
    suspend_leeches: Annotated[
        bool,
        typer.Option("--suspend-leeches", help="Suspend a card that becomes a leech (not tag it)."),
    ] = False,
) -> None:
    """Review the cards due today, then new ones, in the terminal."""
    from mlcards.config import load_settings

    _need_terminal("review")
    settings = load_settings()
    with _open_store(create=True) as store:
        if store.deck_count() == 0:
            _import_bundled(store, _console())
        _check_deck(store, deck)
        today = _today(settings)
        queue = _queue(store, settings, today, deck, tag, new, limit)
        if not queue:
            from mlcards.ui import describe_due

            when = describe_due(store.next_due(deck), today)
            _console().print(f"Nothing to review now. Next review: {when}.")
            return
        _run_session(
            store,
            queue,
            today,
            mode="review",
            no_shuffle=no_shuffle,
            minutes=minutes,
            suspend_leeches=suspend_leeches,
            settings=settings,
            deck=deck,
        )


@app.command()
def practice(
    deck: DeckOption = None,
    tag: TagOption = None,
    wrong_only: Annotated[
        bool, typer.Option("--wrong-only", help="Only cards whose last answer was wrong.")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=1_000_000, help="At most this many.")
    ] = 20,
    no_shuffle: NoShuffleOption = False,
) -> None:
    """Extra practice beyond what is due: logged as practice, the schedule is not changed."""
    from mlcards.config import load_settings

    _need_terminal("practice")
    settings = load_settings()
    with _open_store(create=True) as store:
        _check_deck(store, deck)
        today = _today(settings)
        queue = store.practice_cards(limit, deck, tag, wrong_only)
        if not queue:
            what = "answered wrong last time" if wrong_only else "reviewed yet"
            _console().print(f"No cards {what} to practise. Try `mlcards review`.")
            return
        _run_session(
            store,
            queue,
            today,
            mode="practice",
            no_shuffle=no_shuffle,
            minutes=None,
            suspend_leeches=False,
            settings=settings,
            deck=deck,
        )


def _card_list(kind: str, as_json: bool, empty: str) -> None:
    with _open_store() as store:
        cards = store.marked_cards(kind)
    if as_json:
        typer.echo(json.dumps(cards, indent=2))
        return
    if not cards:
        typer.echo(empty)
        return
    for c in cards:
        where = f"{c['path']}:{c['line']}" if c["path"] else "(no file)"
        title = f"  {c['title']}" if c["title"] else ""
        typer.echo(f"{c['deck']}/{c['card']}{title}\n    {where}  lapses: {c['lapses']}")


@app.command()
def flagged(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Cards flagged for editing during reviews (key f), with their file and line."""
    _card_list("flagged", as_json, "No flagged cards.")


@app.command()
def leeches(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Cards that keep being forgotten (8 lapses by default), with their file and line."""
    _card_list("leech", as_json, "No leeches.")


@app.command()
def suspended(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Suspended cards."""
    _card_list("suspended", as_json, "No suspended cards.")


def _parse_card_refs(refs: list[str]) -> list[tuple[str, str]]:
    parsed = []
    for ref in refs:
        deck_id, sep, card_id = ref.partition("/")
        if not sep or not deck_id or not card_id:
            raise UsageError(f"{ref!r}: name a card as DECK/CARD (see `mlcards suspended`)")
        parsed.append((deck_id, card_id))
    return parsed


@app.command()
def unsuspend(
    cards: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(help="Cards as DECK/CARD.", show_default=False),
    ] = None,
    all_cards: Annotated[bool, typer.Option("--all", help="Every suspended card.")] = False,
) -> None:
    """Bring suspended cards back into reviews."""
    if not cards and not all_cards:
        raise UsageError("name the cards (DECK/CARD) or use --all")
    with _open_store() as store:
        if all_cards:
            count = store.unsuspend_all()
        else:
            refs = _parse_card_refs(cards or [])
            suspended = {(c["deck"], c["card"]) for c in store.marked_cards("suspended")}
            for deck_id, card_id in refs:
                if store.scheduled_card(deck_id, card_id) is None and (
                    (deck_id, card_id) not in suspended
                ):
                    raise UsageError(f"no card {deck_id}/{card_id}")
            count = sum(
                store.suspend(deck_id, card_id, suspended=False)
                for deck_id, card_id in refs
                if (deck_id, card_id) in suspended
            )
    typer.echo(f"unsuspended {count} card(s)")


@app.command()
def unflag(
    cards: Annotated[list[str], typer.Argument(help="Cards as DECK/CARD.", show_default=False)],
) -> None:
    """Clear the edit flag of cards."""
    with _open_store() as store:
        for deck_id, card_id in _parse_card_refs(cards):
            if not store.flag(deck_id, card_id, flagged=False):
                raise UsageError(f"no card {deck_id}/{card_id}")
    typer.echo(f"unflagged {len(cards)} card(s)")


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
    from mlcards.config import load_settings
    from mlcards.deck import load_decks

    decks = load_decks(paths, max_bytes=load_settings().max_deck_bytes)
    if not decks:
        raise UsageError("no deck files (*.yaml, *.yml) found in " + ", ".join(map(str, paths)))
    with _open_for_import(dry_run) as store:
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


def _check_deck(store: Store, deck: str | None) -> None:
    if deck is not None and deck not in store.deck_ids():
        decks = ", ".join(store.deck_ids()) or "none yet"
        raise UsageError(f"no deck {deck!r}; decks: {decks}")


def _stats_document(
    today: date, since: date | None, deck: str | None, tag: str | None
) -> dict[str, Any]:
    from mlcards.models import StatsQuery
    from mlcards.stats import build_stats

    with _open_store() as store:
        _check_deck(store, deck)
        data = store.stats_data(StatsQuery(today=today, since=since, deck_id=deck, tag=tag))
    return build_stats(data, today, since, deck, tag)


@app.command()
def stats(
    deck: DeckOption = None,
    tag: TagOption = None,
    days: Annotated[
        int,
        typer.Option("--days", min=1, max=36500, help="Days of history to consider, up to today."),
    ] = 365,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the numbers as one JSON document.")
    ] = False,
) -> None:
    """Progress: today, streaks, calendar, forecast, retention, stages, hardest cards."""
    from datetime import timedelta

    today = _today()
    doc = _stats_document(today, today - timedelta(days=days - 1), deck, tag)
    if as_json:
        from mlcards.stats import dumps

        typer.echo(dumps(doc))
        return
    from mlcards.dashboard import render_dashboard, render_no_reviews

    console = _console()
    if doc["totals"]["answers"] == 0:
        render_no_reviews(console, doc)
        return
    render_dashboard(console, doc)


class ExportKind(StrEnum):
    reviews = "reviews"
    cards = "cards"
    stats = "stats"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or a temp file beside ``path`` that replaces it only once fully written.

    On any failure (or Ctrl-C) the temp file is removed and an existing ``path`` is left
    byte-for-byte as it was.
    """
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    import tempfile

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputNotFoundError(f"{folder}: no such folder for the output file")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder, not a file")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here: {exc.strerror}") from None
    tmp = Path(tmp_name)
    try:
        if path.exists():
            mode = path.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with open(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@app.command()
def export(
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
            help="csv or json (default: csv; json for stats).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output",
            "-o",
            help="Write to this file (atomically) instead of stdout.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    deck: DeckOption = None,
    since: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--since",
            help="Only reviews from this study day on (YYYY-MM-DD).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Export the review log, the cards or the stats document as CSV or JSON."""
    from datetime import date, timedelta

    from mlcards import stats as serialise
    from mlcards.models import REVIEW_COLUMNS

    fmt = fmt or (ExportFormat.json if what is ExportKind.stats else ExportFormat.csv)
    if what is ExportKind.stats and fmt is ExportFormat.csv:
        raise UsageError("export stats is a JSON document: use --format json")
    since_day: date | None = None
    if since is not None:
        try:
            since_day = date.fromisoformat(since)
        except ValueError:
            raise UsageError(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
    if what is ExportKind.stats:
        today = _today()
        window = since_day or today - timedelta(days=serialise.DEFAULT_DAYS - 1)
        doc = _stats_document(today, window, deck, None)
        with _output(output) as stream:
            stream.write(serialise.dumps(doc) + "\n")
        return
    with _open_store() as store, _output(output) as stream:
        _check_deck(store, deck)
        if what is ExportKind.reviews:
            rows: Any = store.iter_review_rows(deck, since_day)
            if sys.stderr.isatty():
                from mlcards.dashboard import progress

                rows = progress(rows, store.count_reviews(deck, since_day), "Exporting reviews")
            if fmt is ExportFormat.csv:
                serialise.write_csv(stream, REVIEW_COLUMNS, rows)
            else:
                serialise.write_json_array(stream, (serialise.review_json(r) for r in rows))
            return
        cards = store.card_summaries(deck, None, since_day, None)
        if fmt is ExportFormat.csv:
            serialise.write_csv(
                stream, serialise.CARD_COLUMNS, (serialise.card_csv(c) for c in cards)
            )
        else:
            serialise.write_json_array(stream, (serialise.card_json(c) for c in cards))


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
    decks = settings.pop("decks")
    for key, value in settings.items():
        typer.echo(f"{key} = {value}")
    for deck_id, overrides in decks.items():
        for key, value in overrides.items():
            typer.echo(f"decks.{deck_id}.{key} = {value}")
    typer.echo(f"# file: {config_path()}")


@config_app.command("set")
def config_set(
    key: Annotated[
        str,
        typer.Argument(
            help="new_per_day, reviews_per_day, rollover_hour, leech_threshold or "
            "max_deck_bytes (with --deck: new_per_day, reviews_per_day, leech_threshold)."
        ),
    ],
    value: Annotated[str, typer.Argument(help="A whole number.")],
    deck: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--deck", "-d", help="Set it for this deck only.", show_default=False),
    ] = None,
) -> None:
    """Change one setting, globally or for one deck."""
    from mlcards.config import save_setting

    settings = save_setting(key, value, deck)
    shown = settings.for_deck(deck).to_dict()[key] if deck else settings.to_dict()[key]
    typer.echo(f"{key} = {shown}" + (f" (deck {deck})" if deck else ""))


@app.command()
def check(
    repair: Annotated[
        bool, typer.Option("--repair", help="Rebuild the schedule from the log (after a backup).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Check the database: SQLite integrity, foreign keys, and the schedule against the log."""
    from mlcards.session import replay, schedule_differences

    with _open_store() as store:
        integrity = store.integrity_problems()
        cached: dict[tuple[str, str], dict[str, Any]] = {}
        differences: list[str] = []
        if not integrity:  # a damaged file is not read further
            cached = store.card_states()
            schedule_from = {key: value["schedule_from"] for key, value in cached.items()}
            replayed = replay(store.replay_rows(), schedule_from)
            differences = schedule_differences(cached, replayed)
        repaired = False
        backup = None
        if differences and repair:
            backup = store.backup("pre-repair")
            store.rebuild_states(replayed)
            repaired = True
    if as_json:
        document = {
            "integrity": integrity,
            "schedule_differences": differences,
            "repaired": repaired,
            "backup": str(backup) if backup else None,
            "ok": not integrity and (not differences or repaired),
        }
        typer.echo(json.dumps(document, indent=2))
    else:
        for line in integrity:
            typer.echo(f"integrity: {line}")
        for line in differences[:50]:
            typer.echo(f"schedule: {line}")
        if len(differences) > 50:
            typer.echo(f"... and {len(differences) - 50} more")
        if not integrity and not differences:
            typer.echo(f"ok: integrity checked, {len(cached)} cards' schedules match the log")
        if repaired:
            typer.echo(f"repaired: rebuilt the schedule from the log (backup first: {backup})")
    if integrity:
        from mlcards.errors import StoreError

        raise StoreError(
            "the database is damaged; `mlcards backup restore latest` puts back the newest "
            "sound backup"
        )
    if differences and not repaired:
        if not as_json:
            typer.echo("run `mlcards check --repair` to rebuild the schedule from the log")
        raise typer.Exit(1)


@backup_app.command("list")
def backup_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List backups, newest first."""
    from mlcards.config import db_path
    from mlcards.store import list_backups

    backups = list_backups(db_path(_state["db"]))
    if as_json:
        typer.echo(json.dumps([b.to_dict() for b in backups], indent=2))
        return
    if not backups:
        typer.echo("No backups yet.")
        return
    for b in backups:
        when = b.created.astimezone().strftime("%Y-%m-%d %H:%M")
        typer.echo(f"{b.path.name}  {when}  {b.reason:<13} {b.size / 1024:,.0f} KiB")


@backup_app.command("create")
def backup_create() -> None:
    """Back up the database now."""
    with _open_store() as store:
        path = store.backup("manual")
    typer.echo(f"backed up to {path}")


@backup_app.command("restore")
def backup_restore(
    name: Annotated[str, typer.Argument(help="A name from `mlcards backup list`, or 'latest'.")],
) -> None:
    """Replace the database with a backup (the current one is backed up or kept aside first)."""
    from mlcards.config import db_path
    from mlcards.store import find_backup, restore_backup

    path = db_path(_state["db"])
    backup = find_backup(path, name)
    moved = restore_backup(path, backup)
    typer.echo(f"restored {path} from {backup.path.name}")
    if moved is not None:
        typer.echo(f"the damaged database was kept as {moved}")


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
        from mlcards.config import db_path
        from mlcards.store import as_store_error

        mapped = as_store_error(exc, db_path(_state["db"]))
        if mapped is not None:  # e.g. a page found damaged after the database opened
            _fail(f"error: {mapped}", mapped.exit_code)
        report = _crash_report()
        _fail(f"internal error: {type(exc).__name__}: {exc} (full report: {report})", 1)
    raise SystemExit(0)
