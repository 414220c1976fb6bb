"""The synced folder at scale: 1,000,000 answer events in three device files.

Each step runs in a fresh process and reports its wall time and peak RSS (``ru_maxrss``):

  append      each of three devices appends its third of the events (``append_events``)
  read        everything read, as a device that has none of them (``read_folder``, no marks)
  no-op       the same read again with the marks the first one returned
  append 1    one more event appended to a device's file of 333,334 lines
  read 1      the read after that: one file read from its mark

    python benchmarks/sync_folder.py                 # 1,000,000 events in a temporary folder
    python benchmarks/sync_folder.py --events 30000  # a quick run
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEVICES = ("1f0e2d3c4b5a6978", "a1b2c3d4e5f60718", "ffeeddccbbaa9988")


def answer(device: str, seq: int) -> dict[str, Any]:
    """An answer event with every field of a review row, as sync-core writes them."""
    card = f"card-{seq % 5000:04d}"
    return {
        "v": 1,
        "id": f"{device}-{seq}",
        "device": device,
        "seq": seq,
        "t": f"2026-{1 + seq % 12:02d}-{1 + seq % 28:02d}T{seq % 24:02d}:{seq % 60:02d}:"
        f"{seq % 59:02d}.{seq % 1_000_000:06d}+00:00",
        "type": "answer",
        "deck": "ml-foundations",
        "card": card,
        "row": {
            "reviewed_at": "2026-06-01T12:00:00.123456+00:00",
            "study_day": "2026-06-01",
            "chosen": "b",
            "correct": 1,
            "quality": 4,
            "response_ms": 5123,
            "same_day_repeat": 0,
            "was_new": 0,
            "repetitions": 3,
            "easiness": 2.5,
            "interval": 12,
            "due": "2026-06-13",
            "session": "s-7f3a",
            "mode": "review",
            "prev_repetitions": 2,
            "prev_interval": 6,
            "stability": 11.25,
            "difficulty": 5.1,
        },
    }


def generated(device: str, count: int, first: int = 1) -> Iterator[dict[str, Any]]:
    for seq in range(first, first + count):
        yield answer(device, seq)


def step(name: str, folder: Path, data: Path, total: int) -> dict[str, Any]:
    from mlcards.syncfolder import append_events, read_folder

    marks_file = data / "marks.json"
    start = time.perf_counter()
    result: dict[str, Any] = {}
    if name == "append":
        share = [total // 3 + (i < total % 3) for i in range(3)]
        result["events"] = sum(
            append_events(folder, device, generated(device, n), data)
            for device, n in zip(DEVICES, share, strict=True)
        )
    elif name == "append 1":
        after = total // 3 + (total % 3 > 0)
        result["events"] = append_events(
            folder, DEVICES[0], generated(DEVICES[0], 1, after + 1), data
        )
    else:
        marks = {} if name == "read" else json.loads(marks_file.read_text())
        read = read_folder(folder, "0" * 16, marks)
        count = biggest = 0
        for batch in read.events:
            count += len(batch)
            biggest = max(biggest, len(batch))
        marks_file.write_text(json.dumps(read.marks))
        result |= {"events": count, "largest batch": biggest}
    result["seconds"] = round(time.perf_counter() - start, 3)
    result["peak RSS MiB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        result = step(args.step, args.dir / "sync", args.dir / "data", args.events)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="mlcards-sync-bench-") as temp:
        root = Path(temp)
        (root / "sync").mkdir()
        (root / "data").mkdir()
        baseline = subprocess.run(
            [sys.executable, "-c", "import resource, mlcards.syncfolder; "
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        alone = float(baseline.stdout)
        print(f"{args.events:,} events, 3 files; python + mlcards.syncfolder: {alone:.1f} MiB RSS")
        for name in ("append", "read", "no-op", "append 1", "read 1"):
            out = subprocess.run(
                [sys.executable, __file__, "--step", name, "--dir", str(root),
                 "--events", str(args.events)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            result = json.loads(out.stdout)
            if name == "append":
                size = sum(p.stat().st_size for p in (root / "sync").iterdir())
                result["folder MiB"] = round(size / 2**20, 1)
            print(f"{name:<10} " + ", ".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
