"""Anki round trip: ``export apkg`` writes mlcards' cards (and optionally their schedules
and log) as an Anki package; ``import FILE.apkg`` brings Anki's reviews of those cards back
into the log and turns multiple-choice notes made in Anki into decks.

The log stays the truth: an answer from Anki is appended like any other (through the
store's bulk ``append``, one transaction), graded by the deck's own scheduler in the order
Anki recorded it, so the cached schedule is exactly what a replay of the merged log gives
and ``mlcards check`` stays clean. An Anki row is recognised, and not added again, when the
card already has an answer within the same second up to its time: rows mlcards exported
carry the answer's own millisecond (moved up a few when two share one), and rows imported
earlier were stored at theirs.
"""

from __future__ import annotations

import bisect
import json
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcards import rules
from mlcards.anki.collection import (
    CardRow,
    Collection,
    CollectionWriter,
    RevlogRow,
    RevlogValues,
    read_collection,
)
from mlcards.anki.notetype import (
    DECK_PREFIX,
    MAX_CHOICES,
    anki_deck_name,
    card_note,
    stable_id,
)
from mlcards.anki.package import extracted_collection, write_package
from mlcards.clock import day_start, study_day
from mlcards.config import Settings
from mlcards.errors import UsageError
from mlcards.models import CardKey, Deck, Quality, ScheduledCard, StoredSchedule
from mlcards.records import ImportSummary, ReviewRecord
from mlcards.sanitize import quote_path
from mlcards.schedulers import Fields, Scheduler, balances, grade_answer, scheduler_for
from mlcards.store import Scope, Store

if TYPE_CHECKING:
    from mlcards.formats._common import Conversion

SESSION = "anki"
"""The ``session`` of every answer brought back from Anki (never undoable)."""
RECOGNISE_MS = 1000
KEPT_TYPES = {0: "learn", 1: "review", 2: "relearn"}
SKIPPED_TYPES = {3: "filtered-deck", 4: "manual", 5: "rescheduled"}
_EASE_QUALITY = {1: Quality.WRONG, 2: Quality.HARD, 3: Quality.GOOD, 4: Quality.EASY}


# -- export ----------------------------------------------------------------------------------


@dataclass
class Exported:
    path: Path
    cards: int = 0
    reviews: int = 0
    decks: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


_QUALITY_EASE = (1, 1, 1, 2, 3, 4)
"""mlcards' quality 0-5 -> Anki's Again, Hard, Good, Easy (1-4)."""


def export_apkg(
    store: Store,
    target: Path,
    settings: Settings,
    now: datetime,
    deck_id: str | None = None,
    history: bool = False,
    keys: set[CardKey] | None = None,
) -> Exported:
    """Write every active card (of ``deck_id``, or of all decks; of ``keys`` only, the cards
    a search found, when given) as an .apkg at ``target``; with ``history`` also each card's
    schedule and its graded review log. Cards and log rows stream from the store into the
    collection file: memory holds a batch of them, not the export."""
    if deck_id is not None and deck_id not in store.decks.ids():
        raise UsageError(f"no deck {deck_id!r}; `mlcards status` lists them")
    result = Exported(target)
    start = day_start(study_day(now, settings.rollover_hour), settings.rollover_hour)
    with (
        store.read(),  # the cards and their log as of one moment
        tempfile.TemporaryDirectory(prefix="mlcards-apkg-") as folder,
    ):
        collection = Path(folder) / "collection.anki2"
        created_s, now_s = int(start.timestamp()), int(now.timestamp())
        with CollectionWriter(collection, created_s=created_s, now_s=now_s) as writer:
            scheduled: Iterable[ScheduledCard] = store.cards.active_stream(deck_id)
            if keys is not None:
                scheduled = (item for item in scheduled if (item.deck_id, item.card.id) in keys)
            deck_ids: dict[str, int] = {DECK_PREFIX.rstrip(":"): stable_id("deck", "")}
            card_ids: dict[CardKey, int] = {}
            rows = _card_rows(scheduled, result, deck_ids, card_ids, start.date(), history)
            result.cards = writer.add_cards(rows)
            if history:
                log_rows = store.log.graded_rows(Scope(deck=deck_id))
                result.reviews = writer.add_revlog(_revlog(log_rows, card_ids))
            writer.finish(deck_ids)
        write_package(target, collection)
    return result


