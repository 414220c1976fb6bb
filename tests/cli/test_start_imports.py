"""What the everyday commands do not import: rich for ``status`` to a pipe (``render/
plain.py``), YAML when no deck file changed (``follow_deck_files``, on every review start)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import deck_yaml, write


def modules_after(code: str, home: Path) -> list[str]:
    env = {**os.environ, "MLCARDS_HOME": str(home), "COLUMNS": "100"}
    env.pop("MLCARDS_DB", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()


@pytest.mark.slow
def test_status_to_a_pipe_imports_no_rich(tmp_path: Path) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    code = (
        "import sys\nsys.argv = ['mlcards', *sys.argv[1:]]\n"
        "from mlcards.launch import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "print([m for m in sys.modules if m.split('.')[0] in ('rich', 'typer')])"
    )
    modules_after(f"import sys; sys.argv = ['x', 'import', {str(deck)!r}]\n" + code, tmp_path)
    lines = modules_after(code.replace("sys.argv[1:]", "['status']"), tmp_path)
    assert lines[-1] == "[]"
    assert any(line.startswith(" toy ") for line in lines)  # the table was printed


@pytest.mark.slow
def test_unchanged_deck_files_are_not_read_as_yaml(tmp_path: Path) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    code = (
        "import sys\nfrom mlcards.clock import now\nfrom mlcards.config import db_path\n"
        "from mlcards.services.decks import follow_deck_files\nfrom mlcards.store import Store\n"
        "with Store.open(db_path(None)) as store:\n"
        "    print(follow_deck_files(store, now()))\n"
        "print('yaml' in sys.modules)"
    )
    env = {**os.environ, "MLCARDS_HOME": str(tmp_path / "home")}
    env.pop("MLCARDS_DB", None)
    imported = [sys.executable, "-m", "mlcards", "import", str(deck)]
    subprocess.run(imported, env=env, capture_output=True, check=True)
    assert modules_after(code, tmp_path / "home")[-2:] == ["([], [])", "False"]
    deck.write_text(deck_yaml(cards=("c1", "c2")), encoding="utf-8")
    assert modules_after(code, tmp_path / "home")[-1] == "True"  # a changed file is read


def test_opening_the_store_leaves_the_stats_unimported(tmp_path: Path) -> None:
    """The review and ``status`` open the store: the stats' queries and data types load only
    when something asks for ``store.stats`` (about 5 ms of every review's start). The
    database already exists, as on every day but the first (a new one's migrations build
    the stats' indexes)."""
    modules_after(
        f"from mlcards.store import Store; Store.open({str(tmp_path / 'x.db')!r})", tmp_path
    )
    code = (
        "import sys\nfrom mlcards.store import Store\n"
        f"store = Store.open({str(tmp_path / 'x.db')!r})\n"
        "print('mlcards.statsdata' in sys.modules, 'mlcards.store.stats' in sys.modules)\n"
        "store.stats\n"
        "print('mlcards.statsdata' in sys.modules, 'mlcards.store.stats' in sys.modules)"
    )
    assert modules_after(code, tmp_path)[-2:] == ["False False", "True True"]
