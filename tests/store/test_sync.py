"""Sync (#24): devices merging their logs through a folder end with the same log, the same
schedules and a clean ``check``, whatever the order of their syncs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sync_helpers import Device, deck, write_answer_file

from mlcards.models import Quality
from mlcards.services.browse import apply_action
from mlcards.store.events import format_t, make_ord, parse_t


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Device, Device]:
    folder = tmp_path / "folder"
    a = Device(tmp_path / "a" / "mlcards.db", folder)
    b = Device(tmp_path / "b" / "mlcards.db", folder, skew=timedelta(minutes=3))
    for device in (a, b):
        device.import_deck(deck())
    return a, b


def converged(*devices: Device) -> None:
    first = devices[0]
    for device in devices:
        assert device.check_problems() == []
        assert device.facts() == first.facts()
        assert device.marks() == first.marks()
        assert device.exported_cards() == first.exported_cards()


def sync_all(*devices: Device) -> None:
    for _ in range(2):
        for device in devices:
            device.sync()


def test_two_devices_answering_apart_end_with_both_answers(pair: tuple[Device, Device]) -> None:
    a, b = pair
    a.answer([Quality.GOOD, Quality.GOOD])
    b.answer([Quality.WRONG, Quality.GOOD, Quality.EASY])
    sync_all(a, b)
    converged(a, b)
    assert len(a.facts()) == 5


def test_syncing_again_changes_nothing(pair: tuple[Device, Device]) -> None:
    a, b = pair
    a.answer([Quality.GOOD])
    sync_all(a, b)
    before = (a.facts(), a.marks())
    summary = a.sync()
    assert (summary.applied, summary.written) == (0, 0)
    assert (a.facts(), a.marks()) == before


def test_a_clock_running_behind_keeps_its_own_events_in_sequence(tmp_path: Path) -> None:
    a = Device(tmp_path / "a.db", tmp_path / "f")
    a.import_deck(deck())
    a.answer([Quality.GOOD])
    a.now -= timedelta(days=3)  # the clock goes back
    a.answer([Quality.GOOD])
    rows = list(a.store.log.rows())
    assert [r["ord"] for r in rows] == sorted(r["ord"] for r in rows)
    assert rows[0]["ord"] < rows[1]["ord"]
    assert a.check_problems() == []


def test_an_undone_answer_is_undone_everywhere(pair: tuple[Device, Device]) -> None:
    a, b = pair
    a.answer([Quality.GOOD])
    sync_all(a, b)
    assert len(b.facts()) == 1
    row = next(iter(a.store.log.rows()))
    from mlcards.replay import replay

    a.store.log.undo(
        row["id"], row["session"], lambda key, rows, starts, spec: replay(rows, starts).get(key)
    )
    sync_all(a, b)
    converged(a, b)
    assert b.facts() == set()
    # the tombstone keeps it out even if the answer comes again (a conflict copy, a restore)
    assert b.store.conn.execute("SELECT count(*) FROM tombstones").fetchone()[0] == 1


def test_card_actions_travel(pair: tuple[Device, Device]) -> None:
    a, b = pair
    a.answer([Quality.GOOD, Quality.GOOD])
    a.tick()
    apply_action(a.store, "suspend", [("toy", "c3")], a.today)
    apply_action(a.store, "flag", [("toy", "c2")], a.today, note="typo")
    apply_action(a.store, "forget", [("toy", "c1")], a.today)
    sync_all(a, b)
    converged(a, b)
    flagged = b.store.cards.marked("flagged")
    assert [(c["card"], c["note"]) for c in flagged] == [("c2", "typo")]
    assert [c["card"] for c in b.store.cards.marked("suspended")] == ["c3"]


def test_answers_for_a_deck_not_imported_wait_for_it(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    a, b = Device(tmp_path / "a.db", folder), Device(tmp_path / "b.db", folder)
    a.import_deck(deck())
    a.answer([Quality.GOOD, Quality.HARD])
    apply_action(a.store, "suspend", [("toy", "c4")], a.today)
    a.sync()
    summary = b.sync()
    assert summary.pending == 2
    assert b.facts() == set()
    b.import_deck(deck())
    assert len(b.facts()) == 2
    b.sync()
    converged(a, b)


def test_settings_converge_on_the_latest_change(pair: tuple[Device, Device]) -> None:
    a, b = pair
    a.answer([Quality.GOOD, Quality.GOOD])
    from mlcards.services.admin import replay_with

    a.store.cards.rebuild_decks(["toy"], replay_with, settings={"": {"fuzz": False}})
    b.tick(600)
    b.store.cards.rebuild_decks(["toy"], replay_with, settings={"": {"fuzz": True}})
    sync_all(a, b)
    converged(a, b)
    assert a.store.settings.read()[""]["fuzz"] is True
    assert b.store.settings.read()[""]["fuzz"] is True


def test_a_forget_leaves_out_only_the_answers_before_it(pair: tuple[Device, Device]) -> None:
    a, b = pair
    a.answer([Quality.GOOD])
    b.answer([Quality.GOOD])  # b's clock is 3 minutes ahead: after a's answer
    a.tick(3600)
    apply_action(a.store, "forget", [("toy", "c1")], a.today)
    b.tick(7200)
    b.answer([Quality.GOOD])
    sync_all(a, b)
    converged(a, b)


def test_ord_is_text_ordered_like_time() -> None:
    t = "2026-01-01T00:00:00.000001Z"
    assert format_t(parse_t(t)) == t
    assert make_ord(t, "f" * 16, 2) < make_ord(t, "f" * 16, 10)
    with pytest.raises(ValueError):
        parse_t("2026-01-01T00:00:00Z")


def test_migration_17_turns_the_state_into_events_and_keeps_the_schedules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from helpers import toy_deck

    from mlcards.replay import replay
    from mlcards.store import Store, migrations
    from mlcards.store import db as store_db

    path = tmp_path / "old.db"
    with monkeypatch.context() as patch:  # a database as mlcards with schema 16 left it
        patch.setattr(store_db, "MIGRATIONS", migrations.MIGRATIONS[:16])
        patch.setattr(store_db, "SCHEMA_VERSION", 16)
        old = Store.open(path)
        conn = old.conn
        conn.execute(
            "INSERT INTO decks (id, name, position, imported_at) VALUES ('toy', 'T', 1, 'x')"
        )
        for position, card in enumerate(toy_deck().cards):
            conn.execute(
                "INSERT INTO cards (deck_id, id, position, content, added_at, updated_at) "
                "VALUES ('toy', ?, ?, ?, 'x', 'x')",
                (card.id, position, json.dumps(card.content())),
            )
        # c1: four answers, the clock going back at the third; its answer changed after the
        # second (schedule_from 2). c2: suspended and flagged with a note; c3: buried.
        times = ["2026-01-01T10:00", "2026-01-02T10:00", "2026-01-01T09:00", "2026-01-09T10:00"]
        for review_id, when in enumerate(times, 1):
            conn.execute(
                "INSERT INTO reviews (id, deck_id, card_id, reviewed_at, study_day, chosen, "
                "correct, quality, response_ms, same_day_repeat, was_new, repetitions, "
                "easiness, interval, due) VALUES (?, 'toy', 'c1', ?, ?, '[]', 1, 4, 900, 0, 0, "
                "1, 2.5, 1, '2026-02-01')",
                (review_id, when + ":00.000Z", when[:10]),
            )
        conn.execute("UPDATE cards SET schedule_from = 2 WHERE id = 'c1'")
        conn.execute("UPDATE cards SET suspended = 1, flagged = 1, flag_note = 'n' WHERE id = 'c2'")
        conn.execute("UPDATE cards SET buried_until = '2026-01-03' WHERE id = 'c3'")
        conn.execute(
            "INSERT INTO schedule_settings (deck_id, key, value) VALUES ('', 'fuzz', 'false')"
        )
        columns = ("id", "deck_id", "card_id", "study_day", "quality", "same_day_repeat")
        old_rows = conn.execute(f"SELECT {', '.join(columns)} FROM reviews ORDER BY id")
        before = replay([dict(zip(columns, r, strict=True)) for r in old_rows], {("toy", "c1"): 2})
        old.close()
    with Store.open(path) as new:
        assert new.schema_version() == store_db.SCHEMA_VERSION
        rows = list(new.log.rows())
        assert [r["ord"] for r in rows] == sorted(r["ord"] for r in rows)  # id order kept
        assert len({r["uid"] for r in rows}) == 4
        states = new.cards.states()
        after = replay(new.log.replay_rows(), {k: v["schedule_from"] for k, v in states.items()})
        assert after == before and set(after) == {("toy", "c1")}
        assert new.cards.marks_differences() == []
        actions = new.conn.execute(
            "SELECT card_id, action FROM card_events ORDER BY card_id, seq"
        ).fetchall()
        assert actions == [("c1", "reset"), ("c2", "suspend"), ("c2", "flag"), ("c3", "bury")]
        assert new.conn.execute("SELECT key FROM settings_events").fetchall() == [("fuzz",)]


def test_a_conflict_copy_adds_no_doubles(pair: tuple[Device, Device]) -> None:
    a, b = pair
    a.answer([Quality.GOOD, Quality.GOOD])
    a.sync()
    (own,) = a.folder.glob("mlcards-*.jsonl")
    copy = own.with_name(own.stem + ".sync-conflict-20260101-120000-ABCDEFG.jsonl")
    copy.write_bytes(own.read_bytes())
    sync_all(a, b)
    converged(a, b)
    assert len(b.facts()) == 2


def test_an_event_that_cannot_be_applied_changes_nothing(pair: tuple[Device, Device]) -> None:
    import json

    from mlcards.store.merge import SyncDataError

    a, b = pair
    a.answer([Quality.GOOD])
    a.sync()
    (own,) = a.folder.glob("mlcards-*.jsonl")
    event = json.loads(own.read_text().splitlines()[0])
    for bad in ({"quality": 9}, {"due": "soon"}, {"chosen": "a"}, {"chosen": ["a"]}):
        line = {**event, "seq": 99, "id": f"{event['device']}-99"}
        line["row"] = {**event["row"], **bad}
        own.with_name("mlcards-" + "e" * 16 + ".jsonl").write_text(json.dumps(line) + "\n")
        with pytest.raises(SyncDataError, match="-99"):
            b.sync()
        assert b.facts() == set()
    line = {**event, "seq": 99, "id": f"{event['device']}-99", "t": "9999-01-01T00:00:00Z"}
    own.with_name("mlcards-" + "e" * 16 + ".jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(SyncDataError, match="time"):
        b.sync()
    assert b.facts() == set()


def test_a_restored_database_learns_its_own_events_back(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "f"
    a = Device(tmp_path / "a" / "mlcards.db", folder)
    a.import_deck(deck())
    a.answer([Quality.GOOD])
    a.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(a.store.path, tmp_path / "backup.db")
    a.answer([Quality.GOOD, Quality.GOOD])
    a.sync()
    before = a.facts()
    a.store.close()
    shutil.copy(tmp_path / "backup.db", a.store.path)
    restored = Device(a.store.path, folder)
    restored.sync()
    assert restored.facts() == before
    restored.answer([Quality.GOOD])  # a new sequence number, not one the file holds
    restored.sync()
    assert len(restored.facts()) == 4
    assert restored.check_problems() == []


def test_a_restore_never_reuses_a_sequence_number(tmp_path: Path) -> None:
    from mlcards.store import Store, list_backups, restore_backup

    path = tmp_path / "mlcards.db"
    with Store.open(path) as store:
        store.decks.import_decks([deck()], at_noon())
        store.backups.create("manual")
        store.cards.suspend("toy", "c1")
        store.cards.suspend("toy", "c2")
        seq = store.conn.execute("SELECT value FROM sync_state WHERE key = 'seq'").fetchone()
    restore_backup(path, list_backups(path)[0])
    with Store.open(path) as store:
        store.cards.suspend("toy", "c3")
        (new,) = store.conn.execute("SELECT seq FROM card_events WHERE card_id = 'c3'").fetchone()
    assert new == int(seq[0]) + 1


def at_noon() -> datetime:
    return datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_a_card_event_with_bad_data_changes_nothing(pair: tuple[Device, Device]) -> None:
    import json

    from mlcards.store.merge import SyncDataError

    a, b = pair
    device = "e" * 16
    base = {"v": 1, "device": device, "t": "2026-01-01T12:00:00.000000Z", "type": "card"}
    for seq, (action, data) in enumerate(
        [("bury", {"until": ["x"]}), ("bury", {"until": "soon"}), ("flag", {"note": 3})], 1
    ):
        line = {**base, "id": f"{device}-{seq}", "seq": seq, "deck": "toy", "card": "c1"}
        line |= {"action": action, "data": data}
        a.folder.mkdir(exist_ok=True)
        (a.folder / f"mlcards-{device}.jsonl").write_text(json.dumps(line) + "\n")
        with pytest.raises(SyncDataError):
            b.sync()
        assert b.store.conn.execute("SELECT count(*) FROM card_events").fetchone() == (0,)


KILL_SYNC = """
import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from sync_helpers import FakeFolder
from mlcards.services.sync import sync
from mlcards.store import Store
with Store.open(Path({db!r})) as store:
    sync(store, Path({folder!r}), Path({db!r}).parent, FakeFolder(batch=500))
