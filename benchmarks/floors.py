"""Floors: the least work a row could cost in Python, timed as whole processes by ``run.py``.

python benchmarks/floors.py yaml DECK.yaml...   yaml.load(..., Loader=yaml.CSafeLoader)
python benchmarks/floors.py csv DB              stream every review row to CSV on stdout
"""

from __future__ import annotations

import sys


def parse_yaml(files: list[str]) -> None:
    import yaml

    cards = 0
    for name in files:
        with open(name, encoding="utf-8") as handle:
            cards += len(yaml.load(handle, Loader=yaml.CSafeLoader)["cards"])
    print(cards)


def export_csv(db: str) -> None:
    import csv
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    cursor = conn.execute("SELECT * FROM reviews ORDER BY id")
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([d[0] for d in cursor.description])
    while rows := cursor.fetchmany(1000):
        writer.writerows(rows)
    conn.close()


if __name__ == "__main__":
    op, *args = sys.argv[1:]
    parse_yaml(args) if op == "yaml" else export_csv(args[0])
