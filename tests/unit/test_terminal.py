"""Key decoding: every byte read becomes a key, escape sequences become one key each."""

from __future__ import annotations

import os
import signal
import time

import pytest

from mlcards.terminal import (
    DOWN,
    END,
    ENTER,
    ESCAPE,
    HOME,
    LEFT,
    PAGE_DOWN,
    PAGE_UP,
    RIGHT,
    UP,
    Hangup,
    KeyDecoder,
    Terminal,
    hyperlinks_supported,
    locale_is_utf8,
    supports_screen,
)


def decode(*chunks: bytes) -> list[str]:
    decoder = KeyDecoder()
    keys: list[str] = []
    for chunk in chunks:
        keys += decoder.feed(chunk)
    return keys + decoder.flush()


def test_typeahead_keeps_every_key_in_order() -> None:
    assert decode(b"15") == ["1", "5"]
    assert decode(b"12\r") == ["1", "2", ENTER]
    assert decode(b"abcQ") == ["a", "b", "c", "Q"]  # as typed: a flag's note keeps its case


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"\x1b[A", UP),
        (b"\x1b[B", DOWN),
        (b"\x1b[C", RIGHT),
        (b"\x1b[D", LEFT),
        (b"\x1bOA", UP),  # application cursor mode
        (b"\x1bOB", DOWN),
        (b"\x1b[1;5A", UP),  # with a modifier
        (b"\x1b[5~", PAGE_UP),
        (b"\x1b[6~", PAGE_DOWN),
        (b"\x1b[H", HOME),
        (b"\x1b[F", END),
        (b"\x1bOH", HOME),
        (b"\x1bOF", END),
        (b"\x1b[1~", HOME),
        (b"\x1b[4~", END),
        (b"\x1b[7~", HOME),
        (b"\x1b[8~", END),
    ],
)
def test_escape_sequences_are_one_key(data: bytes, key: str) -> None:
    assert decode(data) == [key]
    assert decode(b"1" + data + b"5") == ["1", key, "5"]


def test_a_sequence_split_across_reads_is_still_one_key() -> None:
    assert decode(b"\x1b", b"[", b"6", b"~") == [PAGE_DOWN]
    assert decode(b"2\x1b[", b"B4") == ["2", DOWN, "4"]


def test_a_lone_escape_is_the_escape_key_once_nothing_follows() -> None:
    decoder = KeyDecoder()
    assert decoder.feed(b"\x1b") == []  # might be the start of a sequence
    assert decoder.flush() == [ESCAPE]
    assert decode(b"\x1b\x1b") == [ESCAPE, ESCAPE]
    assert decode(b"\x1bq") == [ESCAPE, "q"]  # Alt+q, or Esc then q


def test_enter_control_keys_and_text() -> None:
    assert decode(b"\r") == [ENTER]
    assert decode(b"\n") == [ENTER]
    assert decode(b"\r\n") == [ENTER]
    assert decode(b" ") == [" "]
    assert decode("é".encode()[:1], "é".encode()[1:]) == ["é"]
    assert decode(b"\x03\x04") == ["ctrl-c", "ctrl-d"]


def pipe_terminal() -> tuple[Terminal, int]:
    read_fd, write_fd = os.pipe()
    return Terminal(read_fd, []), write_fd


def test_terminal_hands_out_typeahead_one_key_at_a_time() -> None:
    terminal, write_fd = pipe_terminal()
    os.write(write_fd, b"15\x1b[B")
    assert [terminal(), terminal(), terminal()] == ["1", "5", DOWN]
    os.write(write_fd, b"\x1b")
    started = time.monotonic()
    assert terminal() == ESCAPE
    assert time.monotonic() - started < 1
    os.close(write_fd)
    with pytest.raises(Hangup):
        terminal()
    os.close(terminal.fd)


def test_signals_are_raised_where_a_key_is_awaited() -> None:
    terminal, write_fd = pipe_terminal()
    terminal.on_signal(signal.SIGINT, None)
    with pytest.raises(KeyboardInterrupt):
        terminal()
    terminal.on_signal(signal.SIGHUP, None)
    with pytest.raises(Hangup):
        terminal()
    terminal.on_signal(signal.SIGTERM, None)
    with pytest.raises(SystemExit) as stopped:
        terminal()
    assert stopped.value.code == 128 + signal.SIGTERM
    os.write(write_fd, b"\x04")
    with pytest.raises(EOFError):
        terminal()
    os.close(write_fd)
    os.close(terminal.fd)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TERM": "xterm-256color"}, False),
        ({"TERM": "xterm-256color", "VTE_VERSION": "7200"}, True),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, True),
        ({"TERM": "xterm-kitty"}, True),
        ({"TERM": "linux", "VTE_VERSION": "7200"}, False),
        ({"TERM": "dumb", "MLCARDS_HYPERLINKS": "1"}, True),
        ({"TERM": "xterm-kitty", "MLCARDS_HYPERLINKS": "0"}, False),
    ],
)
def test_hyperlinks_only_where_the_terminal_shows_them(env: dict[str, str], expected: bool) -> None:
    assert hyperlinks_supported(env) is expected


def test_dumb_terminals_get_no_full_screen() -> None:
    assert supports_screen({"TERM": "xterm-256color"})
    assert not supports_screen({"TERM": "dumb"})
    assert not supports_screen({})


@pytest.mark.parametrize(
    ("environ", "utf8_mode", "expected"),
    [
        ({"LANG": "C", "LC_CTYPE": "C.UTF-8"}, 1, False),  # Python's coercion of LANG=C
        ({"LANG": "POSIX", "LC_CTYPE": "C.UTF-8"}, 1, False),
        ({"LANG": "en_US.UTF-8", "LC_CTYPE": "C.UTF-8"}, 1, True),  # coerced, LANG says UTF-8
        ({"LANG": "C", "LC_CTYPE": "C.UTF-8"}, 0, True),  # set so by the learner
        ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, 0, False),  # LC_ALL wins
        ({"LC_ALL": "de_DE.utf8"}, 0, True),
        ({"LANG": "en_US.ISO-8859-1"}, 0, False),
        ({"LC_CTYPE": "UTF-8"}, 0, True),  # macOS
        ({}, 0, None),  # nothing set: the terminal's encoding decides
    ],
)
def test_the_locale_the_learner_set_decides(
    environ: dict[str, str], utf8_mode: int, expected: bool | None
) -> None:
    assert locale_is_utf8(environ, utf8_mode) is expected


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "expected"), [("C", False), ("C.UTF-8", True)])
def test_python_coercing_the_c_locale_is_seen_through(lang: str, expected: bool) -> None:
    import subprocess
    import sys

    code = "from mlcards.terminal import locale_is_utf8; print(locale_is_utf8())"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": os.environ.get("PATH", ""), "LANG": lang},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == str(expected)
