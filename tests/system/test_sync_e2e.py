"""Sync (#24) end to end: real ``mlcards`` processes, each device its own data dir and
clock, meeting only through a folder moved as the sync tools move it: a git repository
(bare remote, clones, ``merge=union``), Syncthing (files copied between device folders,
``.sync-conflict-`` copies, a copy still arriving) and Dropbox ("conflicted copy").

Answers are given in real ``mlcards review`` sessions (a pseudo-terminal); converged means
the same ``export cards``, the same set of answer ids, and ``check`` clean on every device."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pexpect
import pytest
from helpers import deck_yaml, start, subprocess_env, write
from pty_helpers import spawn_mlcards
from sync_helpers import write_answer_file

pytestmark = pytest.mark.slow

CARDS = ("c1", "c2", "c3", "c4", "c5", "c6")


class Dev:
    """One computer: its own MLCARDS_HOME, its own clock (``now``), its own sync folder."""

    def __init__(self, root: Path, name: str, folder: Path, now: str) -> None:
        self.home = root / name
        self.home.mkdir(parents=True)
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)  # sync never makes the folder it is given
        self.now = now

    def env(self) -> dict[str, str]:
        return subprocess_env(self.home, MLCARDS_NOW=self.now)

    def run(self, *args: str, code: int | None = 0) -> subprocess.CompletedProcess[str]:
        done = start(list(args), self.env(), self.home, text=True, timeout=120)
        if code is not None:
            assert done.returncode == code, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def sync(self, code: int | None = 0) -> subprocess.CompletedProcess[str]:
        return self.run("sync", str(self.folder), "--json", code=code)

    def answer(self, count: int, key: str = "1") -> None:
        """``count`` answers in a real review session: option ``key``, rated good when
        right, Enter when wrong."""
        env = {k: v for k, v in self.env().items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
        child = spawn_mlcards(
            "review", "--no-shuffle", cwd=str(self.home), env=env | {"TERM": "xterm"},
            dimensions=(60, 80), encoding="utf-8", timeout=30,
        )  # fmt: skip
        given = 0
        while True:
            found = child.expect([r"Question c\d\?", pexpect.EOF])
            if found == 1:
                break
            if given == count:
                child.send("q")
                child.expect(pexpect.EOF)
                break
            child.expect("don't know")
            child.send(key)
            if child.expect(["Rate it", "Enter continue"]) == 0:
                child.send("4")
            else:
                child.send("\r")
            given += 1
        child.close()
        assert child.exitstatus == 0, child.before
        assert given == count, f"{given} answers, not {count}"

    def db(self) -> Path:
        return self.home / "mlcards.db"

    def uids(self) -> set[str]:
        conn = sqlite3.connect(self.db())
        try:
            return {r[0] for r in conn.execute("SELECT uid FROM reviews")}
        finally:
            conn.close()

    def device(self) -> str:
        conn = sqlite3.connect(self.db())
        try:
            row = conn.execute("SELECT value FROM sync_state WHERE key = 'device'").fetchone()
            return str(row[0])
        finally:
            conn.close()

    def state(self) -> tuple[str, set[str]]:
        """(export cards, answer ids), after a clean ``check``."""
        self.run("check")
        return self.run("export", "cards", "--format", "json").stdout, self.uids()


def converged(*devices: Dev) -> set[str]:
    first = devices[0].state()
    for device in devices[1:]:
        assert device.state() == first
    assert first[1]
    return first[1]


def own_lines(folder: Path, device: str) -> list[int]:
    text = (folder / f"mlcards-{device}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line)["seq"] for line in text.splitlines()]


# ---------------------------------------------------------------------------- git


def git(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, HOME=str(cwd),
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org",
    )  # fmt: skip
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "pull.rebase=false", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def commit(dev: Dev, message: str) -> None:
    git(dev.folder, "add", "-A")
    if git(dev.folder, "status", "--porcelain"):
        git(dev.folder, "commit", "-q", "-m", message)


def test_three_devices_through_a_git_repository(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    devs = []
    for i, name in enumerate("abc"):
        git(tmp_path, "clone", "-q", str(remote), str(tmp_path / f"clone-{name}"))
        now = f"2026-03-01T{8 + i:02d}:00:00Z"
        devs.append(Dev(tmp_path, name, tmp_path / f"clone-{name}", now))
    a, b, c = devs
    write(a.folder / "toy.yaml", deck_yaml(cards=CARDS))
    a.run("import", str(a.folder / "toy.yaml"))
    a.sync()
    assert "merge=union" in (a.folder / ".gitattributes").read_text(encoding="utf-8")
    commit(a, "deck")
    git(a.folder, "push", "-q", "origin", "main")
    for dev in (b, c):
        git(dev.folder, "pull", "-q", "origin", "main")
        dev.run("import", str(dev.folder / "toy.yaml"))
    # a and b answer while apart, commit, and meet through a merge
    a.answer(2)
    b.answer(3, key="2")
    for dev in (a, b):
        dev.sync()
        commit(dev, "answers")
    git(a.folder, "push", "-q", "origin", "main")
    git(b.folder, "pull", "-q", "--no-edit", "origin", "main")  # a merge commit
    b.sync()
    commit(b, "sync")
    git(b.folder, "push", "-q", "origin", "main")
    # c suspends a card and answers, then everyone pulls, syncs, pushes in turn
    c.run("suspend", "toy/c6", "--yes")
    c.answer(1)
    c.sync()
    commit(c, "c")
    git(c.folder, "pull", "-q", "--no-edit", "origin", "main")
    c.sync()
    commit(c, "c merged")
    git(c.folder, "push", "-q", "origin", "main")
    for _ in range(2):
        for dev in devs:
            git(dev.folder, "pull", "-q", "--no-edit", "origin", "main")
            dev.sync()
            commit(dev, "sync")
            git(dev.folder, "push", "-q", "origin", "main")
    assert len(converged(*devs)) == 6
    for dev in devs:
        seqs = own_lines(a.folder, dev.device())
        assert len(seqs) == len(set(seqs)), "an event written twice"


def test_one_device_file_changed_in_two_clones_is_merged_by_union(tmp_path: Path) -> None:
    """A device that synced into two clones of the repository (a second checkout): both
    changed its file; the merge keeps the lines of both, and every device reads them all."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(tmp_path, "clone", "-q", str(remote), str(tmp_path / "one"))
    write(tmp_path / "one" / "notes.txt", "cards\n")
    git(tmp_path / "one", "add", "-A")
    git(tmp_path / "one", "commit", "-q", "-m", "start")
    git(tmp_path / "one", "push", "-q", "origin", "main")
    for name in ("two", "b"):
        git(tmp_path, "clone", "-q", str(remote), str(tmp_path / name))
    a = Dev(tmp_path, "a", tmp_path / "one", "2026-03-01T08:00:00Z")
    b = Dev(tmp_path, "b-home", tmp_path / "b", "2026-03-01T09:00:00Z")
    write(tmp_path / "toy.yaml", deck_yaml(cards=CARDS))
    for dev in (a, b):
        dev.run("import", str(tmp_path / "toy.yaml"))
    a.answer(1)
    a.sync()
    commit(a, "one")
    git(a.folder, "push", "-q", "origin", "main")
    a.answer(2)
    a.folder = tmp_path / "two"
    a.sync()  # all three of a's answers, in the second clone
    commit(a, "two")
    a.answer(1)
    a.folder = tmp_path / "one"
    a.sync()  # the fourth after the first
    commit(a, "one again")
    git(a.folder, "push", "-q", "origin", "main")
    git(tmp_path / "two", "pull", "-q", "--no-edit", "origin", "main")
    assert "<<<<<<<" not in (tmp_path / "two" / f"mlcards-{a.device()}.jsonl").read_text()
    git(tmp_path / "two", "push", "-q", "origin", "main")
    git(b.folder, "pull", "-q", "--no-edit", "origin", "main")
    b.sync()
    a.folder = tmp_path / "two"
    a.sync()
    assert len(converged(a, b)) == 4


