"""Benchmark mlcards side by side with Anki at 100,000 cards and 1,000,000 reviews.

    python benchmarks/run.py [--cards 100000 --reviews 1000000 --runs 5]

Generates (or reuses) the collections under benchmarks/work/ (see generate.py), then times
whole processes: a warm-up, then ``--runs`` measured runs, the contenders of a row taking turns
(A B, B A, A B ...) so that a noisy machine hurts both alike. Wall time is taken around the
process; peak memory is the child's own ``ru_maxrss`` from ``os.wait4``. Writes RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

PY = sys.executable


@dataclass
class Contender:
    label: str
    command: list[str]
    setup: Callable[[], None] | None = None
    stdout: Path | None = None


@dataclass
class Measured:
    """A contender's measured runs: wall seconds, peak RSS, stdout and CPU seconds (user +
    system) of each."""

    label: str
    seconds: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rss(self) -> float:
        return statistics.median(self.rss_mib)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_seconds)


GNU_TIME = "/usr/bin/time"


def run_process(c: Contender, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stdout of one process; fails loudly on an error.

    Peak RSS comes from GNU time when there is one: Linux carries the peak of the process
    that forks over exec, so ``ru_maxrss`` of a child of this (large) Python process would
    report at least this process's own size. ``os.wait4`` is the fallback.
    """
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        sink = open(c.stdout, "wb") if c.stdout else out  # noqa: SIM115
        rss_file = Path(tempfile.mkstemp(prefix="rss-")[1])
        command = c.command
        if os.access(GNU_TIME, os.X_OK):
            command = [GNU_TIME, "-q", "-f", "%M", "-o", str(rss_file), *command]
        try:
            started = time.perf_counter()
            proc = subprocess.Popen(command, env=env, stdout=sink, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if c.stdout:
                sink.close()
        err.seek(0)
        out.seek(0)
        if proc.returncode != 0:
            raise SystemExit(
                f"{c.label}: exit {proc.returncode}: {' '.join(c.command)}\n"
                + err.read().decode(errors="replace")[-3000:]
            )
        text = rss_file.read_text().strip()
        rss_file.unlink()
        rss_kib = int(text.splitlines()[-1]) if text else usage.ru_maxrss
        return seconds, rss_kib / 1024, out.read().decode(errors="replace")


def measure_once(c: Contender, env: dict[str, str], into: Measured) -> None:
    """One run of ``c`` (its setup first), added to ``into``; its CPU time is what this
    process's children's rusage grew by (the child and, under GNU time, its own child)."""
    if c.setup:
        c.setup()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, rss, out = run_process(c, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    into.seconds.append(seconds)
    into.rss_mib.append(rss)
    into.outputs.append(out)
    into.cpu_seconds.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


def measure(
    contenders: list[Contender], env: dict[str, str], runs: int, warmup: int
) -> list[Measured]:
    results = [Measured(c.label) for c in contenders]
    for round_ in range(warmup + runs):
        order = list(range(len(contenders)))
        if round_ % 2:
            order.reverse()
        for i in order:
            c = contenders[i]
            measure_once(c, env, results[i] if round_ >= warmup else Measured(c.label))
    return results


def bench_env(home: Path, db: Path) -> dict[str, str]:
    """The environment of every measured mlcards process: its own home and database, the
    benchmark's today, UTC, no colour, 100 columns; no import profiling or dev mode."""
    env = {
        **os.environ,
        "MLCARDS_HOME": str(home),
        "MLCARDS_DB": str(db),
        "MLCARDS_NOW": generate.NOW,
        "TZ": "UTC",
        "NO_COLOR": "1",
        "COLUMNS": "100",
    }
    for key in ("PYTHONPROFILEIMPORTTIME", "PYTHONDEVMODE"):
        env.pop(key, None)
    return env


def synced(path: Path) -> None:
    """A copy made for a timed run, on the disk before the run starts: otherwise the write-back
    of its pages (1.1 GB for mlcards, 0.3 GB for Anki) lands in the run's own syncs, the first
    commits and the first checkpoint wait for it (one answer took 0.5 s), and the larger copy
    is penalised most."""
    with open(path, "rb") as copied:
        os.fsync(copied.fileno())


def mlcards_command() -> list[str]:
    script = Path(PY).parent / "mlcards"
    return [str(script)] if script.exists() else [PY, "-m", "mlcards"]


def has_command(words: list[str], env: dict[str, str]) -> bool:
    probe = subprocess.run([*mlcards_command(), *words, "--help"], env=env, capture_output=True)
    return probe.returncode == 0


def anki_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("anki") is not None


def import_breakdown(command: list[str], env: dict[str, str]) -> list[str]:
    """Where a command's imports go: one ``python -X importtime`` sample, top-level modules."""
    proc = subprocess.run(
        command, env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, capture_output=True, text=True
    )
    groups: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if name.startswith("  ") or not cumulative.strip().isdigit():
            continue  # nested: already inside its parent's cumulative time
        name = name.strip()
        if name.startswith("typer._adapters") or name.startswith("pydantic"):
            key = "pydantic, imported by typer 0.29 to coerce options (even an unset --help)"
        elif name.startswith("mlcards.cli"):
            key = "mlcards.cli (of which typer and its click)"
        elif name.startswith("mlcards"):
            key = "mlcards modules (store, config, session, models ...)"
        else:
            key = "interpreter start-up and the rest"
        groups[key] = groups.get(key, 0) + int(cumulative)
    total = sum(groups.values())
    lines = [
        f"Imports of `{' '.join(command[-2:])}`, one `python -X importtime` sample "
        f"({total / 1000:.0f} ms of imports in all, inflated by the profiling):",
        "",
        "| imported | ms |",
        "| --- | ---: |",
    ]
    for key, micros in sorted(groups.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {key} | {micros / 1000:.0f} |")
    return lines


# -- report --------------------------------------------------------------------------------------


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def table(rows: list[Measured], baseline: str | None) -> list[str]:
    base = next((r for r in rows if r.label == baseline), None)
    lines = [
        "| process | median | min | max | peak RSS (median) | time ratio | memory ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        if base is not None and r is not base:
            ratio = f"{r.median / base.median:.2f}x"
            mem = f"{r.rss / base.rss:.2f}x"
        else:
            ratio = mem = "1 (baseline)" if r is base else "-"
        lines.append(
            f"| {r.label} | {fmt_s(r.median)} | {fmt_s(min(r.seconds))} | "
            f"{fmt_s(max(r.seconds))} | {r.rss:.0f} MiB | {ratio} | {mem} |"
        )
    return lines


def machine() -> list[str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{mem_kib / 1024 / 1024:.1f} GiB"
    except OSError:
        ram = "unknown"

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; RAM: {ram}; {platform.platform()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        f"- mlcards {version('mlcards')}, anki {version('anki')}, typer {version('typer')}, "
        f"rich {version('rich')}, sqlite-utils {version('sqlite-utils')}, "
        f"pydantic {version('pydantic')}, PyYAML {version('pyyaml')}",
    ]


@dataclass
class Target:
    name: str
    goal: str
    measured: str
    met: bool | None  # None: not measured
    margin: str


def ratio_target(name: str, goal: float, of: str, value: float) -> Target:
    """A target stated as a ratio of two medians measured side by side."""
    met = value <= goal
    margin = f"{1 - value / goal:.0%} under the goal" if met else f"{value / goal:.2f}x the goal"
    return Target(name, f"<= {goal:g}x {of}", f"{value:.2f}x", met, margin)


def memory_targets(name: str, rows: list[Measured], anki_label: str) -> list[Target]:
    """Peak RSS of each mlcards process of a row against Anki's in that row (<= 0.5x)."""
    anki = next((r for r in rows if r.label == anki_label), None)
    if anki is None:
        return []
    return [
        ratio_target(f"{name} memory ({r.label})", 0.5, "Anki's peak RSS", r.rss / anki.rss)
        for r in rows
        if "mlcards" in r.label
    ]


def compile_bytecode(env: dict[str, str]) -> str:
    """Compile mlcards' modules as ``pip install .`` does, so the measured processes read
    cached bytecode even from an editable install and with PYTHONDONTWRITEBYTECODE set (it
    stops Python writing bytecode, not reading it). Returns how mlcards is installed."""
    import importlib.util

    spec = importlib.util.find_spec("mlcards")
    assert spec is not None and spec.origin is not None
    package = Path(spec.origin).parent
    subprocess.run([PY, "-m", "compileall", "-q", str(package)], check=True, env=env)
    editable = not str(package).startswith(str(Path(PY).resolve().parent.parent))
    return (
        f"mlcards from {package} ({'editable install' if editable else 'installed'}), "
        "its bytecode compiled by the harness before the runs (as `pip install .` does); "
        f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', 'unset')} "
        "in the environment"
    )


def verdict(t: Target) -> str:
    return "pending" if t.met is None else ("**met**" if t.met else "**missed**")


REVIEW_CARDS = 1000

WHY_MISSED = [
    "What each row near or past its goal rests on, and what would close a miss (5 runs "
    "after a warm-up; the machine is shared by several engineers; the ratios are "
    "medians measured side by side, and a row within a few percent of its goal can land "
    "on either side from one run to the next):",
    "",
    "- **answer to next card** (2.12x Anki two rounds ago, 1.80x to 2.05x last round; "
    "1.53x, 1.62x and 1.72x in this round's three runs of this harness (the last is the "
    "table above; Anki's own median moves between 0.7 and 0.8 ms), 1.46x to 1.7x in "
    "paired runs of the same row; 1.2-1.3 ms; Anki too fsyncs each answer, "
    "`synchronous=FULL`, WAL). Built over three rounds: while the answer commits (its pages "
    "written and the log synced, the GIL released), the next question is laid out and its "
    "frame made on a helper thread (`review/ahead.py`, `store/alongside.py`; shown only "
    "once the commit succeeded, and only if it is exactly what would be drawn); an answer "
    "reads its card and whether it was answered today in one statement and sets only the "
    "card columns that change; migrations 21 and 22 dropped four indexes every answer kept "
    "up. This round: the deck's settings and the device's stamp state are kept between "
    "answers and trusted only while `PRAGMA data_version` and the connection's "
    "`total_changes` say nothing was committed since (`store/kept.py`, about 60-70 us); the "
    "card queued next is taken as the session read it, without reading it and its limits "
    "again, while the same check says nothing but the session's own answers changed the "
    "store since it read its queue (about 0.1 ms; a repeat, another session's commit, an "
    "undo or a card action make it read as before); and the harness now syncs each copy of "
    "the collections to disk before the timed run: the copy's write-back (1.1 GB for "
    "mlcards, 0.3 GB for Anki) landed in the first commits and the first checkpoint (one "
    "answer took 0.5 s). The run before that fix, on the same code, said 1.80x. What is "
    "left: the commit, 0.5-0.6 ms, most of it the sync of a growing WAL file (about 0.35 "
    "ms once the WAL is reused after a checkpoint; Anki pays it too), about 0.45 ms of "
    "statements before it (the card, the stamp, the log row, four running totals, the "
    "schedule; migration 23's tag totals added about 50 us of them) and about 0.15 ms "
    "after it. Tried and left: `mmap_size` and a 64 MB page cache (within the noise), a "
    "read transaction around the next card's reads, the GC frozen; dropping the "
    "histograms' indexes too (4 pages an answer) made `stats` sort every reviewed card "
    "(flatness 1.40x, over its goal); the benchmark database regenerated with today's "
    "schema (31 pages an answer instead of 44, its indexes not packed by a migration's "
    "CREATE INDEX): no faster, the WAL's sync outweighs the pages; a checkpoint on a "
    "helper connection after each answer (so that the WAL is reused): 3 ms of the "
    "database's own sync, slower when answers follow one another at once.",
    "- **import 10k cards** (1.39x to 1.49x before this round; 0.88x to 0.97x since, paired "
    "runs, CPU 3.3 to 2.2-2.4 s against the floor's 2.4-2.6 s): a split "
    "of the import (CPU, in process) found 1.4-1.6 s composing the YAML tree from the "
    "parser's events (0.3 s of it the C parser), 0.3 s of deck checks, 0.4 s of card "
    "inserts, 0.5 s building the search index and 0.2 s of imports and migrations. The "
    "tree is now built in one loop (no node for a mapping's key, lines read from YAML's "
    "own count where it is the editor's, control characters looked for only where an "
    "escape or a character reference can make one, the YAML 1.2 patterns tried only on "
    "scalars that can match), with the cycle collector paused while a deck is read "
    "(collections walking the growing tree were a fifth of it): 0.65 s. A deck's new cards "
    "are one `executemany`; YAML-only imports load no converter and, with `--json`, no "
    "rich; a new database's migrations commit without a sync each. The floor, "
    "`yaml.load`, is itself slower than the event loop (its constructors and resolver are "
    "Python). Left: the search index (FTS5 trigram of 8.6 M characters, about 0.45 s at "
    "any `hashsize`) and the inserts with their triggers (0.2 s) are SQLite's own work.",
    "- **review start** (7.8x the pty floor at 1,000 cards two rounds ago, 4.8x to 5.1x "
    "since): a plain card's first question is written before rich and the review loop "
    "are imported (`render/first.py`: rich's own bytes for the frame, compared with rich "
    "over generated cards, sizes and `NO_COLOR`; a pty test checks that the frame is "
    "written once, before rich loads, byte for byte what rich writes when it draws it "
    "itself); the records no start needs left `models.py` (`records.py`, 9 dataclasses), "
    "the daily backup's check no longer builds a record per backup file, the session id "
    "needs no `uuid`, the fuzz's `hashlib` loads at the first answer, the settings no "
    "longer import the check and replay modules, and today's queue reads its cards "
    "cheaper (14.6 to 8 ms at 1,000 cards). What is left before the first card: Python "
    "(the floor), the store's and the session's modules and their dataclasses, and the "
    "queue; a card whose question Markdown would read (the bundled ones) is still drawn "
    "by rich, about 30 ms later.",
    "- **stats flat in the log** (1.21x to 1.27x last round; 1.17x to 1.28x in this "
    "round's runs, 1.22x in 15 paired runs): the running totals keep the log's size out of "
    "`stats`; accuracy by tag is now the all-time tag totals (migration 23) less the few "
    "days outside the window, not a walk of every day's tag totals (25 ms at 1,000,000 "
    "reviews, 209,000 rows). What still grows with the log is the card state, because more "
    "of the same cards are reviewed (74,000 at 1,000,000 reviews, 7,400 at 100,000): the "
    "histograms, due days and leech candidates read in index order (about 25 ms at 1M), "
    "and the few answers outside the window, read by day. The row's spread comes mostly "
    "from the 100,000-review run (145-170 ms).",
    "- **status time** (0.28x and 0.29x in every run of the last two rounds; the goal "
    "0.3x): `status --json` builds its document from `Status` (no stats modules) and the "
    "records it does not show are not built; what is left is Python's start, about 10 ms "
    "of SQL and the imports: `dataclasses` alone brings `inspect`, `ast` and `dis` (about "
    "10 ms), and the models, settings and records are dataclasses; `pathlib` brings "
    "`urllib.parse`. Closing the margin would mean models without dataclasses on "
    "status's path.",
    "",
]


OWN_SCRIPTS = [
    "## 8. Rows measured by their own scripts",
    "",
    "Each takes minutes and its own data, so it writes its own file (run it to refresh it):",
    "",
    "- card search, `mlcards cards QUERY` against Anki's `find_cards` (goal: at most 0.5x "
    "Anki's time): `benchmarks/search.py`, [SEARCH.md](SEARCH.md);",
    "- `.apkg` export of 10,000 cards and 100,000 reviews against Anki's own export: "
    "`benchmarks/apkg_export.py`, [APKG_RESULTS.md](APKG_RESULTS.md);",
    "- `mlcards sync` of 1,000,000 events from three devices, against a floor, and the "
    "no-op sync and `check` after it: `benchmarks/sync.py`, [SYNC.md](SYNC.md).",
]


def startup_db(scratch: Path, env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """The 1,000-card database of the review start-up row (half the cards answered once,
    yesterday's due today) and the pseudo-terminal's environment."""
    from datetime import timedelta

    from mlcards.clock import parse_instant, study_day
    from mlcards.models import Quality
    from mlcards.records import ReviewRecord
    from mlcards.store import Store

    db = scratch / "review-1k.db"
    for old in scratch.glob(db.name + "*"):
        old.unlink()
    deck = scratch / "review-1k.yaml"
    lines = ["id: startup", "name: Start-up", "cards:"]
    for i in range(REVIEW_CARDS):
        lines += [
            f"  - id: card-{i}",
            f'    question: "Which statement about topic {i} holds?"',
            "    choices:",
            "      - {id: a, text: The first one}",
            "      - {id: b, text: The second one}",
            "      - {id: c, text: The third one}",
            "    answer: a",
            f'    explanation: "Because topic {i} says so."',
        ]
    deck.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pty_env = {k: v for k, v in env.items() if k not in ("COLUMNS", "NO_COLOR")}
    pty_env.update(MLCARDS_DB=str(db), TERM="xterm-256color")
    subprocess.run(
        [*mlcards_command(), "import", str(deck)], env=pty_env, check=True, capture_output=True
    )
    now = parse_instant(generate.NOW)
    today = study_day(now)
    # half the cards answered once (quality 4, interval 1): yesterday's are due today
    records = [
        ReviewRecord(
            deck_id="startup",
            card_id=f"card-{i}",
            reviewed_at=now - timedelta(days=int(i % 2 == 0)),
            study_day=today - timedelta(days=int(i % 2 == 0)),
            chosen=("a",),
            correct=True,
            quality=Quality.GOOD,
            response_ms=2000,
            same_day_repeat=False,
            was_new=True,
            repetitions=1,
            easiness=2.5,
            interval=1,
            due=today - timedelta(days=int(i % 2 == 0)) + timedelta(days=1),
        )
        for i in range(REVIEW_CARDS // 2)
    ]
    with Store.open(db) as store:
        store.log.append(records)
    return db, pty_env


def review_startup(
    scratch: Path, env: dict[str, str], runs: int, warmup: int, big: Path | None = None
) -> dict[str, list[float]]:
    """Seconds from spawning `mlcards review` in a pty to its first question on screen; with
    ``big`` (a copy of the benchmark's database), also on its cards."""
    import pexpect

    db, pty_env = startup_db(scratch, env)

    def once(command: list[str], marker: str | None, db: Path = db) -> float:
        started = time.perf_counter()
        child = pexpect.spawn(
            command[0],
            command[1:],
            env={**pty_env, "MLCARDS_DB": str(db)},
            dimensions=(40, 80),
            encoding="utf-8",
            timeout=60,
        )
        if marker:
            child.expect(marker)
            seconds = time.perf_counter() - started
            child.send("q")
            child.expect(pexpect.EOF)
        else:
            child.expect(pexpect.EOF)
            seconds = time.perf_counter() - started
        child.close()
        return seconds

    rows = {
        "`python -c pass`": ([PY, "-c", "pass"], None, db),
        "`mlcards review`": ([*mlcards_command(), "review"], "don't know", db),
    }
    if big is not None:
        rows[BIG_REVIEW] = ([*mlcards_command(), "review"], "don't know", big)
    result: dict[str, list[float]] = {label: [] for label in rows}
    for round_ in range(warmup + runs):
        for label, (command, marker, path) in rows.items():
            seconds = once(command, marker, path)
            if round_ >= warmup:
                result[label].append(seconds)
    return result


BIG_REVIEW = "`mlcards review` on the benchmark's database (section Data)"


# -- the rows ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--import-cards", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--answers", type=int, default=50, help="cards answered per run, row 5")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--no-anki", action="store_true")
    parser.add_argument(
        "--flat-reviews",
        type=int,
        default=None,
        help="also time stats on the same cards with this many reviews (default: a tenth of "
        "--reviews; 0: skip)",
    )
    args = parser.parse_args(argv)
    anki = anki_available() and not args.no_anki
    if args.flat_reviews is None:
        args.flat_reviews = args.reviews // 10
    work: Path = args.work
    # In a child process: this one stays small (see run_process).
    subprocess.run(
        [PY, str(HERE / "generate.py"), "--cards", str(args.cards), "--reviews", str(args.reviews)]
        + ["--import-cards", str(args.import_cards), "--out", str(work)]
        + ([] if anki else ["--no-anki"]),
        check=True,
    )
    manifest = json.loads((work / "manifest.json").read_text())
    db, col = work / "mlcards.db", work / "collection.anki2"
    scratch = work / "scratch"
    scratch.mkdir(exist_ok=True)
    home = scratch / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    env = bench_env(home, db)
    bytecode = compile_bytecode(env)
    ml = mlcards_command()
    anki_ops = [PY, str(HERE / "anki_ops.py")]
    runs, warmup = args.runs, args.warmup
    sections: list[list[str]] = []
    targets: list[Target] = []
    started = time.monotonic()

    def log(msg: str) -> None:
        print(f"[run {time.monotonic() - started:6.1f}s] {msg}", file=sys.stderr)

    # 1. status
    log("row 1: status")
    row = [
        Contender("`mlcards status --json`", [*ml, "status", "--json"]),
        Contender("`mlcards status` (the table)", [*ml, "status"]),
    ]
    if anki:
        row.append(Contender("Anki: open + `col.sched.counts()`", [*anki_ops, "counts", str(col)]))
    r1 = measure(row, env, runs, warmup)
    status_doc = json.loads(r1[0].outputs[0])
    sections.append(
        [
            "## 1. Status: today's counts",
            "",
            f"mlcards totals: {json.dumps(status_doc['totals'])}"
            + (f"; Anki counts (new, learn, review): {r1[-1].outputs[0].strip()}" if anki else ""),
            "",
            *table(r1, r1[-1].label if anki else None),
        ]
    )
    sections[-1] += ["", *import_breakdown([*ml, "status", "--json"], env)]
    if anki:
        for r in r1[:2]:
            name = "status --json time" if "json" in r.label else "status (table) time"
            targets.append(ratio_target(name, 0.3, "Anki", r.median / r1[-1].median))
        targets += memory_targets("status", r1, r1[-1].label)

    # 2. stats
    log("row 2: stats")
    stats_ready = has_command(["stats"], env)
    row = []
    if stats_ready:
        row.append(Contender("`mlcards stats --json`", [*ml, "stats", "--json"]))
    if anki:
        row.append(
            Contender("Anki: open + graphs, deck tree, 365 days", [*anki_ops, "stats", str(col)])
        )
    r2 = measure(row, env, runs, warmup) if row else []
    lines = ["## 2. Statistics", ""]
    if not stats_ready:
        lines += ["**pending: mlcards stats not merged yet** (Anki's side is measured below).", ""]
    if r2:
        lines += table(r2, r2[-1].label if anki else None)
    sections.append(lines)
    if stats_ready and anki:
        targets.append(ratio_target("stats time", 0.25, "Anki", r2[0].median / r2[1].median))
        targets += memory_targets("stats", r2, r2[1].label)
    else:
        targets.append(Target("stats time", "<= 0.25x Anki", "-", None, "not measured"))
    if args.flat_reviews and stats_ready:
        log("row 2b: stats at fewer reviews, same cards")
        small = work / "flat"
        subprocess.run(
            [PY, str(HERE / "generate.py"), "--cards", str(args.cards)]
            + ["--reviews", str(args.flat_reviews), "--import-cards", "10", "--out", str(small)]
            + ["--no-anki"],
            check=True,
        )
        row = [
            Contender(
                f"`mlcards stats --json`, {args.flat_reviews:,} reviews",
                [*ml, "--db", str(small / "mlcards.db"), "stats", "--json"],
            ),
            Contender(
                f"`mlcards stats --json`, {manifest['reviews']:,} reviews", [*ml, "stats", "--json"]
            ),
        ]
        r2b = measure(row, env, runs, warmup)
        sections[-1] += [
            "",
            f"The same {args.cards:,} cards with {args.flat_reviews:,} reviews against "
            f"{manifest['reviews']:,} (flatness):",
            "",
            *table(r2b, r2b[0].label),
        ]
        targets.append(
            ratio_target(
                "stats flat in the log",
                1.3,
                f"stats at {args.flat_reviews:,} reviews",
                r2b[1].median / r2b[0].median,
            )
        )

    # 3. import
    log("row 3: import")
    files = sorted(str(p) for p in (work / "import").glob("*.yaml"))
    import_db, import_col = scratch / "import.db", scratch / "import.anki2"

    def fresh(path: Path) -> Callable[[], None]:
        def clean() -> None:
            for p in path.parent.glob(path.name + "*"):
                shutil.rmtree(p) if p.is_dir() else p.unlink()

        return clean

    import_env_db = ["--db", str(import_db)]
    row = [
        Contender(
            "`mlcards import` (new database)",
            [*ml, *import_env_db, "import", "--json", *files],
            setup=fresh(import_db),
        ),
        Contender(
            "floor: `yaml.load(CSafeLoader)` of the files",
            [PY, str(HERE / "floors.py"), "yaml", *files],
        ),
    ]
    if anki:
        row.append(
            Contender(
                "Anki: new collection + parse (CSafeLoader) + `add_notes`",
                [*anki_ops, "import", str(import_col), *files],
                setup=fresh(import_col),
            )
        )
    r3 = measure(row, env, runs, warmup)
    size = sum(Path(f).stat().st_size for f in files)
    added = sum(len(d["added"]) for d in json.loads(r3[0].outputs[0])["decks"])
    check = f"Cards added per run: mlcards {added:,}" + (
        f", Anki {int(r3[2].outputs[0]):,}." if anki else "."
    )
    sections.append(
        [
            "## 3. Importing a 10,000-card deck",
            "",
            f"{args.import_cards:,} cards in {len(files)} YAML files ({size / 2**20:.1f} MiB; a "
            "deck file is limited to 5 MB), into an empty database / a new collection. " + check,
            "",
            *table(r3, r3[1].label),
        ]
    )
    if anki:
        targets += memory_targets("import", r3, r3[2].label)
    targets.append(
        ratio_target("import 10k cards", 1.3, "the YAML parse floor", r3[0].median / r3[1].median)
    )

    # 4. export
    log("row 4: export")
    export_ready = has_command(["export"], env)
    export_out = scratch / "export.csv"
    row = []
    if export_ready:
        row.append(
            Contender(
                "`mlcards export reviews --format csv`",
                [*ml, "export", "reviews", "--format", "csv"],
                stdout=export_out,
            )
        )
    row.append(
        Contender(
            "floor: sqlite3 + csv.writer, streamed",
            [PY, str(HERE / "floors.py"), "csv", str(db)],
            stdout=export_out,
        )
    )
    r4 = measure(row, env, runs, warmup)
    lines = [f"## 4. Exporting {manifest['reviews']:,} reviews as CSV", ""]
    if not export_ready:
        lines += [
            "**pending: mlcards stats not merged yet** (`mlcards export` comes with it); the "
            "floor below is what streaming the log costs in Python.",
            "",
        ]
    sections.append(lines + table(r4, r4[-1].label))
    if export_ready:
        targets.append(
            ratio_target(
                "export reviews CSV time",
                1.1,
                "the sqlite3 + csv floor",
                r4[0].median / r4[1].median,
            )
        )
        peak = r4[0].rss
        targets.append(
            Target(
                "export peak memory",
                "< 100 MiB, constant",
                f"{peak:.0f} MiB",
                peak < 100,
                f"{100 - peak:.0f} MiB to spare" if peak < 100 else f"{peak - 100:.0f} MiB over",
            )
        )
    else:
        targets.append(Target("export peak memory", "< 100 MiB, constant", "-", None, "not merged"))
    export_out.unlink(missing_ok=True)

    # 5. answer
    log("row 5: answer latency")
    answer_db, answer_col = scratch / "answer.db", scratch / "answer.anki2"

    def copy(src: Path, dst: Path) -> Callable[[], None]:
        def do() -> None:
            fresh(dst)()
            shutil.copyfile(src, dst)
            synced(dst)

        return do

    row = [
        Contender(
            "mlcards: `ReviewLog.answer` + draw next card",
            [PY, str(HERE / "answer.py"), str(answer_db), str(args.answers)],
            setup=copy(db, answer_db),
        )
    ]
    if anki:
        row.append(
            Contender(
                "Anki: `answer_card` + `get_queued_cards` + render question",
                [*anki_ops, "answer", str(answer_col), str(args.answers)],
                setup=copy(col, answer_col),
            )
        )
    r5 = measure(row, env, runs, warmup)
    lines = [
        "## 5. Answering a card: key press to the next card drawn",
        "",
        f"In process, {args.answers} cards answered per run (correct choice, rated 4), on a "
        "copy of the collection. mlcards: the real `review.run_review` loop with injected keys "
        "and a rich Console writing to `io.StringIO`, its session writing to the store's log; "
        "latency = from the rating key to the loop asking for the next key (`ReviewLog.answer`: "
        "read the card as stored, grade, append, cache, in its own `synchronous=FULL` "
        "transaction; draw the next card from the store and render its question). Anki: "
        "`answer_card`, `get_queued_cards` and "
        "the next card's question HTML, as its reviewer does.",
        "",
        "| | median | p90 | max | of which `ReviewLog.answer` (median) | first card after start |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    answer_median = None
    for m in r5:
        docs = [json.loads(o) for o in m.outputs]
        lat = sorted(x for d in docs for x in d["latencies_ms"])
        rec = [x for d in docs for x in d.get("record_ms", [])]
        first = statistics.median(d["first_card_ms"] for d in docs)
        p90 = lat[int(0.9 * (len(lat) - 1))]
        med = statistics.median(lat)
        answer_median = answer_median if answer_median is not None else med
        rec_s = f"{statistics.median(rec):.1f} ms" if rec else "-"
        lines.append(
            f"| {m.label} | {med:.1f} ms | {p90:.1f} ms | {lat[-1]:.1f} ms | {rec_s} | "
            f"{first:.0f} ms |"
        )
    queue = [json.loads(o) for o in r5[0].outputs]
    lines += [
        "",
        f"mlcards' session held {queue[0]['queue_size']} cards (due, new, repeats); "
        '"first card after start" runs from the script\'s start (imports, open, queue) to the '
        "first question drawn, in process.",
    ]
    sections.append(lines)
    assert answer_median is not None
    if anki:
        anki_docs = [json.loads(o) for o in r5[1].outputs]
        anki_median = statistics.median(x for d in anki_docs for x in d["latencies_ms"])
        targets.append(ratio_target("answer to next card", 2, "Anki", answer_median / anki_median))
        targets += memory_targets("answer", r5, r5[1].label)
    targets.append(
        Target(
            "answer to next card (absolute)",
            "< 5 ms median at 100,000 cards",
            f"{answer_median:.1f} ms",
            answer_median < 5,
            f"{5 - answer_median:.1f} ms to spare"
            if answer_median < 5
            else f"{answer_median - 5:.1f} ms over",
        )
    )

    # 6. start-up
    log("row 6: start-up")
    row = [
        Contender("`python -c pass`", [PY, "-c", "pass"]),
        Contender("`mlcards --help`", [*ml, "--help"]),
        Contender("`mlcards status`", [*ml, "status"]),
        Contender("`python -c 'import typer'`", [PY, "-c", "import typer"]),
    ]
    r6 = measure(row, env, runs, warmup)
    sections.append(
        [
            "## 6. Start-up",
            "",
            "`import typer` is shown for reference: a floor for any typer command.",
            "",
            *table(r6, r6[0].label),
        ]
    )
    targets.append(
        ratio_target("`mlcards --help`", 3, "`python -c pass`", r6[1].median / r6[0].median)
    )

    # 7. review start-up in a terminal
    log("row 7: review start-up to the first card")
    big = scratch / "review-big.db"
    shutil.copyfile(db, big)  # `q` before any answer writes nothing; a copy all the same
    synced(big)
    r7 = review_startup(scratch, env, runs, warmup, big)
    for old in scratch.glob(big.name + "*"):
        old.unlink()
    sections.append(
        [
            "## 7. `mlcards review`: start to the first card drawn",
            "",
            f"A pseudo-terminal (pexpect, 80x40) runs `mlcards review` on a database of "
            f"{REVIEW_CARDS:,} cards ({REVIEW_CARDS // 2:,} reviewed, {REVIEW_CARDS // 4:,} of "
            "them due); the clock runs from spawning the process to the first question's "
            "footer appearing on the screen, then `q` ends it. `python -c pass` in the same "
            "pseudo-terminal is the floor. The last row runs it on a copy of the benchmark's "
            "own database (section Data).",
            "",
            "| process | median | min | max |",
            "| --- | ---: | ---: | ---: |",
            *(
                f"| {label} | {fmt_s(statistics.median(xs))} | {fmt_s(min(xs))} | "
                f"{fmt_s(max(xs))} |"
                for label, xs in r7.items()
            ),
        ]
    )
    first = statistics.median(r7["`mlcards review`"])
    floor = statistics.median(r7["`python -c pass`"])
    targets.append(
        ratio_target(f"review start at {REVIEW_CARDS:,} cards", 6, "the pty floor", first / floor)
    )
    if BIG_REVIEW in r7:
        big_first = statistics.median(r7[BIG_REVIEW])
        targets.append(
            ratio_target(
                f"review start at {manifest['cards']:,} cards",
                8,
                "the pty floor",
                big_first / floor,
            )
        )
    targets.append(
        Target(
            "review start to first card (absolute)",
            "<= 120 ms median at 1,000 cards",
            fmt_s(first),
            first <= 0.12,
            f"{(0.12 - first) * 1000:.0f} ms to spare"
            if first <= 0.12
            else f"{(first - 0.12) * 1000:.0f} ms over",
        )
    )

    # report
    took = time.monotonic() - started
    text = [
        "# mlcards performance, side by side with Anki",
        "",
        f"Generated by `python benchmarks/run.py --cards {args.cards} --reviews {args.reviews} "
        f"--runs {runs}` in {took:.0f} s: whole processes unless said otherwise, {warmup} "
        f"warm-up then {runs} measured runs, contenders taking turns (A B, B A, ...). The "
        "machine is shared and noisy: read the medians and the ratios (measured side by side), "
        "not single times. Ratios are median over median; memory is the process's peak RSS.",
        "",
        "## Machine",
        "",
        *machine(),
        f"- {bytecode}",
        "",
        "## Data",
        "",
        f"- {manifest['cards']:,} cards in {generate.DECKS} decks and {manifest['reviews']:,} "
        f"reviews over the {generate.HISTORY_DAYS} days before {generate.REF_DAY} (the "
        "benchmark's today, `MLCARDS_NOW`), simulated with mlcards' SM-2 from seed "
        f"{manifest['seed']} (`benchmarks/generate.py`): {status_doc['totals']['new']:,} cards "
        f"still new, {status_doc['totals']['due']:,} due or overdue.",
        "- The same notes, card states and a revlog of the same size in an Anki collection "
        "(Basic notes, decks under `mlbench::`)."
        if anki
        else "- Anki: not installed, skipped.",
        "",
        "## Targets",
        "",
        "| target | goal | measured | verdict | margin |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {t.name} | {t.goal} | {t.measured} | {verdict(t)} | {t.margin} |" for t in targets),
        "",
        *WHY_MISSED,
    ]
    for section in [*sections, OWN_SCRIPTS]:
        text += [*section, ""]
    args.out.write_text("\n".join(text))
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
