"""The benchmark harness runs end to end at a tiny size (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

RUN = ROOT / "benchmarks" / "run.py"


@pytest.mark.slow
@pytest.mark.skipif(not RUN.exists(), reason="benchmarks/ is not shipped in the sdist")
def test_harness_writes_a_results_table(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    args = ["--cards", "200", "--reviews", "2000", "--import-cards", "100", "--answers", "5"]
    subprocess.run(
        [sys.executable, str(RUN), *args, "--runs", "1", "--warmup", "0"]
        + ["--work", str(tmp_path / "work"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    text = out.read_text()
    for heading in ("## Machine", "## Targets", "## 1. Status", "## 2. Statistics", "## 3. Import"):
        assert heading in text
    for heading in ("## 4. Exporting 2,000 reviews", "## 5. Answering", "## 6. Start-up"):
        assert heading in text
    assert "## 7. `mlcards review`: start to the first card drawn" in text
    assert "| review start to first card (absolute) |" in text
    assert "| stats flat in the log |" in text and "bytecode compiled by the harness" in text
    assert "| `mlcards status --json` |" in text
    assert "200 cards in 10 decks and 2,000 reviews" in text


APKG = RUN.parent / "apkg_export.py"


@pytest.mark.slow
@pytest.mark.skipif(not APKG.exists(), reason="benchmarks/ is not shipped in the sdist")
def test_apkg_benchmark_writes_its_table(tmp_path: Path) -> None:
    pytest.importorskip("anki")
    out = tmp_path / "APKG_RESULTS.md"
    subprocess.run(
        [sys.executable, str(APKG), "--cards", "200", "--reviews", "2000", "--runs", "1"]
        + ["--warmup", "0", "--work", str(tmp_path / "work"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    text = out.read_text()
    assert "| mlcards export apkg --history |" in text
    assert "| Anki export_anki_package (latest) |" in text
    assert "mlcards' package gave 200 cards" in text and "2,000 review-log rows" in text
