"""Benchmark row: ``mlcards sync`` of a folder holding 1,000,000 events from three devices
into a database that has none of them, then the no-op sync that follows (issue 24).

    python benchmarks/sync.py [--cards 100000 --events 1000000 --runs 3]

The cards and answers come from ``generate.py`` (the same seeded history as ``run.py``);
each card belongs to one of three devices, which answered it. Each device's file is written
by the project's own code, as a device's sync writes it (``write_folder``): its answers
loaded into a copy of the database, read back as events (``store.outbox.own_events``) and
appended (``syncfolder.append_events``). The database synced starts with the decks
imported and no answers. ``MLCARDS_CODE=DIR`` in the environment runs another checkout's
``mlcards`` package (a before/after comparison).

Measured as whole processes (``run.measure_once``: wall time, peak RSS; CPU from the
children's rusage):

- ``sync (1M new)``: ``mlcards sync DIR --json`` on a fresh copy of that database;
- ``floor``: the least a Python program can do with the same input: read every line of the
  three files, ``json.loads`` it, and insert every field of the event into a plain SQLite
  table in one transaction (no checks, no merge, no replay, no indexes);
- ``sync (no-op, first command of the day)``: the same command again on the database the
  first sync produced, once: it also makes the day's backup (integrity check and copy of
  the database, as the first command of every real day does once the log holds answers);
- ``sync (no-op, after it)``: the same command again;
- ``check``: ``mlcards check`` on that database, once.

Writes benchmarks/SYNC.md (``--out``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
import run  # noqa: E402

DEVICES = ("0a1b2c3d4e5f6071", "1b2c3d4e5f607182", "2c3d4e5f60718293")

FLOOR = """
import json, sqlite3, sys
from pathlib import Path
FIELDS = ("reviewed_at", "study_day", "chosen", "correct", "quality", "response_ms",
          "same_day_repeat", "was_new", "repetitions", "easiness", "interval", "due", "session",
          "mode", "prev_repetitions", "prev_interval", "stability", "difficulty")
db = sqlite3.connect(sys.argv[2])
db.execute("CREATE TABLE IF NOT EXISTS e (uid, device, seq, t, deck, card, "
           + ", ".join(FIELDS) + ")")
sql = "INSERT INTO e VALUES (" + ", ".join("?" for _ in range(6 + len(FIELDS))) + ")"
with db:
    for path in sorted(Path(sys.argv[1]).glob("mlcards-*.jsonl")):
        with open(path, encoding="utf-8") as f:
            rows = []
            for line in f:
                e = json.loads(line)
                r = e["row"]
                rows.append((e["id"], e["device"], e["seq"], e["t"], e["deck"], e["card"],
                             *[r[name] for name in FIELDS]))
                if len(rows) == 10000:
                    db.executemany(sql, rows)
                    rows.clear()
            db.executemany(sql, rows)
"""


def write_folder(folder: Path, base: Path, collection: generate.Collection) -> int:
    """Three device files of answer events, written as ``mlcards sync`` writes them: each
    device is a copy of ``base`` with its own id that loads its third of the answers
    (``ReviewLog.append``: the rows, states before and stamps an answer gets), and its
    events are read back (``store.outbox.own_events``) and appended to its file
    (``syncfolder.append_events``). Each card belongs to one device, which answered it."""
    from mlcards.store import Store
    from mlcards.store.outbox import own_events
    from mlcards.syncfolder import append_events

    folder.mkdir(parents=True, exist_ok=True)
    flat = collection.flat
    written = 0
    for which, device in enumerate(DEVICES):
        path = folder.parent / f"device-{which}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(base, path)
        with Store.open(path) as store:
            with store.write() as conn:
                conn.execute("UPDATE sync_state SET value = ? WHERE key = 'device'", (device,))
            store.log.append(
                generate.to_record(a, flat)
                for a in collection.answers
                if a.card % len(DEVICES) == which
            )
            written += append_events(folder, device, own_events(store.conn, ""), folder.parent)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return written


def build_base(path: Path, collection: generate.Collection) -> None:
    from mlcards.store import Store

    if path.exists():
        path.unlink()
    with Store.open(path) as store:
        store.decks.import_decks(collection.decks, datetime(2025, 11, 1, tzinfo=UTC))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=HERE / "work" / "sync")
    parser.add_argument("--out", type=Path, default=HERE / "SYNC.md")
    parser.add_argument("--build-only", action="store_true", help="make the folder, stop")
    args = parser.parse_args(argv)
    work: Path = args.work
    folder, base = work / "folder", work / "base.db"
    marker = work / f"built-{args.cards}-{args.events}-v{generate.GENERATOR_VERSION}"
    if not marker.exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        collection = generate.make_collection(args.cards, args.events)
        build_base(base, collection)
        write_folder(folder, base, collection)
        marker.touch()
    if args.build_only:
        return
    scratch = work / "scratch"
    home = scratch / "home"
    home.mkdir(parents=True, exist_ok=True)
    db, floor_db = scratch / "mlcards.db", scratch / "floor.db"
    env = run.bench_env(home, db)
    ml = run.mlcards_command()
    if os.environ.get("MLCARDS_CODE"):
        env["PYTHONPATH"] = os.environ["MLCARDS_CODE"]
        ml = [run.PY, "-m", "mlcards"]

    def fresh() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(base, db)

    def fresh_floor() -> None:
        floor_db.unlink(missing_ok=True)

    sync = [*ml, "sync", str(folder), "--json"]
    floor = run.Contender(
        "floor (json.loads + executemany)",
        [run.PY, "-c", FLOOR, str(folder), str(floor_db)],
        setup=fresh_floor,
    )
    first = run.Contender("mlcards sync (1M new)", sync, setup=fresh)
    rows: dict[str, run.Measured] = {}

    def add(contender: run.Contender) -> None:
        row = rows.setdefault(contender.label, run.Measured(contender.label))
        run.measure_once(contender, env, row)

    for _ in range(args.runs):
        for contender in (first, floor):
            add(contender)
    add(run.Contender("mlcards sync (no-op, first command of the day)", sync))
    again = run.Contender("mlcards sync (no-op, after it)", sync)
    for _ in range(args.runs):
        add(again)
    add(run.Contender("mlcards check (after it)", [*ml, "check"]))
    new, low, noop = rows[first.label], rows[floor.label], rows[again.label]
    files = sorted(folder.glob("*.jsonl"))
    size = sum(p.stat().st_size for p in files) / 2**20
    lines = [
        "# Sync: 1,000,000 events from three devices",
        "",
        f"{args.events:,} answer events over {args.cards:,} cards in {len(files)} files "
        f"({size:,.0f} MiB), into a database with the decks and no answers; medians of "
        f"{args.runs} runs (check: one). Whole processes; CPU = user + system of the process.",
        "",
        "| row | wall (median) | CPU (median) | peak RSS |",
        "| --- | ---: | ---: | ---: |",
    ]
    for m in rows.values():
        lines.append(
            f"| {m.label} | {run.fmt_s(m.median)} | {run.fmt_s(m.cpu)} | {m.rss:,.0f} MiB |"
        )
    lines += [
        "",
        f"- first sync: {new.median / low.median:.2f}x the floor's wall time, "
        f"{new.cpu / low.cpu:.2f}x its CPU time",
        f"- no-op sync: {noop.median * 1000:.0f} ms",
        "",
        "Output of the first sync: `" + " ".join(new.outputs[-1].split()).replace("`", "'") + "`",
    ]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
