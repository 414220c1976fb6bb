"""Deck text is data, never control (issue 15): escape sequences, C1 controls and bidi
overrides in deck text or file names are refused at their line or shown escaped, rich markup
is shown literally, and no control byte from user data reaches stdout, stderr or the review
screen. Every child-process run asserts no control byte in its output."""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pexpect
import pytest
from helpers import HOSTILE, deck_yaml, write
from helpers import run_child as run
from pty_helpers import spawn_mlcards

from mlcards.store import Store

pytestmark = pytest.mark.slow  # the real command in child processes: what reaches a terminal


@pytest.mark.parametrize(
    ("fixture", "line", "char"),
    [
        ("osc52-clipboard-in-name.yaml", 3, "U+001B (ESC)"),
        ("osc8-hyperlink-in-question.yaml", 6, "U+001B (ESC)"),
        ("osc0-window-title-in-title.yaml", 6, "U+001B (ESC)"),
        ("blink-in-choice.yaml", 9, "U+001B (ESC)"),
        ("c1-csi-clear-in-explanation.yaml", 13, "U+009B (CSI)"),
        ("bidi-override-in-feedback.yaml", 12, "U+202E (right-to-left override)"),
    ],
)
def test_escape_sequences_in_deck_text_are_refused_at_their_line(
    home: Path, db: Path, fixture: str, line: int, char: str
) -> None:
    before = db.read_bytes()
    result = run(home, "import", str(HOSTILE / fixture))
    assert result.code == 65
    assert f"{HOSTILE / fixture}:{line}: {char} is a terminal control character" in result.err
    assert "1 problem in deck files; nothing was written" in result.err
    assert db.read_bytes() == before


def test_an_escape_in_every_text_field_is_reported_at_each_line(home: Path, db: Path) -> None:
    before = db.read_bytes()
    result = run(home, "import", str(HOSTILE / "escapes-in-every-field.yaml"))
    assert result.code == 65
    lines = [int(m) for m in re.findall(r"escapes-in-every-field\.yaml:(\d+): U\+", result.err)]
    assert lines == [3, 4, 7, 8, 11, 14, 16, 18, 21]
    for name in ("ESC", "CSI", "right-to-left override", "DEL", "backspace", "carriage return"):
        assert f"({name}) is a terminal control character" in result.err
    assert db.read_bytes() == before


def test_lint_and_convert_refuse_the_same_text(home: Path, tmp_path: Path) -> None:
    result = run(home, "lint", str(HOSTILE / "osc52-clipboard-in-name.yaml"))
    assert result.code == 65 and "U+001B (ESC)" in result.err
    source = write(tmp_path / "q.csv", "question,a,b,answer\nWhich\x1b[5m?,A,B,A\n")
    result = run(home, "convert", str(source))
    assert result.code == 65 and "q.csv:2: control character U+001B" in result.err


def test_a_file_name_holding_escape_sequences_is_shown_escaped(
    home: Path, db: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    bad = folder / "\x1b]0;owned\x07\x9b2J.yaml"
    shutil.copy(HOSTILE / "blink-in-choice.yaml", bad)
    before = db.read_bytes()
    result = run(home, "import", str(folder))
    assert result.code == 65
    assert "\\x1b]0;owned\\x07\\x9b2J.yaml:9: U+001B (ESC)" in result.err
    assert db.read_bytes() == before
    # a valid deck under such a name imports, and every listing shows the name escaped
    good = folder / "\x1b]8;;file:passwd\x1b\\link.yaml"
    bad.unlink()
    write(good, deck_yaml("named"))
    result = run(home, "import", str(folder))
    assert result.code == 0, result.err
    with Store.open(db) as store:
        store.cards.flag("named", "c1")
    result = run(home, "flagged")
    assert result.code == 0
    assert "\\x1b]8;;file:passwd\\x1b\\link.yaml:4" in result.out


def test_text_stored_before_the_loader_refused_it_is_escaped_when_listed(
    home: Path, db: Path
) -> None:
    """A database filled by an older mlcards may hold control characters: they are shown
    escaped, never sent."""
    conn = sqlite3.connect(db)
    content = json.loads(conn.execute("SELECT content FROM cards WHERE id = 'c1'").fetchone()[0])
    content["title"] = "\x1b]52;c;cm0gLXJmIH4K\x07\x9b2J\u202eeltit"
    conn.execute(
        "UPDATE cards SET content = ?, flagged = 1 WHERE id = 'c1'", (json.dumps(content),)
    )
    conn.execute("UPDATE decks SET path = ?", ("/decks/\x1b[5mtoy.yaml",))
    conn.commit()
    conn.close()
    result = run(home, "flagged")
    assert result.code == 0
    assert "\\x1b]52;c;cm0gLXJmIH4K\\x07\\x9b2J\\u202eeltit" in result.out
    assert "/decks/\\x1b[5mtoy.yaml:4" in result.out
    assert run(home, "flagged", "--json").code == 0  # JSON escapes them itself


def test_rich_markup_in_deck_text_is_shown_literally(home: Path, tmp_path: Path) -> None:
    deck = HOSTILE / "markup-in-title.yaml"
    result = run(home, "import", str(deck))
    assert result.code == 0, result.err
    with Store.open(home / "mlcards.db") as store:
        store.cards.flag("markup", "c1")
    result = run(home, "flagged")
    assert "markup/c1  [bold]x[/]" in result.out
    from rich.console import Console

    from mlcards.render.text import card_list

    console = Console(file=io.StringIO(), width=100, color_system=None)
    for line in card_list(
        [{"deck": "d", "card": "c", "title": "[bold]x[/]", "path": "p", "line": 1, "lapses": 0}], ""
    ):
        console.print(line, markup=False)
    assert "[bold]x[/]" in console.file.getvalue()  # type: ignore[attr-defined]


def spawn_bytes(
    home: Path, cwd: Path, *args: str, **extra: str
) -> tuple[pexpect.spawn, io.BytesIO]:
    from pty_helpers import env

    child = spawn_mlcards(
        "review",
        "--no-shuffle",
        *args,
        cwd=str(cwd),
        env=env(home, **extra),
        dimensions=(50, 100),
        timeout=20,
    )
    seen = io.BytesIO()
    child.logfile_read = seen
    return child, seen


def test_the_review_screen_never_sends_deck_control_bytes(home: Path, tmp_path: Path) -> None:
    """Raw bytes of a whole session: the markup deck (from a file whose name holds escape
    sequences) shows its brackets literally, and no sequence from user data is sent."""
    name = "\x1b]0;owned\x07\x1b[5m.yaml"
    deck = tmp_path / name
    shutil.copy(HOSTILE / "markup-in-title.yaml", deck)
    assert run(home, "import", str(deck)).code == 0
    assert run(home, "import", str(HOSTILE / "osc52-clipboard-in-name.yaml")).code == 65
    child, seen = spawn_bytes(home, tmp_path, EDITOR="true")
    child.expect(b"don't know")
    child.send("e")  # the editor changes nothing; the deck file is named on screen
    child.expect(b"No changes")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    raw = seen.getvalue()
    text = raw.decode("utf-8", "replace")
    assert "[bold]x[/]" in text and "[bold red]Markup[/] deck" in text
    assert "\\x1b]0;owned\\x07\\x1b[5m.yaml" in text
    for sequence in (b"\x1b]0;", b"\x1b]52;", b"\x1b]8;", b"\x1b[5m", b"\xc2\x9b", b"\x07"):
        assert sequence not in raw, sequence
