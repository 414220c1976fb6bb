"""``mlcards sync``: merge this database with the other devices' event files in a folder
that another program moves (Syncthing, git, Dropbox, rsync), then add this device's new
events to its own file there.

Merging is replaying: the folder's events are united with the database's by event id in
ONE write transaction, which also takes in the answers that waited for their card,
settles each setting on its latest event, rebuilds the affected cards' marks and replays
every affected deck in ``ord`` order, and records how far each file was read. Killed or
refused (a bad line, a file from a newer mlcards) anywhere in it, the database is as it was.
Only then are this device's own events appended (the folder module never writes an event
twice), and conflict copies whose every event is known here are tidied away.

The folder's files are read and written by ``mlcards.syncfolder`` (file I/O only); it is
passed in as ``io`` by tests, else imported when a sync runs.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mlcards.errors import MlcardsError, UsageError
from mlcards.sanitize import quote_path
from mlcards.services.admin import replay_with
from mlcards.store import Store
from mlcards.store.events import device_of, has_card_events, make_ord, read_state
from mlcards.store.events import write_state as put_state
from mlcards.store.identity import take_new_device
from mlcards.store.marks import write_marks
from mlcards.store.merge import (
    Union,
    folder_marks,
    known,
    normal_t,
    pending_count,
    settle_settings,
    take_pending,
)
from mlcards.store.outbox import own_events, own_fingerprint
from mlcards.store.schedules import rebuild_in


class FolderRead(Protocol):
    @property
    def events(self) -> Iterator[list[dict[str, Any]]]: ...
    @property
    def marks(self) -> dict[str, dict[str, Any]]: ...
    @property
    def conflict_copies(self) -> list[Path]: ...


class FolderIO(Protocol):
    """The API of ``mlcards.syncfolder`` this module uses."""

    def read_folder(
        self, folder: Path, device: str, marks: dict[str, dict[str, Any]]
    ) -> FolderRead: ...
    def append_events(
        self, folder: Path, device: str, events: Iterable[dict[str, Any]], lock_dir: Path
    ) -> int: ...
    def tidy_conflicts(self, paths: Iterable[Path], known: Callable[[str], bool]) -> list[Path]: ...
    def ensure_layout(self, folder: Path) -> None: ...


def folder_io() -> FolderIO:
    """The folder module, imported when a sync runs (tests hand ``sync`` a stand-in)."""
    module: Any = importlib.import_module("mlcards.syncfolder")
    io: FolderIO = module
    return io


@dataclass
class SyncSummary:
    """What one sync did (``mlcards sync --json``)."""

    folder: str
    device: str
    read: int = 0
    applied: int = 0
    written: int = 0
    pending: int = 0
    decks: list[str] = field(default_factory=list)
    tidied: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "folder": self.folder,
            "device": self.device,
            "events_read": self.read,
            "events_applied": self.applied,
            "events_written": self.written,
            "pending": self.pending,
            "replayed_decks": self.decks,
            "conflict_copies_removed": self.tidied,
        }


def sync(
    store: Store,
    folder: Path,
    lock_dir: Path,
    io: FolderIO | None = None,
) -> SyncSummary:
    """Merge the folder's events into ``store`` and write this device's new ones there.
    Idempotent; devices syncing in any order end with the same log and schedules."""
    io = io or folder_io()
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{quote_path(folder)}: not a folder")
    io.ensure_layout(folder)
    where = str(folder.resolve())
    marks_key, written_key = f"marks:{where}", f"written:{where}"
    with store.write() as conn:
        device = device_of(conn)
        read = io.read_folder(folder, device, folder_marks(conn, marks_key))
        union = Union(conn, device)
        same_device = own_history_check(conn, device, folder)
        for batch in read.events:
            same_device(batch)
            union.apply(batch)
        union.finish()
        deck_ids = store.decks.ids()  # (the write's own connection: read inside it)
        waited, waiting = take_pending(conn)
        settled = settle_settings(conn, union.result.settings, deck_ids)
        affected = sorted((union.result.decks | waited | settled) & set(deck_ids))
        if affected:
            write_marks(conn, affected)
            rebuild_in(conn, store.path, affected, replay_with)
        put_state(conn, marks_key, json.dumps(read.marks, sort_keys=True))
    summary = SyncSummary(
        str(folder),
        device,
        read=union.result.read,
        applied=union.result.applied,
        pending=waiting,
        decks=affected,
    )
    written = (read_state(store.conn, written_key) or "|0").rsplit("|", 1)
    after, written_seq = written[0], int(written[1])
    newest = int(read_state(store.conn, "seq") or 0)
    if own_file_behind(io, folder, device, after):
        after, written_seq = "", 0
    last = [after, written_seq]

    def tracked() -> Iterator[dict[str, Any]]:
        for event in own_events(store.conn, after):
            last[:] = [make_ord(normal_t(event["t"]), event["device"], event["seq"]), event["seq"]]
            yield event

    if newest > written_seq:  # (a sync with nothing new of its own reads no table)
        summary.written = io.append_events(folder, device, tracked(), lock_dir)
        with store.write() as conn:
            put_state(conn, written_key, f"{last[0]}|{newest}")
    removed = io.tidy_conflicts(read.conflict_copies, lambda uid: known(store.conn, uid))
    summary.tidied = [path.name for path in removed]
    return summary


class SharedDeviceError(MlcardsError):
    """The folder holds events of this database's device id that this database did not
    write: a copy of its data dir syncs too (exit 65, nothing changed)."""

    exit_code = 65


def own_history_check(
    conn: Any, device: str, folder: Path
) -> Callable[[list[dict[str, Any]]], None]:
    """A check of each batch read: an event of this device's id that this database holds
    under the same id must be the same (type, time, card or key). Events it lacks are
    learned (a restored backup catches up with its own file). Two databases writing under
    one id would otherwise merge two histories as one, each keeping its own."""
    used = int(read_state(conn, "seq") or 0)

    def check(batch: list[dict[str, Any]]) -> None:
        for event in batch:
            if _held_otherwise(conn, device, used, event):
                raise SharedDeviceError(
                    f"{quote_path(folder / f'mlcards-{device}.jsonl')}: event "
                    f"{device}-{event['seq']} is not the one this database wrote under its "
                    f"device id: another database uses the same id (a copy of this data dir "
                    f"synced too). Nothing was changed. Keep one of them as it is; on each of "
                    f"the others run `mlcards sync --new-device`: it gets a new device id, "
                    f"its own events since the copy move to it and reach the other devices, "
                    f"and it learns those of the database it was copied from."
                )

    return check


def _held_otherwise(conn: Any, device: str, used: int, event: dict[str, Any]) -> bool:
    """Whether ``event`` is one of this device's id, among the ``used`` sequence numbers,
    that this database holds as a different event. One it lacks, or an answer undone here,
    is not (``backup restore`` keeps the sequence: its own events come back)."""
    seq = event.get("seq")
    if event.get("device") != device or not isinstance(seq, int) or seq > used:
        return False
    mine = own_fingerprint(conn, str(event.get("id")))
    return mine not in (None, ("undone",)) and mine != _fingerprint(event)


def _fingerprint(event: dict[str, Any]) -> tuple[Any, ...]:
    try:
        ord_ = make_ord(normal_t(str(event["t"])), device=str(event["device"]), seq=event["seq"])
    except (KeyError, ValueError):
        return ()
    kind = event.get("type")
    if kind == "undo":
        return (kind, ord_, event.get("target"), "")
    if kind == "settings":
        return (kind, ord_, event.get("deck"), event.get("key"))
    return (kind, ord_, event.get("deck"), event.get("card"))


def own_file_behind(io: FolderIO, folder: Path, device: str, after: str) -> bool:
    """Whether this device's own file lacks events an earlier sync wrote there: a sync tool
    deleted it, or put an older copy in its place (a conflict settled the other way, a
    stale rsync). Then every own event is offered again and the folder module appends
    those after the file's last one; otherwise the other devices would never learn them.
    A few KiB read (the file's last line)."""
    last_seq = getattr(io, "last_seq", None)
    if not after or last_seq is None:
        return False
    return int(last_seq(folder, device)) < int(after.rsplit("|", 1)[1])


def new_device(store: Store, folder: Path, io: FolderIO | None = None) -> tuple[str, int]:
    """Give this database a new device id (``mlcards sync --new-device``), for a copy of a
    data dir that syncs beside the original: its events under the shared id from the first
    one the folder holds differently (or lacks) on move to the new id; with none different,
    none move (the copy shares its whole history). The decks are replayed in the same
    transaction. Returns (the new id, events moved); the caller syncs after."""
    io = io or folder_io()
    with store.write() as conn:
        device = device_of(conn)
        shared = int(read_state(conn, "seq") or 0)
        if Path(folder).is_dir():
            read = io.read_folder(Path(folder), device, {})
            for batch in read.events:
                for event in batch:
                    if _held_otherwise(conn, device, shared, event):
                        shared = event["seq"] - 1
        fresh, moved = take_new_device(conn, shared)
        deck_ids = sorted(store.decks.ids())
        if deck_ids:
            write_marks(conn, deck_ids)
            rebuild_in(conn, store.path, deck_ids, replay_with)
    return fresh, moved


def take_waiting(store: Store, deck_ids: Iterable[str]) -> int:
    """After an import of ``deck_ids``: the answers that waited for a card now imported go
    into the log, the card events synced before the cards came decide their marks, and the
    decks that changed are replayed (one transaction). How many answers still wait."""
    imported = sorted(set(deck_ids))
    with store.write() as conn:
        has_events = has_card_events(conn)
        if not pending_count(conn) and not has_events:
            return 0
        decks, left = take_pending(conn)
        moved = write_marks(conn, imported) if imported else set()
        if decks | moved:
            write_marks(conn, sorted(decks))
            rebuild_in(conn, store.path, sorted(decks | moved), replay_with)
    return left


def waiting(store: Store) -> int:
    """How many synced answers wait for a deck this device has not imported."""
    return pending_count(store.conn)


def sync_quietly(
    store: Store, folder: Path, lock_dir: Path, warn: Callable[[str], None]
) -> SyncSummary | None:
    """A sync at the start or end of ``review``/``practice``: a failure is a warning, never
    a reason not to study."""
    try:
        return sync(store, folder, lock_dir)
    except (MlcardsError, OSError) as exc:
        warn(f"sync with {quote_path(folder)} skipped: {exc}")
        return None
