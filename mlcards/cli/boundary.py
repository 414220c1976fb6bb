"""The command line's error boundary and the store/settings helpers every command shares,
without typer: ``cli/base.py``'s ``main`` and ``cli/quick.py``'s typer-free ``review`` both
map failures here, so the two paths give the same messages and exit codes.

The invariant: every failure leaves as one terminal-safe message on stderr and its exit code
(with ``--json``, also one JSON object on stdout unless the command printed its document);
Ctrl-C is 130; anything unexpected leaves a crash report.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlcards.errors import DeckError, MlcardsError, NotATerminalError

if TYPE_CHECKING:
    from datetime import date
    from typing import NoReturn

    from mlcards.config import Settings
    from mlcards.store import Store

EXIT_INTERRUPTED = 130
EXIT_NO_MEMORY = 71
JSON_PRINTED = [False]
"""Whether the running command already printed its JSON document (then an error adds none)."""


def data_home() -> Path | None:
    """The data dir deck files are recorded relative to (None when there is none)."""
    from mlcards.config import data_dir

    try:
        return data_dir()
    except MlcardsError:
        return None


def open_db(db: Path | None, create: bool = False, *, warn: bool = True) -> Store:
    """Open the database; a missing one is created by review and import, or at the default
    location, never at a path someone may have mistyped for a read-only command. Its
    warnings go to stderr now (``warn``), or are left in ``store.warnings`` for the caller."""
    from mlcards.clock import now
    from mlcards.config import db_path
    from mlcards.sanitize import terminal_safe
    from mlcards.store import Store

    explicit = db is not None or bool(os.environ.get("MLCARDS_DB"))
    store = Store.open(db_path(db), create=create or not explicit, daily_backup=True)
    store.home = data_home()
    store.clock = now
    for warning in store.warnings if warn else ():
        sys.stderr.write(f"mlcards: warning: {terminal_safe(warning)}\n")
    return store


def settings_for(store: Store, settings: Settings | None = None) -> Settings:
    """The settings a command works with: ``config.yaml``'s, with the scheduling values the
    database keeps (which decide its schedules)."""
    from mlcards.config import load_settings
    from mlcards.services.settings import effective_settings

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


def lock_dir() -> Path:
    """Where a sync keeps its lock: the data dir."""
    from mlcards.config import data_dir

    return data_dir()


def crash_report() -> str:
    import tempfile
    import time
    import traceback

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


def fail(
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
    if as_json and not JSON_PRINTED[0]:
        error: dict[str, object] = {"message": message, "exit_code": code}
        if problems is not None:
            error["problems"] = problems
        import json

        sys.stdout.write(json.dumps({"error": error}) + "\n")
    sys.stdout.flush()
    raise SystemExit(code)


def report(exc: BaseException, as_json: bool) -> NoReturn:
    """Exit as the boundary does for ``exc`` (called inside its ``except`` block, so that a
    crash report has the traceback)."""
    from mlcards.sanitize import terminal_safe
    from mlcards.wording import counted

    if isinstance(exc, DeckError):
        for problem in exc.problems:
            sys.stderr.write(terminal_safe(problem) + "\n")
        count = len(exc.problems)
        fail(
            f"{counted(count, 'problem')} in deck files; nothing was written",
            65,
            as_json,
            label="",
            problems=exc.problems,
        )
    if isinstance(exc, MlcardsError):
        fail(str(exc), exc.exit_code, as_json)
    if isinstance(exc, KeyboardInterrupt):
        fail("interrupted", EXIT_INTERRUPTED, as_json, label="")
    if isinstance(exc, MemoryError):
        fail(
            "out of memory; nothing was left half written (a database change is rolled back, "
            "an output file is replaced only when whole)",
            EXIT_NO_MEMORY,
            as_json,
        )
    from mlcards.store import as_store_error

    mapped = as_store_error(exc, Path("the database")) if isinstance(exc, Exception) else None
    if mapped is not None:  # met outside any open store's guard
        fail(str(mapped), mapped.exit_code, as_json)
    path = crash_report()
    message = f"{type(exc).__name__}: {exc} (full report: {path})"
    fail(message, 1, as_json, label="internal error: ")
