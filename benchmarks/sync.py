"""Benchmark row: ``mlcards sync`` of a folder holding 1,000,000 events from three devices
into a database that has none of them, then the no-op sync that follows (issue 24).

    python benchmarks/sync.py [--cards 100000 --events 1000000 --runs 3]

The cards and answers come from ``generate.py`` (the same seeded history as ``run.py``);
each card belongs to one of three devices, which answered it, so every device's file holds
its answers in time order with its own sequence numbers, written in the folder's format
(``mlcards.syncfolder``). The database starts with the decks imported and no answers.

Measured as whole processes (``run.run_process``: wall time, peak RSS):

- ``sync (1M new)``: ``mlcards sync DIR`` on a fresh copy of that database;
- ``sync (no-op)``: the same command again on the database it produced;
- ``floor``: the least a Python program can do with the same input: read every line of the
  three files, ``json.loads`` it, and insert its fields into a plain SQLite table in one
  transaction (no merge, no replay, no indexes).

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
    env = {
        **os.environ,
        "MLCARDS_HOME": str(home),
        "MLCARDS_DB": str(db),
        "MLCARDS_NOW": generate.NOW,
        "TZ": "UTC",
        "NO_COLOR": "1",
    }
    ml = run.mlcards_command()

    def fresh() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(base, db)

    def fresh_floor() -> None:
        floor_db.unlink(missing_ok=True)

    sync = [*ml, "sync", str(folder), "--json"]
    first = run.measure(
        [
            run.Contender("mlcards sync (1M new)", sync, setup=fresh),
            run.Contender(
                "floor (read + insert)",
                [run.PY, "-c", FLOOR, str(folder), str(floor_db)],
                setup=fresh_floor,
            ),
        ],
        env,
        args.runs,
        0,
    )
    noop = run.measure([run.Contender("mlcards sync (no-op)", sync)], env, args.runs, 1)
    new, floor = first
    files = sorted(folder.glob("*.jsonl"))
    size = sum(p.stat().st_size for p in files) / 2**20
    lines = [
        "# Sync: 1,000,000 events from three devices",
        "",
        f"{args.events:,} answer events over {args.cards:,} cards in {len(files)} files "
        f"({size:,.0f} MiB); medians of {args.runs} runs.",
        "",
        "| row | median | peak RSS |",
        "| --- | ---: | ---: |",
    ]
    for m in (new, floor, noop[0]):
        lines.append(f"| {m.label} | {run.fmt_s(m.median)} | {m.rss:,.0f} MiB |")
    lines += [
        "",
        f"- sync of 1M new events: {new.median / floor.median:.2f}x the floor",
        f"- no-op sync: {noop[0].median * 1000:.0f} ms "
        f"({noop[0].median / new.median:.4f}x the first sync)",
        "",
        "Last output of the first sync: `" + new.outputs[-1].strip().replace("\n", " ") + "`",
    ]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
