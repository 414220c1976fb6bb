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
import json
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
db = sqlite3.connect(sys.argv[2])
db.execute("CREATE TABLE IF NOT EXISTS e (id TEXT, device TEXT, seq INT, t TEXT, deck TEXT, "
           "card TEXT, quality INT, day TEXT)")
with db:
    for path in sorted(Path(sys.argv[1]).glob("mlcards-*.jsonl")):
        with open(path, encoding="utf-8") as f:
            rows = []
            for line in f:
                e = json.loads(line)
                r = e["row"]
                rows.append((e["id"], e["device"], e["seq"], e["t"], e["deck"], e["card"],
                             r["quality"], r["study_day"]))
                if len(rows) == 10000:
                    db.executemany("INSERT INTO e VALUES (?,?,?,?,?,?,?,?)", rows)
                    rows.clear()
            db.executemany("INSERT INTO e VALUES (?,?,?,?,?,?,?,?)", rows)
"""


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_folder(folder: Path, collection: generate.Collection) -> int:
    """Three device files of answer events, each in its own time and sequence order."""
    folder.mkdir(parents=True, exist_ok=True)
    flat = collection.flat
    files = [open(folder / f"mlcards-{d}.jsonl", "w", encoding="utf-8") for d in DEVICES]  # noqa: SIM115
    seqs = [0, 0, 0]
    try:
        for answer in collection.answers:
            record = generate.to_record(answer, flat)
            which = answer.card % len(DEVICES)
            seqs[which] += 1
            device, seq = DEVICES[which], seqs[which]
            event = {
                "v": 1,
                "id": f"{device}-{seq}",
                "device": device,
                "seq": seq,
                "t": stamp(record.reviewed_at),
                "type": "answer",
                "deck": record.deck_id,
                "card": record.card_id,
                "row": {
                    "reviewed_at": record.reviewed_at.isoformat(),
                    "study_day": record.study_day.isoformat(),
                    "chosen": ",".join(record.chosen),
                    "correct": int(record.correct),
                    "quality": int(record.quality),
                    "response_ms": record.response_ms,
                    "same_day_repeat": int(record.same_day_repeat),
                    "was_new": int(record.was_new),
                    "repetitions": record.repetitions,
                    "easiness": record.easiness,
                    "interval": record.interval,
                    "due": record.due.isoformat(),
                    "session": None,
                    "mode": "review",
                    "prev_repetitions": 0,
                    "prev_interval": 0,
                    "stability": None,
                    "difficulty": None,
                },
            }
            files[which].write(json.dumps(event, separators=(",", ":")) + "\n")
    finally:
        for f in files:
            f.close()
    return sum(seqs)


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
    args = parser.parse_args(argv)
    work: Path = args.work
    folder, base = work / "folder", work / "base.db"
    marker = work / f"built-{args.cards}-{args.events}-v{generate.GENERATOR_VERSION}"
    if not marker.exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        collection = generate.make_collection(args.cards, args.events)
        build_base(base, collection)
        write_folder(folder, collection)
        marker.touch()
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
