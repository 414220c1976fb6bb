"""The review screen's `e` key: $EDITOR started, stopped and read back safely (a bad
$EDITOR keeps the session, SIGTERM reaches the editor first, an unchanged file imports
nothing)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pexpect
from helpers import deck_yaml, write
from helpers import run_child as run


def test_an_editor_with_an_unbalanced_quote_keeps_the_session(home: Path, tmp_path: Path) -> None:
    from pty_helpers import finish, spawn

    assert run(home, "import", str(write(tmp_path / "toy.yaml", deck_yaml()))).code == 0
    child = spawn(home, tmp_path, "--no-shuffle", EDITOR='code --wait "My Editor')
    child.expect("don't know")
    child.send("e")
    child.expect("Could not start the editor: \\$EDITOR is not a command line")
    child.send("q")
    code, text = finish(child)
    assert code == 0 and "Traceback" not in text


def test_sigterm_reaches_the_editor_before_anything_harsher(home: Path, tmp_path: Path) -> None:
    from pty_helpers import spawn

    assert run(home, "import", str(write(tmp_path / "toy.yaml", deck_yaml()))).code == 0
    marker = tmp_path / "editor.log"
    editor = write(
        tmp_path / "editor.py",
        "import signal, sys, time\n"
        f"log = open({str(marker)!r}, 'a', buffering=1)\n"
        "def term(signum, frame):\n"
        "    log.write('saved on SIGTERM\\n')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, term)\n"
        "log.write('started\\n')\n"
        "time.sleep(60)\n",
    )
    child = spawn(home, tmp_path, "--no-shuffle", EDITOR=f"{sys.executable} {editor}")
    assert child.expect(["don't know", pexpect.EOF]) == 0, child.before
    child.send("e")
    deadline = time.monotonic() + 20
    while "started" not in (marker.read_text() if marker.exists() else ""):
        assert time.monotonic() < deadline, "the editor did not start"
        time.sleep(0.05)
    child.kill(15)
    child.expect(pexpect.EOF)
    child.close()
    assert marker.read_text().splitlines() == ["started", "saved on SIGTERM"]