def _card_rows(
    scheduled: Iterable[ScheduledCard],
    result: Exported,
    deck_ids: dict[str, int],
    card_ids: dict[CardKey, int],
    today: date,
    history: bool,
) -> Iterator[CardRow]:
    """Each card as a note and a card row, one at a time; fills ``deck_ids`` (Anki deck
    name -> id) and ``card_ids`` (the log's rows find their card by them)."""
    for position, item in enumerate(scheduled, start=1):
        deck = Deck(item.deck_id, item.deck_name, ())
        if len(item.card.choices) > MAX_CHOICES:
            result.skipped.append(f"{item.key}: more than {MAX_CHOICES} choices, not exported")
            continue
        name = anki_deck_name(deck)
        if name not in deck_ids:
            deck_ids[name] = stable_id("deck", item.deck_id)
            result.decks.append(name)
        note = card_note(deck, item.card)
        card_id = stable_id("card", item.deck_id, item.card.id)
        card_ids[item.deck_id, item.card.id] = card_id
        if not history or item.due is None:
            yield CardRow(card_id, note, deck_ids[name], due=position)
            continue
        yield CardRow(
            card_id,
            note,
            deck_ids[name],
            type=2,
            queue=2,
            due=(item.due - today).days,
            ivl=max(item.interval, 1),
            factor=int(round(item.easiness * 1000)),
            reps=item.repetitions,
            lapses=item.lapses,
            data=_memory_state(item),
        )


def _memory_state(item: ScheduledCard) -> str:
    """An FSRS card's stability and difficulty, as Anki keeps them in the card's data (Anki
    with FSRS on starts from them; SM-2 cards have none)."""
    if item.stability is None or item.difficulty is None:
        return ""
    return json.dumps({"s": round(item.stability, 4), "d": round(item.difficulty, 4)})


_MAX_TIME_MS = 2**31 - 1
"""Anki's revlog ``time`` is a 32-bit integer."""


def _revlog(
    log_rows: Iterable[tuple[Any, ...]], card_ids: dict[CardKey, int]
) -> Iterator[RevlogValues]:
    """The graded log (``graded_rows``) of the cards exported, as Anki review rows; ids are
    the answers' own milliseconds (the writer moves up the few that collide). The columns
    come from the store's INTEGER and REAL columns: ints and floats as they are."""
    before: dict[int, tuple[int, int]] = {}
    card_id, previous, instant = card_ids.get, before.get, datetime.fromisoformat
    for deck, card, reviewed_at, quality, response_ms, was_new, reps, ease, interval in log_rows:
        cid = card_id((deck, card))
        if cid is None:
            continue
        prev_reps, prev_interval = (0, 0) if was_new else previous(cid, (0, 0))
        before[cid] = (reps, interval)
        yield (
            int(instant(reviewed_at).timestamp() * 1000),
            cid,
            _QUALITY_EASE[quality],
            interval,
            prev_interval,
            round(ease * 1000),
            min(max(response_ms or 0, 0), _MAX_TIME_MS),
            (2 if quality < 3 else 1) if prev_reps else 0,
        )


# -- import -----------------------------------------------------------------------------------


@dataclass
class Imported:
    """What importing one package did (or, on a dry run, would do)."""

    path: Path
    answers: int = 0
    cards: int = 0
    already: int = 0
    skipped_rows: Counter[str] = field(default_factory=Counter)
    decks: list[Deck] = field(default_factory=list)
    converted: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        shown = quote_path(self.path)
        lines = [f"{shown}: {self.answers} answers from Anki for {self.cards} cards"]
        if self.already:
            lines.append(f"  {self.already} already in the log (not added again)")
        for kind, count in sorted(self.skipped_rows.items()):
            lines.append(f"  {count} {kind} rows skipped")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "answers": self.answers,
            "cards": self.cards,
            "already_in_log": self.already,
            "skipped_rows": dict(self.skipped_rows),
            "decks": [d.id for d in self.decks],
            "converted": [str(p) for p in self.converted],
            "skipped": self.skipped,
            "notices": self.notices,
        }


