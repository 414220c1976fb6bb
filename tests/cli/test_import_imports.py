"""What ``mlcards import`` of YAML decks does not import: the converters of other formats
(``mlcards.formats``), and with ``--json`` rich's summary table (about 40 ms of an import)."""

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
print(sorted({m.split('.')[0] if m.startswith('rich') else m for m in sys.modules
              if m == 'mlcards.formats' or m.startswith('rich')}))
"""


def imported_after(home: Path, *args: str) -> tuple[Any, list[str]]:
    env = {**os.environ, "MLCARDS_HOME": str(home), "COLUMNS": "100"}
    env.pop("MLCARDS_DB", None)
    done = subprocess.run(
        [sys.executable, "-c", CODE, *args], env=env, capture_output=True, text=True, check=True
    )
    *report, modules = done.stdout.strip().splitlines()
    return json.loads("\n".join(report)), eval(modules)  # noqa: S307 (a printed list of names)


def test_a_yaml_import_with_json_imports_no_converter_and_no_rich(tmp_path: Path) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    report, modules = imported_after(tmp_path / "home", "import", "--json", str(deck))
    assert [d["added"] for d in report["decks"]] == [["c1", "c2", "c3"]]
    assert modules == []
