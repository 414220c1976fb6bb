"""`mlcards check` verifies the whole schema it relies on and the values its readers trust;
commands meeting a damaged row stop with exit 74 pointing to check (reliability issues 22
item 6 and 30 item 2)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers import deck_yaml, write
from helpers import mlcards_here as mlcards  # in this process: fast


@pytest.fixture
def home(isolated_home: Path, tmp_path: Path) -> Path:
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    assert mlcards(isolated_home, "import", str(deck))[0] == 0
    from datetime import date

    from mlcards.models import Quality
    from mlcards.session import Session
    from mlcards.store import Store

    with Store.open(isolated_home / "mlcards.db") as store:
        session = Session(store.cards.new(5), date(2026, 3, 1), journal=store.log, session_id="s")
        from helpers import at

        for _ in range(2):
            item = session.next()
            assert item is not None
            session.answer(item, item.card.answer, Quality.GOOD, 1500, at("2026-03-01"))
    return isolated_home


def tamper(home: Path, *sql: str) -> None:
    conn = sqlite3.connect(home / "mlcards.db")
    conn.execute("PRAGMA ignore_check_constraints = ON")
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


def check(home: Path) -> tuple[int, list[str]]:
    code, out, _ = mlcards(home, "check", "--json", MLCARDS_NOW="2026-03-01T12:00")
    return code, json.loads(out)["integrity"]


def test_a_clean_database_passes(home: Path) -> None:
    assert check(home) == (0, [])


@pytest.mark.parametrize(
    ("sql", "found"),
    [
        (["DROP TABLE undo_tokens"], "the table undo_tokens is missing"),
        (["DROP TRIGGER reviews_append_only_delete"], "reviews_append_only_delete is missing"),
        (["DROP INDEX reviews_day_counts"], "the index reviews_day_counts is missing"),
        (["CREATE TRIGGER sneaky AFTER INSERT ON reviews BEGIN SELECT 1; END"], "sneaky"),
        (
            ["DROP TRIGGER reviews_append_only_update", "UPDATE reviews SET response_ms = 9e18"],
            "reviews 1, 2: response_ms is out of range",
        ),
        (
            ["DROP TRIGGER reviews_append_only_update", "UPDATE reviews SET quality = 99"],
            "CHECK constraint failed in reviews",  # (SQLite's own integrity check)
        ),
        (["UPDATE cards SET content = 'not json' WHERE id = 'c1'"], "toy/c1: content is not"),
        (["UPDATE cards SET due = 'soon' WHERE id = 'c1'"], "toy/c1: due is not a date"),
    ],
    ids=[
        "undo-table",
        "trigger",
        "index",
        "extra-trigger",
        "response-ms",
        "quality",
        "json",
        "due",
    ],
)
def test_check_finds_what_a_hand_edit_broke(home: Path, sql: list[str], found: str) -> None:
    tamper(home, *sql)
    code, problems = check(home)
    assert code == 74
    assert any(found in p for p in problems), problems


@pytest.mark.parametrize("command", [["evaluate"], ["config", "set", "scheduler", "fsrs"]])
def test_a_command_meeting_a_damaged_row_stops_cleanly(home: Path, command: list[str]) -> None:
    tamper(home, "DROP TRIGGER reviews_append_only_update", "UPDATE reviews SET study_day = 'x'")
    code, out, err = mlcards(home, *command, MLCARDS_NOW="2026-03-01T12:00")
    assert code == 74, out + err
    assert "internal error" not in err and "Traceback" not in err
    assert "mlcards check" in err


def test_a_deck_name_written_into_the_database_reaches_no_terminal_raw(home: Path) -> None:
    tamper(home, "UPDATE decks SET name = 'Toy' || char(27) || ']0;pwned' || char(7) || char(8238)")
    code, out, err = mlcards(home, "status", MLCARDS_NOW="2026-03-01T12:00")
    assert code == 0, err
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "Toy\\x1b]0;pwned" in out


def test_a_path_with_a_newline_is_printed_escaped(isolated_home: Path, tmp_path: Path) -> None:
    odd = tmp_path / "a\nb" / "x.db"
    code, out, err = mlcards(isolated_home, "--db", str(odd), "status")
    assert code == 66
    assert "a\\x0ab" in err and "a\nb" not in err
