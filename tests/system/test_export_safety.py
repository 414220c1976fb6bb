"""Where exports go and what they hold: through a symlink, straight into a FIFO or
/dev/stdout, and CSV cells a spreadsheet would run as a formula escaped."""

from __future__ import annotations

import io
import json
import os
import threading
from pathlib import Path

import pytest
from helpers import run_child as run
from helpers import write

pytestmark = pytest.mark.slow  # the real command in child processes (FIFOs, /dev/stdout)


def test_export_writes_through_a_symlink(home: Path, db: Path, tmp_path: Path) -> None:
    target = write(tmp_path / "real.csv", "old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    result = run(home, "export", "reviews", "-o", str(link))
    assert result.code == 0, result.err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("id,deck_id,card_id")


def test_export_writes_to_a_fifo_or_dev_stdout_directly(
    home: Path, db: Path, tmp_path: Path
) -> None:
    result = run(home, "export", "cards", "-o", "/dev/stdout")
    assert result.code == 0 and result.out.startswith("deck_id,card_id")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = run(home, "export", "cards", "-o", str(fifo), timeout=30)
    reader.join(timeout=30)
    assert result.code == 0 and received[0].startswith(b"deck_id,card_id")
    assert fifo.exists() and not fifo.is_file()  # still the FIFO


def test_csv_cells_a_spreadsheet_would_run_are_escaped(home: Path, tmp_path: Path) -> None:
    formulas = ['=HYPERLINK("https://evil.example","x")', "+1+1", "-1+1", "@SUM(A1)"]
    cards = "".join(
        f"  - id: c{i}\n    title: '{title}'\n    question: Q?\n    choices:\n"
        "      - {id: a, text: A}\n      - {id: b, text: B}\n    answer: a\n"
        "    explanation: E.\n"
        for i, title in enumerate(formulas)
    )
    deck = write(tmp_path / "f.yaml", f"id: f\nname: F\ncards:\n{cards}")
    assert run(home, "import", str(deck)).code == 0
    out = run(home, "export", "cards").out
    import csv as csv_module

    titles = [row["title"] for row in csv_module.DictReader(io.StringIO(out))]
    assert titles == ["'" + f for f in formulas]
    raw = run(home, "export", "cards", "--raw").out
    assert [r["title"] for r in csv_module.DictReader(io.StringIO(raw))] == formulas
    data = json.loads(run(home, "export", "cards", "--format", "json").out)
    assert [c["title"] for c in data] == formulas  # JSON is not a spreadsheet
