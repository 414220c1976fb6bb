"""What ``mlcards import`` of YAML decks does not import: the converters of other formats
(``mlcards.formats``), and with ``--json`` rich's summary table (about 40 ms of an import);
and what ``export apkg`` of plain text does not: the package import's own modules (the
YAML loader, the converters) and markdown-it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers import deck_yaml, write

CODE = """\
import sys
sys.argv = ['mlcards', *sys.argv[1:]]
from mlcards.launch import main
try:
    main()
except SystemExit:
    pass
print(sorted({m.split('.')[0] if m.startswith(('rich', 'markdown_it')) else m
              for m in sys.modules
              if m in ('mlcards.formats', 'mlcards.deck', 'mlcards.anki.notes', 'yaml')
              or m.startswith(('rich', 'markdown_it'))}))
"""


def imported_after(home: Path, *args: str) -> tuple[list[str], list[str]]:
    """What the command printed (its lines), and the modules of interest it imported."""
    env = {**os.environ, "MLCARDS_HOME": str(home), "COLUMNS": "100"}
    env.pop("MLCARDS_DB", None)
    done = subprocess.run(
        [sys.executable, "-c", CODE, *args], env=env, capture_output=True, text=True, check=True
    )
    *printed, modules = done.stdout.strip().splitlines()
    return printed, eval(modules)  # noqa: S307 (a printed list of names)


def test_a_yaml_import_with_json_imports_no_converter_and_no_rich(tmp_path: Path) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    printed, modules = imported_after(tmp_path / "home", "import", "--json", str(deck))
    report: Any = json.loads("\n".join(printed))
    assert [d["added"] for d in report["decks"]] == [["c1", "c2", "c3"]]
    assert modules == ["mlcards.deck", "yaml"]  # the deck file's own reader, no more


def test_an_apkg_export_of_plain_text_imports_no_yaml_converter_or_markdown_parser(
    tmp_path: Path,
) -> None:
    home, package = tmp_path / "home", tmp_path / "toy.apkg"
    imported_after(home, "import", "--json", str(write(tmp_path / "toy.yaml", deck_yaml())))
    _, modules = imported_after(home, "export", "apkg", "-o", str(package))
    assert package.is_file() and modules == []
    _, modules = imported_after(home, "export", "apkg", "--history", "-o", str(package))
    assert modules == []
