"""``mlcards status`` and ``mlcards status --json`` without typer (``mlcards.launch``).

The everyday command spends more time importing typer than answering. This path does what
``cli/progress.py``'s ``status`` does, through the same services and renderers, and prints
only once everything is computed: if anything fails before that, it returns None and
``launch`` hands the same arguments to the typer app, which does it all again and reports
the failure as every command does. ``tests/test_launch.py`` compares its output, stream and
exit code with the typer command's.
"""

from __future__ import annotations

import os
import sys

from mlcards.cli.console import new_console, utf8


def status(args: list[str]) -> int | None:
    """Run ``status [--json]`` (exactly those arguments) and return the exit code, or None
    when this path does not serve them or something failed before any output."""
    if args not in (["status"], ["status", "--json"]):
        return None
    as_json = len(args) == 2
    for stream in (sys.stdout, sys.stderr):  # as the typer entry does
        if not utf8(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        from mlcards.clock import now, study_day
        from mlcards.config import db_path, load_settings
        from mlcards.sanitize import terminal_safe
        from mlcards.services.admin import effective_settings
        from mlcards.services.study import status_of
        from mlcards.store import Store

        settings = load_settings()
        today = study_day(now(), settings.rollover_hour)
        explicit = bool(os.environ.get("MLCARDS_DB"))
        with Store.open(db_path(None), create=not explicit, daily_backup=True) as store:
            warnings = [terminal_safe(w) for w in store.warnings]
            shown = status_of(store, effective_settings(store, settings), today)
    except KeyboardInterrupt:
        sys.stderr.write("mlcards: interrupted\n")
        if as_json:
            sys.stdout.write('{"error": {"message": "interrupted", "exit_code": 130}}\n')
        return 130
    except Exception:
        return None
    for warning in warnings:
        sys.stderr.write(f"mlcards: warning: {warning}\n")
    if as_json:
        import json

        from mlcards.exports import status_json

        sys.stdout.write(
            json.dumps(
                status_json(shown.decks, today, shown.next_due, shown.ahead, shown.pending),
                indent=2,
            )
            + "\n"
        )
        sys.stdout.flush()
        return 0
    from mlcards.render.text import status_table

    console = new_console()
    console.print(status_table(shown.decks, today, shown.next_due, console.width, shown.ahead))
    if shown.pending:
        console.print(shown.pending_note(), markup=False, highlight=False)
    return 0
