"""The synced folder (``mlcards.syncfolder``): per-device append-only event files read back
whole lines only, incrementally, with the sync tools' conflict copies and git's union merge,
and with every value from a file treated as data."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcards.syncfolder import (
    BATCH,
    MAX_LINE,
    SyncFolderError,
    append_events,
    ensure_layout,
    last_seq,
    read_folder,
    reading,
    tidy_conflicts,
    writing,
)
from mlcards.syncfolder import events as folder_events

A = "a" * 16
B = "b" * 16
C = "c0ffee" + "0" * 10


def event(device: str, seq: int, kind: str = "answer", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "v": 1,
        "id": f"{device}-{seq}",
        "device": device,
        "seq": seq,
        "t": f"2026-12-06T10:{seq // 60 % 60:02d}:{seq % 60:02d}.000000Z",
        "type": kind,
    }
    if kind == "answer":
        base |= {"deck": "toy", "card": f"c{seq % 3}", "row": {"chosen": "a", "quality": 4}}
    elif kind == "undo":
        base |= {"target": f"{device}-{max(seq - 1, 1)}"}
    elif kind == "card":
        base |= {"deck": "toy", "card": "c1", "action": "flag", "data": {"note": "typo\x1b"}}
    else:
        base |= {"deck": "", "key": "fsrs_parameters", "value": [0.1, 2.5, -3]}
    return base | extra


def events(device: str, first: int, last: int) -> list[dict[str, Any]]:
    return [event(device, seq) for seq in range(first, last + 1)]


def line(ev: dict[str, Any]) -> bytes:
    return json.dumps(ev, separators=(",", ":")).encode() + b"\n"


def file_of(folder: Path, device: str) -> Path:
    return folder / f"mlcards-{device}.jsonl"


def write_file(path: Path, evs: list[dict[str, Any]], tail: bytes = b"") -> Path:
    path.write_bytes(b"".join(line(ev) for ev in evs) + tail)
    return path


def read_all(
    folder: Path, marks: dict[str, dict[str, Any]] | None = None, device: str = A
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], list[Path]]:
    result = read_folder(folder, device, marks or {})
    got = [ev for batch in result.events for ev in batch]
    return got, result.marks, result.conflict_copies


def ids(evs: list[dict[str, Any]]) -> list[str]:
    return [ev["id"] for ev in evs]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "sync"
    path.mkdir()
    return path


@pytest.fixture
def lock_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


# ---------------------------------------------------------------------------- append, read


def test_appended_events_read_back_as_written(folder: Path, lock_dir: Path) -> None:
    written = [event(A, 1), event(A, 2, "undo"), event(A, 3, "card"), event(A, 4, "settings")]
    assert append_events(folder, A, written, lock_dir) == 4
    got, _, copies = read_all(folder)
    assert got == written and copies == []
    data = file_of(folder, A).read_bytes()
    assert data.endswith(b"\n") and data.count(b"\n") == 4
    assert b"\\u001b" in data  # a control character travels escaped, never raw


def test_the_own_file_only_grows_and_no_event_is_written_twice(
    folder: Path, lock_dir: Path
) -> None:
    assert append_events(folder, A, events(A, 1, 5), lock_dir) == 5
    before = file_of(folder, A).read_bytes()
    assert append_events(folder, A, events(A, 1, 5), lock_dir) == 0
    assert append_events(folder, A, events(A, 3, 8), lock_dir) == 3
    after = file_of(folder, A).read_bytes()
    assert after.startswith(before)
    assert ids(read_all(folder)[0]) == [f"{A}-{n}" for n in range(1, 9)]


def test_events_out_of_seq_order_are_a_programming_error(folder: Path, lock_dir: Path) -> None:
    with pytest.raises(ValueError, match="seq order"):
        append_events(folder, A, [event(A, 2), event(A, 1)], lock_dir)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (event(B, 1), "device"),
        (event(A, 1, id="x"), '"id"'),
        (event(A, 1, row=[1]), '"row"'),
        (event(A, 1, note=float("nan")), "number"),
        (event(A, 1, note="\ud800"), "surrogate"),
        (event(A, 1, note=object()), "not a JSON value"),
        (event(A, 1, note="x" * (MAX_LINE + 1)), "longer than"),
    ],
)
def test_an_invalid_event_is_never_written(
    folder: Path, lock_dir: Path, bad: dict[str, Any], reason: str
) -> None:
    append_events(folder, A, [event(A, 1)] if bad["seq"] != 1 else [], lock_dir)
    with pytest.raises(SyncFolderError, match=reason) as caught:
        append_events(folder, A, [bad], lock_dir)
    assert caught.value.exit_code == 65
    assert not file_of(folder, A).exists() or file_of(folder, A).read_bytes() == b""


def test_another_devices_file_is_never_written(folder: Path, lock_dir: Path) -> None:
    other = write_file(file_of(folder, B), events(B, 1, 3))
    before = other.read_bytes(), other.stat().st_mtime_ns
    append_events(folder, A, events(A, 1, 3), lock_dir)
    read_all(folder)
    assert (other.read_bytes(), other.stat().st_mtime_ns) == before


def test_reading_streams_batches(folder: Path) -> None:
    write_file(file_of(folder, B), events(B, 1, 2 * BATCH + 5))
    sizes = [len(batch) for batch in read_folder(folder, A, {}).events]
    assert sizes == [BATCH, BATCH, 5]


def test_files_not_ours_are_not_read(folder: Path) -> None:
    write_file(file_of(folder, B), events(B, 1, 1))
    for name in (
        "mlcards-ABCDEFABCDEF0000.jsonl",
        "mlcards-abc.jsonl",
        f"mlcards-{B}0.jsonl",
        "notes.jsonl",
        f".syncthing.mlcards-{B}.jsonl.tmp",
        f"mlcards-{B}.jsonl~",
        f"mlcards-{B}.jsonl.partial",
    ):
        (folder / name).write_text("garbage\n")
    assert ids(read_all(folder)[0]) == [f"{B}-1"]


def test_another_tools_copy_is_read_but_never_tidied(folder: Path) -> None:
    write_file(file_of(folder, B), events(B, 1, 1))
    copy = write_file(folder / f"mlcards-{B}-DESKTOP-7Q2.jsonl", events(B, 1, 2))
    got, _, copies = read_all(folder)
    assert sorted(ids(got)) == [f"{B}-1", f"{B}-1", f"{B}-2"] and copies == []
    write_file(file_of(folder, B), events(B, 1, 2))
    assert tidy_conflicts([copy, file_of(folder, B)], lambda _: True) == []
    assert copy.exists()


def test_a_missing_folder_and_a_file_that_is_not_regular(folder: Path) -> None:
    with pytest.raises(SyncFolderError, match="no such folder") as caught:
        read_folder(folder / "nope", A, {})
    assert caught.value.exit_code == 66
    file_of(folder, B).mkdir()
    with pytest.raises(SyncFolderError, match="not a regular file"):
        read_all(folder)


# ---------------------------------------------------------------------------- torn lines


def test_a_torn_last_line_waits_until_it_is_whole(folder: Path) -> None:
    whole = line(event(B, 3))
    path = write_file(file_of(folder, B), events(B, 1, 2), tail=whole[:20])
    got, marks, _ = read_all(folder)
    assert ids(got) == [f"{B}-1", f"{B}-2"]
    assert marks[path.name]["offset"] == path.stat().st_size - 20
    assert read_all(folder, marks)[0] == []
    with path.open("ab") as handle:
        handle.write(whole[20:])
    got, marks, _ = read_all(folder, marks)
    assert ids(got) == [f"{B}-3"]
    assert read_all(folder, marks)[0] == []


@settings(max_examples=30, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=30))
def test_a_file_arriving_in_any_pieces_gives_every_event_once(
    tmp_path_factory: pytest.TempPathFactory, cuts: list[int]
) -> None:
    folder = tmp_path_factory.mktemp("pieces")
    data = b"".join(line(event(B, n, kind)) for n, kind in enumerate(folder_events.TYPES, 1))
    data += b"".join(line(ev) for ev in events(B, 5, 12))
    path, pos, seen, marks = file_of(folder, B), 0, [], {}
    path.write_bytes(b"")
    for cut in [*cuts, len(data)]:
        pos = min(len(data), pos + cut)
        with path.open("ab") as handle:
            handle.write(data[path.stat().st_size : pos])
        got, marks, _ = read_all(folder, marks)
        seen += ids(got)
    assert seen == [f"{B}-{n}" for n in range(1, 13)]


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(0, 2), st.integers(1, 4)),
        st.tuples(
            st.just("copy"),
            st.integers(0, 2),
            st.integers(0, 2),
            st.integers(0, 2),
            st.floats(0, 1),
            st.booleans(),
        ),
        st.tuples(st.just("read"), st.integers(0, 2)),
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(ops=OPS)
def test_replicas_moved_by_a_sync_tool_learn_every_event(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[Any, ...]]
) -> None:
    """Three devices, each with its own copy of the folder; a sync tool copies a device's
    file to another copy either whole by a rename (Syncthing) or in place, cut anywhere (a
    transfer in progress). Reading with marks after any step, then once everything arrived,
    every copy has given every event, and no line was ever handed on half."""
    root = tmp_path_factory.mktemp("replicas")
    devices = (A, B, C)
    replicas = [root / f"r{n}" for n in range(3)]
    for replica in replicas:
        replica.mkdir()
    written: list[str] = []
    seen: list[set[str]] = [set(), set(), set()]
    marks: list[dict[str, dict[str, Any]]] = [{}, {}, {}]
    next_seq = [1, 1, 1]

    def read(n: int) -> None:
        got, marks[n], _ = read_all(replicas[n], marks[n], devices[n])
        seen[n].update(ids(got))

    def copy(src: int, dst: int, owner: int, fraction: float, rename: bool) -> None:
        source, target = (
            file_of(replicas[src], devices[owner]),
            file_of(replicas[dst], devices[owner]),
        )
        if owner == dst or not source.exists():
            return
        data = source.read_bytes()
        have = target.read_bytes() if target.exists() else b""
        if len(data) <= len(have):
            return
        if rename:
            temp = replicas[dst] / ".syncthing.tmp"
            temp.write_bytes(data)
            temp.replace(target)
        else:
            with target.open("ab") as handle:
                handle.write(data[len(have) : max(len(have) + 1, int(fraction * len(data)))])

    for op in ops:
        if op[0] == "append":
            _, n, count = op
            new = events(devices[n], next_seq[n], next_seq[n] + count - 1)
            append_events(replicas[n], devices[n], new, root / f"lock{n}")
            next_seq[n] += count
            written += ids(new)
        elif op[0] == "copy":
            copy(*op[1:])
        else:
            read(op[1])
    for _ in range(2):
        for src in range(3):
            for dst in range(3):
                copy(src, dst, src, 1.0, True)
    for n in range(3):
        read(n)
        assert seen[n] == set(written)


def test_a_torn_own_last_line_is_cut_before_the_next_append(folder: Path, lock_dir: Path) -> None:
    path = write_file(file_of(folder, A), events(A, 1, 2), tail=line(event(A, 3))[:-9])
    assert append_events(folder, A, events(A, 1, 4), lock_dir) == 2
    assert [json.loads(raw)["seq"] for raw in path.read_bytes().splitlines()] == [1, 2, 3, 4]
    path.write_bytes(path.read_bytes() + b'{"v":1,"id')
    assert append_events(folder, A, [], lock_dir) == 0
    assert path.read_bytes().endswith(b"\n")


def test_last_seq_reads_the_end_of_the_own_file_only(folder: Path, lock_dir: Path) -> None:
    assert last_seq(folder, A) == 0
    path = write_file(file_of(folder, A), events(A, 1, 3), tail=b"\n\n" + line(event(A, 4))[:9])
    before = path.read_bytes()
    assert last_seq(folder, A) == 3 and path.read_bytes() == before
    path.unlink()  # a sync tool lost the file: the caller writes every event again
    assert append_events(folder, A, events(A, last_seq(folder, A) + 1, 4), lock_dir) == 4
    path.write_bytes(path.read_bytes() + b"x" * (MAX_LINE + 5))
    with pytest.raises(SyncFolderError, match=r"mlcards-a+\.jsonl:5: a line longer"):
        last_seq(folder, A)
    path.write_bytes(b"y" * (MAX_LINE + 5) + b"\n")
    with pytest.raises(SyncFolderError, match=r"mlcards-a+\.jsonl:1: a line longer"):
        append_events(folder, A, [], lock_dir)


def test_a_torn_line_longer_than_the_cap_is_an_error(folder: Path) -> None:
    write_file(file_of(folder, B), events(B, 1, 1), tail=b"[" * (MAX_LINE + 10))
    with pytest.raises(SyncFolderError, match=r"mlcards-b+\.jsonl:2: a line longer"):
        read_all(folder)


# ---------------------------------------------------------------------------- bad lines


def valid_text(**changes: Any) -> str:
    ev = event(B, 2)
    for key, value in changes.items():
        if value is ...:
            del ev[key]
        else:
            ev[key] = value
    return json.dumps(ev)


BAD_LINES = [
    (b"not json", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    (valid_text(v=0).encode(), '"v" must be 1'),
    (valid_text(v=True).encode(), '"v" must be 1'),
    (valid_text(v=...).encode(), '"v" must be 1'),
    (valid_text(seq=0, id=f"{B}-0").encode(), '"seq"'),
    (valid_text(seq=2**64, id=f"{B}-{2**64}").encode(), '"seq"'),
    (valid_text(seq="2").encode(), '"seq"'),
    (valid_text(id=f"{B}-3").encode(), '"id"'),
    (valid_text(device=A, id=f"{A}-2").encode(), "an event of device"),
    (valid_text(device="B" * 16, id=f"{'B' * 16}-2").encode(), '"device"'),
    (valid_text(t="yesterday").encode(), '"t"'),
    (valid_text(type="sneeze").encode(), "unknown event type"),
    (valid_text(type="\x1b]0;owned\x07").encode(), "control character"),
    (valid_text(deck=7).encode(), '"deck" must be a string'),
    (valid_text(card="").encode(), '"card" is empty'),
    (valid_text(card="c" * 2000).encode(), "longer than 1024"),
    (valid_text(card="c\n1").encode(), "control character"),
    (valid_text(row={"chosen": ["a"]}).encode(), '"row"'),
    (valid_text(row=...).encode(), '"row" must be an object'),
    (valid_text(extra=2**70).encode(), "integer out of range"),
    (valid_text(extra=[[[[[[[1]]]]]]]).encode(), "nested deeper"),
    (valid_text(note="\\ud800").replace("\\\\ud800", "\\ud800").encode(), "surrogate"),
    (valid_text(note=1).replace("1}", "1e999}").encode(), "out of range"),
    (valid_text(note=1).replace("1}", "NaN}").encode(), "not a JSON number"),
    (valid_text(type="undo", target="me").encode(), '"target"'),
    (valid_text(type="card", action="flag", data=[1]).encode(), '"data"'),
    (valid_text(type="settings", key="fuzz").encode(), '"value" is missing'),
]


@pytest.mark.parametrize(("raw", "reason"), BAD_LINES)
def test_a_bad_line_is_refused_naming_file_and_line(folder: Path, raw: bytes, reason: str) -> None:
    path = write_file(file_of(folder, B), events(B, 1, 1), tail=raw + b"\n" + line(event(B, 3)))
    before = path.read_bytes()
    with pytest.raises(SyncFolderError) as caught:
        read_all(folder)
    message = str(caught.value)
    assert message.startswith(f"{path}:2: ") and reason in message, message
    assert caught.value.exit_code == 65
    assert not any(ch in message for ch in "\x1b\x07\n")
    assert path.read_bytes() == before


def test_a_bad_line_in_a_conflict_copy_is_an_error_too(folder: Path) -> None:
    write_file(file_of(folder, B), events(B, 1, 2))
    copy = folder / f"mlcards-{B}.sync-conflict-20261206-101010-ABCDEF7.jsonl"
    write_file(copy, events(B, 1, 1), tail=b"{}\n")
    with pytest.raises(SyncFolderError, match=r"sync-conflict-20261206-101010-ABCDEF7\.jsonl:2"):
        read_all(folder)


def test_a_file_from_a_newer_mlcards_is_refused_and_left_alone(folder: Path) -> None:
    newer = event(B, 2, v=2, shape="new")
    path = write_file(file_of(folder, B), [event(B, 1), newer])
    before = path.read_bytes()
    with pytest.raises(SyncFolderError) as caught:
        read_all(folder)
    assert caught.value.exit_code == 78
    assert str(caught.value).startswith(f"{path}:2: event version 2 is newer")
    assert path.read_bytes() == before


def test_the_error_comes_before_the_marks_are_complete(folder: Path) -> None:
    write_file(file_of(folder, B), events(B, 1, 1), tail=b"{}\n")
    result = read_folder(folder, A, {})
    with pytest.raises(SyncFolderError):
        list(result.events)
    assert f"mlcards-{B}.jsonl" not in result.marks


def test_blank_lines_and_crlf_line_ends_are_read(folder: Path) -> None:
    data = line(event(B, 1)).replace(b"\n", b"\r\n") + b"\n  \n" + line(event(B, 2))
    file_of(folder, B).write_bytes(data)
    assert ids(read_all(folder)[0]) == [f"{B}-1", f"{B}-2"]


def test_a_bad_own_last_line_stops_the_append(folder: Path, lock_dir: Path) -> None:
    path = write_file(file_of(folder, A), events(A, 1, 2), tail=b"{oops}\n")
    before = path.read_bytes()
    with pytest.raises(SyncFolderError, match=r"mlcards-a+\.jsonl:3: not JSON"):
        append_events(folder, A, events(A, 1, 5), lock_dir)
    assert path.read_bytes() == before


# ---------------------------------------------------------------------------- marks


def test_a_no_op_read_only_stats(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_file(file_of(folder, A), events(A, 1, 3))
    write_file(file_of(folder, B), events(B, 1, 3), tail=b'{"v":1')
    _, marks, _ = read_all(folder)
    marks = json.loads(json.dumps(marks))  # the caller keeps them as JSON

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file was opened")

    monkeypatch.setattr(reading.os, "open", forbidden)
    got, again, _ = read_all(folder, marks)
    assert got == [] and again == marks


def test_an_appended_file_is_read_from_its_mark(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_file(file_of(folder, B), events(B, 1, 500))
    _, marks, _ = read_all(folder)
    offset = marks[path.name]["offset"]
    with path.open("ab") as handle:
        handle.write(b"".join(line(ev) for ev in events(B, 501, 503)))
    reads: list[tuple[int, int]] = []
    real = os.pread

    def pread(fd: int, size: int, at: int) -> bytes:
        reads.append((size, at))
        return real(fd, size, at)

    monkeypatch.setattr(reading.os, "pread", pread)
    got, marks, _ = read_all(folder, marks)
    assert ids(got) == [f"{B}-{n}" for n in (501, 502, 503)]
    window = folder_events.WINDOW  # the mark's hashed ends: the first 4 KiB and the last read
    assert all(at >= offset - window or (at == 0 and size <= window) for size, at in reads)
    assert sum(size for size, _ in reads) < 4 * folder_events.WINDOW + 3 * 400
    assert marks[path.name]["line"] == 503


def test_a_file_changed_before_its_mark_is_read_whole(folder: Path) -> None:
    path = write_file(file_of(folder, B), events(B, 1, 4))
    _, marks, _ = read_all(folder)
    write_file(path, [*events(B, 1, 2), event(B, 9), *events(B, 3, 4), event(B, 5)])
    assert ids(read_all(folder, marks)[0]) == [f"{B}-{n}" for n in (1, 2, 9, 3, 4, 5)]


def test_a_shrunk_file_is_read_whole(folder: Path) -> None:
    path = write_file(file_of(folder, B), events(B, 1, 4))
    _, marks, _ = read_all(folder)
    write_file(path, events(B, 1, 2))
    got, marks, _ = read_all(folder, marks)
    assert ids(got) == [f"{B}-1", f"{B}-2"]
    assert marks[path.name]["line"] == 2


@pytest.mark.parametrize(
    "mark",
    [
        None,
        "x",
        {"size": "1"},
        {"size": 10, "mtime_ns": 1, "offset": 99, "line": 1, "head": "", "tail": ""},
        {"size": 10, "mtime_ns": 1, "offset": 5, "line": -1, "head": "", "tail": ""},
        {"size": 10, "mtime_ns": 1, "offset": 5, "line": 1, "head": 1, "tail": ""},
    ],
)
def test_a_damaged_mark_means_reading_the_file_whole(folder: Path, mark: object) -> None:
    path = write_file(file_of(folder, B), events(B, 1, 2))
    assert len(read_all(folder, {path.name: mark})[0]) == 2  # type: ignore[dict-item]


def test_the_marks_of_files_gone_are_dropped(folder: Path) -> None:
    path = write_file(file_of(folder, B), events(B, 1, 2))
    _, marks, _ = read_all(folder)
    path.unlink()
    assert read_all(folder, marks)[1] == {}


# ---------------------------------------------------------------------------- conflicts

SYNCTHING = f"mlcards-{B}.sync-conflict-20261206-101010-ABCDEF7.jsonl"
DROPBOX = f"mlcards-{B} (Ann's conflicted copy 2026-12-06).jsonl"


@pytest.mark.parametrize("name", [SYNCTHING, DROPBOX])
def test_a_conflict_copy_is_read_and_tidied_once_nothing_in_it_is_new(
    folder: Path, name: str
) -> None:
    write_file(file_of(folder, B), events(B, 1, 3))
    copy = write_file(folder / name, [*events(B, 1, 2), event(B, 4)])
    got, _, copies = read_all(folder)
    assert copies == [copy]
    assert set(ids(got)) == {f"{B}-{n}" for n in range(1, 5)}
    known = set(ids(got))
    # B-4 is in the copy only: a device that has not read the copy yet would lose it
    assert tidy_conflicts(copies, known.__contains__) == [] and copy.exists()
    with file_of(folder, B).open("ab") as handle:
        handle.write(line(event(B, 4)))
    assert tidy_conflicts(copies, {f"{B}-1"}.__contains__) == [] and copy.exists()
    assert tidy_conflicts(copies, known.__contains__) == [copy]
    assert not copy.exists() and file_of(folder, B).exists()
    got, _, copies = read_all(folder)
    assert copies == [] and len(got) == 4


def test_a_copy_differing_from_its_devices_file_is_kept(folder: Path) -> None:
    write_file(file_of(folder, B), events(B, 1, 2))
    copy = write_file(folder / SYNCTHING, [event(B, 1), event(B, 2, "undo")])
    assert tidy_conflicts([copy], lambda _: True) == [] and copy.exists()


def test_tidying_keeps_what_it_cannot_vouch_for(folder: Path) -> None:
    main = write_file(file_of(folder, B), events(B, 1, 2))
    bad = write_file(folder / SYNCTHING, events(B, 1, 1), tail=b"{}\n")
    orphan = write_file(folder / f"mlcards-{A}.sync-conflict-20261206-101010-ABCDEF7.jsonl", [])
    orphan.write_bytes(line(event(A, 1)))
    gone = folder / DROPBOX
    assert tidy_conflicts([main, bad, orphan, gone], lambda _: True) == []
    assert main.exists() and bad.exists() and orphan.exists()


def test_a_torn_tail_of_a_copy_does_not_keep_it(folder: Path) -> None:
    write_file(file_of(folder, B), events(B, 1, 3))
    copy = write_file(folder / SYNCTHING, events(B, 1, 2), tail=line(event(B, 3))[:30])
    assert tidy_conflicts([copy], lambda _: True) == [copy]


def test_conflict_copy_names() -> None:
    classify = reading._classify
    assert classify(f"mlcards-{B}.jsonl") == (B, False)
    assert classify(SYNCTHING) == (B, True)
    assert classify(DROPBOX) == (B, True)
    assert classify(f"mlcards-{B} (conflicted copy 2026-12-06 101010).jsonl") == (B, True)
    assert classify(f"mlcards-{B} (Ann's conflicted copy 2026-12-06) (1).jsonl") == (B, True)
    twice = f"mlcards-{B}.sync-conflict-20261206-101010-ABCDEF7"
    twice += ".sync-conflict-20261207-101010-XYZ1234.jsonl"
    assert classify(twice) == (B, True)
    for name in (f"mlcards-{B} (1).jsonl", f"mlcards-{B}.sync-conflict-2026.jsonl"):
        assert classify(name) == (B, False)  # read, never tidied
    for name in ("mlcards-.jsonl", f"mlcards-{B}f.jsonl", f"mlcards-{B}.json"):
        assert classify(name) is None


# ---------------------------------------------------------------------------- layout, git


def test_ensure_layout_writes_the_union_merge_attribute(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "sync"
    with pytest.raises(SyncFolderError, match="no such folder") as refused:
        ensure_layout(folder)
    assert refused.value.exit_code == 66 and not (tmp_path / "new").exists()
    folder.mkdir(parents=True)
    ensure_layout(folder)
    attributes = (folder / ".gitattributes").read_text()
    assert "mlcards-*.jsonl merge=union\n" in attributes
    ensure_layout(folder)
    assert (folder / ".gitattributes").read_text() == attributes
    assert sorted(p.name for p in folder.iterdir()) == [".gitattributes"]


def test_ensure_layout_keeps_the_learners_attributes(tmp_path: Path) -> None:
    (tmp_path / ".gitattributes").write_text("*.png binary")
    ensure_layout(tmp_path)
    assert (tmp_path / ".gitattributes").read_text() == (
        "*.png binary\nmlcards-*.jsonl merge=union\n"
    )


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(
        ["git", "-c", "user.name=x", "-c", "user.email=y@example.org",
         "-c", "init.defaultBranch=main", "-c", "pull.rebase=false", *args],
        cwd=cwd, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def two_clones(tmp_path: Path, attributes: bool) -> tuple[Path, Path]:
    assert git(tmp_path, "init", "--bare", "origin.git").returncode == 0
    one, two = tmp_path / "one", tmp_path / "two"
    assert git(tmp_path, "clone", "origin.git", "one").returncode == 0
    if attributes:
        ensure_layout(one)
    write_file(file_of(one, A), events(A, 1, 2))
    assert git(one, "add", "-A").returncode == 0
    assert git(one, "commit", "-m", "start").returncode == 0
    assert git(one, "push", "origin", "HEAD").returncode == 0
    assert git(tmp_path, "clone", "origin.git", "two").returncode == 0
    return one, two


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize("attributes", [True, False])
def test_a_git_merge_of_two_clones_keeps_every_event_once(tmp_path: Path, attributes: bool) -> None:
    one, two = two_clones(tmp_path, attributes)
    # Both clones append to the same file (one learner's database copied to two machines),
    # and clone two also to a file of its own.
    append_events(one, A, events(A, 1, 4), tmp_path / "lock-one")
    append_events(two, A, [event(A, 5), event(A, 6, "undo")], tmp_path / "lock-two")
    append_events(two, C, events(C, 1, 3), tmp_path / "lock-two")
    for clone in (one, two):
        assert git(clone, "add", "-A").returncode == 0
        assert git(clone, "commit", "-m", "answers").returncode == 0
    assert git(one, "push", "origin", "HEAD").returncode == 0
    before, marks, _ = read_all(two, device=C)
    merged = git(two, "pull", "origin", "main")
    if not attributes:
        assert merged.returncode != 0 and "CONFLICT" in merged.stdout
        return
    assert merged.returncode == 0, merged.stdout + merged.stderr
    after, _, _ = read_all(two, marks, device=C)  # from the marks taken before the merge
    expected = {f"{A}-{n}" for n in range(1, 7)} | {f"{C}-{n}" for n in range(1, 4)}
    assert set(ids(before + after)) == expected
    got = read_all(two, device=C)[0]
    assert sorted(ids(got)) == sorted(expected)
    assert git(two, "push", "origin", "HEAD").returncode == 0
    assert git(one, "pull", "origin", "main").returncode == 0
    assert sorted(ids(read_all(one)[0])) == sorted(expected)
    assert append_events(two, C, events(C, 1, 4), tmp_path / "lock-two") == 1


# ---------------------------------------------------------------------------- processes


def _append_worker(folder: str, lock_dir: str, count: int) -> None:
    for upto in range(10, count + 1, 10):
        append_events(Path(folder), A, events(A, 1, upto), Path(lock_dir))


@pytest.mark.slow
def test_processes_appending_at_once_never_double_an_event(folder: Path, lock_dir: Path) -> None:
    spawn = multiprocessing.get_context("spawn")
    workers = [
        spawn.Process(target=_append_worker, args=(str(folder), str(lock_dir), 300))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    seqs = [json.loads(raw)["seq"] for raw in file_of(folder, A).read_bytes().splitlines()]
    assert seqs == list(range(1, 301))


def test_a_held_lock_makes_the_append_busy(
    folder: Path, lock_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    monkeypatch.setattr(writing, "LOCK_TIMEOUT", 0.1)
    lock_dir.mkdir()
    with open(lock_dir / folder_events.LOCK_NAME, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(SyncFolderError, match="another mlcards") as caught:
            append_events(folder, A, events(A, 1, 1), lock_dir)
    assert caught.value.exit_code == 75
    assert not file_of(folder, A).exists()


KILLED_WRITER = """
import sys
from pathlib import Path
from mlcards.syncfolder import append_events
folder, lock = Path(sys.argv[1]), Path(sys.argv[2])
big = "x" * 900_000  # lines near the cap: a kill lands inside a write more often
def gen(first):
    seq = first
    while True:
        yield {"v": 1, "id": f"{'a' * 16}-{seq}", "device": "a" * 16, "seq": seq,
               "t": "2026-12-06T10:00:00.000000Z", "type": "settings", "deck": "",
               "key": "k", "value": big}
        seq += 1