@dataclass
class ReadPackage:
    """One package read, nothing written yet: the collection, our notes' (deck, card) by
    note id, and the decks its multiple-choice notes became."""

    result: Imported
    collection: Collection
    ours: dict[int, CardKey]
    conversions: list[Conversion]


def read_packages(packages: list[Path]) -> list[tuple[Path, Collection]]:
    """Every package's collection, read before anything is opened or written: a bad one
    stops the import with nothing written, not even a new database."""
    read = []
    for path in packages:
        with extracted_collection(path) as file:
            read.append((path, read_collection(file, quote_path(path))))
    return read


def import_packages(
    store: Store,
    read: list[tuple[Path, Collection]],
    converted_dir: Path,
    settings: Settings,
    now: datetime,
    dry_run: bool = False,
    replace: bool = False,
) -> tuple[list[ImportSummary], list[Imported]]:
    """``mlcards import`` of Anki packages already read (``read_packages``): their notes
    converted (all of them before anything is written), the decks kept as YAML in
    ``converted_dir`` and imported (one import, as any), then each package's answers (one
    append each). A dry run writes nothing and says what would be added."""
    from mlcards.deck import load_decks  # (the import's own: off the export's start)
    from mlcards.formats import write_converted

    packages = [convert_package(store, path, collection) for path, collection in read]
    decks: list[Deck] = []
    for package in packages:
        for conversion in package.conversions:
            if dry_run:
                decks.append(conversion.deck)
                continue
            written = write_converted(conversion, converted_dir)
            package.result.converted.append(written)
            decks += load_decks([written])  # the kept copy is the deck's file from now on
        package.result.decks = [c.deck for c in package.conversions]
    summaries = []
    if decks:
        summaries = store.decks.import_decks(decks, now, dry_run=dry_run, replace=replace)
    results = [import_answers(store, package, settings, dry_run=dry_run) for package in packages]
    return summaries, results


def convert_package(store: Store, path: Path, collection: Collection) -> ReadPackage:
    """A package's notes sorted out; nothing is written. Notes of our type whose deck
    mlcards has are not converted (the YAML deck stays the source)."""
    from mlcards.anki.notes import convert_notes  # (the import's own: off the export's start)
    from mlcards.formats._common import default_deck_id, default_name

    converted = convert_notes(
        collection,
        quote_path(path),
        default_deck_id(path),
        default_name(path),
        set(store.decks.ids()),
    )
    result = Imported(path, skipped=converted.skipped, notices=converted.notices)
    return ReadPackage(result, collection, converted.ours, converted.conversions)


def import_answers(
    store: Store, package: ReadPackage, settings: Settings, *, dry_run: bool = False
) -> Imported:
    """Append Anki's learn, review and relearn rows of notes from mlcards as answers, each
    graded as the session would have graded it then, all decided from what is stored inside
    the one write transaction that appends them (an answer committed meanwhile is never
    graded over), load-balanced decks replayed in it too. A dry run writes nothing."""
    if dry_run:
        return _answers_from(store, package, settings)[0]
    decided: list[Imported] = []

    def decide() -> tuple[list[ReviewRecord], list[str]]:
        result, records, balanced = _answers_from(store, package, settings)
        decided.append(result)
        return records, balanced

    from mlcards.services.admin import replay_with

    store.log.append_deciding(decide, replay_with)
    return decided[0]


