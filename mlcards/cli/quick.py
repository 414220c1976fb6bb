"""``mlcards status [--json]``, ``mlcards cards [--json] [--no-pager] QUERY`` and ``mlcards
review [--no-shuffle] [--limit N]`` without typer (``mlcards.launch``).

The everyday commands spend more time importing typer than answering. This path does what
``cli/progress.py``'s ``status`` and ``cli/browse.py``'s ``cards`` do, through the same
services and renderers (``print_status`` and ``print_cards`` are the ones both use), and
prints only once everything is computed: if anything fails before that (a malformed query, a
missing database), it returns None and ``launch`` hands the same arguments to the typer app, which
does it all again and reports the failure as every command does. ``tests/cli/test_launch.py``
compares its output, stream and exit code with the typer command's.

``review`` cannot be run twice (it imports, syncs and logs answers), so it never hands a
failure back: it calls the very function the typer command calls (``cli/reviewing.py``) and
reports failures through the same boundary (``cli/boundary.py``) as typer's ``main``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from mlcards.cli.console import new_console, page, replace_unencodable, utf8

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date
    from typing import TypeVar

    from mlcards.config import Settings
    from mlcards.records import BrowsedCard
    from mlcards.services.study import Status
    from mlcards.store import Store
    from mlcards.store.search import SearchContext

    T = TypeVar("T")
    Found = tuple[list[BrowsedCard], SearchContext]


def _from_store(read: Callable[[Store, Settings, date], T], as_json: bool) -> tuple[date, T] | None:
    """Today and what ``read`` finds in the store, the store's warnings printed; as the
    typer entry would: Ctrl-C exits through the boundary (130), None (typer's turn) when
    anything else failed."""
    replace_unencodable()
    try:
        from mlcards.cli.boundary import open_db, study_today
        from mlcards.config import load_settings
        from mlcards.sanitize import terminal_safe

        settings = load_settings()
        today = study_today(settings)
        with open_db(None, warn=False) as store:  # (said once this path is sure to answer)
            warnings = [terminal_safe(w) for w in store.warnings]
            found = read(store, settings, today)
    except KeyboardInterrupt as exc:
        from mlcards.cli.boundary import report

        report(exc, as_json)
    except Exception:
        return None
    for warning in warnings:
        sys.stderr.write(f"mlcards: warning: {warning}\n")
    return today, found


def status(args: list[str]) -> int | None:
    """Run ``status [--json]`` (exactly those arguments) and return the exit code, or None
    when this path does not serve them or something failed before any output."""
    if args not in (["status"], ["status", "--json"]):
        return None
    as_json = len(args) == 2

    def read(store: Store, settings: Settings, today: date) -> Status:
        from mlcards.services.settings import effective_settings
        from mlcards.services.study import status_of

        return status_of(store, effective_settings(store, settings), today)

    got = _from_store(read, as_json)
    if not isinstance(got, tuple):
        return got
    today, shown = got
    if as_json:
        import json

        sys.stdout.write(json.dumps(shown.document(today), indent=2) + "\n")
        sys.stdout.flush()
        return 0
    print_status(shown, today, pager=sys.stdout.isatty())
    return 0


def print_status(shown: Status, today: date, pager: bool) -> None:
    """What ``status`` prints without ``--json`` (both ``status`` commands): the table, paged
    when ``pager`` and as long as the screen, and the note on answers that wait for a deck;
    to a pipe as plain text when that is certain to be rich's output."""
    if not sys.stdout.isatty() and utf8(sys.stdout) and plain_status(shown, today):
        return
    from mlcards.render.text import status_table

    console = new_console()
    table = status_table(shown.decks, today, shown.next_due, console.width, shown.ahead)
    page(console, table, pager=pager, when_longer=True)
    if shown.pending:
        console.print(shown.pending_note(), markup=False, highlight=False)


def plain_status(shown: Status, today: date) -> bool:
    """Print the status table as rich would to this pipe or file, without importing rich
    (``render/plain.py``); False, having printed nothing, where that is not certain."""
    from mlcards.render.plain import pipe_width, status_text, wrap_text

    width = pipe_width()
    if width is None:
        return False
    text = status_text(shown.decks, today, shown.next_due, width, shown.ahead)
    note = shown.pending_note()
    noted = (wrap_text(note, width) if note.isascii() else None) if note else []
    if text is None or noted is None:
        return False
    sys.stdout.write(text + "".join(f"{line}\n" for line in noted))
    sys.stdout.flush()
    return True


def cards_args(args: list[str]) -> tuple[list[str], bool, bool] | None:
    """``cards`` with only query words, ``--json`` and ``--no-pager`` (options may come
    between the words, as click allows; everything after ``--`` is a word): the words and
    the two flags. None for anything else (``--sort``, ``--db``, ``--help``...): typer's."""
    if not args or args[0] != "cards":
        return None
    words: list[str] = []
    as_json = no_pager = False
    rest = args[1:]
    for index, arg in enumerate(rest):
        if arg == "--":
            return [*words, *rest[index + 1 :]], as_json, no_pager
        if arg == "--json":
            as_json = True
        elif arg == "--no-pager":
            no_pager = True
        elif arg.startswith("-") and arg != "-":
            return None
        else:
            words.append(arg)
    return words, as_json, no_pager


def print_cards(
    found: list[BrowsedCard],
    search: SearchContext,
    today: date,
    more: bool,
    as_json: bool,
    no_pager: bool,
) -> None:
    """What ``cards`` prints: a JSON array with one object per line (as readable as
    indented JSON for a list, and written by json's C encoder), or the table, through the
    pager on a terminal."""
    if as_json:
        import json

        from mlcards.services.browse import card_json

        rows = [json.dumps(card_json(card, search)) for card in found]
        sys.stdout.write("[\n" + ",\n".join(rows) + "\n]\n" if rows else "[]\n")
        sys.stdout.flush()
        return
    from mlcards.render.browse import cards_table

    console = new_console()
    table = cards_table(found, today, search.fsrs_decks, console.width, more)
    page(console, table, pager=not no_pager and sys.stdout.isatty())


def cards(args: list[str]) -> int | None:
    """Run ``cards`` as ``cards_args`` reads it and return the exit code, or None when this
    path does not serve the arguments or something failed before any output."""
    parsed = cards_args(args)
    if parsed is None:
        return None
    words, as_json, no_pager = parsed

    def read(store: Store, settings: Settings, today: date) -> Found:
        from mlcards.services.browse import find_cards

        return find_cards(store, settings, today, " ".join(words))

    got = _from_store(read, as_json)
    if not isinstance(got, tuple):
        return got
    today, (found, search) = got
    print_cards(found, search, today, False, as_json, no_pager)
    return 0


def review_args(args: list[str]) -> tuple[int | None, bool] | None:
    """``review`` with at most ``--no-shuffle`` and ``--limit N`` (N a plain number in
    typer's range), each once: the limit and the flag. None for anything else: typer's."""
    if not args or args[0] != "review":
        return None
    limit: int | None = None
    no_shuffle = False
    rest = args[1:]
    while rest:
        arg, rest = rest[0], rest[1:]
        if arg == "--no-shuffle" and not no_shuffle:
            no_shuffle = True
        elif arg == "--limit" and limit is None and rest and rest[0].isascii():
            if not (rest[0].isdigit() and 1 <= int(rest[0]) <= 10**6):
                return None
            limit, rest = int(rest[0]), rest[1:]
        else:
            return None
    return limit, no_shuffle


def review(args: list[str]) -> int | None:
    """Run ``review`` as ``review_args`` reads it (``cli/reviewing.py``'s ``run_review``,
    as the typer command does) inside the same error boundary; the exit code, or None when
    this path does not serve the arguments."""
    parsed = review_args(args)
    if parsed is None:
        return None
    limit, no_shuffle = parsed
    replace_unencodable()
    from mlcards.cli.boundary import JSON_PRINTED, report
    from mlcards.cli.reviewing import run_review

    JSON_PRINTED[0] = False
    try:
        return run_review(None, limit=limit, no_shuffle=no_shuffle)
    except (Exception, KeyboardInterrupt, MemoryError) as exc:
        report(exc, False)