print("ready", flush=True)
append_events(folder, "a" * 16, gen(1), lock)
"""


@pytest.mark.slow
def test_kill_9_during_an_append_leaves_at_most_a_torn_last_line(
    folder: Path, lock_dir: Path
) -> None:
    torn = attempts = 0
    while attempts < 4 or (not torn and attempts < 20):
        attempts += 1
        child = subprocess.Popen(
            [sys.executable, "-c", KILLED_WRITER, str(folder), str(lock_dir)],
            cwd=ROOT, stdout=subprocess.PIPE,
        )  # fmt: skip
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        time.sleep((0.05, 0.1, 0.15, 0.2)[attempts % 4])
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        lines = file_of(folder, A).read_bytes().split(b"\n")
        torn += lines[-1] != b""
        seqs = [json.loads(raw)["seq"] for raw in lines[:-1]]
        assert seqs == list(range(1, len(seqs) + 1))
        assert len(read_all(folder)[0]) == len(seqs)  # a reader skips the torn line
        upto = len(seqs) + 3
        more = [event(A, n, "settings", value="y") for n in range(1, upto + 1)]
        assert append_events(folder, A, more, lock_dir) == 3
        got = [json.loads(raw)["seq"] for raw in file_of(folder, A).read_bytes().splitlines()]
        assert got == list(range(1, upto + 1))
        file_of(folder, A).unlink()  # up to 100 MB; the next writer starts again from 1
    print(f"kills that left a torn line: {torn} of {attempts}")


@pytest.mark.slow
def test_fifty_thousand_events_read_in_bounded_batches(folder: Path) -> None:
    import tracemalloc

    for device in (A, B, C):
        with file_of(folder, device).open("wb") as handle:
            for first in range(1, 17_001, 1000):
                handle.write(b"".join(line(ev) for ev in events(device, first, first + 999)))
    tracemalloc.start()
    try:
        result = read_folder(folder, A, {})
        count, biggest = 0, 0
        for batch in result.events:
            count += len(batch)
            biggest = max(biggest, len(batch))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 51_000 and biggest == BATCH
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB"
    assert len(result.marks) == 3