# ---------------------------------------------------------------------------- Syncthing, Dropbox


def copy_files(source: Path, target: Path) -> None:
    """What a file-syncing tool does once both sides are online: the newest of each file."""
    for path in source.glob("mlcards-*.jsonl"):
        there = target / path.name
        if not there.exists() or there.stat().st_size < path.stat().st_size:
            shutil.copy2(path, there)


@pytest.mark.parametrize(
    "conflict_name",
    [
        "mlcards-{device}.sync-conflict-20260301-101500-ABCDEFG.jsonl",
        "mlcards-{device} (b's conflicted copy 2026-03-01).jsonl",
    ],
    ids=["syncthing", "dropbox"],
)
def test_two_devices_through_copied_files(tmp_path: Path, conflict_name: str) -> None:
    a = Dev(tmp_path, "a", tmp_path / "a-folder", "2026-03-01T08:00:00Z")
    b = Dev(tmp_path, "b", tmp_path / "b-folder", "2026-03-01T09:00:00Z")
    write(tmp_path / "toy.yaml", deck_yaml(cards=CARDS))
    for dev in (a, b):
        dev.run("import", str(tmp_path / "toy.yaml"))
        dev.sync()
    a.answer(1)
    a.sync()
    copy_files(a.folder, b.folder)
    b.answer(2, key="2")
    b.sync()
    copy_files(b.folder, a.folder)
    a.sync()
    # a's file changed on both sides: the tool keeps one and puts the other aside
    own = f"mlcards-{a.device()}.jsonl"
    older = (b.folder / own).read_bytes()
    a.answer(1)
    a.sync()
    newer = (a.folder / own).read_bytes()
    (b.folder / conflict_name.format(device=a.device())).write_bytes(newer)
    (b.folder / own).write_bytes(older)
    done = json.loads(b.sync().stdout)
    assert done["events_applied"] == 1 and done["conflict_copies_removed"] == []
    # a copy still arriving: half of a's last line; read once it is whole
    a.answer(1)
    a.sync()
    whole = (a.folder / own).read_bytes()
    (b.folder / own).write_bytes(whole[: len(whole) - 40])
    done = json.loads(b.sync().stdout)
    assert done["events_applied"] == 0
    # every line of the conflict copy is in a's file now: it is tidied away
    assert done["conflict_copies_removed"] == [conflict_name.format(device=a.device())]
    (b.folder / own).write_bytes(whole)
    assert json.loads(b.sync().stdout)["events_applied"] == 1
    copy_files(b.folder, a.folder)
    a.sync()
    assert len(converged(a, b)) == 5
    for dev in (a, b):
        for folder in (a.folder, b.folder):
            seqs = own_lines(folder, dev.device())
            assert len(seqs) == len(set(seqs))


