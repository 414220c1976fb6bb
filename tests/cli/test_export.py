"""`mlcards export` and `mlcards stats` on the command line: round trips against the database,
atomic output files, filters and usage errors."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import HISTORY_TODAY, build_history, run, tagged_deck

from mlcards import exports as serialise
from mlcards.statsdata import REVIEW_COLUMNS
from mlcards.store import Store

NOW = f"{HISTORY_TODAY}T20:00:00+00:00"


@pytest.fixture
def history(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with Store.open(db_path) as store:
        build_history(store)
    monkeypatch.setenv("MLCARDS_NOW", NOW)
    return db_path


def db_rows(db_path: Path, sql: str = "SELECT * FROM reviews ORDER BY id") -> list[dict[str, Any]]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def test_reviews_csv_round_trip_matches_the_database(
    capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    code, out, err = run(capsys, "export", "reviews", "--format", "csv")
    assert code == 0 and err == ""
    assert out.startswith(",".join(REVIEW_COLUMNS) + "\r\n")
    parsed = list(csv.DictReader(io.StringIO(out, newline="")))
    expected = db_rows(history)
    assert len(parsed) == len(expected) == 38
    for got, row in zip(parsed, expected, strict=True):
        assert list(got) == list(REVIEW_COLUMNS)
        assert got == {k: str(row[k]) for k in REVIEW_COLUMNS}
    # RFC 4180: the JSON list of chosen ids is quoted, its quotes doubled.
    assert '"[""b""]"' in out


def test_reviews_json_round_trip_matches_the_database(
    capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    code, out, _ = run(capsys, "export", "reviews", "--format", "json")
    assert code == 0
    parsed = json.loads(out)
    expected = db_rows(history)
    assert len(parsed) == len(expected)
    for got, row in zip(parsed, expected, strict=True):
        assert list(got) == list(REVIEW_COLUMNS)
        assert got["chosen"] == json.loads(row["chosen"])
        for flag in ("correct", "same_day_repeat", "was_new"):
            assert got[flag] is bool(row[flag])
        rest = set(REVIEW_COLUMNS) - {"chosen", "correct", "same_day_repeat", "was_new"}
        assert {k: got[k] for k in rest} == {k: row[k] for k in rest}
    assert parsed[0]["reviewed_at"] == "2026-01-01T12:00:00.000Z"


def test_export_to_a_file_then_since_and_deck_filters(
    capsys: pytest.CaptureFixture[str], history: Path, tmp_path: Path
) -> None:
    target = tmp_path / "reviews.csv"
    code, out, _ = run(capsys, "export", "reviews", "-o", str(target))
    assert code == 0 and out == ""
    assert target.read_bytes().count(b"\r\n") == 39  # header + 38 rows
    code, out, _ = run(capsys, "export", "reviews", "-f", "json", "--since", "2026-03-17")
    assert [(r["card_id"], r["study_day"]) for r in json.loads(out)] == [
        ("leech", "2026-03-17"),
        ("m1", "2026-03-20"),
        ("b1", "2026-03-20"),
    ]
    code, out, _ = run(capsys, "export", "reviews", "-f", "json", "--deck", "beta")
    assert [r["card_id"] for r in json.loads(out)] == ["b1"] * 3
    code, out, _ = run(capsys, "export", "reviews", "-f", "json", "--since", "2027-01-01")
    assert json.loads(out) == []


def test_cards_export_has_schedule_and_counts(
    capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    code, out, _ = run(capsys, "export", "cards", "-f", "json")
    assert code == 0
    cards = {(c["deck_id"], c["card_id"]): c for c in json.loads(out)}
    assert len(cards) == 8  # retired b2 included
    assert list(cards[("alpha", "leech")]) == list(serialise.CARD_COLUMNS)
    assert cards[("alpha", "leech")] | {"title": None} == {
        "deck_id": "alpha",
        "card_id": "leech",
        "title": None,
        "stage": "learning",
        "retired": False,
        "repetitions": 1,
        "easiness": 1.3,
        "interval": 1,
        "due": "2026-03-18",
        "reviews": 17,
        "correct": 9,
        "accuracy": round(9 / 17, 4),
        "lapses": 8,
        "last_review": "2026-03-17T12:00:00.000Z",
        "stability": None,
        "difficulty": None,
    }
    assert cards[("alpha", "a3")]["stage"] == "new" and cards[("alpha", "a3")]["reviews"] == 0
    assert cards[("beta", "b2")]["stage"] == "retired"
    assert cards[("alpha", "a3")]["accuracy"] is None
    # --since counts only reviews from that day on
    code, out, _ = run(capsys, "export", "cards", "--since", "2026-03-16", "--deck", "alpha")
    rows = {r["card_id"]: r for r in csv.DictReader(io.StringIO(out, newline=""))}
    assert set(rows) == {"m1", "m2", "a1", "a2", "a3", "leech"}
    assert (rows["leech"]["reviews"], rows["leech"]["lapses"]) == ("2", "1")
    assert rows["a3"]["due"] == "" and rows["a3"]["accuracy"] == ""


def test_csv_quotes_commas_quotes_and_unicode(
    capsys: pytest.CaptureFixture[str], db_path: Path, tmp_path: Path
) -> None:
    title = 'Size, "batch" & µ'
    with Store.open(db_path) as store:
        from helpers import at

        store.decks.import_decks([tagged_deck("d", [("x", ["t"])], title=title)], at("2026-03-01"))
    target = tmp_path / "cards.csv"
    assert run(capsys, "export", "cards", "-o", str(target))[0] == 0
    raw = target.read_bytes()
    assert '"Size, ""batch"" & µ"'.encode() in raw
    (row,) = csv.DictReader(io.StringIO(raw.decode("utf-8"), newline=""))
    assert row["title"] == title


@pytest.mark.parametrize(
    ("error", "code"), [(OSError(28, "No space left on device"), 73), (KeyboardInterrupt(), 130)]
)
def test_interrupted_export_leaves_the_existing_file_untouched(
    capsys: pytest.CaptureFixture[str],
    history: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
    code: int,
) -> None:
    target = tmp_path / "reviews.csv"
    target.write_bytes(b"precious,old,export\r\n")
    before = target.read_bytes()
    real = serialise.write_csv
    written: list[int] = []

    def failing(stream: Any, columns: Any, rows: Any, **options: Any) -> int:
        def some_then_fail() -> Iterator[Any]:
            for n, row in enumerate(rows):
                if n == 5:
                    raise error
                written.append(n)
                yield row

        return real(stream, columns, some_then_fail(), **options)

    monkeypatch.setattr(serialise, "write_csv", failing)
    got, _, err = run(capsys, "export", "reviews", "-o", str(target))
    assert got == code
    assert written == [0, 1, 2, 3, 4]  # it really failed half-way
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlcards-home", "reviews.csv"]
    if code == 73:
        assert "No space left on device" in err


def test_output_in_a_missing_folder_exits_66(
    capsys: pytest.CaptureFixture[str], history: Path, tmp_path: Path
) -> None:
    code, _, err = run(capsys, "export", "reviews", "-o", str(tmp_path / "nope" / "r.csv"))
    assert code == 66 and "no such folder" in err


def test_bad_format_and_csv_stats_are_usage_errors(
    capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    code, _, err = run(capsys, "export", "reviews", "--format", "xml")
    assert code == 2 and "xml" in err
    code, _, err = run(capsys, "export", "stats", "--format", "csv")
    assert code == 2 and "use --format json" in err
    code, _, err = run(capsys, "export", "tags")
    assert code == 2
    code, _, err = run(capsys, "export", "reviews", "--since", "last week")
    assert code == 2 and "not a date" in err
    code, _, err = run(capsys, "export", "reviews", "--deck", "gamma")
    assert code == 2 and "no deck 'gamma'" in err


def test_stats_json_and_export_stats_agree(
    capsys: pytest.CaptureFixture[str], history: Path, tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "stats", "--json")
    assert code == 0
    doc = json.loads(out)
    assert list(doc) == [
        "today",
        "window",
        "filter",
        "totals",
        "today_activity",
        "streak",
        "calendar",
        "forecast",
        "retention",
        "stages",
        "easiness",
        "intervals",
        "accuracy_by_deck",
        "accuracy_by_tag",
        "hardest",
        "leeches",
        "distractors",
        "retrievability",
    ]
    assert doc["totals"]["answers"] == 38  # every row of the log is in the year
    assert doc["today"] == HISTORY_TODAY
    code, exported, _ = run(capsys, "export", "stats")
    assert code == 0 and json.loads(exported) == doc
    target = tmp_path / "stats.json"
    assert run(capsys, "export", "stats", "-f", "json", "-o", str(target))[0] == 0
    assert json.loads(target.read_text(encoding="utf-8")) == doc
    # --since on export stats is the window start, like --days on stats
    code, out, _ = run(capsys, "stats", "--json", "--days", "30")
    code, exported, _ = run(capsys, "export", "stats", "--since", "2026-02-19")
    assert json.loads(exported) == json.loads(out)
    assert json.loads(out)["totals"]["answers"] == 30


def test_stats_json_agrees_with_the_database(
    capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    doc = json.loads(run(capsys, "stats", "--json")[1])
    ((answers, correct, time_ms, days),) = [
        tuple(r.values())
        for r in db_rows(
            history,
            "SELECT count(*), sum(correct), sum(response_ms), count(DISTINCT study_day) "
            "FROM reviews",
        )
    ]
    totals = doc["totals"]
    assert (totals["answers"], totals["correct"], totals["time_ms"], totals["study_days"]) == (
        answers,
        correct,
        time_ms,
        days,
    )
    by_deck = db_rows(
        history,
        "SELECT deck_id AS deck, count(*) AS answers, sum(correct) AS correct FROM reviews "
        "GROUP BY deck_id ORDER BY deck_id",
    )
    assert [{k: d[k] for k in ("deck", "answers", "correct")} for d in doc["accuracy_by_deck"]] == (
        by_deck
    )
    calendar = db_rows(
        history,
        "SELECT study_day AS day, count(*) AS answers, sum(correct) AS correct FROM reviews "
        "GROUP BY study_day ORDER BY study_day",
    )
    assert doc["calendar"] == calendar


def test_stats_dashboard_on_the_command_line(
    capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    code, out, _ = run(capsys, "stats")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "Hardest cards" in out and "alpha/leech" in out
    code, out, _ = run(capsys, "stats", "--deck", "beta", "--days", "7")
    assert code == 0 and "deck beta" in out and "alpha/leech" not in out
    code, _, err = run(capsys, "stats", "--deck", "gamma")
    assert code == 2 and "no deck 'gamma'" in err
    code, _, err = run(capsys, "stats", "--days", "0")
    assert code == 2


def test_stats_with_no_reviews_says_so_plainly(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "stats")
    assert (code, err) == (0, "")
    assert out.startswith("No reviews in the last 365 days yet: nothing to show.")
    assert "Reviews per day" not in out
    code, out, _ = run(capsys, "stats", "--json")
    assert code == 0 and json.loads(out)["totals"]["answers"] == 0
    code, out, _ = run(capsys, "export", "reviews", "-f", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(capsys, "export", "reviews")
    assert code == 0 and out == ",".join(REVIEW_COLUMNS) + "\r\n"


@pytest.mark.parametrize("raw", [False, True])
def test_review_csv_escaped_in_sql_equals_the_cell_by_cell_escape(history: Path, raw: bool) -> None:
    """The review export escapes formula cells in SQL (so rows reach the csv writer whole):
    the bytes must be what ``spreadsheet_safe`` on every cell gives."""
    from mlcards.services.progress import export
    from mlcards.store import Scope

    hostile = ["=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "\tx", "\ry", "plain", "'q", "-"]
    with Store.open(history) as store:
        conn = store.conn
        conn.execute(
            "INSERT INTO decks (id, name, position, imported_at) VALUES ('=d', 'D', 9, 'x')"
        )
        for i, card in enumerate(hostile):
            conn.execute(
                "INSERT INTO cards (deck_id, id, position, content, added_at, updated_at) "
                "VALUES ('=d', ?, ?, '{}', 'x', 'x')",
                (card, i),
            )
            conn.execute(
                "INSERT INTO reviews (deck_id, card_id, reviewed_at, study_day, chosen, "
                "correct, quality, response_ms, same_day_repeat, was_new, repetitions, "
                "easiness, interval, due, mode) "
                "VALUES ('=d', ?, '2026-03-20T12:00:00Z', '2026-03-20', '[]', 0, 1, 5, 0, 1, "
                "0, 2.5, 1, '2026-03-21', 'review')",
                (card,),
            )
        expected = io.StringIO(newline="")
        serialise.write_csv(
            expected, REVIEW_COLUMNS, store.log.export_rows(Scope()), escape_formulas=not raw
        )
        got = io.StringIO(newline="")
        export(store, got, "reviews", "csv", Scope(), raw=raw)
    assert got.getvalue() == expected.getvalue()
    assert ("'=HYPERLINK(1)" in got.getvalue()) is not raw
    assert got.getvalue().count("'=d") == (0 if raw else len(hostile))


def test_every_text_column_of_the_review_log_is_escaped_or_checked(history: Path) -> None:
    """The CSV export escapes only ``REVIEW_FREE_TEXT``; every other text column must be one
    whose values are checked before they are written (dates, the mode), so a new text
    column has to be placed on one side or the other."""
    from mlcards.statsdata import REVIEW_FREE_TEXT

    checked = {"reviewed_at", "study_day", "due", "mode"}
    with Store.open(history) as store:
        info = store.conn.execute("PRAGMA table_info(reviews)").fetchall()
    text = {name for _, name, kind, *_ in info if kind == "TEXT" and name in REVIEW_COLUMNS}
    assert text == REVIEW_FREE_TEXT | checked
