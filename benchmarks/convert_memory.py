"""Peak memory and time of ``mlcards convert`` on large JSON Lines and CSV files.

    python benchmarks/convert_memory.py [--rows 100000 1000000] [--formats jsonl csv]

Generates MMLU-layout files (JSON Lines as on the hub; headerless CSV) of each size in a
temporary folder, raises ``max_deck_bytes`` to its ceiling (1 GiB) in a temporary
``MLCARDS_HOME``'s config.yaml, and runs ``python -m mlcards convert FILE -o OUT`` as a child
process: wall time around it, peak RSS from the child's own ``ru_maxrss`` (``os.wait4``).
A 10-row file gives the floor (the interpreter and mlcards' imports). Flat memory means the
peak hardly moves from 100k rows to 1M; what does grow is 8 bytes a card (the id hashes the
two passes share) plus a sort of them. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ["learning rate", "dropout", "batch norm", "weight decay", "attention", "ReLU"]


def _row(number: int) -> tuple[str, list[str], int]:
    topic = TOPICS[number % len(TOPICS)]
    question = f"Q{number}: which statement about {topic} holds in setting {number * 7919 % 10007}?"
    choices = [f"{topic} option {k} for case {number}" for k in "ABCD"]
    return question, choices, number % 4


def generate(folder: Path, fmt: str, rows: int) -> Path:
    path = folder / f"bench-{rows}.{fmt}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for number in range(rows):
                question, choices, answer = _row(number)
                record: dict[str, object] = {"question": question, "choices": choices}
                record |= {"answer": answer, "subject": "machine_learning"}
                handle.write(json.dumps(record) + "\n")
        else:
            writer = csv.writer(handle)
            for number in range(rows):
                question, choices, answer = _row(number)
                writer.writerow([question, *choices, "ABCD"[answer]])
    return path


def measure(source: Path, home: Path) -> tuple[float, float, int, int]:
    """(seconds, peak RSS in MiB, exit code, YAML bytes) of one conversion in a child
    process."""
    out = source.with_suffix(".yaml")
    env = dict(os.environ, MLCARDS_HOME=str(home), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "mlcards", "convert", str(source), "-o", str(out)]
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    assert child.stderr is not None
    error = child.stderr.read().decode("utf-8", "replace")
    child.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(error, file=sys.stderr)
    out_size = out.stat().st_size if out.exists() else 0
    out.unlink(missing_ok=True)
    return seconds, usage.ru_maxrss / 1024, code, out_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--formats", nargs="+", default=["jsonl", "csv"])
    parser.add_argument("--work", type=Path, help="folder for the files (default: a temp one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlcards-convert-bench-", dir=args.work) as temp:
        folder = Path(temp)
        home = folder / "home"
        home.mkdir()
        (home / "config.yaml").write_text("max_deck_bytes: 1073741824\n", encoding="utf-8")
        print("| format | rows | source MB | YAML MB | seconds | peak RSS MiB | exit |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for fmt in args.formats:
            for rows in [10, *args.rows]:
                source = generate(folder, fmt, rows)
                seconds, rss, code, out_bytes = measure(source, home)
                size = source.stat().st_size / 1e6
                out_mb = out_bytes / 1e6
                print(
                    f"| {fmt} | {rows:,} | {size:.1f} | {out_mb:.1f} | {seconds:.1f} "
                    f"| {rss:.0f} | {code} |",
                    flush=True,
                )
                source.unlink()


if __name__ == "__main__":
    main()
