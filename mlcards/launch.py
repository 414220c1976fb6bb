"""The console entry (``mlcards``, ``python -m mlcards``): help without importing typer.

``mlcards --help``, ``mlcards COMMAND --help``, ``mlcards GROUP COMMAND --help`` and the bare
``mlcards`` / ``mlcards GROUP`` (which show help as a usage error) are answered from text that
typer itself generated (``mlcards/_help.py``, written by ``python -m mlcards.cli.helptext``),
byte for byte, with the same stream and exit code; everything else goes to the typer app.
``status [--json]``, ``cards [--json] [--no-pager] QUERY`` and ``review [--no-shuffle]
[--limit N]`` are tried first through ``cli/quick.py`` (no typer either).
The invariant: a served answer is exactly typer's. ``tests/cli/test_launch.py`` compares the two
for every command served, so they cannot drift; when a command's help changes, that test
fails until the cache is regenerated. Served only where typer's output does not depend on
the terminal: at least 80 columns (click wraps help at 78 there), and ASCII text or a UTF-8
stream.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing itself costs ~5 ms of this start-up path)
    from typing import NoReturn

HELP_FLAGS = ("--help", "-h")
QUICK = False
"""True while ``cli/quick.py`` is tried: importing ``mlcards.cli`` then registers no typer
command (``mlcards.cli.load`` does, if typer is needed after all)."""
MIN_COLUMNS = 80


def _columns() -> int:
    """The width click's help formatter sees (``shutil.get_terminal_size``, without importing
    shutil's dependencies twice: the same rules, COLUMNS first, then the terminal)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def cached(args: list[str]) -> tuple[str, int] | None:
    """The help typer would print for ``args`` and its exit code (0: on stdout; 2, a bare
    ``mlcards`` or group: on stderr), or None when it is not served from the cache."""
    from mlcards._help import BARE, HELP

    if args and args[-1] in HELP_FLAGS:
        text, code = HELP.get(tuple(args[:-1])), 0
    else:
        text, code = BARE.get(tuple(args)), 2
    if text is None or _columns() < MIN_COLUMNS:
        return None
    stream = sys.stdout if code == 0 else sys.stderr
    encoding = (getattr(stream, "encoding", "") or "").lower().replace("_", "-")
    if not text.isascii() and not encoding.startswith("utf"):
        return None
    return text, code


def main() -> NoReturn:
    args = sys.argv[1:]
    if len(args) <= 3 and (not args or args[-1] in HELP_FLAGS or len(args) == 1):
        served = cached(args)
        if served is not None:
            text, code = served
            stream = sys.stdout if code == 0 else sys.stderr
            stream.write(text)
            stream.flush()
            raise SystemExit(code)
    if args and args[0] in ("status", "cards", "review"):
        global QUICK
        QUICK = True
        try:
            from mlcards.cli import quick
        finally:
            QUICK = False
        serve = {"status": quick.status, "cards": quick.cards, "review": quick.review}
        done = serve[args[0]](args)
        if done is not None:
            raise SystemExit(done)
    from mlcards.cli import main as typer_main

    typer_main()
    raise SystemExit(0)  # (typer_main never returns)
