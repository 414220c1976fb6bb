"""The streamed collection writer: review-log ids made unique as a set of all would make them."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mlcards.anki import collection
from mlcards.anki.collection import CollectionWriter


def _moved_up(ids: list[int]) -> list[int]:
    taken: set[int] = set()
    result = []
    for rid in ids:
        while rid in taken:
            rid += 1
        taken.add(rid)
        result.append(rid)
    return result


@given(st.lists(st.integers(0, 30), max_size=40), st.integers(1, 4))
def test_revlog_ids_move_up_by_the_fewest_needed(ids: list[int], batch: int) -> None:
    rows = [(rid, n, 3, 1, 0, 2500, 1000, 1) for n, rid in enumerate(ids)]
    saved = collection._BATCH
    collection._BATCH = batch  # collisions across batches, not only inside one
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "c.anki2"
            with CollectionWriter(path, created_s=0, now_s=0) as writer:
                assert writer.add_revlog(iter(rows)) == len(ids)
                writer.finish({})
            conn = sqlite3.connect(path)
            written = conn.execute("SELECT id FROM revlog ORDER BY cid").fetchall()
            conn.close()
    finally:
        collection._BATCH = saved
    assert [r[0] for r in written] == _moved_up(ids)
