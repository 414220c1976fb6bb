"""The settings that decide schedules live in the database and change in the transaction
that reschedules (reliability issue, item 2): no kill, failed file write, repair or open
session can leave a deck's schedules computed with settings other than its stored ones."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from helpers import Refreshing, at, deck_yaml, run, write

from mlcards.config import load_settings
from mlcards.models import Quality
from mlcards.services.admin import check, set_scheduling
from mlcards.services.settings import effective_settings
from mlcards.services.study import todays_queue
from mlcards.session import Session
from mlcards.store import Store

DAY = date(2026, 2, 1)


@pytest.fixture
def deck(isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = write(tmp_path / "toy.yaml", deck_yaml(cards=("c1", "c2", "c3")))
    assert run(capsys, "import", str(path))[0] == 0
    return isolated_home / "mlcards.db"


def answer_all(store: Store, session: Session) -> None:
    while (item := session.next()) is not None:
        session.answer(item, item.card.answer, Quality.GOOD, 900, at("2026-02-01"))


def test_config_set_keeps_scheduling_in_the_database_not_the_file(
    deck: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "config", "set", "scheduler", "fsrs")
    assert code == 0, err
    assert not (isolated_home / "config.yaml").exists()  # nothing to write there, nothing to fail
    assert json.loads(run(capsys, "config", "show", "--json")[1])["scheduler"] == "fsrs"
    assert run(capsys, "config", "set", "new_per_day", "5")[0] == 0
    assert "scheduler" not in (isolated_home / "config.yaml").read_text()
    assert run(capsys, "config", "unset", "scheduler")[0] == 0
    assert json.loads(run(capsys, "config", "show", "--json")[1])["scheduler"] == "sm2"


def test_an_open_session_grades_with_the_scheduler_stored_when_it_answers(deck: Path) -> None:
    with Store.open(deck) as store:
        settings = effective_settings(store, load_settings())
        session = Session(
            todays_queue(store, settings, DAY),
            DAY,
            journal=store.log,
            session_id="s",
            rules=settings.rules_for,
            source=Refreshing(store, DAY),
        )
        first = session.next()
        assert first is not None
        record = session.answer(first, first.card.answer, Quality.GOOD, 900, at("2026-02-01"))
        assert record.stability is None  # SM-2
        with Store.open(deck) as other:  # another terminal switches the deck meanwhile
            set_scheduling(other, load_settings(), "scheduler", "fsrs")
        second = session.next()
        assert second is not None
        record = session.answer(second, second.card.answer, Quality.GOOD, 900, at("2026-02-01"))
        assert record.stability is not None  # graded by FSRS, as the deck now says
        session.undo()  # rebuilt with FSRS too
        answer_all(store, session)
        assert check(store).ok


def test_a_repair_uses_the_settings_stored_when_it_writes(
    deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(deck) as store:
        settings = effective_settings(store, load_settings())
        session = Session(todays_queue(store, settings, DAY), DAY, journal=store.log)
        answer_all(store, session)
        store.conn.execute("UPDATE cards SET interval = 99")  # damage the cache
        real_backup = store.backups.create

        def switch_meanwhile(reason: str, **kwargs: bool) -> Path:
            with Store.open(deck) as other:  # a switch lands between check's read and repair
                set_scheduling(other, load_settings(), "scheduler", "fsrs")
            return real_backup(reason, **kwargs)

        monkeypatch.setattr(store.backups, "create", switch_meanwhile)
        assert check(store, repair=True).repaired
        monkeypatch.undo()
        assert check(store).ok  # rebuilt with FSRS, as stored when the repair wrote


def test_an_older_config_files_scheduling_is_taken_over_once(
    deck: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (isolated_home / "config.yaml").write_text("decks:\n  toy:\n    scheduler: fsrs\n")
    # the cache an older mlcards built for that file
    code, _, err = run(capsys, "check", "--repair")
    assert code == 0, err
    shown = json.loads(run(capsys, "config", "show", "--json")[1])
    assert shown["decks"]["toy"]["scheduler"] == "fsrs"
    assert run(capsys, "config", "set", "--deck", "toy", "scheduler", "sm2")[0] == 0
    code, _, err = run(capsys, "check")
    assert code == 0
    assert "config.yaml sets scheduler (deck toy) to fsrs, which is not used" in err
    shown = json.loads(run(capsys, "config", "show", "--json")[1])
    assert shown["decks"]["toy"]["scheduler"] == "sm2"  # the database decides
