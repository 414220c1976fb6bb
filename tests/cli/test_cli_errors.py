"""Usage errors and error output on the command line: odd environment values, huge or
marked-up arguments, errors as JSON for --json commands, and --help without Python types."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import HOSTILE, mlcards
from helpers import run_here as run


def test_stats_with_markup_in_the_tag_or_deck(home: Path, db: Path) -> None:
    result = run(home, "stats", "--tag", "[/]", MLCARDS_NOW="2026-03-01T12:00:00+00:00")
    assert result.code == 0 and "with tag [/]" in result.out
    result = run(home, "stats", "--deck", "[bold]x[/]")
    assert result.code == 2 and "no deck '[bold]x[/]'" in result.err


@pytest.mark.parametrize(
    ("now", "command"),
    [("9999-12-31T10:00:00+00:00", "stats"), ("0001-01-01T01:00:00+00:00", "status")],
)
def test_mlcards_now_at_the_ends_of_time_is_a_usage_error(
    home: Path, db: Path, now: str, command: str
) -> None:
    for tz in ("UTC", "America/New_York", "Asia/Tokyo"):
        result = run(home, command, MLCARDS_NOW=now, TZ=tz)
        assert result.code == 2, result.err
        assert f"MLCARDS_NOW={now!r} is out of range: give a time from 1970 to 9000" in result.err


@pytest.mark.parametrize("value", ["²", "-5", "1e3", "9" * 5000])
def test_a_bad_busy_timeout_is_a_usage_error(home: Path, db: Path, value: str) -> None:
    result = run(home, "status", MLCARDS_BUSY_TIMEOUT_MS=value)
    assert result.code == 2
    assert "MLCARDS_BUSY_TIMEOUT_MS=" in result.err and "is not a whole number" in result.err


def test_a_db_path_naming_an_unknown_user_is_a_usage_error(home: Path) -> None:
    result = run(home, "--db", "~nosuchuser-mlcards/x.db", "status")
    assert result.code == 2
    assert "--db '~nosuchuser-mlcards/x.db': cannot expand '~'" in result.err
    result = run(home, "status", MLCARDS_DB="~nosuchuser-mlcards/x.db")
    assert result.code == 2 and "MLCARDS_DB" in result.err


def test_import_json_prints_its_errors_as_json(home: Path, tmp_path: Path) -> None:
    result = run(home, "import", "--json", str(HOSTILE / "blink-in-choice.yaml"))
    assert result.code == 65
    error = json.loads(result.out)["error"]
    assert error["exit_code"] == 65
    assert error["message"] == "1 problem in deck files; nothing was written"
    assert error["problems"] == [
        f"{HOSTILE / 'blink-in-choice.yaml'}:9: U+001B (ESC) is a terminal control character; "
        "deck text cannot hold it (remove the escape sequence)"
    ]
    result = run(home, "import", "--json", str(tmp_path / "missing.yaml"))
    assert result.code == 66
    assert json.loads(result.out) == {
        "error": {
            "message": f"{tmp_path / 'missing.yaml'}: no such file or folder",
            "exit_code": 66,
        }
    }


def test_json_errors_for_every_json_command(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    for command in (
        ["status", "--json"],
        ["stats", "--json"],
        ["flagged", "--json"],
        ["check", "--json"],
        ["backup", "list", "--json", "--bogus"],
    ):
        result = run(home, "--db", str(empty), *command)
        error = json.loads(result.out)["error"]
        assert result.code == error["exit_code"] != 0, command
        assert error["message"] and ("mlcards:" in result.err or "Error:" in result.err)


HELP_COMMANDS = [
    [],
    ["review"],
    ["practice"],
    ["import"],
    ["unsuspend"],
    ["unflag"],
    ["export"],
    ["stats"],
    ["lint"],
    ["convert"],
    ["config", "set"],
    ["config", "unset"],
    ["backup", "restore"],
    ["check"],
]


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=" ".join)
def test_help_shows_placeholders_not_python_types(home: Path, command: list[str]) -> None:
    result = run(home, *command, "--help")
    assert result.code == 0
    assert re.search(r"<[a-zA-Z]", result.out) is None, result.out  # <list[str]>, <int range>
    assert "{" not in result.out.splitlines()[0], result.out  # {paths}... in the usage line
    placeholders = re.findall(r"--[a-z-]+ ([A-Za-z/|]+)  ", result.out)
    assert all(p == p.upper() or "|" in p for p in placeholders), placeholders


@pytest.mark.slow
@pytest.mark.parametrize(
    "args", [["stats", "--days", "1000000"], ["practice", "--limit", "99999999999999999999"]]
)
def test_huge_numbers_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    code, _, err = mlcards(tmp_path / "home", *args)
    assert code == 2 and "Traceback" not in err and "internal error" not in err
