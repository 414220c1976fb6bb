"""Export of 10,000 cards with their history as an .apkg: mlcards side by side with Anki.

    python benchmarks/apkg_export.py [--cards 10000 --reviews 100000 --runs 5]

The same cards and review log (``generate.py``: a seeded simulation, in an mlcards database
and an Anki collection) are exported by ``mlcards export apkg --history`` and by Anki's own
``export_anki_package`` with scheduling, in its latest format (zstd, schema 18) and in its
legacy one (schema 11, as mlcards writes). Whole processes, alternating, medians; peak memory
is the process's own (GNU time, else ``ru_maxrss``). Prints a Markdown table and writes it to
``benchmarks/APKG_RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
import run  # noqa: E402


def anki_export(collection: str, target: str, legacy: bool) -> None:
    """One Anki export (run as its own process by the benchmark)."""
    from anki.collection import Collection, ExportAnkiPackageOptions

    col = Collection(collection)
    try:
        options = ExportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=True, with_media=False, legacy=legacy
        )
        col.export_anki_package(out_path=target, options=options, limit=None)
    finally:
        col.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--work", type=Path, default=HERE / "work-apkg")
    parser.add_argument("--out", type=Path, default=HERE / "APKG_RESULTS.md")
    parser.add_argument("--anki-export", nargs=3, metavar=("COLLECTION", "TARGET", "LEGACY"))
    args = parser.parse_args(argv)
    if args.anki_export:
        collection, target, legacy = args.anki_export
        anki_export(collection, target, legacy == "1")
        return
    has_anki = run.anki_available()
    generate.generate(args.work, args.cards, args.reviews, 0, generate.SEED, has_anki)
    env = {**os.environ, "MLCARDS_NOW": generate.NOW, "MLCARDS_HOME": str(args.work / "home")}
    env.pop("MLCARDS_DB", None)
    db = args.work / "mlcards.db"
    outputs = {
        "mlcards": args.work / "mlcards.apkg",
        "anki-latest": args.work / "anki-latest.apkg",
        "anki-legacy": args.work / "anki-legacy.apkg",
    }
    contenders = [
        run.Contender(
            "mlcards export apkg --history",
            [
                *run.mlcards_command(),
                "--db",
                str(db),
                "export",
                "apkg",
                "--history",
                "-o",
                str(outputs["mlcards"]),
            ],
        )
    ]
    if has_anki:
        collection = str(args.work / "collection.anki2")
        for label, legacy in (("anki-latest", "0"), ("anki-legacy", "1")):
            contenders.append(
                run.Contender(
                    f"Anki export_anki_package ({label.split('-')[1]})",
                    [run.PY, __file__, "--anki-export", collection, str(outputs[label]), legacy],
                )
            )
    results = run.measure(contenders, env, args.runs, args.warmup)
    sizes = {label: path.stat().st_size for label, path in outputs.items() if path.exists()}
    lines = [
        "# Exporting an .apkg: mlcards and Anki",
        "",
        f"{args.cards:,} cards and {args.reviews:,} reviews (benchmarks/generate.py, seed "
        f"{generate.SEED}); {args.runs} runs after {args.warmup} warm-up, alternating.",
        "",
        *run.machine(),
        "",
        *run.table(results, "mlcards export apkg --history"),
        "",
        "| package | bytes |",
        "| --- | ---: |",
        *(f"| {label} | {size:,} |" for label, size in sizes.items()),
    ]
    if outputs["mlcards"].exists():
        with zipfile.ZipFile(outputs["mlcards"]) as archive:
            names = ", ".join(sorted(archive.namelist()))
        lines += ["", f"mlcards' package holds: {names}."]
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
