"""``mlcards review`` without typer (``cli/quick.py``, by way of ``mlcards.launch``) does what
the typer command does: both paths run in a pseudo-terminal on identical data dirs, and their
screens (what is not random) and exit codes are compared; not a terminal, in process and in
a child process; and which arguments the quick path takes."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from helpers import deck_yaml, run, write
from pty_helpers import ANSI, NOW, env, finish, import_deck, run_cli

from mlcards.cli.quick import review, review_args

TYPER = [sys.executable, "-c", "from mlcards.cli import main; main()"]
QUICK = [sys.executable, "-m", "mlcards"]


def spawn_with(entry: list[str], home: Path, cwd: Path, *args: str) -> pexpect.spawn:
    return pexpect.spawn(
        entry[0],
        [*entry[1:], "review", *args],
        cwd=str(cwd),
        env=env(home, MLCARDS_NOW=NOW),
        dimensions=(60, 80),
        encoding="utf-8",
        timeout=30,
    )


def both(home: Path, cwd: Path) -> dict[str, Path]:
    """Two copies of the data dir ``home`` (as it is now), one per path."""
    copies = {}
    for name in ("typer", "quick"):
        copy = cwd / f"home-{name}"
        if home.exists():
            shutil.copytree(home, copy)
        copies[name] = copy
    return copies


def words(text: str) -> str:
    return " ".join(ANSI.sub("", text).split())


def table_counts(home: Path) -> tuple[int, int]:
    conn = sqlite3.connect(home / "mlcards.db")
    try:
        decks = conn.execute("SELECT count(*) FROM decks").fetchone()[0]
        reviews = conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
    finally:
        conn.close()
    return decks, reviews


ENTRIES = {"typer": TYPER, "quick": QUICK}


@pytest.mark.slow
def test_an_empty_database_gets_the_bundled_decks_on_both_paths(tmp_path: Path) -> None:
    outcomes = {}
    for name, home in both(tmp_path / "none", tmp_path).items():
        child = spawn_with(ENTRIES[name], home, tmp_path)
        child.expect("No decks yet: loaded the bundled decks")
        child.expect("don't know")
        child.send("q")
        code, _ = finish(child)
        loaded = ANSI.sub("", child.before or "")
        outcomes[name] = (code, table_counts(home), loaded.count("No decks yet"))
    assert outcomes["typer"] == outcomes["quick"]
    assert outcomes["quick"][0] == 0 and outcomes["quick"][1][0] > 0


@pytest.mark.slow
def test_nothing_due_says_the_same_on_both_paths(isolated_home: Path, tmp_path: Path) -> None:
    import_deck(isolated_home, tmp_path, write(tmp_path / "toy.yaml", deck_yaml(cards=("c1",))))
    assert run_cli(isolated_home, tmp_path, "config", "set", "new_per_day", "0")[0] == 0
    outcomes = {}
    for name, home in both(isolated_home, tmp_path).items():
        code, out = finish(spawn_with(ENTRIES[name], home, tmp_path))
        outcomes[name] = (code, words(out))
    assert outcomes["typer"] == outcomes["quick"]
    assert outcomes["quick"][0] == 0 and "Nothing to review now." in outcomes["quick"][1]


@pytest.mark.slow
@pytest.mark.parametrize(("key", "exit_code"), [("q", 0), ("\x03", 130)], ids=["q", "ctrl-c"])
def test_a_session_ends_alike_on_both_paths(
    isolated_home: Path, tmp_path: Path, key: str, exit_code: int
) -> None:
    """A card answered, then q (or Ctrl-C): same screen, exit code and review log."""
    import_deck(isolated_home, tmp_path, write(tmp_path / "toy.yaml", deck_yaml()))
    outcomes = {}
    for name, home in both(isolated_home, tmp_path).items():
        child = spawn_with(ENTRIES[name], home, tmp_path, "--no-shuffle", "--limit", "2")
        child.expect(r"Question c1\?")
        child.send("1")
        child.expect("Enter|next|continue")
        child.send(key)
        code, out = finish(child)
        outcomes[name] = (code, table_counts(home), words(out))
    assert outcomes["typer"] == outcomes["quick"]
    assert outcomes["quick"][0] == exit_code and outcomes["quick"][1] == (1, 1)


def test_not_a_terminal_is_the_same_error_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    expected = run(capsys, "review")
    assert expected[0] == 1 and "needs an interactive terminal" in expected[2]
    out, err = io.StringIO(), io.StringIO()
    with (
        pytest.raises(SystemExit) as exit_info,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        review(["review"])
    assert (exit_info.value.code, out.getvalue(), err.getvalue()) == expected


def test_the_console_entry_reviews_without_typer(isolated_home: Path) -> None:
    """Not a terminal: the quick path answers as typer does, and imports no typer."""
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPROFILEIMPORTTIME"}
    typer = subprocess.run([*TYPER, "review"], env=environ, capture_output=True, text=True)
    quick = subprocess.run(
        [*QUICK[:1], "-X", "importtime", *QUICK[1:], "review", "--no-shuffle"],
        env=environ,
        capture_output=True,
        text=True,
    )
    imported = {line.split("|")[-1].strip() for line in quick.stderr.splitlines() if "|" in line}
    assert "mlcards.cli.quick" in imported
    assert not {m for m in imported if m.split(".")[0] in ("typer", "click")}
    shown = "".join(line + "\n" for line in quick.stderr.splitlines() if "|" not in line)
    assert typer.returncode == quick.returncode == 1
    assert (typer.stdout, typer.stderr) == (quick.stdout, shown)
    assert "needs an interactive terminal" in shown


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        (["review"], (None, False)),
        (["review", "--no-shuffle"], (None, True)),
        (["review", "--limit", "5", "--no-shuffle"], (5, True)),
        (["review", "--no-shuffle", "--limit", "1000000"], (1_000_000, True)),
        (["review", "--limit", "0"], None),
        (["review", "--limit", "1000001"], None),
        (["review", "--limit", "x"], None),
        (["review", "--limit", "²"], None),
        (["review", "--limit"], None),
        (["review", "--limit", "2", "--limit", "3"], None),
        (["review", "--no-shuffle", "--no-shuffle"], None),
        (["review", "-n", "2"], None),
        (["review", "--deck", "toy"], None),
        (["review", "--db", "x.db"], None),
        (["review", "--help"], None),
        (["review", "tag:x"], None),
        (["practice"], None),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
def test_the_quick_path_takes_only_plain_reviews(
    args: list[str], parsed: tuple[int | None, bool] | None
) -> None:
    """Everything else (other options, values typer would refuse) is typer's."""
    assert review_args(args) == parsed