"""


@pytest.mark.slow
def test_sigkill_during_a_sync_is_all_or_nothing(tmp_path: Path) -> None:
    import random
    import shutil
    import signal
    import subprocess
    import sys
    import time

    from mlcards.services.admin import check
    from mlcards.store import Store

    folder, count = tmp_path / "folder", 6000
    folder.mkdir()
    device = "d" * 16
    write_answer_file(folder, device, count, "toy", lambda seq: f"c{1 + seq % 4}")
    seed = tmp_path / "seed.db"
    with Store.open(seed) as store:
        store.decks.import_decks([deck()], datetime(2026, 1, 1, tzinfo=UTC))
    tests = str(Path(__file__).parents[1])

    def child(db: Path) -> subprocess.Popen[bytes]:
        script = KILL_SYNC.format(tests=tests, db=str(db), folder=str(folder))
        return subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.DEVNULL)

    timing = tmp_path / "timing.db"
    shutil.copy(seed, timing)
    start = time.monotonic()
    assert child(timing).wait() == 0
    full = time.monotonic() - start
    rng = random.Random(24)
    outcomes = set()
    for run in range(4):
        db = tmp_path / f"kill-{run}.db"
        shutil.copy(seed, db)
        process = child(db)
        time.sleep(rng.uniform(0.3 * full, 0.9 * full))
        process.send_signal(signal.SIGKILL)
        process.wait()
        with Store.open(db) as store:
            merged = len(list(store.log.rows()))
            assert merged in (0, count), f"run {run}: half a sync is visible"
            outcomes.add(merged)
            result = check(store)
            assert result.integrity == [] and result.differences == [], f"run {run}"
        assert child(db).wait() == 0  # the next sync completes it
        with Store.open(db) as store:
            assert len(list(store.log.rows())) == count
    assert 0 in outcomes, outcomes  # the kills did land before the commit


def test_the_reviews_undo_of_a_suspension_takes_back_only_its_own(
    pair: tuple[Device, Device],
) -> None:
    from contextlib import nullcontext

    from mlcards.services.actions import StoreActions

    a, b = pair
    (item,) = a.store.cards.new(1)
    screen = StoreActions(a.store, a.today, nullcontext, lambda: a.now)
    screen.suspend(item)
    sync_all(a, b)
    b.tick(60)
    apply_action(b.store, "unsuspend", [("toy", item.card.id)], b.today)
    b.tick(60)
    apply_action(b.store, "suspend", [("toy", item.card.id)], b.today)  # b's own suspension
    a.tick(600)
    screen.unsuspend(item)  # a's `u`: its suspension is tombstoned, b's stays
    sync_all(a, b)
    converged(a, b)
    assert [c["card"] for c in a.store.cards.marked("suspended")] == [item.card.id]
    assert a.store.conn.execute("SELECT count(*) FROM tombstones").fetchone() == (1,)


def _log_indexes(device: Device) -> set[str]:
    return {
        str(r[0])
        for r in device.store.conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reviews'"
        )
    }


def test_a_large_union_drops_the_logs_indexes_and_builds_them_again(
    pair: tuple[Device, Device], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from mlcards.store import merge

    monkeypatch.setattr(merge, "_DEFER_FROM", 0)  # every union is "large"
    a, b = pair
    indexes = _log_indexes(b)
    a.answer([Quality.GOOD, Quality.WRONG, Quality.GOOD])
    a.sync()
    (own,) = a.folder.glob("mlcards-*.jsonl")
    lines = own.read_text().splitlines()
    bad = json.loads(lines[-1])
    bad = {**bad, "seq": 99, "id": f"{bad['device']}-99", "row": {**bad["row"], "quality": 9}}
    other = own.with_name("mlcards-" + "e" * 16 + ".jsonl")
    # the bad answer comes after a run that dropped the indexes: all of it is rolled back
    other.write_text("\n".join([*lines, json.dumps(bad)]) + "\n")
    with pytest.raises(merge.SyncDataError):
        b.sync()
    assert (b.facts(), _log_indexes(b)) == (set(), indexes)
    other.unlink()
    sync_all(a, b)
    converged(a, b)
    assert len(b.facts()) == 3
    assert _log_indexes(b) == indexes


def test_a_forget_synced_in_ends_a_leech_as_a_forget_here_does(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    a = Device(tmp_path / "a" / "mlcards.db", folder)
    b = Device(tmp_path / "b" / "mlcards.db", folder, skew=timedelta(minutes=3), leeches=True)
    for device in (a, b):
        device.import_deck(deck(cards=("c1",)))
    b.answer([Quality.GOOD])
    b.now += timedelta(days=2)
    b.answer([Quality.WRONG])  # a lapse: a leech, suspended on b
    leech = "SELECT leech, suspended, due IS NULL FROM cards WHERE id = 'c1'"
    assert b.store.conn.execute(leech).fetchone() == (1, 1, 0)
    sync_all(a, b)
    a.now = b.now
    apply_action(a.store, "forget", [("toy", "c1")], a.today, None)
    sync_all(a, b)
    assert b.store.conn.execute(leech).fetchone() == (0, 0, 1)  # new, as on a
    converged(a, b)


def test_every_event_is_known_however_a_device_holds_it(tmp_path: Path) -> None:
    """``known`` (what a sync skips and a conflict copy may be tidied for): an answer held
    or waiting for its card, an undone one and its undo, a card action, a setting."""
    from mlcards.services.admin import replay_with
    from mlcards.store.merge import known

    folder = tmp_path / "f"
    a, b = Device(tmp_path / "a.db", folder), Device(tmp_path / "b.db", folder)
    a.import_deck(deck())
    a.answer([Quality.GOOD, Quality.GOOD])
    row = max(a.store.log.rows(), key=lambda r: int(r["id"]))
    a.store.log.undo(row["id"], row["session"], lambda key, rows, starts, spec: None)
    apply_action(a.store, "suspend", [("toy", "c4")], a.today)
    a.store.cards.rebuild_decks(["toy"], replay_with, settings={"": {"fuzz": False}})
    a.sync()
    b.sync()  # b has no deck: the answer waits for its card
    lines = (folder / f"mlcards-{a.store_device}.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert {e["type"] for e in events} >= {"answer", "undo", "card", "settings"}
    assert b.store.cards.pending_answers() == 1
    for device in (a, b):
        assert [e["id"] for e in events if not known(device.store.conn, e["id"])] == []
        assert known(device.store.conn, row["uid"])  # the undone answer
        assert not known(device.store.conn, f"{a.store_device}-999")
