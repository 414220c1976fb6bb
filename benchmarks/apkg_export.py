"""Export of 10,000 cards with their history as an .apkg: mlcards side by side with Anki.

    python benchmarks/apkg_export.py [--cards 10000 --reviews 100000 --runs 5]

The same cards and review log (``generate.py``: a seeded simulation, in an mlcards database
and an Anki collection) are exported by ``mlcards export apkg --history`` and by Anki's own
``export_anki_package`` with scheduling, in its latest format (zstd, schema 18) and in its
legacy one (schema 11, as mlcards writes). Whole processes, alternating, medians of CPU time
(user + system), wall time and peak memory (GNU time's, as run.py), then where mlcards'
CPU goes stage by stage (``--split DB`` alone prints that). Prints a Markdown table and
writes it to ``benchmarks/APKG_RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def stage_split(db: str) -> None:
    """Where one export's CPU goes, stage by stage in one process (run by the benchmark as
    its own process; prints ``stage<TAB>seconds`` lines). The stages are the export's own
    pieces run one after another over lists, so they hold what the streamed export never
    does: only the seconds are comparable."""
    from datetime import date

    started = time.process_time()
    from mlcards.anki.collection import CollectionWriter
    from mlcards.anki.package import write_package
    from mlcards.services import anki as service
    from mlcards.store import Scope, Store

    seconds = {"imports (services.anki, store)": time.process_time() - started}

    def stage(name: str, work: Callable[[], Any]) -> Any:
        began = time.process_time()
        value = work()
        seconds[name] = time.process_time() - began
        return value

    store = Store.open(Path(db))
    with store.read():
        cards = stage("reading the cards (store)", lambda: list(store.cards.active_stream()))
        log = stage("reading the log (store)", lambda: list(store.log.graded_rows(Scope())))
    store.close()
    decks: dict[str, int] = {}
    card_ids: dict[tuple[str, str], int] = {}
    result = service.Exported(Path(db))
    today = date.fromisoformat(generate.NOW[:10])
    rows = stage(
        "notes and HTML (card rows)",
        lambda: list(service._card_rows(cards, result, decks, card_ids, today, True)),
    )
    revlog = stage("revlog rows", lambda: list(service._revlog(log, card_ids)))
    with tempfile.TemporaryDirectory(prefix="apkg-split-") as folder:
        collection = Path(folder) / "collection.anki2"

        def write() -> None:
            with CollectionWriter(collection, created_s=0, now_s=0) as writer:
                writer.add_cards(rows)
                writer.add_revlog(revlog)
                writer.finish(decks)

        stage("writing SQLite", write)
        stage("zipping", lambda: write_package(Path(folder) / "split.apkg", collection))
    for name, value in seconds.items():
        print(f"{name}\t{value:.3f}")


def split_table(db: Path, env: dict[str, str]) -> list[str]:
    """The stage split as table lines (one process; CPU seconds)."""
    out = subprocess.run(
        [run.PY, __file__, "--split", str(db)], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"the stage split failed:\n{out.stderr[-2000:]}")
    pairs = [line.split("\t") for line in out.stdout.splitlines() if "\t" in line]
    total = sum(float(value) for _, value in pairs)
    return [
        "Where the CPU goes (`--split`: the export's stages one after another in one "
        "process, CPU seconds; the rest of the whole command is the CLI's start-up):",
        "",
        "| stage | CPU | share |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {float(v):.2f} s | {float(v) / total:.0%} |" for name, v in pairs),
        f"| sum | {total:.2f} s | |",
    ]


@dataclass
class Timing:
    label: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, the process and its children) and peak RSS
    (MiB) of one process. CPU time is the fair number on a shared machine: wall time there
    is mostly waiting for a core."""
    rss_file = Path(tempfile.mkstemp(prefix="rss-")[1])
    if os.access(run.GNU_TIME, os.X_OK):  # ru_maxrss would carry this process's own peak
        command = [run.GNU_TIME, "-q", "-f", "%M", "-o", str(rss_file), *command]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    assert proc.stderr is not None
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{proc.stderr.read().decode()[-2000:]}")
    proc.stderr.close()
    text = rss_file.read_text().strip()
    rss_file.unlink()
    rss_kib = int(text.splitlines()[-1]) if text else usage.ru_maxrss
    return wall, usage.ru_utime + usage.ru_stime, rss_kib / 1024


