"""The command line as a script sees it: exit codes, stdout, stderr, JSON."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from helpers import ROOT, at, deck_yaml, run, start, toy_deck, write

from mlcards import __version__
from mlcards.store import Store


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version") == (0, f"mlcards {__version__}\n", "")


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["review"],
        ["import"],
        ["status"],
        ["stats"],
        ["export"],
        ["config"],
        ["config", "show"],
        ["config", "set"],
    ],
)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert "Usage:" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "status", "--bogus")
    assert code == 2
    assert "No such option" in err


def test_import_then_reimport_reports_nothing_changed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    code, out, _ = run(capsys, "import", str(deck))
    assert code == 0 and "toy (new)" in out
    code, out, _ = run(capsys, "import", str(deck), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["changed"] is False
    assert summary["decks"][0]["unchanged"] == ["c1", "c2", "c3"]
    code, out, _ = run(capsys, "import", str(deck))
    assert "Nothing changed" in out


def test_dry_run_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path
) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    code, out, _ = run(capsys, "import", "--dry-run", "--json", str(deck))
    assert code == 0 and json.loads(out)["decks"][0]["added"] == ["c1", "c2", "c3"]
    code, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["decks"] == []


def test_bad_deck_exits_65_with_file_and_line_and_leaves_db_untouched(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path
) -> None:
    good = write(tmp_path / "a-good.yaml", deck_yaml("good"))
    run(capsys, "import", str(good))
    before = db_path.read_bytes()
    bad = write(tmp_path / "b-bad.yaml", deck_yaml("bad").replace("answer: a", "answer: z", 1))
    code, out, err = run(capsys, "import", str(tmp_path))
    assert code == 65
    assert f"{bad}:13: card 'c1': answer 'z' names no choice" in err
    assert "Traceback" not in err + out
    assert db_path.read_bytes() == before


def test_missing_path_exits_66(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "import", str(tmp_path / "nope.yaml"))
    assert code == 66
    assert "nope.yaml: no such file" in err


def test_status_json_next_day(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "import", str(write(tmp_path / "toy.yaml", deck_yaml())))
    monkeypatch.setenv("MLCARDS_NOW", "2026-05-01T10:00:00+00:00")
    code, out, _ = run(capsys, "status", "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["today"] == "2026-05-01"
    assert doc["decks"][0] | {"name": None} == {
        "id": "toy",
        "name": None,
        "cards": 3,
        "new": 3,
        "due": 0,
        "retired": 0,
        "next_due": None,
        "suspended": 0,
        "learning": 0,
        "new_today": 3,
        "reviews_today": 0,
        "left_today": 3,
    }
    assert doc["totals"] == {
        "cards": 3,
        "new": 3,
        "due": 0,
        "retired": 0,
        "suspended": 0,
        "learning": 0,
        "new_today": 3,
        "reviews_today": 0,
        "left_today": 3,
    }


def test_rollover_hour_decides_the_study_day(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLCARDS_NOW", "2026-05-02T03:59:00+00:00")
    assert json.loads(run(capsys, "status", "--json")[1])["today"] == "2026-05-01"
    monkeypatch.setenv("MLCARDS_NOW", "2026-05-02T04:00:00+00:00")
    assert json.loads(run(capsys, "status", "--json")[1])["today"] == "2026-05-02"
    assert run(capsys, "config", "set", "rollover_hour", "0")[0] == 0
    monkeypatch.setenv("MLCARDS_NOW", "2026-05-02T00:30:00+00:00")
    assert json.loads(run(capsys, "status", "--json")[1])["today"] == "2026-05-02"


def test_bad_now_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLCARDS_NOW", "yesterday")
    code, _, err = run(capsys, "status")
    assert code == 2 and "MLCARDS_NOW" in err


def test_review_without_a_terminal_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "review")
    assert code == 1
    assert "needs an interactive terminal" in err


def test_database_too_new_exits_78(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    run(capsys, "status")
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO migrations VALUES (99, 'future', 'x', '7.0')")
    conn.commit()
    conn.close()
    code, _, err = run(capsys, "status")
    assert code == 78 and "needs mlcards >= 7.0" in err


def test_db_option_and_env_pick_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    run(capsys, "--db", str(tmp_path / "by-option.db"), "import", str(deck))
    monkeypatch.setenv("MLCARDS_DB", str(tmp_path / "by-env.db"))
    run(capsys, "import", str(deck))
    assert (tmp_path / "by-option.db").exists() and (tmp_path / "by-env.db").exists()


def test_config_show_and_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "config", "set", "new_per_day", "5")[0] == 0
    code, out, _ = run(capsys, "config", "show", "--json")
    assert json.loads(out) == {
        "new_per_day": 5,
        "reviews_per_day": 200,
        "rollover_hour": 4,
        "leech_threshold": 8,
        "max_deck_bytes": 5 * 1024 * 1024,
        "scheduler": "sm2",
        "desired_retention": 0.9,
        "fsrs_parameters": None,
        "fuzz": True,
        "load_balance": False,
        "sync_dir": "",
        "decks": {},
    }
    assert run(capsys, "config", "set", "--deck", "toy", "new_per_day", "2")[0] == 0
    code, out, _ = run(capsys, "config", "show", "--json")
    assert json.loads(out)["decks"] == {"toy": {"new_per_day": 2}}
    assert json.loads(out)["new_per_day"] == 5
    code, _, err = run(capsys, "config", "set", "--deck", "toy", "rollover_hour", "3")
    assert code == 2 and "unknown per-deck setting" in err
    code, _, err = run(capsys, "config", "set", "rollover_hour", "25")
    assert code == 2 and "between 0 and 23" in err
    code, _, err = run(capsys, "config", "set", "colour", "blue")
    assert code == 2 and "unknown setting" in err


def test_readme_deck_example_is_a_valid_deck() -> None:
    from mlcards.deck import parse_deck

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("This is a complete example:\n\n```yaml\n", 1)[1].split("```", 1)[0]
    deck = parse_deck(block, "README.md")
    (card,) = deck.cards
    assert card.answer == ("lower-lr",) and not card.multiple
    assert dict(card.source)["published"] == "2022-10-30"


def test_deck_size_cap_is_configurable(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml(cards=tuple(f"c{i}" for i in range(10))))
    assert deck.stat().st_size > 1024
    assert run(capsys, "config", "set", "max_deck_bytes", "1024")[0] == 0
    code, _, err = run(capsys, "import", str(deck))
    assert code == 65 and "decks are limited to 1,024 bytes" in err


@pytest.mark.slow
def test_status_imports_no_pydantic(tmp_path: Path) -> None:
    """typer 0.29 imports pydantic (60-70 ms) to coerce options; mlcards pins a typer that
    does not, and nothing of ours brings it back."""
    import subprocess
    import sys

    code = (
        "import sys; from mlcards.cli import main\n"
        "try:\n    main(['status', '--json'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'yaml', "
        "'sqlite_utils', 'fsrs')))"
    )
    env = {**os.environ, "MLCARDS_HOME": str(tmp_path)}
    for _ in ("the first run creates and migrates the database", "the everyday status"):
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_status_says_what_is_left_today(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A card answered wrong today is still due today (learning); today's new cards stop at
    the daily limit; a suspended card is counted apart."""
    from helpers import answer_card

    from mlcards.config import save_setting
    from mlcards.store import Store

    run(capsys, "import", str(write(tmp_path / "toy.yaml", deck_yaml(cards=("c1", "c2", "c3")))))
    save_setting("new_per_day", "2")
    monkeypatch.setenv("MLCARDS_NOW", "2026-05-01T10:00:00+00:00")
    with Store.open(Path(os.environ["MLCARDS_HOME"]) / "mlcards.db") as store:
        answer_card(store, "2026-05-01", "toy", "c1", 1)  # wrong: back today
        store.cards.suspend("toy", "c3")
    doc = json.loads(run(capsys, "status", "--json")[1])
    (deck,) = doc["decks"]
    assert (deck["learning"], deck["new_today"], deck["suspended"]) == (1, 1, 1)
    assert deck["left_today"] == 2 and deck["new"] == 2  # c2 new today; c3 unseen, suspended
    out = run(capsys, "status")[1]
    assert "Next review: 2 cards left today" in out and "Toy toy" in out  # the name