# ---------------------------------------------------------------------------- kill -9, two at once

OTHER = "e" * 16


def foreign_file(folder: Path, count: int, cards: int) -> None:
    """``count`` answers of another device for the cards of deck ``big``."""
    write_answer_file(folder, OTHER, count, "big", lambda seq: f"card-{seq % cards}")


@pytest.fixture
def busy_device(tmp_path: Path) -> tuple[Dev, int, int]:
    """A device with 2 x 1500 card actions of its own to write and 6000 answers to merge:
    (the device, its own events, the folder's answers). Its home and folder are seeds."""
    from helpers import big_deck_yaml

    dev = Dev(tmp_path, "seed", tmp_path / "seed-folder", "2026-02-01T09:00:00Z")
    write(tmp_path / "big.yaml", big_deck_yaml("big", 1500))
    dev.run("import", str(tmp_path / "big.yaml"))
    dev.run("suspend", "deck:big", "--yes")
    dev.run("unsuspend", "deck:big", "--yes")
    foreign_file(dev.folder, 6000, 1500)
    return dev, 3000, 6000


def fresh(seed: Dev, tmp_path: Path, name: str) -> Dev:
    dev = Dev(tmp_path, name, tmp_path / f"{name}-folder", seed.now)
    shutil.copytree(seed.home, dev.home, dirs_exist_ok=True)
    shutil.copytree(seed.folder, dev.folder, dirs_exist_ok=True)
    return dev


