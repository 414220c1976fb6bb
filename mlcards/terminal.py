"""The terminal: single keys without Enter, the alternate screen, signals, suspend/resume.

Nothing here renders; the review loop reads keys from ``Terminal`` and shows renderables.
Every byte read is decoded into keys and queued, so keys typed faster than the screen is
drawn ("15": answer 1, rate 5) are all used, in order. Letters keep their case (a note is
typed here too); the review reads "Q" as "q". Escape sequences for the arrows,
PgUp/PgDn and Home/End become one key each; an Esc with nothing after it is "escape".
"""

from __future__ import annotations

import codecs
import errno
import os
import signal
import sys
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any

ENTER = "enter"
ESCAPE = "escape"
UP = "up"
DOWN = "down"
LEFT = "left"
RIGHT = "right"
PAGE_UP = "pgup"
PAGE_DOWN = "pgdn"
HOME = "home"
END = "end"
BACKSPACE = "backspace"
TAB = "tab"
RESIZE = "resize"
UNKNOWN = "unknown"
CTRL_C = "ctrl-c"
CTRL_D = "ctrl-d"

ENTER_SCREEN = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J"
LEAVE_SCREEN = "\x1b[?25h\x1b[?1049l"
ESCAPE_WAIT_S = 0.05
"""How long an Esc waits for the rest of a sequence before it counts as the Esc key."""
POLL_S = 0.2

_CSI_FINAL = {"A": UP, "B": DOWN, "C": RIGHT, "D": LEFT, "H": HOME, "F": END}
_CSI_TILDE = {
    "1": HOME,
    "7": HOME,
    "4": END,
    "8": END,
    "5": PAGE_UP,
    "6": PAGE_DOWN,
    "3": "delete",
    "2": "insert",
}
_CONTROL = {
    0x0D: ENTER,
    0x0A: ENTER,
    0x09: TAB,
    0x7F: BACKSPACE,
    0x08: BACKSPACE,
    0x03: CTRL_C,
    0x04: CTRL_D,
}


class Hangup(EOFError):
    """The terminal went away (SIGHUP, or EIO / end of file on the tty)."""


class KeyDecoder:
    """Bytes in, key names out; an unfinished escape sequence waits for its next bytes."""

    def __init__(self) -> None:
        self.pending = b""
        self._text = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, data: bytes) -> list[str]:
        buffer = self.pending + data
        self.pending = b""
        keys: list[str] = []
        i = 0
        while i < len(buffer):
            byte = buffer[i]
            if byte == 0x1B:
                consumed, key = _escape(buffer, i)
                if consumed == 0:  # unfinished: wait for more bytes (or the timeout)
                    self.pending = buffer[i:]
                    break
                if key:
                    keys.append(key)
                i += consumed
                continue
            i += 1
            if byte == 0x0D and i < len(buffer) and buffer[i] == 0x0A:
                i += 1  # CR LF is one Enter
            if byte in _CONTROL:
                keys.append(_CONTROL[byte])
            elif byte < 0x20:
                keys.append(UNKNOWN)
            elif byte < 0x80:
                keys.append(chr(byte))
            else:
                char = self._text.decode(bytes([byte]))
                if char:
                    keys.append(char)
        return keys

    def flush(self) -> list[str]:
        """Nothing more came: a waiting Esc is the Esc key, and what followed it is typed."""
        pending, self.pending = self.pending, b""
        if not pending:
            return []
        return [ESCAPE, *self.feed(pending[1:])]


def _escape(buffer: bytes, i: int) -> tuple[int, str]:
    """(bytes consumed, key) for the escape sequence at ``buffer[i]``; (0, "") if unfinished."""
    if i + 1 >= len(buffer):
        return 0, ""
    kind = buffer[i + 1]
    if kind == 0x1B:  # Esc Esc: the first one is a key of its own
        return 1, ESCAPE
    if kind == ord("O"):  # SS3: application-mode arrows, Home/End
        if i + 2 >= len(buffer):
            return 0, ""
        return 3, _CSI_FINAL.get(chr(buffer[i + 2]), UNKNOWN)
    if kind != ord("["):  # Alt+key: Esc, then the key
        return 1, ESCAPE
    j = i + 2
    while j < len(buffer) and 0x20 <= buffer[j] <= 0x3F:  # parameters and intermediates
        j += 1
    if j >= len(buffer):
        return 0, ""
    final = chr(buffer[j])
    params = buffer[i + 2 : j].decode("ascii", "replace")
    if not 0x40 <= buffer[j] <= 0x7E:  # not a sequence after all
        return j - i, UNKNOWN
    if final == "~":
        return j + 1 - i, _CSI_TILDE.get(params.split(";")[0], UNKNOWN)
    return j + 1 - i, _CSI_FINAL.get(final, UNKNOWN)