@pytest.mark.slow
def test_a_non_utf8_terminal_gets_ascii_output_never_a_crash(tmp_path: Path) -> None:
    """LANG=en_US.ISO-8859-1: the stats dashboard (shades, bars), status and lint print ASCII
    and exit 0; before, `stats` died on the first shade character."""

    from helpers import answer_card

    from mlcards.store import Store

    env = {
        **os.environ,
        "MLCARDS_HOME": str(tmp_path),
        "MLCARDS_NOW": "2026-03-01T12:00:00+00:00",
        "PYTHONIOENCODING": "latin-1",
    }
    with Store.open(tmp_path / "mlcards.db") as store:
        store.decks.import_decks([toy_deck()], at("2026-03-01"))
        for card, quality in (("c1", 4), ("c2", 1)):
            answer_card(store, "2026-03-01", "toy", card, quality)
    for args in (["stats"], ["status"], ["lint", str(tmp_path)]):
        done = start(list(args), env, check=False)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout.isascii() and done.stderr.isascii(), args
    dashboard = start(["stats"], env, check=True).stdout.decode("ascii")
    assert "Reviews per day" in dashboard and "#" in dashboard  # the busiest day, in ASCII


@pytest.mark.parametrize("width", [60, 80])
def test_import_and_status_tables_keep_every_column_at_60_and_80(width: int) -> None:
    import io
    from datetime import date

    from rich.console import Console

    from mlcards.records import DeckStatus, ImportSummary
    from mlcards.render.text import import_summary, status_table

    long_id = "reinforcement-learning"
    summary = ImportSummary(long_id, "x.yaml", added=["a"] * 8, new_deck=True)
    status = DeckStatus(long_id, "Reinforcement learning basics", 8, 8, 0, 0, None)
    for table in (
        import_summary([summary], dry_run=False, width=width),
        status_table([status], date(2026, 3, 1), None, width),
    ):
        buffer = io.StringIO()
        Console(file=buffer, width=width, color_system=None).print(table)
        lines = buffer.getvalue().splitlines()
        assert max(len(line) for line in lines) <= width
        header = next(line for line in lines if "Deck" in line)
        names = ("Reset", "Retired") if "Added" in header else ("Susp", "Cards")
        assert all(name in header for name in names), header


