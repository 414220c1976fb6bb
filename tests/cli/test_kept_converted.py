"""The kept YAML of a converted deck (reliability issue, item 8): written only by an import
that succeeds, never over the learner's edits, and owned by one source file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import TESTS, run

DATA = TESTS / "data" / "formats"


@pytest.fixture
def quiz(tmp_path: Path) -> Path:
    folder = tmp_path / "a"
    folder.mkdir()
    return Path(shutil.copy(DATA / "csv-mmlu.csv", folder / "quiz.csv"))


def test_edits_in_the_kept_yaml_are_never_overwritten(
    quiz: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", str(quiz))[0] == 0
    kept = isolated_home / "converted" / "quiz.yaml"
    edited = kept.read_text() + "# my note\n"
    kept.write_text(edited)
    code, _, err = run(capsys, "import", str(quiz))
    assert code == 65
    assert "edited since it was converted" in err and "mlcards import" in err
    assert kept.read_text() == edited
    assert run(capsys, "import", str(kept))[0] == 0  # the way the message gives


def test_a_same_named_file_from_another_folder_does_not_take_the_deck_over(
    quiz: Path, tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", str(quiz))[0] == 0
    other = tmp_path / "b"
    other.mkdir()
    second = Path(shutil.copy(DATA / "csv-header.csv", other / "quiz.csv"))
    kept = isolated_home / "converted" / "quiz.yaml"
    before = kept.read_bytes()
    code, _, err = run(capsys, "import", str(second))
    assert code == 65 and "belongs to the deck converted from" in err and str(quiz) in err
    assert kept.read_bytes() == before
    code, out, _ = run(capsys, "status", "--json")
    assert code == 0
    code, _, err = run(capsys, "import", "--replace", str(second))
    assert code == 0, err
    record = json.loads((isolated_home / "converted" / "quiz.yaml.json").read_text())
    assert record["source"] == str(second)


def test_a_refused_import_leaves_the_kept_yaml_as_it_was(
    quiz: Path, tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", str(quiz))[0] == 0
    kept = isolated_home / "converted" / "quiz.yaml"
    before = kept.read_bytes()
    changed = quiz.read_text().replace("convex loss", "convex loss function")
    assert changed != quiz.read_text()
    quiz.write_text(changed)  # a changed source, while another file owns the deck id:
    clash = tmp_path / "clash.yaml"
    clash.write_text(kept.read_text().replace("name:", "name: other #", 1))
    assert run(capsys, "import", "--replace", str(clash))[0] == 0
    code, _, err = run(capsys, "import", str(quiz))  # refused: the id belongs to clash.yaml
    assert code == 65, err
    assert kept.read_bytes() == before
