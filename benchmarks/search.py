"""Benchmark row: a text search over 100,000 cards, whole processes, mlcards beside Anki.

    python benchmarks/search.py [--cards 100000 --reviews 1000000 --runs 5]

Uses (or builds) the same collections as ``run.py`` (``generate.py``, under
benchmarks/work/) and times, taking turns as ``run.py`` does:

- ``mlcards cards QUERY --json``: parse the query, find the cards through the full-text
  index, read each match's schedule and latest answer, print them all as JSON;
- ``mlcards cards QUERY``: the same, printed as the table (no pager: stdout is a file);
- Anki: ``import anki``, open the collection, ``col.find_cards(QUERY)``, print the count.

Both sides start from nothing (the interpreter, the imports, opening the database). The
number of cards each finds is printed too: the same query over the same text finds the same
cards. Writes benchmarks/SEARCH.md (``--out``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
import run  # noqa: E402

GOAL = 0.5
"""mlcards's time at most this fraction of Anki's (issue 25)."""
QUERIES = ('"softmax logit"', '"kernel stride" -dropout')
"""A phrase (about three cards in a hundred have it), and one with a word left out."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--out", type=Path, default=HERE / "SEARCH.md")
    parser.add_argument("--no-anki", action="store_true")
    parser.add_argument(
        "--no-generate", action="store_true", help="use the work folder's databases as they are"
    )
    parser.add_argument("--anki-collection", type=Path, help="another Anki collection to search")
    args = parser.parse_args(argv)
    anki = run.anki_available() and not args.no_anki
    work: Path = args.work
    if not args.no_generate:
        subprocess.run(
            [run.PY, str(HERE / "generate.py"), "--cards", str(args.cards)]
            + ["--reviews", str(args.reviews), "--out", str(work)]
            + ([] if anki else ["--no-anki"]),
            check=True,
        )
    db, col = work / "mlcards.db", args.anki_collection or work / "collection.anki2"
    home = work / "scratch" / "search-home"
    home.mkdir(parents=True, exist_ok=True)
    env = run.bench_env(home, db)
    ml = run.mlcards_command()
    installed = run.compile_bytecode(env)  # as run.py does: no process compiles mlcards
    # Once, untimed: a database from before the search index gets it here (its migration),
    # and the daily backup is made. Its verdict is not this row's business: the generated
    # schedules may differ from a replay (the generator's fuzz), which check reports.
    subprocess.run([*ml, "check"], env=env, check=False, capture_output=True)
    lines = [
        "# Search: a text query over the benchmark collection",
        "",
        f"Written by `benchmarks/search.py` on {time.strftime('%Y-%m-%d')}; "
        f"{args.runs} measured runs after {args.warmup} warm-up, contenders taking turns.",
        "",
        *run.machine(),
        f"- {installed}",
        f"- {args.cards:,} cards in {generate.DECKS} decks, {args.reviews:,} reviews "
        "(`benchmarks/generate.py`)",
        "",
    ]
    ratios = []
    for query in QUERIES:
        row = [
            run.Contender(f"`mlcards cards '{query}' --json`", [*ml, "cards", query, "--json"]),
            run.Contender(f"`mlcards cards '{query}'` (table)", [*ml, "cards", query]),
        ]
        if anki:
            row.append(
                run.Contender(
                    f"Anki: open + `col.find_cards('{query}')`",
                    [run.PY, str(HERE / "anki_ops.py"), "find", str(col), query],
                )
            )
        print(f"measuring {query}", file=sys.stderr)
        measured = run.measure(row, env, args.runs, args.warmup)
        found = len(json.loads(measured[0].outputs[0]))
        lines += [f"## `{query}`", "", f"mlcards finds {found:,} cards"]
        if anki:
            lines[-1] += f"; Anki finds {int(measured[-1].outputs[0]):,}"
            ratios.append(measured[0].median / measured[-1].median)
        lines += ["", *run.table(measured, measured[-1].label if anki else None), ""]
    if ratios:
        worst = max(ratios)
        met = "met" if worst <= GOAL else "missed"
        lines += [
            f"Target: mlcards (JSON) at most {GOAL}x Anki's time: **{met}** (worst {worst:.2f}x).",
            "",
        ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