def test_unflag_of_a_card_not_flagged_says_so(
    capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    """Issue 20, item 16: not "unflagged 1 card(s)" for a card that had no flag."""
    with Store.open(db_path) as store:
        store.decks.import_decks([toy_deck()], at("2026-03-01"))
        store.cards.flag("toy", "c1")
    code, out, _ = run(capsys, "unflag", "toy/c1", "toy/c2")
    assert code == 0 and out.splitlines() == ["unflagged 1 card", "toy/c2 was not flagged"]
    code, out, _ = run(capsys, "unflag", "toy/c1")
    assert code == 0 and out.splitlines() == ["toy/c1 was not flagged"]


def test_db_is_accepted_after_the_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 20, item 16: `mlcards status --db X` as well as `mlcards --db X status`."""
    other = tmp_path / "other.db"
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    assert run(capsys, "import", str(deck), "--db", str(other))[0] == 0
    assert other.exists()
    for args in (
        ["status", "--json", "--db", str(other)],
        ["status", f"--db={other}", "--json"],
        ["--db", str(other), "status", "--json"],
    ):
        code, out, err = run(capsys, *args)
        assert code == 0, err
        assert [d["id"] for d in json.loads(out)["decks"]] == ["toy"]
    assert run(capsys, "backup", "create", "--db", str(other))[0] == 0
    code, out, _ = run(capsys, "backup", "list", "--db", str(other))
    assert code == 0 and "created (UTC)" in out


def test_hoist_db_leaves_what_follows_double_dash_alone() -> None:
    from mlcards.cli.base import hoist_db

    assert hoist_db(["status", "--db", "x"]) == ["--db", "x", "status"]
    assert hoist_db(["--db", "x", "status"]) == ["--db", "x", "status"]
    assert hoist_db(["lint", "--", "--db", "x"]) == ["lint", "--", "--db", "x"]


def test_help_uses_one_placeholder_style(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 20, item 16: every option's placeholder is an upper-case word (`ID`, `N`,
    `FILE`) or a list of the values it takes, never typer's `<str>`, `TEXT` or `INTEGER`."""
    import re

    import click
    import typer

    from mlcards.cli.base import app

    def paths(group: click.Command, path: list[str]) -> list[list[str]]:
        found = [path]
        for name, sub in getattr(group, "commands", {}).items():
            found += paths(sub, [*path, name])
        return found

    option = re.compile(r"^\s+(?:-\w, )?--[\w-]+ (\S+)")
    allowed = re.compile(r"[A-Z][A-Z/.=]*|[a-z0-9]+(\|[a-z0-9]+)+")  # KEY=FIELD too
    wrong, seen = [], 0
    for path in paths(typer.main.get_command(app), []):
        code, out, _ = run(capsys, *path, "--help")
        assert code == 0
        for line in out.splitlines():
            match = option.match(line)
            if match:
                seen += 1
                if not allowed.fullmatch(match.group(1)):
                    wrong.append(f"mlcards {' '.join(path)}: {line.strip()}")
    assert seen > 20 and wrong == []


@pytest.mark.slow
def test_a_c_locale_terminal_gets_ascii_tables(tmp_path: Path) -> None:
    """Issue 20, item 14: under LANG=C Python coerces its streams to UTF-8, but the learner's
    terminal is ASCII: status on a terminal draws no box-drawing characters."""
    import pexpect
    from helpers import deck_yaml, mlcards_argv, subprocess_env, write

    home = tmp_path / "home"
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    env = {k: v for k, v in subprocess_env(home).items() if not k.startswith("LC_")}
    env.update(LANG="C", TERM="xterm")
    env.pop("NO_COLOR", None)
    argv = mlcards_argv("import", str(deck))
    child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    argv = mlcards_argv("status")
    child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    shown = child.before
    assert "toy" in shown
    assert not any("\u2500" <= ch <= "\u257f" for ch in shown), shown