def sync_process(dev: Dev) -> subprocess.Popen[str]:
    from helpers import mlcards_argv

    argv = mlcards_argv("sync", str(dev.folder))
    return subprocess.Popen(
        argv, env=dev.env(), cwd=dev.home, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def answers(dev: Dev) -> int:
    conn = sqlite3.connect(dev.db())
    try:
        return int(conn.execute("SELECT count(*) FROM reviews").fetchone()[0])
    finally:
        conn.close()


def test_sigkill_during_mlcards_sync(tmp_path: Path, busy_device: tuple[Dev, int, int]) -> None:
    """Killed anywhere, the database is as it was or fully merged, the own file holds a
    prefix of this device's events, each once; the next sync completes both."""
    import random
    import signal
    import time

    seed, own, count = busy_device
    timing = fresh(seed, tmp_path, "timing")
    began = time.monotonic()
    process = sync_process(timing)
    err = process.communicate()[1]
    assert process.returncode == 0, err
    full = time.monotonic() - began
    device = timing.device()
    assert own_lines(timing.folder, device) == list(range(1, own + 1))
    rng = random.Random(2424)
    for run in range(5):
        dev = fresh(seed, tmp_path, f"kill-{run}")
        process = sync_process(dev)
        time.sleep(rng.uniform(0.3, 1.0) * full)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        assert answers(dev) in (0, count), f"run {run}: half a merge is visible"
        dev.run("check")
        path = dev.folder / f"mlcards-{device}.jsonl"
        if path.exists():
            seqs = own_lines(dev.folder, device) if path.read_bytes().endswith(b"\n") else None
            if seqs is not None:
                assert seqs == list(range(1, len(seqs) + 1)), f"run {run}"
        dev.sync()
        assert answers(dev) == count
        assert own_lines(dev.folder, device) == list(range(1, own + 1)), f"run {run}"
        dev.run("check")


def test_two_syncs_at_once_on_one_device(tmp_path: Path, busy_device: tuple[Dev, int, int]) -> None:
    seed, own, count = busy_device
    dev = fresh(seed, tmp_path, "twice")
    first, second = sync_process(dev), sync_process(dev)
    outputs = [p.communicate() for p in (first, second)]
    results = [(p.returncode, *out) for p, out in zip((first, second), outputs, strict=True)]
    for code, _out, err in results:
        assert code in (0, 75), err
        assert "Traceback" not in err
        if code == 75:
            assert "another mlcards" in err, err
    assert 0 in [r[0] for r in results], results
    dev.sync()
    assert answers(dev) == count
    assert own_lines(dev.folder, dev.device()) == list(range(1, own + 1))
    dev.run("check")


def test_a_copied_data_dir_is_refused_clearly(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    a = Dev(tmp_path, "a", folder, "2026-03-01T08:00:00Z")
    write(tmp_path / "toy.yaml", deck_yaml(cards=CARDS))
    a.run("import", str(tmp_path / "toy.yaml"))
    a.answer(1)
    a.sync()
    b = Dev(tmp_path, "b", folder, "2026-03-01T09:00:00Z")
    shutil.copytree(a.home, b.home, dirs_exist_ok=True)  # the data dir copied
    a.answer(1)
    b.answer(1, key="2")
    a.sync()
    before, uids = b.db().read_bytes(), b.uids()
    done = b.sync(code=65)
    assert "another database uses the same id" in done.stderr, done.stderr
    assert json.loads(done.stdout)["error"]["exit_code"] == 65
    assert b.db().read_bytes() == before and b.uids() == uids
    assert "--new-device" in done.stderr
    done = b.run("sync", str(folder), "--new-device")
    assert "1 event of this database moved" in done.stdout, done.stdout
    a.sync()
    b.sync()
    assert len(converged(a, b)) == 3  # the shared answer, a's, b's
