"""Driving `mlcards review` in a real pseudo-terminal (pexpect)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
from helpers import mlcards_argv, start

NOW = "2026-03-01T09:00:00+00:00"
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")
RIGHT = re.compile(r"\[(\d)\]\s+Maria should use Batch Normalization after the activation")
WRONG = re.compile(r"\[(\d)\]\s+Maria should use Batch Normalization before the activation")


def env(home: Path, **extra: str) -> dict[str, str]:
    # COLUMNS/LINES would pin rich's width; a real terminal reports its own size
    skip = ("COLUMNS", "LINES")
    base = {k: v for k, v in os.environ.items() if not k.startswith("MLCARDS_") and k not in skip}
    base.update(MLCARDS_HOME=str(home), MLCARDS_NOW=NOW, TZ="UTC", TERM="xterm-256color")
    base.update(extra)
    return base


def spawn_mlcards(*args: str, **kw: Any) -> pexpect.spawn:
    """`python -m mlcards ARGS` in a pseudo-terminal (pexpect.spawn's keywords)."""
    executable, *argv = mlcards_argv(*args)
    return pexpect.spawn(executable, argv, **kw)


def spawn(
    home: Path, cwd: Path, *args: str, command: str = "review", **extra: str
) -> pexpect.spawn:
    child = spawn_mlcards(
        command,
        *args,
        cwd=str(cwd),
        env=env(home, **extra),
        dimensions=(60, 80),
        encoding="utf-8",
        timeout=20,
    )
    return child


def review(
    home: Path, cwd: Path, *args: str, now: str = NOW, rows: int | None = None, **extra: str
) -> pexpect.spawn:
    """`mlcards review --no-shuffle ARGS` at ``now``; ``rows`` resizes the terminal after."""
    child = spawn(home, cwd, "--no-shuffle", *args, MLCARDS_NOW=now, **extra)
    if rows is not None:
        child.setwinsize(rows, 80)
    return child


def question(child: pexpect.spawn) -> str:
    """Wait for a question screen and return which card it shows."""
    child.expect(r"Question (c\d)\?")
    return str(child.match.group(1))


def screen(child: pexpect.spawn) -> str:
    return ANSI.sub("", child.before + (child.after if isinstance(child.after, str) else ""))


def key_for(child: pexpect.spawn, pattern: re.Pattern[str]) -> str:
    child.expect("don't know")
    match = pattern.search(screen(child))
    assert match, screen(child)
    return match.group(1)


def reviews(home: Path) -> list[dict[str, object]]:
    conn = sqlite3.connect(home / "mlcards.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM reviews ORDER BY id")]
    finally:
        conn.close()


def finish(child: pexpect.spawn) -> tuple[int, str]:
    child.expect(pexpect.EOF)
    text = ANSI.sub("", child.before)
    child.close()
    return child.exitstatus if child.exitstatus is not None else 128 + child.signalstatus, text


def one_review(child: pexpect.spawn, home: Path) -> dict[str, object]:
    """Wait for the session to end with exit 0; the one answer it logged."""
    code, text = finish(child)
    assert code == 0, text
    (row,) = reviews(home)
    return row


def first_question(home: Path, cwd: Path, *args: str, now: str = NOW) -> str:
    """Which card `mlcards review --no-shuffle ARGS` at ``now`` shows first; quits there
    (exit 0) without answering."""
    child = review(home, cwd, *args, now=now)
    shown = question(child)
    child.send("q")
    assert finish(child)[0] == 0
    return shown


def status_json(home: Path, cwd: Path, now: str) -> dict[str, object]:
    out = start(["status", "--json"], env(home, MLCARDS_NOW=now), cwd, text=True, check=True).stdout
    return json.loads(out)


def import_deck(home: Path, cwd: Path, deck: Path) -> None:
    start(["import", str(deck)], env(home), cwd, check=True)


def run_cli(home: Path, cwd: Path, *args: str, now: str = NOW) -> tuple[int, str]:
    done = start(list(args), env(home, MLCARDS_NOW=now, NO_COLOR="1"), cwd, text=True)
    return done.returncode, done.stdout + done.stderr


def cards(home: Path) -> dict[str, dict[str, object]]:
    conn = sqlite3.connect(home / "mlcards.db")
    conn.row_factory = sqlite3.Row
    try:
        return {r["id"]: dict(r) for r in conn.execute("SELECT * FROM cards")}
    finally:
        conn.close()


class Tmux:
    """A program in a detached tmux window of a fixed size. ``screen()`` is what the pane
    shows now (``capture-pane -p`` without ``-S``: no scrollback), nothing that scrolled
    away or was drawn and then overwritten. Each instance has its own tmux server."""

    def __init__(
        self,
        home: Path,
        cwd: Path,
        *args: str,
        width: int,
        height: int,
        prefix: tuple[str, ...] = (),
        **extra: str,
    ) -> None:
        """``prefix``: words before the command (``env TERM=dumb``: tmux sets its own TERM
        in the pane, so an environment given to it does not reach the program)."""
        import shlex
        import shutil
        import uuid

        if shutil.which("tmux") is None:
            import pytest

            pytest.skip("tmux is not installed (apt-get install tmux): the visible-screen tests")
        self.socket = f"mlcards-test-{uuid.uuid4().hex[:12]}"
        config = cwd / "tmux.conf"
        config.write_text("set -g status off\nset -g remain-on-exit off\n")
        command = shlex.join([*prefix, *mlcards_argv(*args)])
        script = f"{command}; echo EXIT=$?; sleep 600"
        self.env = env(home, **extra)
        self.env.pop("TMUX", None)
        self.base = ["tmux", "-L", self.socket, "-f", str(config)]
        subprocess.run(
            [*self.base, "new-session", "-d", "-x", str(width), "-y", str(height)]
            + ["-c", str(cwd), "bash", "--norc", "--noprofile", "-c", script],
            env=self.env,
            check=True,
        )

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            [*self.base, *args], env=self.env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p")

    def joined(self) -> str:
        """The visible screen with lines the terminal wrapped joined (what a copy gives)."""
        return self._tmux("capture-pane", "-p", "-J")

    def send(self, *keys: str, literal: bool = False) -> None:
        self._tmux("send-keys", *(["-l"] if literal else []), *keys)

    def wait(self, *texts: str, timeout: float = 20) -> str:
        """The screen once it shows every one of ``texts``."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if all(text in shown for text in texts):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"never shown: {texts}; the screen is:\n{shown}")
            time.sleep(0.1)

    def wait_until(self, check: Callable[[str], bool], timeout: float = 20) -> str:
        """The screen once ``check(screen)`` is true."""
        import time

        deadline = time.monotonic() + timeout
        while not check(shown := self.screen()):
            if time.monotonic() > deadline:
                raise AssertionError(f"not as expected; the screen is:\n{shown}")
            time.sleep(0.1)
        return shown

    def resize(self, width: int, height: int) -> None:
        self._tmux("resize-window", "-x", str(width), "-y", str(height))

    def wait_gone(self, text: str, timeout: float = 20) -> str:
        import time

        deadline = time.monotonic() + timeout
        while text in (shown := self.screen()):
            if time.monotonic() > deadline:
                raise AssertionError(f"still shown: {text!r}; the screen is:\n{shown}")
            time.sleep(0.1)
        return shown

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], env=self.env, capture_output=True)
