"""``mlcards.launch`` answers help without typer: every text it serves must be typer's own,
byte for byte, on the same stream with the same exit code (for every command it serves), and
what it does not serve goes to typer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlcards import launch
from mlcards._help import BARE, HELP
from mlcards.cli.helptext import invocations, typer_output


def test_the_cache_holds_every_command_and_group() -> None:
    helps, bare = invocations()
    assert sorted(HELP) == sorted(helps)
    assert sorted(BARE) == sorted(bare)
    assert len(HELP) > 20 and ("config", "set") in HELP


@pytest.mark.parametrize("path", sorted(HELP), ids=lambda p: " ".join(p) or "mlcards")
@pytest.mark.parametrize("flag", launch.HELP_FLAGS)
def test_help_served_equals_typers(
    path: tuple[str, ...], flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    out, err, code = typer_output([*path, flag])
    assert launch.cached([*path, flag]) == (out, code)
    assert code == 0 and err == ""


@pytest.mark.parametrize("path", sorted(BARE), ids=lambda p: " ".join(p) or "mlcards")
def test_bare_help_served_equals_typers(
    path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    out, err, code = typer_output(list(path))
    assert launch.cached(list(path)) == (err, code)
    assert code == 2 and out == ""


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["status", "--json"],
        ["--db", "x.db", "--help"],
        ["nope", "--help"],
        ["--version"],
    ],
)
def test_everything_else_goes_to_typer(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert launch.cached(args) is None


def test_a_narrow_terminal_goes_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    assert launch.cached(["--help"]) is None
    monkeypatch.setenv("COLUMNS", "80")
    assert launch.cached(["--help"]) == (HELP[()], 0)


def test_the_console_entry_serves_help_without_typer(tmp_path: Path) -> None:
    env = {**os.environ, "MLCARDS_HOME": str(tmp_path), "COLUMNS": "100"}
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlcards", "status", "--help"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    assert done.stdout == HELP[("status",)]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "mlcards.launch" in imported
    assert not {m for m in imported if m.split(".")[0] in ("typer", "click", "rich", "sqlite3")}
    bare = subprocess.run(
        [sys.executable, "-m", "mlcards"], env=env, capture_output=True, text=True
    )
    assert (bare.returncode, bare.stdout, bare.stderr) == (2, "", BARE[()])


# -- status without typer (cli/quick.py) ----------------------------------------------------


@pytest.fixture
def with_decks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from helpers import deck_yaml, write

    monkeypatch.setenv("COLUMNS", "100")
    deck = write(tmp_path / "toy.yaml", deck_yaml(cards=("c1", "c2", "c3")))
    assert typer_output(["import", str(deck)])[2] == 0
    return tmp_path


def _quick(args: list[str]) -> tuple[str, str, int | None]:
    import contextlib
    import io

    from mlcards.cli.quick import status

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = status(args)
    return out.getvalue(), err.getvalue(), code


@pytest.mark.parametrize("args", [["status"], ["status", "--json"]])
def test_quick_status_equals_typers(with_decks: Path, args: list[str]) -> None:
    expected = typer_output(args)
    assert expected[2] == 0 and "toy" in expected[0]
    assert _quick(args) == expected


def test_status_notes_answers_waiting_for_a_deck_on_every_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The note under the table: typer's, the quick path's (rich) and the quick path's to a
    pipe (``render/plain.py``) print the same text."""
    from helpers import add_review, deck_yaml, write

    from mlcards.render.glyphs import to_ascii

    monkeypatch.setenv("COLUMNS", "100")
    other, folder = tmp_path / "other.db", tmp_path / "synced"
    folder.mkdir()
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    assert typer_output(["--db", str(other), "import", str(deck)])[2] == 0
    add_review(other)
    assert typer_output(["--db", str(other), "sync", str(folder)])[2] == 0
    assert typer_output(["import", str(write(tmp_path / "b.yaml", deck_yaml("b")))])[2] == 0
    assert typer_output(["sync", str(folder)])[2] == 0
    expected = typer_output(["status"])
    assert expected[2] == 0
    assert "1 synced answer(s) wait for a deck not imported here" in expected[0]
    assert _quick(["status"]) == expected
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPROFILEIMPORTTIME"}
    piped = subprocess.run(
        [sys.executable, "-m", "mlcards", "status"], env=env, capture_output=True, text=True
    )
    assert piped.stdout != expected[0]  # a pipe is UTF-8, the StringIO above ASCII: ─ -
    assert (to_ascii(piped.stdout), piped.stderr, piped.returncode) == expected


