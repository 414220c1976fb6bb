"""`mlcards convert` and `mlcards import` of CSV/TSV and GIFT files, through the CLI."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from helpers import ROOT, TESTS, mmlu_rows, run

from mlcards.deck import load_deck, parse_deck

DATA = TESTS / "data" / "formats"
GIFT = DATA / "gift-everything.gift"


def mmlu_file(folder: Path, count: int = 120) -> tuple[Path, list[str]]:
    rows = mmlu_rows(count)
    path = folder / "mmlu_ml.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(cells for cells, _ in rows)
    return path, [key for _, key in rows]


def test_convert_writes_a_deck_the_strict_loader_accepts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "convert", str(GIFT))
    assert code == 0
    deck = parse_deck(out, "converted.yaml")
    assert deck.id == "gift-everything" and len(deck.cards) == 14
    skipped = [line for line in err.splitlines() if ": skipped " in line]
    assert len(skipped) == 6 and all(line.startswith(f"{GIFT}:") for line in skipped)


def test_convert_to_a_file_with_a_deck_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.yaml"
    code, out, err = run(
        capsys, "convert", str(DATA / "csv-mmlu.csv"), "-o", str(target), "--deck-id", "quiz"
    )
    assert code == 0 and out == ""
    assert "wrote 5 cards of deck quiz" in err
    assert load_deck(target).id == "quiz"


def test_convert_refuses_a_yaml_file_and_reports_broken_input(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "convert", str(DATA / "deck-feedback.yaml"))
    assert code == 2 and "not a .csv, .tsv, .gift, .jsonl or .json file" in err
    code, _, err = run(capsys, "convert", str(DATA / "gift-broken.gift"))
    assert code == 65 and f"{DATA / 'gift-broken.gift'}:" in err


def test_import_takes_csv_and_gift_directly_and_keeps_history(
    tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, keys = mmlu_file(tmp_path)
    code, out, err = run(capsys, "import", "--json", str(path), str(GIFT))
    assert code == 0, err
    doc = json.loads(out)
    assert [d["deck"] for d in doc["decks"]] == ["mmlu-ml", "gift-everything"]
    assert len(doc["decks"][0]["added"]) == 120 and len(doc["skipped"]) == 6
    kept = isolated_home / "converted" / "mmlu-ml.yaml"
    assert doc["converted"][0] == str(kept) and kept.is_file()
    db = sqlite3.connect(isolated_home / "mlcards.db")
    stored = db.execute(
        "SELECT json_extract(content, '$.answer') FROM cards WHERE deck_id = 'mmlu-ml' "
        "ORDER BY position"
    ).fetchall()
    assert [json.loads(a)[0] for (a,) in stored] == keys  # every key right
    path_row = db.execute("SELECT path FROM decks WHERE id = 'mmlu-ml'").fetchone()
    assert path_row == ("converted/mmlu-ml.yaml",)  # `e` edits the kept YAML (data-dir relative)
    db.close()
    code, out, _ = run(capsys, "import", "--json", str(path))  # the same file again
    again = json.loads(out)["decks"][0]
    assert code == 0 and again["added"] == [] and len(again["unchanged"]) == 120


def test_a_dry_run_converts_but_writes_nothing(
    tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "import", "--dry-run", "--json", str(GIFT))
    assert code == 0 and json.loads(out)["dry_run"] is True
    assert not (isolated_home / "converted").exists()
    assert not (isolated_home / "mlcards.db").exists()


def test_converted_round_trip_convert_import_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = mmlu_file(tmp_path, 12)
    assert run(capsys, "import", str(path))[0] == 0
    code, out, _ = run(capsys, "export", "cards", "--format", "json", "--deck", "mmlu-ml")
    assert code == 0
    exported = json.loads(out)
    assert len(exported) == 12 and {c["deck_id"] for c in exported} == {"mmlu-ml"}


def test_import_of_a_huge_answer_cell_is_a_clean_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.csv"
    path.write_text("Which?,yes,no," + "9" * 5000 + "\n", encoding="utf-8")
    for command in ("convert", "import"):
        code, _, err = run(capsys, command, str(path))
        assert code == 65, err
        assert f"{path}:1: answer '999" in err and "is not an answer" in err
        assert "Traceback" not in err and len(err) < 1000
    from mlcards.config import data_dir

    assert not list(data_dir().glob("*.db")), "nothing was written"


def test_convert_streams_and_reports_the_layout_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = DATA / "jsonl-hellaswag.jsonl"
    target = tmp_path / "hs.yaml"
    code, out, err = run(capsys, "convert", str(source), "-o", str(target))
    assert code == 0 and out == ""
    assert err.splitlines() == [
        f"{source}:2: skipped a record without an answer (empty or -1)",
        f"{source}: read as HellaSwag",
        "skipped 1 record or question; see the lines above",
        f"wrote 1 card of deck jsonl-hellaswag to {target}",
    ]
    assert load_deck(target).cards[0].id == "24"


BENCH = ROOT / "benchmarks" / "convert_memory.py"


@pytest.mark.slow
@pytest.mark.skipif(not BENCH.exists(), reason="benchmarks/ is not shipped in the sdist")
def test_the_convert_memory_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "50", "--work", str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = [line for line in done.stdout.splitlines() if line.startswith("| jsonl |")]
    rows += [line for line in done.stdout.splitlines() if line.startswith("| csv |")]
    assert [row.split("|")[2].strip() for row in rows] == ["10", "50", "10", "50"]
    assert all(row.rstrip(" |").endswith("| 0") for row in rows), done.stdout
