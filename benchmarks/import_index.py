"""What keeping the full-text index in step costs an import: 10,000 cards into a new database.

    python benchmarks/import_index.py [--runs 5]

Uses the YAML files ``generate.py`` wrote under benchmarks/work/import. Two measurements:

- whole processes, as ``run.py``'s row 3 does: ``mlcards import --json FILES`` into a new
  database beside the YAML parse floor (``floors.py yaml``), contenders taking turns;
- in process, the database work alone (``Store.decks.import_decks``: one transaction per
  deck), and within it the index update (``Database._flush_card_text``: one
  ``INSERT ... SELECT`` of the cards the transaction changed), the median of ``--runs``.

Prints a Markdown section (for SEARCH.md's notes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402


def database_work(files: list[str], runs: int) -> tuple[float, float]:
    """Median seconds of the database work of an import and of its index update."""
    from datetime import UTC, datetime

    from mlcards.deck import load_decks
    from mlcards.store import Store
    from mlcards.store.db import Database

    decks = load_decks([Path(f) for f in files])
    flush = Database._flush_card_text
    spent = [0.0]

    def timed(self: Database) -> None:
        start = time.perf_counter()
        flush(self)
        spent[0] += time.perf_counter() - start

    Database._flush_card_text = timed  # type: ignore[method-assign]
    totals, index = [], []
    try:
        for _ in range(runs):
            with (
                tempfile.TemporaryDirectory() as folder,
                Store.open(Path(folder) / "m.db") as store,
            ):
                spent[0] = 0.0
                start = time.perf_counter()
                store.decks.import_decks(decks, datetime(2026, 11, 25, tzinfo=UTC))
                totals.append(time.perf_counter() - start)
                index.append(spent[0])
    finally:
        Database._flush_card_text = flush  # type: ignore[method-assign]
    return statistics.median(totals), statistics.median(index)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args(argv)
    files = sorted(str(p) for p in (args.work / "import").glob("*.yaml"))
    if not files:
        raise SystemExit("no files under work/import: run benchmarks/generate.py first")
    scratch = Path(tempfile.mkdtemp(prefix="mlcards-import-"))
    home, db = scratch / "home", scratch / "import.db"
    home.mkdir()
    env = {**os.environ, "MLCARDS_HOME": str(home), "TZ": "UTC", "NO_COLOR": "1"}
    env.pop("MLCARDS_DB", None)
    installed = run.compile_bytecode(env)

    def fresh() -> None:
        for p in db.parent.glob(db.name + "*"):
            shutil.rmtree(p) if p.is_dir() else p.unlink()

    row = [
        run.Contender(
            "`mlcards import` (new database)",
            [*run.mlcards_command(), "--db", str(db), "import", "--json", *files],
            setup=fresh,
        ),
        run.Contender(
            "floor: `yaml.load(CSafeLoader)` of the files",
            [run.PY, str(HERE / "floors.py"), "yaml", *files],
        ),
    ]
    measured = run.measure(row, env, args.runs, 1)
    work, index = database_work(files, args.runs)
    lines = [
        "## Importing 10,000 cards with the search index kept in step",
        "",
        *run.machine(),
        f"- {installed}",
        "",
        *run.table(measured, measured[1].label),
        "",
        f"In process (median of {args.runs}): the database work of the import "
        f"(`import_decks`) {work * 1000:.0f} ms, of which the index update "
        f"{index * 1000:.0f} ms ({index / work:.0%}).",
        "",
    ]
    shutil.rmtree(scratch, ignore_errors=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
