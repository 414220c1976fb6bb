"""A stand-in for ``mlcards.syncfolder`` (the folder of per-device JSON Lines files) with the
same API, and simulated devices, for the sync tests: each device is its own database with
its own clock, and they meet only through a folder."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from helpers import at, toy_deck

from mlcards.config import Settings
from mlcards.models import Deck, Quality
from mlcards.services.admin import check
from mlcards.services.progress import export
from mlcards.services.settings import effective_settings
from mlcards.services.sync import SyncSummary, sync
from mlcards.session import Session, build_queue
from mlcards.store import Scope, Store


@dataclass(frozen=True)
class FakeRead:
    events: Iterator[list[dict[str, Any]]]
    marks: dict[str, dict[str, Any]]
    conflict_copies: list[Path]


class FakeFolder:
    """Whole files, read whole every time (marks ignored), batches of ``batch`` events."""

    def __init__(self, batch: int = 7) -> None:
        self.batch = batch

    def read_folder(self, folder: Path, device: str, marks: dict[str, dict[str, Any]]) -> FakeRead:
        def batches() -> Iterator[list[dict[str, Any]]]:
            found: list[dict[str, Any]] = []
            for path in sorted(folder.glob("mlcards-*.jsonl")):
                for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
                    if not line.endswith("\n"):
                        continue  # a torn last line
                    found.append(json.loads(line))
                    if len(found) == self.batch:
                        yield found
                        found = []
            if found:
                yield found

        return FakeRead(batches(), {"seen": {"n": 1}}, [])

    def append_events(
        self, folder: Path, device: str, events: Iterable[dict[str, Any]], lock_dir: Path
    ) -> int:
        path = folder / f"mlcards-{device}.jsonl"
        last = 0
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                last = max(last, json.loads(line)["seq"])
        written = 0
        with open(path, "a", encoding="utf-8") as stream:
            for event in events:
                if event["seq"] > last:
                    stream.write(json.dumps(event, sort_keys=True) + "\n")
                    last = event["seq"]
                    written += 1
        return written

    def tidy_conflicts(self, paths: Iterable[Path], known: Callable[[str], bool]) -> list[Path]:
        return []

    def ensure_layout(self, folder: Path) -> None:
        from mlcards.syncfolder import ensure_layout

        ensure_layout(folder)  # the real rules: a missing folder is refused


class Device:
    """One computer: its own database and clock (``skew`` moves its clock)."""

    def __init__(
        self,
        path: Path,
        folder: Path,
        skew: timedelta = timedelta(),
        real: bool = False,
        leeches: bool = False,
    ) -> None:
        """``real``: sync through ``mlcards.syncfolder`` itself, not the ``FakeFolder``.
        ``leeches``: answers suspend a card at its first lapse (a leech at one lapse)."""
        self.store = Store.open(path)
        self.real = real
        self.leeches = leeches
        self.leech_actions: dict[int, str] = {}
        """The leech action of each answer given here (by review id), for its undo."""
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)  # as the sync tool has it: sync never makes it
        self.skew = skew
        self.now = at("2026-01-01") + skew
        self.store.clock = lambda: self.now
        self.lock_dir = path.parent
        with self.store.write() as conn:
            from mlcards.store.events import device_of

            self.store_device = device_of(conn)

    def tick(self, seconds: float = 60) -> None:
        self.now += timedelta(seconds=seconds)

    @property
    def today(self) -> date:
        return (self.now - timedelta(hours=4)).date()

    def import_deck(self, deck: Deck, *, take_waiting: bool = True) -> None:
        """``take_waiting``: as ``mlcards import`` does; without, as a review's re-import of a
        changed file does (the next sync takes the waiting answers in)."""
        self.store.decks.import_decks([deck], self.now)
        if take_waiting:
            from mlcards.services.sync import take_waiting as take

            take(self.store, [deck.id])

    def answer(self, qualities: Iterable[Quality]) -> list[int]:
        queue = build_queue(
            self.store.cards.due(self.today, 200),
            self.store.cards.new(20),
            self.store.cards.repeats(self.today),
        )
        # graded with the scheduling settings stored now, as the review reads them (a fuzz
        # change synced in or made here decides the next answer's interval)
        file_settings = Settings(leech_threshold=1) if self.leeches else Settings()
        rules = effective_settings(self.store, file_settings).rules_for
        session = Session(
            queue,
            self.today,
            session_id=f"s{self.now.timestamp()}",
            rules=rules,
            suspend_leeches=self.leeches,
        )
        ids = []
        for quality in qualities:
            item = session.next()
            if item is None:
                break
            self.tick()
            chosen = item.card.answer if quality >= Quality.HARD else ()
            record = session.answer(item, chosen, quality, 500, self.now)
            ids.append(self.store.log.record(record))
            self.leech_actions[ids[-1]] = record.leech_action
        return ids

    def sync(self) -> SyncSummary:
        self.tick(1)
        return sync(self.store, self.folder, self.lock_dir, None if self.real else FakeFolder())

    def facts(self) -> set[tuple[Any, ...]]:
        """Every answer of the log by its event id, with what it recorded."""
        return {
            (r["uid"], r["ord"], r["deck_id"], r["card_id"], r["quality"], r["due"])
            for r in self.store.log.rows()
        }

    def exported_cards(self) -> str:
        stream = io.StringIO()
        export(self.store, stream, "cards", "json", Scope())
        return stream.getvalue()

    def marks(self) -> list[tuple[Any, ...]]:
        return self.store.conn.execute(
            "SELECT deck_id, id, suspended, buried_until, flagged, flag_note, reset_ord, "
            "repetitions, interval, due, lapses FROM cards ORDER BY deck_id, id"
        ).fetchall()

    def check_problems(self) -> list[str]:
        result = check(self.store)
        return result.integrity + result.differences + result.totals_differences


def deck(answer: str = "a", cards: tuple[str, ...] = ("c1", "c2", "c3", "c4")) -> Deck:
    return toy_deck("toy", cards, answer=answer)


def write_answer_file(
    folder: Path, device: str, count: int, deck: str, card_of: Callable[[int], str]
) -> None:
    """A device file of ``count`` plain answer events (seq 1..count) for ``deck``'s cards,
    ``card_of(seq)`` naming each one's card: a big foreign file for kill and busy tests."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"mlcards-{device}.jsonl", "w", encoding="utf-8") as stream:
        for seq in range(1, count + 1):
            t = f"2026-01-{1 + seq // 400:02d}T10:00:{seq % 60:02d}.{seq:06d}Z"
            row = {
                "reviewed_at": t[:23] + "Z", "study_day": t[:10], "chosen": '["a"]',
                "correct": 1, "quality": 4, "response_ms": 900, "same_day_repeat": 0,
                "was_new": 0, "repetitions": 1, "easiness": 2.5, "interval": 1, "due": t[:10],
                "session": None, "mode": "review", "prev_repetitions": 0, "prev_interval": 0,
                "stability": None, "difficulty": None,
            }  # fmt: skip
            event = {"v": 1, "id": f"{device}-{seq}", "device": device, "seq": seq, "t": t}
            event |= {"type": "answer", "deck": deck, "card": card_of(seq), "row": row}
            stream.write(json.dumps(event) + "\n")