def hyperlinks_supported(environ: Mapping[str, str] | None = None) -> bool:
    """Whether to send OSC 8 hyperlinks: only to terminals known to show them as links.

    ``MLCARDS_HYPERLINKS=1`` or ``0`` overrides the guess.
    """
    env = os.environ if environ is None else environ
    forced = env.get("MLCARDS_HYPERLINKS", "")
    if forced in ("0", "1"):
        return forced == "1"
    term = env.get("TERM", "")
    if term in ("", "dumb", "unknown", "linux") or term.startswith(("vt", "screen")):
        return False
    if env.get("TERM_PROGRAM", "") in ("iTerm.app", "WezTerm", "vscode", "ghostty", "Hyper"):
        return True
    if any(
        env.get(name)
        for name in ("VTE_VERSION", "KITTY_WINDOW_ID", "WT_SESSION", "KONSOLE_VERSION")
    ):
        return True
    return term in ("xterm-kitty", "foot", "alacritty", "xterm-ghostty", "wezterm")


def locale_is_utf8(
    environ: Mapping[str, str] | None = None, utf8_mode: int | None = None
) -> bool | None:
    """Whether the locale the learner set is UTF-8: the first of LC_ALL, LC_CTYPE and LANG
    set in the environment decides; None when none is set (the terminal's encoding then
    does).

    Python coerces a C or POSIX locale to C.UTF-8 at start-up (PEP 538) and writes
    ``LC_CTYPE=C.UTF-8`` into its own environment, so its streams say UTF-8 under
    ``LANG=C``. That LC_CTYPE is Python's, not the learner's: it is passed over when
    Python's UTF-8 mode is on, which the same C locale turns on and a locale the learner set
    to C.UTF-8 does not."""
    env = os.environ if environ is None else environ
    mode = sys.flags.utf8_mode if utf8_mode is None else utf8_mode
    coerced = (
        bool(mode)
        and not env.get("PYTHONUTF8")
        and env.get("LC_CTYPE", "").lower().replace("-", "") == "c.utf8"
    )
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = env.get(name, "")
        if value and not (name == "LC_CTYPE" and coerced):
            return "utf8" in value.lower().replace("-", "").replace("_", "")
    return None


