"""Data safety: locks, kills at random moments, full disks, newer schemas, backups, repair."""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers import big_deck_yaml, deck_yaml, mlcards, mlcards_argv, start, subprocess_env, write

KILL_RUNS = int(os.environ.get("MLCARDS_KILL_RUNS", "30"))


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def integrity_ok(db: Path) -> bool:
    return query(db, "PRAGMA integrity_check") == [("ok",)]


def cards_digest(db: Path) -> str:
    rows = query(db, "SELECT deck_id, id, content, retired FROM cards ORDER BY deck_id, id")
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.mark.slow
def test_a_writer_that_waits_too_long_says_busy_and_readers_still_work(
    isolated_home: Path, tmp_path: Path, db_path: Path
) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    assert mlcards(isolated_home, "import", str(deck))[0] == 0
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, _, err = mlcards(
            isolated_home,
            "import",
            str(write(tmp_path / "two.yaml", deck_yaml("two"))),
            MLCARDS_BUSY_TIMEOUT_MS="300",
        )
        assert code == 75, err
        assert "busy" in err and "Traceback" not in err
        code, out, _ = mlcards(isolated_home, "status", "--json", MLCARDS_BUSY_TIMEOUT_MS="300")
        assert code == 0 and json.loads(out)["totals"]["cards"] == 3
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.slow
def test_two_processes_importing_at_once_both_land(isolated_home: Path, tmp_path: Path) -> None:
    mlcards(isolated_home, "status")
    env = subprocess_env(isolated_home)
    files = [write(tmp_path / f"d{i}.yaml", big_deck_yaml(f"d{i}", 400)) for i in range(2)]
    procs = [
        subprocess.Popen(
            mlcards_argv("import", str(f)),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for f in files
    ]
    codes = [p.wait(timeout=60) for p in procs]
    for p in procs:
        assert p.stdout is not None and p.stderr is not None
        p.stdout.close()
        p.stderr.close()
    assert codes == [0, 0]
    assert query(isolated_home / "mlcards.db", "SELECT count(*) FROM cards") == [(800,)]


REVIEW_DRIVER = textwrap.dedent(
    """
    import sys
    from datetime import date, datetime, timezone
    from pathlib import Path
    from mlcards.deck import load_deck
    from mlcards.models import Quality
    from mlcards.session import Session, build_queue
    from mlcards.store import Store

    store = Store.open(Path(sys.argv[1]))
    store.decks.import_decks([load_deck(Path(sys.argv[2]))], datetime.now(timezone.utc))
    today = date(2026, 4, 1)
    session = Session(build_queue([], store.cards.new(10000), []), today)
    confirmed = 0
    while (item := session.next()) is not None:
        quality = Quality.GOOD if confirmed % 3 else Quality.WRONG
        chosen = item.card.answer if quality == Quality.GOOD else ("b",)
        record = session.answer(item, chosen, quality, 1000, datetime.now(timezone.utc))
        store.log.record(record)
        confirmed += 1
        print(f"confirmed {confirmed}", flush=True)
    """
)


def answer_with_driver(db: Path, deck: Path, home: Path) -> None:
    """Import ``deck`` into ``db`` and answer every card (every third wrong, then again)."""
    subprocess.run(
        [sys.executable, "-c", REVIEW_DRIVER, str(db), str(deck)],
        env=subprocess_env(home),
        check=True,
        capture_output=True,
    )


@pytest.mark.slow
def test_sigkill_during_reviews_never_loses_a_confirmed_answer(tmp_path: Path) -> None:
    deck = write(tmp_path / "deck.yaml", big_deck_yaml("kill", 300))
    rng = random.Random(20261125)
    for run in range(KILL_RUNS):
        db = tmp_path / f"review-{run}.db"
        child = subprocess.Popen(
            [sys.executable, "-c", REVIEW_DRIVER, str(db), str(deck)],
            env=subprocess_env(tmp_path / "home"),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        confirmed = 0
        stop_after = rng.randint(1, 40)
        while confirmed < stop_after:
            line = child.stdout.readline()
            if not line:
                break
            confirmed = int(line.split()[1])
        time.sleep(rng.uniform(0, 0.02))
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()
        child.wait()
        child.stdout.close()
        confirmed = max([confirmed, *(int(x.split()[1]) for x in rest.splitlines())])
        logged = query(db, "SELECT count(*) FROM reviews")[0][0]
        assert integrity_ok(db), f"run {run}"
        # an answer committed in the instant between COMMIT and the print is the only slack
        assert confirmed <= logged <= confirmed + 1, f"run {run}: {confirmed=} {logged=}"
        code, out, _ = mlcards(tmp_path / "home", "--db", str(db), "check", "--json")
        assert code == 0 and json.loads(out)["ok"], out


@pytest.mark.slow
def test_sigkill_during_a_large_import_is_all_or_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    old = write(tmp_path / "old.yaml", big_deck_yaml("big", 1000))
    new = write(tmp_path / "new.yaml", big_deck_yaml("big", 3000, variant=" (edited)"))
    seed_db = tmp_path / "seed.db"
    assert mlcards(home, "--db", str(seed_db), "import", str(old))[0] == 0
    before = cards_digest(seed_db)
    start = time.monotonic()
    assert mlcards(home, "--db", str(tmp_path / "timing.db"), "import", str(new))[0] == 0
    full = time.monotonic() - start
    after = cards_digest(tmp_path / "timing.db")
    rng = random.Random(7)
    outcomes = {"old": 0, "new": 0}
    for run in range(KILL_RUNS):
        db = tmp_path / f"import-{run}.db"
        db.write_bytes(seed_db.read_bytes())
        child = subprocess.Popen(
            mlcards_argv("--db", str(db), "import", str(new)),
            env=subprocess_env(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0, full))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert integrity_ok(db), f"run {run}"
        digest = cards_digest(db)
        assert digest in (before, after), f"run {run}: half an import is visible"
        outcomes["old" if digest == before else "new"] += 1
    assert outcomes["old"] > 0, outcomes  # the kills did land before the commit


@pytest.mark.slow
def test_disk_full_is_reported_and_earlier_reviews_survive(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = tmp_path / "full.db"
    driver_deck = write(tmp_path / "small.yaml", big_deck_yaml("small", 5))
    answer_with_driver(db, driver_deck, home)
    reviewed = query(db, "SELECT count(*) FROM reviews")
    assert reviewed[0][0] >= 5
    limit = db.stat().st_size + 16 * 1024

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    big = write(tmp_path / "big.yaml", big_deck_yaml("huge", 3000))
    done = start(
        ["--db", str(db), "import", str(big)],
        subprocess_env(home),
        text=True,
        preexec_fn=small_disk,
    )
    assert done.returncode == 74, done.stderr
    assert "disk full" in done.stderr and "Traceback" not in done.stderr
    assert integrity_ok(db)
    assert query(db, "SELECT count(*) FROM reviews") == reviewed
    assert query(db, "SELECT count(*) FROM cards WHERE deck_id = 'huge'") == [(0,)]


@pytest.mark.slow
def test_missing_database_is_not_created_by_a_read_only_command(tmp_path: Path) -> None:
    home = tmp_path / "home"
    missing = tmp_path / "typo.db"
    code, _, err = mlcards(home, "--db", str(missing), "status")
    assert code == 66 and "no database here" in err
    assert not missing.exists()
    deck = write(tmp_path / "toy.yaml", deck_yaml())
    assert mlcards(home, "--db", str(missing), "import", str(deck))[0] == 0
    assert missing.exists()


@pytest.mark.slow
def test_corrupt_database_points_to_check_and_the_latest_backup(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = home / "mlcards.db"
    driver_deck = write(tmp_path / "small.yaml", big_deck_yaml("small", 3))
    home.mkdir()
    answer_with_driver(db, driver_deck, home)
    reviewed = query(db, "SELECT count(*) FROM reviews")
    assert mlcards(home, "backup", "create")[0] == 0
    with open(db, "r+b") as f:
        f.write(b"garbage!" * 16)  # smash the header
    smashed = db.read_bytes()
    code, _, err = mlcards(home, "status")
    assert code == 74
    assert "mlcards check" in err and "backup restore latest" in err
    assert db.read_bytes() == smashed  # not "repaired" behind the user's back
    code, out, _ = mlcards(home, "backup", "restore", "latest")
    assert code == 0 and "damaged database was kept" in out
    assert query(db, "SELECT count(*) FROM reviews") == reviewed
    kept = [p for p in home.iterdir() if ".damaged-" in p.name and not p.name.endswith("-wal")]
    assert kept and kept[0].read_bytes()[:128] == smashed[:128]


@pytest.mark.slow
def test_check_finds_a_wrong_cache_and_repair_rebuilds_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    db = home / "mlcards.db"
    answer_with_driver(db, write(tmp_path / "s.yaml", big_deck_yaml("s", 6)), home)
    assert mlcards(home, "check")[0] == 0
    query_conn = sqlite3.connect(db)
    query_conn.execute("UPDATE cards SET interval = 99, due = '2030-01-01' WHERE id = 'card-2'")
    query_conn.commit()
    query_conn.close()
    code, out, _ = mlcards(home, "check")
    assert code == 1
    assert "s/card-2: interval is 99, the log says 6" not in out  # first review: 1 day
    assert "s/card-2: interval is 99, the log says 1" in out
    assert "mlcards check --repair" in out
    code, out, _ = mlcards(home, "check", "--repair")
    assert code == 0 and "repaired" in out
    assert query(db, "SELECT interval, due FROM cards WHERE id = 'card-2'") == [(1, "2026-04-02")]
    assert mlcards(home, "check")[0] == 0
    assert any(p.name.endswith("-pre-repair.db") for p in (home / "backups").iterdir())


@pytest.mark.slow
def test_daily_backups_rotate_7_daily_4_weekly_6_monthly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, date, datetime, timedelta

    from mlcards.store import Store, backups, list_backups

    home = tmp_path / "home"
    home.mkdir()
    db = home / "mlcards.db"
    answer_with_driver(db, write(tmp_path / "s.yaml", big_deck_yaml("s", 2)), home)
    start = date(2026, 1, 1)
    for offset in range(0, 240, 3):  # a use every third day for eight months (of real time)
        day = start + timedelta(days=offset)
        real = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        monkeypatch.setattr(backups, "real_now", lambda real=real: real)
        for _ in range(2):  # the second use of a day makes no new backup
            Store.open(db, daily_backup=True).close()
    backups = list_backups(db)
    days = [b.created.date() for b in backups]
    assert len(set(days)) == len(days)
    assert len(backups) <= 7 + 4 + 6
    assert days[0] == start + timedelta(days=237)
    assert days[:7] == [start + timedelta(days=237 - 3 * i) for i in range(7)]
    assert len({(d.year, d.month) for d in days}) == 6
    code, out, _ = mlcards(home, "backup", "list", "--json")
    assert [b["name"] for b in json.loads(out)] == [b.path.name for b in backups]


@pytest.mark.slow
def test_restore_brings_back_the_reviews_of_the_backup(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    db = home / "mlcards.db"
    deck = write(tmp_path / "s.yaml", big_deck_yaml("s", 4))
    answer_with_driver(db, deck, home)
    reviewed = query(db, "SELECT count(*) FROM reviews")
    assert mlcards(home, "backup", "create")[0] == 0
    other = write(tmp_path / "t.yaml", big_deck_yaml("t", 4))
    answer_with_driver(db, other, home)
    assert query(db, "SELECT count(*) FROM reviews")[0][0] > reviewed[0][0]
    _, out, _ = mlcards(home, "backup", "list", "--json")
    manual = [b for b in json.loads(out) if b["reason"] == "manual"][0]
    code, out, err = mlcards(home, "backup", "restore", manual["name"])
    assert code == 0, err
    assert query(db, "SELECT count(*) FROM reviews") == reviewed
    _, out, _ = mlcards(home, "backup", "list", "--json")
    assert any(b["reason"] == "pre-restore" for b in json.loads(out))
    assert mlcards(home, "backup", "restore", "no-such-backup")[0] == 66


def test_an_older_database_is_backed_up_then_migrated(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers import toy_deck

    from mlcards.store import Store, list_backups, migrations
    from mlcards.store import db as store

    with monkeypatch.context() as patch:  # a database as mlcards with schema 1 left it
        patch.setattr(store, "MIGRATIONS", migrations.MIGRATIONS[:1])
        patch.setattr(store, "SCHEMA_VERSION", 1)
        old = Store.open(db_path)
        content = json.dumps(toy_deck().cards[0].content())
        old.conn.execute("INSERT INTO decks VALUES ('toy', 'Toy', '', '', 1, 'then')")
        old.conn.execute(
            "INSERT INTO cards (deck_id, id, position, content, added_at, updated_at, "
            "repetitions, easiness, interval, due, last_review_id, last_review_day) "
            "VALUES ('toy', 'c1', 1, ?, 'then', 'then', 0, 1.96, 1, '2026-01-09', 3, "
            "'2026-01-08')",
            (content,),
        )
        for review_id, (day, quality, reps, interval) in enumerate(
            [("2026-01-01", 4, 1, 1), ("2026-01-02", 4, 2, 6), ("2026-01-08", 1, 0, 1)], 1
        ):
            old.conn.execute(
                "INSERT INTO reviews (id, deck_id, card_id, reviewed_at, study_day, chosen, "
                "correct, quality, response_ms, same_day_repeat, was_new, repetitions, easiness, "
                "interval, due) VALUES (?, 'toy', 'c1', ?, ?, '[]', ?, ?, 900, 0, ?, ?, 2.5, ?, "
                "date(?, '+' || ? || ' days'))",
                (
                    review_id,
                    day,
                    day,
                    int(quality >= 3),
                    quality,
                    int(review_id == 1),
                    reps,
                    interval,
                    day,
                    interval,
                ),
            )
        old.close()
    assert query(db_path, "SELECT max(id) FROM migrations") == [(1,)]
    Store.open(db_path).close()
    (backup,) = list_backups(db_path)
    assert backup.reason == "pre-migration"
    assert query(backup.path, "SELECT max(id) FROM migrations") == [(1,)]
    applied = [r[0] for r in query(db_path, "SELECT id FROM migrations ORDER BY id")]
    assert applied == [m.id for m in migrations.MIGRATIONS]
    assert query(db_path, "SELECT lapses FROM cards WHERE id = 'c1'") == [(1,)]
    assert query(db_path, "SELECT DISTINCT mode FROM reviews") == [("review",)]
    with Store.open(db_path) as migrated:
        from mlcards.replay import replay, schedule_differences

        cached = migrated.cards.states()
        replayed = replay(migrated.log.replay_rows(), {k: 0 for k in cached})
        assert schedule_differences(cached, replayed) == []


def test_an_unexpected_error_prints_one_line_and_writes_a_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    from mlcards import cli
    from mlcards.cli import progress  # where `status` is declared

    def boom(*args: object) -> None:
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(progress, "study_today", boom)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["status"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert len(err.strip().splitlines()) == 1
    assert "internal error: RuntimeError: something nobody expected" in err
    report = Path(err.split("full report: ")[1].rstrip(")\n"))
    assert "Traceback" in report.read_text() and report.parent == isolated_home


@pytest.mark.slow
def test_a_backup_that_cannot_be_written_does_not_block_studying(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    db = home / "mlcards.db"
    answer_with_driver(db, write(tmp_path / "s.yaml", big_deck_yaml("s", 2)), home)
    (home / "backups").write_text("a file where the backup folder should be")
    code, out, err = mlcards(home, "status", "--json")
    assert code == 0 and json.loads(out)["totals"]["cards"] == 2
    assert "warning: daily backup skipped" in err
