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