def _answers_from(
    store: Store, package: ReadPackage, settings: Settings
) -> tuple[Imported, list[ReviewRecord], list[str]]:
    """What the package adds, as read from ``store`` now: the summary, the graded records in
    time order, and the load-balanced decks they touch (to replay: their draws depend on the
    deck's due days)."""
    result, collection, ours = package.result, package.collection, package.ours
    states = store.cards.states()
    seen = _known_times(store, {key for key in ours.values() if key in states})
    pending: dict[CardKey, list[RevlogRow]] = {}
    for row in collection.revlog:
        nid = collection.cards.get(row.cid, (None, None))[0]
        key = ours.get(nid) if nid is not None else None
        if key is None:
            continue
        if row.type not in KEPT_TYPES or row.ease not in _EASE_QUALITY:
            result.skipped_rows[SKIPPED_TYPES.get(row.type, "manual")] += 1
            continue
        if key not in states:
            result.skipped_rows["not-in-mlcards"] += 1
            continue
        times = seen.get(key, [])
        at = bisect.bisect_left(times, row.id - RECOGNISE_MS)
        if at < len(times) and times[at] <= row.id:
            result.already += 1
            continue
        pending.setdefault(key, []).append(row)
    graders = scheduler_for(settings.rules_for, {key[0] for key in pending})
    records: list[ReviewRecord] = []
    for key, rows in pending.items():
        records += _records(key, rows, states[key], graders(key[0]), settings)
    records.sort(key=lambda r: r.reviewed_at)
    result.answers, result.cards = len(records), len(pending)
    balanced = sorted({k[0] for k in pending if balances(graders(k[0]))})
    return result, records, balanced


def _known_times(store: Store, keys: set[CardKey]) -> dict[CardKey, list[int]]:
    times: dict[CardKey, list[int]] = {}
    if not keys:
        return times
    for row in store.log.rows():
        key = (row["deck_id"], row["card_id"])
        if key in keys:
            instant = datetime.fromisoformat(str(row["reviewed_at"]).replace("Z", "+00:00"))
            times.setdefault(key, []).append(int(instant.timestamp() * 1000))
    for values in times.values():
        values.sort()
    return times


def _records(
    key: CardKey,
    rows: list[RevlogRow],
    cached: StoredSchedule,
    grader: Scheduler[Any],
    settings: Settings,
) -> Iterator[ReviewRecord]:
    fields: Fields = {
        "repetitions": cached["repetitions"],
        "easiness": cached["easiness"],
        "interval": cached["interval"],
        "stability": cached["stability"],
        "difficulty": cached["difficulty"],
    }
    due = date.fromisoformat(cached["due"]) if cached["due"] else None
    last_day = date.fromisoformat(cached["last_review_day"]) if cached["last_review_day"] else None
    lapses = int(cached["lapses"])
    threshold = settings.rules_for(key[0]).leech_threshold
    for row in sorted(rows, key=lambda r: r.id):
        reviewed_at = datetime.fromtimestamp(row.id / 1000, UTC)
        day = study_day(reviewed_at, settings.rollover_hour)
        quality = _EASE_QUALITY[row.ease]
        repeat = last_day == day
        is_new = due is None
        before = fields
        lapse = False
        if not repeat:
            graded = grade_answer(grader, grader.restore(fields, last_day), int(quality), day, key)
            fields, due, lapse = grader.fields(graded.state), graded.due, graded.lapse
        assert due is not None or repeat
        crosses = rules.is_leech(lapses + 1, threshold) and not rules.is_leech(lapses, threshold)
        yield ReviewRecord(
            deck_id=key[0],
            card_id=key[1],
            reviewed_at=reviewed_at,
            study_day=day,
            chosen=(),
            correct=row.ease > 1,
            quality=quality,
            response_ms=max(row.time, 0),
            same_day_repeat=repeat,
            was_new=is_new and not repeat,
            repetitions=fields["repetitions"],
            easiness=fields["easiness"],
            interval=fields["interval"],
            due=due or day + timedelta(days=1),
            mode="review",
            session=SESSION,
            lapse=lapse,
            leech_action="tag" if lapse and crosses else "",
            prev_repetitions=0 if is_new else before["repetitions"],
            prev_interval=0 if is_new else before["interval"],
            stability=fields["stability"],
            difficulty=fields["difficulty"],
        )
        lapses += int(lapse)
        last_day = day


__all__ = [
    "Exported",
    "Imported",
    "export_apkg",
    "import_answers",
    "import_packages",
    "ReadPackage",
    "convert_package",
    "read_packages",
]