def supports_screen(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the terminal can take the full-screen review (cursor moves, alternate screen)."""
    env = os.environ if environ is None else environ
    return env.get("TERM", "") not in ("", "dumb", "unknown")


class Terminal:
    """Single keys without Enter (cbreak: no echo, signals still work).

    Calling it returns the next key. A resize (and a return from Ctrl-Z) is the key
    "resize", so the screen is redrawn; ``pause()`` hands the terminal back in its normal
    mode (for an editor). Ctrl-C, SIGTERM and SIGHUP are noted by their handlers and raised
    here, where a key is awaited, never in the middle of saving an answer.
    """

    def __init__(
        self, fd: int, saved: list[Any], out_fd: int | None = None, full_screen: bool = False
    ) -> None:
        self.fd = fd
        self.saved = saved
        self.out_fd = out_fd
        self.full_screen = full_screen
        self.resized = False
        self.keys: deque[str] = deque()
        self.decoder = KeyDecoder()
        self.signalled: int | None = None
        self.active = False

    def __call__(self) -> str:
        while True:
            self._check_signals()
            if self.resized:
                self.resized = False
                return RESIZE
            if self.keys:
                key = self.keys.popleft()
                if key == CTRL_C:
                    raise KeyboardInterrupt
                if key == CTRL_D:
                    raise EOFError("end of input")
                return key
            self._fill(ESCAPE_WAIT_S if self.decoder.pending else POLL_S)

    def size(self) -> tuple[int, int] | None:
        """(columns, lines) of the terminal now, whatever COLUMNS/LINES say; None if unknown."""
        for fd in (self.out_fd, self.fd):
            if fd is not None:
                try:
                    columns, lines = os.get_terminal_size(fd)
                except OSError:
                    continue
                if columns and lines:
                    return columns, lines
        return None

    def _check_signals(self) -> None:
        signum, self.signalled = self.signalled, None
        if signum is None:
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        if signum == signal.SIGHUP:
            raise Hangup("the terminal was closed")
        raise SystemExit(128 + signum)

    def _fill(self, timeout: float) -> None:
        import select

        try:
            ready, _, _ = select.select([self.fd], [], [], timeout)
        except OSError as exc:
            raise Hangup(str(exc)) from None
        if not ready:
            self.keys.extend(self.decoder.flush())
            return
        try:
            data = os.read(self.fd, 1024)
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.ENXIO, errno.EBADF):
                raise Hangup("the terminal was closed") from None
            raise
        if not data:
            raise Hangup("the terminal was closed")
        self.keys.extend(self.decoder.feed(data))

    def _write(self, text: str) -> None:
        if self.out_fd is None:
            return
        with suppress(OSError):
            sys.stdout.flush()
            os.write(self.out_fd, text.encode("ascii"))

    def enter(self) -> None:
        """Single-key mode, and the alternate screen when full-screen."""
        import termios
        import tty

        with suppress(OSError, termios.error):
            tty.setcbreak(self.fd)
        if self.full_screen:
            self._write(ENTER_SCREEN)
        self.active = True

    def leave(self) -> None:
        """Back to the terminal as it was: normal screen, cursor shown, line mode."""
        import termios

        if not self.active:
            return
        self.active = False
        if self.full_screen:
            self._write(LEAVE_SCREEN)
        with suppress(OSError, termios.error):
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and self.signalled == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: something is stuck, stop now
        self.signalled = signum

    def on_resize(self, signum: int, frame: FrameType | None) -> None:
        self.resized = True

    def on_suspend(self, signum: int, frame: FrameType | None) -> None:
        """Ctrl-Z: give the terminal back, stop; on ``fg`` take it again and redraw."""
        self.leave()
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)
        signal.signal(signal.SIGTSTP, self.on_suspend)
        self.enter()
        self.resized = True

    def on_continue(self, signum: int, frame: FrameType | None) -> None:
        """Resumed after a stop we did not ask for (SIGSTOP): single keys may be gone."""
        if self.active and self.signalled != signal.SIGHUP:  # a closing pty sends both
            self.enter()
            self.resized = True

    @contextmanager
    def pause(self) -> Iterator[None]:
        """The normal terminal for another program (the editor). A SIGTERM or SIGHUP meanwhile
        stops mlcards at once (SystemExit), so that the program it waits for is told to stop
        too, rather than being waited for to the end."""
        self.leave()

        def stop(signum: int, frame: FrameType | None) -> None:
            self.signalled = signum
            raise SystemExit(128 + signum)

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            yield
        finally:
            import termios

            for sig, handler in previous.items():
                signal.signal(sig, handler)

            self.enter()
            with suppress(OSError, termios.error):
                termios.tcflush(self.fd, termios.TCIFLUSH)
            self.keys.clear()
            self.decoder = KeyDecoder()
            self.resized = False  # the screen is drawn anew after the action, at its size


@contextmanager
def terminal_keys(full_screen: bool = False) -> Iterator[Terminal]:
    """The review's keyboard (and, with ``full_screen``, the alternate screen). The terminal
    is restored however the block ends: normal exit, Ctrl-C, an exception, SIGTERM, SIGHUP;
    Ctrl-Z restores it while stopped and ``fg`` takes it back."""
    import termios

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    terminal = Terminal(fd, saved, sys.stdout.fileno(), full_screen)
    handlers = {
        signal.SIGTERM: terminal.on_signal,
        signal.SIGHUP: terminal.on_signal,
        signal.SIGINT: terminal.on_signal,
        signal.SIGWINCH: terminal.on_resize,
        signal.SIGTSTP: terminal.on_suspend,
        signal.SIGCONT: terminal.on_continue,
    }
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    try:
        terminal.enter()
        yield terminal
    finally:
        terminal.leave()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