@pytest.mark.parametrize("args", [["status"], ["status", "--json"], ["cards", "--json"]])
def test_ctrl_c_in_status_or_cards_says_so_on_both_paths(
    with_decks: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """typer turns a ``KeyboardInterrupt`` into a silent exit 130; the boundary says so, as
    for any failure (with ``--json``, as an error object too), and so does the quick path."""
    import contextlib
    import io
    import json

    from mlcards.cli import quick
    from mlcards.services import browse, study

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(study, "status_of", interrupted)
    monkeypatch.setattr(browse, "find_cards", interrupted)
    expected = typer_output(args)
    assert expected[2] == 130 and expected[1] == "mlcards: interrupted\n"
    if "--json" in args:
        assert json.loads(expected[0]) == {"error": {"message": "interrupted", "exit_code": 130}}
    else:
        assert expected[0] == ""
    out, err = io.StringIO(), io.StringIO()
    code: object = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = getattr(quick, args[0])(args)
        except SystemExit as exc:
            code = exc.code
    assert (out.getvalue(), err.getvalue(), code) == expected


def test_quick_status_leaves_failures_to_typer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLCARDS_DB", str(tmp_path / "missing.db"))
    assert _quick(["status", "--json"]) == ("", "", None)
    out, err, code = typer_output(["status", "--json"])
    assert code != 0 and "missing.db" in err
    assert _quick(["status", "--deck", "x"]) == ("", "", None)


def test_the_console_entry_answers_status_without_typer(with_decks: Path) -> None:
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlcards", "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    assert done.stdout == typer_output(["status", "--json"])[0]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "mlcards.cli.quick" in imported
    assert not {m for m in imported if m.split(".")[0] in ("typer", "rich", "sqlite_utils")}
    assert not {"subprocess", "tempfile", "secrets", "csv"} & imported
    # the session, its scheduler's fuzz and their hashlib, random: review's, not status's
    assert not {"mlcards.session", "mlcards.schedulers.fuzz", "hashlib"} & imported


def test_the_console_entry_reports_a_status_failure_as_typer_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quick path fails (no database): typer runs the command again and reports it."""
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("MLCARDS_DB", str(tmp_path / "missing.db"))
    env = dict(os.environ)
    done = subprocess.run(
        [sys.executable, "-m", "mlcards", "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    out, err, code = typer_output(["status", "--json"])
    assert code == 66
    assert (done.returncode, done.stdout, done.stderr) == (code, out, err)
    assert "missing.db" in err and not (tmp_path / "missing.db").exists()


def _quick_cards(args: list[str]) -> tuple[str, str, int | None]:
    import contextlib
    import io

    from mlcards.cli.quick import cards

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cards(args)
    return out.getvalue(), err.getvalue(), code


@pytest.mark.parametrize(
    "args",
    [
        ["cards"],
        ["cards", "--json"],
        ["cards", "question", "--json", "c2"],
        ["cards", "--no-pager", "Question c1"],
        ["cards", "--json", "--", "-c1", "-c2"],
        ["cards", "--json", "nothing-has-this"],
    ],
    ids=" ".join,
)
def test_quick_cards_equals_typers(with_decks: Path, args: list[str]) -> None:
    expected = typer_output(args)
    empty = args[-1] == "nothing-has-this"
    assert expected[2] == 0
    assert (expected[0] == "[]\n") if empty else ("toy" in expected[0])
    assert _quick_cards(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["cards", "--sort", "due"],
        ["cards", "-n", "2"],
        ["cards", "x", "--help"],
        ["cards", "--db", "x.db"],
        ["cards", "(unclosed"],
        ["status"],
    ],
    ids=" ".join,
)
def test_quick_cards_leaves_the_rest_to_typer(with_decks: Path, args: list[str]) -> None:
    """Other options, and a malformed query (typer reports it, exit 2), are typer's."""
    assert _quick_cards(args) == ("", "", None)


def test_the_console_entry_answers_cards_without_typer(with_decks: Path) -> None:
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlcards", "cards", "--json", "c1"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    assert done.stdout == typer_output(["cards", "--json", "c1"])[0]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "mlcards.cli.quick" in imported
    assert not {m for m in imported if m.split(".")[0] in ("typer", "rich")}


def test_quick_status_writes_at_mlcards_now_as_typers_does(
    with_decks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quick path opens the store as every command does (``boundary.open_db``): what it
    writes (here the first adoption of an older ``config.yaml``'s scheduler) is stamped with
    ``clock.now`` (MLCARDS_NOW), not the wall clock."""
    import sqlite3

    from mlcards.config import data_dir

    (data_dir() / "config.yaml").write_text("scheduler: fsrs\n", encoding="utf-8")
    monkeypatch.setenv("MLCARDS_NOW", "2031-05-06T07:08:09+00:00")
    out, _, code = _quick(["status"])
    assert code == 0 and "toy" in out
    conn = sqlite3.connect(data_dir() / "mlcards.db")
    try:
        rows = conn.execute("SELECT key, value, ord FROM settings_events").fetchall()
    finally:
        conn.close()
    assert [(key, value) for key, value, _ in rows] == [("scheduler", '"fsrs"')]
    assert rows[0][2].startswith("2031-05-06T07:08:09"), rows
