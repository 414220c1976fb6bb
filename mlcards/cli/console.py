"""Where rich output goes (a terminal as it is, or ASCII when its encoding cannot show
more), without typer: shared by the typer commands and the quick paths of ``cli/quick.py``."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


class _Transliterating:
    """A text stream that spells what it is given in ASCII before writing it (``→`` as
    ``->``, a shade as ``:``), for a terminal whose encoding cannot show more."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.encoding = stream.encoding

    def write(self, text: str) -> int:
        from mlcards.render.glyphs import to_ascii

        return self.stream.write(to_ascii(text))

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno... of the real stream
        return getattr(self.stream, name)


def utf8(stream: TextIO) -> bool:
    """Whether to write UTF-8 to ``stream``. On a terminal the locale the learner set
    decides (``LANG=C`` means ASCII, though Python coerces its own streams to UTF-8);
    elsewhere the stream's encoding."""
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        from mlcards.terminal import locale_is_utf8

        chosen = locale_is_utf8()
        if chosen is not None:
            return chosen
    return (getattr(stream, "encoding", "") or "").lower().replace("_", "-").startswith("utf")


def replace_unencodable() -> None:
    """stdout and stderr write ``?`` for what their encoding cannot show, rather than crash
    (a non-UTF-8 terminal); every entry (typer's and ``cli/quick.py``'s) starts with this."""
    for stream in (sys.stdout, sys.stderr):
        if not utf8(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def new_console(stderr: bool = False) -> Console:
    """Where rich output goes: the terminal as it is, or spelt in ASCII when its encoding
    is not UTF-8 (LANG=en_US.ISO-8859-1: charts and marks become ASCII, never a crash)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if utf8(stream):
        return Console(stderr=stderr, highlight=False)
    return Console(file=_Transliterating(stream), highlight=False)  # type: ignore[arg-type]


def page(
    console: Console, renderable: RenderableType, *, pager: bool, when_longer: bool = False
) -> None:
    """Print through a pager when ``pager`` (stdout a terminal, no ``--no-pager``), as git
    does: $PAGER, else less, told (unless $LESS says otherwise) to show colours rather than
    their escape codes, to quit at once when it all fits, and to leave the screen as it was.
    ``when_longer``: only when the output has as many lines as the screen or more (so a
    short ``status`` starts no pager at all)."""

    if pager and when_longer:
        lines = console.render_lines(renderable, console.options, pad=False)
        pager = len(lines) >= console.height
    if not pager:
        console.print(renderable)
        return
    if not os.environ.get("LESS"):
        os.environ["LESS"] = "FRX"
    with console.pager(styles=not console.no_color):
        console.print(renderable)
