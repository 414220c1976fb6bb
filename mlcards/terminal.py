"""The terminal: single keys without Enter, resize and signal handling, pausing for an editor.

Nothing here renders; the review loop reads keys from ``Terminal`` and shows renderables.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

ENTER = "enter"


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


class Terminal:
    """Single keys without Enter (cbreak: no echo, Ctrl-C still interrupts).

    Calling it reads one key. A resize is reported as the key "resize" so the screen can be
    redrawn; ``pause()`` hands the terminal back in its normal mode (for an editor).
    """

    def __init__(self, fd: int, saved: list[Any]) -> None:
        self.fd = fd
        self.saved = saved
        self.resized = False

    def __call__(self) -> str:
        import select

        while True:
            if self.resized:
                self.resized = False
                return "resize"
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                break
        data = os.read(self.fd, 32)
        if not data:
            raise EOFError("the terminal closed")
        if data[:1] == b"\x1b":
            return "escape"
        if data[:1] in (b"\r", b"\n"):
            return ENTER
        if data[:1] == b"\x03":
            raise KeyboardInterrupt
        if data[:1] == b"\x04":
            raise EOFError("end of input")
        return data[:1].decode("ascii", "replace").lower()

    def on_resize(self, signum: int, frame: FrameType | None) -> None:
        self.resized = True

    @contextmanager
    def pause(self) -> Iterator[None]:
        import termios
        import tty

        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        try:
            yield
        finally:
            tty.setcbreak(self.fd)


@contextmanager
def terminal_keys() -> Iterator[Terminal]:
    """The review's keyboard. The terminal is restored however the block ends: normal exit,
    Ctrl-C, an exception, or SIGTERM/SIGHUP (turned into SystemExit so ``finally`` runs)."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    terminal = Terminal(fd, saved)
    previous = {sig: signal.signal(sig, _raise_exit) for sig in (signal.SIGTERM, signal.SIGHUP)}
    previous[signal.SIGWINCH] = signal.signal(signal.SIGWINCH, terminal.on_resize)
    try:
        tty.setcbreak(fd)
        yield terminal
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