def measure(
    contenders: list[tuple[str, list[str]]], env: dict[str, str], runs: int, warmup: int
) -> list[Timing]:
    results = [Timing(label) for label, _ in contenders]
    for round_ in range(warmup + runs):
        order = list(range(len(contenders)))
        if round_ % 2:
            order.reverse()
        for i in order:
            wall, cpu, rss = timed(contenders[i][1], env)
            if round_ >= warmup:
                results[i].wall.append(wall)
                results[i].cpu.append(cpu)
                results[i].rss_mib.append(rss)
    return results


def table(results: list[Timing]) -> list[str]:
    base = results[0]
    lines = [
        "| process | CPU median | CPU min | wall median | peak RSS | CPU ratio | memory ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        cpu, rss = statistics.median(r.cpu), statistics.median(r.rss_mib)
        ratio = "1 (baseline)" if r is base else f"{cpu / statistics.median(base.cpu):.2f}x"
        mem = "1 (baseline)" if r is base else f"{rss / statistics.median(base.rss_mib):.2f}x"
        lines.append(
            f"| {r.label} | {cpu:.2f} s | {min(r.cpu):.2f} s | "
            f"{statistics.median(r.wall):.2f} s | {rss:.0f} MiB | {ratio} | {mem} |"
        )
    return lines


def anki_check(package: Path, folder: Path) -> str:
    """Import mlcards' package into a fresh Anki collection: what Anki took from it."""
    from anki.collection import (
        Collection,
        ImportAnkiPackageOptions,
        ImportAnkiPackageRequest,
    )

    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("check.anki2*"):
        leftover.unlink()
    col = Collection(str(folder / "check.anki2"))
    try:
        options = ImportAnkiPackageOptions(with_scheduling=True)
        col.import_anki_package(
            ImportAnkiPackageRequest(package_path=str(package), options=options)
        )
        cards = col.card_count()
        reviews = col.db.scalar("SELECT count() FROM revlog")
        scheduled = col.db.scalar("SELECT count() FROM cards WHERE type = 2")
    finally:
        col.close()
    return (
        f"Imported into a fresh Anki collection, mlcards' package gave {cards:,} cards "
        f"({scheduled:,} with a review schedule) and {reviews:,} review-log rows."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--work", type=Path, default=HERE / "work-apkg")
    parser.add_argument("--out", type=Path, default=HERE / "APKG_RESULTS.md")
    parser.add_argument("--anki-export", nargs=3, metavar=("COLLECTION", "TARGET", "LEGACY"))
    parser.add_argument("--split", metavar="DB", help="print the stage split of one export")
    args = parser.parse_args(argv)
    if args.split:
        stage_split(args.split)
        return
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
        (
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
                (
                    f"Anki export_anki_package ({label.split('-')[1]})",
                    [run.PY, __file__, "--anki-export", collection, str(outputs[label]), legacy],
                )
            )
    results = measure(contenders, env, args.runs, args.warmup)
    load = os.getloadavg()[0]
    sizes = {label: path.stat().st_size for label, path in outputs.items() if path.exists()}
    lines = [
        "# Exporting an .apkg: mlcards and Anki",
        "",
        f"{args.cards:,} cards and {args.reviews:,} reviews (benchmarks/generate.py, seed "
        f"{generate.SEED}); {args.runs} runs after {args.warmup} warm-up, alternating.",
        "",
        *run.machine(),
        "",
        f"- load average at the end: {load:.1f} (CPU time is the comparable number; wall "
        "time on a shared machine is mostly waiting for a core)",
        "",
        *table(results),
        "",
        "| package | bytes |",
        "| --- | ---: |",
        *(f"| {label} | {size:,} |" for label, size in sizes.items()),
    ]
    lines += ["", *split_table(db, env)]
    if outputs["mlcards"].exists():
        with zipfile.ZipFile(outputs["mlcards"]) as archive:
            names = ", ".join(sorted(archive.namelist()))
        lines += ["", f"mlcards' package holds: {names}."]
    if has_anki and outputs["mlcards"].exists():
        lines += ["", anki_check(outputs["mlcards"], args.work / "check")]
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
