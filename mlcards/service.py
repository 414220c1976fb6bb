"""What the commands do, as plain functions over the store: today's queue under the daily
limits, the review screen's card actions, the check and repair of the schedule cache, leeches.

No terminal and no printing here; the CLI wires these to typer and shows their results.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from mlcards import rules
from mlcards.bundled import bundled_deck_files, bundled_decks_dir
from mlcards.config import Settings
from mlcards.errors import DeckError, MlcardsError, UsageError
from mlcards.models import (
    REVIEW_COLUMNS,
    CachedSchedule,
    CardKey,
    Deck,
    DeckStatus,
    ScheduledCard,
    StatsQuery,
    StoredSchedule,
)
from mlcards.replay import SchedulerFor, replay, schedule_differences
from mlcards.sanitize import quote_path, terminal_safe
from mlcards.session import DeckCounts, allowance, build_queue, deck_allowance
from mlcards.store import Scope, Store

Row = tuple[object, ...]


MANIFEST = ".bundled.json"


@dataclass
class BundledSync:
    """What ``sync_bundled`` did to the learner's copies of the bundled decks."""

    copies: list[Path]
    """Every copy, in the bundled order (BatchNorm first)."""
    changed: list[Path]
    """Copies written or extended this time (new decks, or a newer mlcards's cards)."""
    warnings: list[str]
    manifest: dict[str, Any]
    manifest_path: Path
    pending: dict[str, Any] = field(default_factory=dict)
    """The manifest entries of the changed copies, recorded by ``save``."""

    def save(self, failed: set[str] | frozenset[str] = frozenset()) -> None:
        """Record which shipped version each changed copy now holds: only once it is
        imported, so that a copy that could not be imported is tried again next time."""
        import json

        entries = {name: entry for name, entry in self.pending.items() if name not in failed}
        if entries:
            self.manifest.update(entries)
            text = json.dumps(self.manifest, indent=2, sort_keys=True) + "\n"
            _write_text(self.manifest_path, text)


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _card_blocks(text: str, deck: Deck) -> dict[str, str]:
    """Each card's lines in a deck file, from its ``- id:`` line to the next card."""
    lines = text.splitlines(keepends=True)
    starts = [card.line for card in deck.cards] + [len(lines) + 1]
    return {
        card.id: "".join(lines[start - 1 : end - 1])
        for card, start, end in zip(deck.cards, starts, starts[1:], strict=False)
    }


def sync_bundled(folder: Path) -> BundledSync:
    """Keep the learner's editable copies of the bundled decks in ``folder``.

    The decks shipped inside the package are never imported or edited there (a reinstall
    would silently undo an edit): each is copied once into ``folder``, which ``e`` edits.
    A manifest remembers which bundled version each copy came from, so that a newer mlcards
    replaces a copy the learner never edited, and appends only its new cards to one they did
    (cards they deleted stay deleted; the result must still load, or the copy is left alone).
    """
    import json

    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    if not isinstance(manifest, dict):
        manifest = {}
    sync = BundledSync([], [], [], manifest, manifest_path)
    for source in bundled_deck_files():
        text = source.read_text(encoding="utf-8")
        copy = folder / source.name
        sync.copies.append(copy)
        base = manifest.get(source.name) or {}
        if copy.exists() and base.get("sha256") == _digest(text):
            continue  # this mlcards ships what the copy was made from
        from mlcards.deck import parse_deck  # only now: YAML costs start-up time

        shipped = parse_deck(text, str(source))
        if not copy.exists() or _digest(copy.read_text(encoding="utf-8")) == base.get("copy"):
            _write_text(copy, text)  # new, or never edited: the shipped version
        else:
            mine = copy.read_text(encoding="utf-8")
            try:
                own = parse_deck(mine, str(copy))
            except DeckError as exc:
                sync.warnings.append(
                    f"{quote_path(copy)} does not load ({terminal_safe(exc.problems[0])}); "
                    "the new bundled cards are added once it does"
                )
                continue
            known = set(base.get("cards", [])) | {c.id for c in own.cards}
            blocks = _card_blocks(text, shipped)
            added = [blocks[card.id] for card in shipped.cards if card.id not in known]
            if added:
                merged = mine.rstrip("\n") + "\n" + "".join(added)
                try:
                    parse_deck(merged, str(copy))
                except DeckError:
                    sync.warnings.append(
                        f"{copy}: could not add {len(added)} new bundled card(s) to your "
                        f"edited copy; they are in {source}"
                    )
                    continue
                _write_text(copy, merged)
        sync.pending[source.name] = {
            "sha256": _digest(text),
            "copy": _digest(copy.read_text(encoding="utf-8")),
            "cards": [card.id for card in shipped.cards],
        }
        sync.changed.append(copy)
    return sync


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def import_bundled(store: Store, now: datetime, folder: Path) -> list[Deck]:
    """Load the bundled decks (through the learner's copies in ``folder``) into an empty
    database."""
    from mlcards.deck import load_decks

    sync = sync_bundled(folder)
    decks = load_decks(sync.copies)
    store.decks.import_decks(decks, now)
    sync.save()
    return decks


def update_bundled(store: Store, now: datetime, folder: Path) -> list[str]:
    """On every review start: bring a newer mlcards's bundled cards into the decks that came
    from the bundle (and move decks imported from inside the package to their copies).
    Decks the learner never had are not added. Returns warnings to show."""
    inside = str(bundled_decks_dir().resolve())
    copies = folder.resolve()
    paths = store.decks.paths()
    bundled_ids = {
        deck_id
        for deck_id, path in paths.items()
        if path.startswith(inside + os.sep) or Path(path).parent == copies
    }
    if not bundled_ids:
        return []
    sync = sync_bundled(folder)
    moved = {d for d in bundled_ids if paths[d].startswith(inside + os.sep)}
    if not moved and not sync.changed:
        return sync.warnings
    from mlcards.deck import load_deck  # only now: YAML costs start-up time

    changed = {copy.name for copy in sync.changed}
    wanted, failed = [], set()
    for copy in sync.copies:
        try:
            deck = load_deck(copy)
        except MlcardsError as exc:  # one broken copy must not block the others
            if copy.name in changed:
                failed.add(copy.name)
                sync.warnings.append(f"not imported: {terminal_safe(str(exc).splitlines()[0])}")
            continue
        if deck.id in bundled_ids and (deck.id in moved or copy.name in changed):
            wanted.append(deck)
    if wanted:
        store.decks.import_decks(wanted, now, replace=True)
    sync.save(failed)
    return sync.warnings


def todays_queue(
    store: Store,
    settings: Settings,
    today: date,
    deck: str | None = None,
    tag: str | None = None,
    new_limit: int | None = None,
    limit: int | None = None,
) -> list[ScheduledCard]:
    """Today's queue under the daily limits (each deck's own and the global ones), then the
    session's ``--limit``. ``new_limit`` (``--new N``) replaces today's new-card allowance:
    N more new cards now, past the daily limits or below them."""
    overall = allowance(
        settings.new_per_day, settings.reviews_per_day, DeckCounts(*store.log.counts_today(today))
    )
    if new_limit is not None:
        overall = replace(overall, new=new_limit)
    due: list[ScheduledCard] = []
    new: list[ScheduledCard] = []
    for deck_id in [deck] if deck else store.decks.ids():
        own = settings.for_deck(deck_id)
        done = DeckCounts(*store.log.counts_today(today, deck_id))
        room = deck_allowance(overall, allowance(own.new_per_day, own.reviews_per_day, done))
        if new_limit is not None:
            room = replace(room, new=overall.new)
        due += store.cards.due(today, room.reviews, deck_id, tag)
        new += store.cards.new(room.new, deck_id, tag, today)
    due.sort(key=lambda item: item.due or today)  # stable: deck order within a day
    repeats = store.cards.repeats(today, deck, tag)
    queue = build_queue(due[: overall.reviews], new[: overall.new], repeats, limit)
    return with_leech_marks(queue, settings)


def with_leech_marks(items: list[ScheduledCard], settings: Settings) -> list[ScheduledCard]:
    """Each card marked a leech exactly when ``rules.is_leech`` says so for its deck's
    threshold today, whatever the threshold was when it lapsed (as ``leeches`` and stats)."""
    return [
        replace(
            item,
            leech=rules.is_leech(item.lapses, settings.leech_threshold_for(item.deck_id)),
        )
        for item in items
    ]


def deck_status(store: Store, settings: Settings, today: date) -> list[DeckStatus]:
    """Every deck's counts, with today's new cards and reviews cut to what the daily limits
    (global and per deck, counted from the log) still let ``review`` show, deck by deck in
    the order ``review`` takes them."""
    overall = allowance(
        settings.new_per_day, settings.reviews_per_day, DeckCounts(*store.log.counts_today(today))
    )
    left_new, left_reviews = overall.new, overall.reviews
    shown = []
    for status in store.decks.status(today):
        own = settings.for_deck(status.id)
        done = DeckCounts(*store.log.counts_today(today, status.id))
        room = allowance(own.new_per_day, own.reviews_per_day, done)
        new = min(status.new_today, room.new, left_new)
        reviews = min(status.reviews_today, room.reviews, left_reviews)
        left_new, left_reviews = left_new - new, left_reviews - reviews
        shown.append(replace(status, new_today=new, reviews_today=reviews))
    return shown


def session_hooks(
    store: Store,
    settings: Settings,
    today: date,
    mode: str = "review",
    new_limit: int | None = None,
) -> tuple[Callable[[ScheduledCard], ScheduledCard | None], Callable[[ScheduledCard], bool]]:
    """What a session asks the store when it draws a card: the card as stored now (None when
    it was suspended, buried or retired since), and whether today's limits, counted from the
    log (so two sessions share them), still allow a new card or a due review. With
    ``new_limit`` (``--new N``) the session may introduce N new cards, whatever the limits."""
    new_at_start = store.log.counts_today(today)[0]

    def refresh(item: ScheduledCard) -> ScheduledCard | None:
        fresh = store.cards.one(item.deck_id, item.card.id, today)
        return with_leech_marks([fresh], settings)[0] if fresh is not None else None

    def may_show(item: ScheduledCard) -> bool:
        if mode != "review" or item.last_review_day == today:
            return True  # practice, or a same-day repeat: no daily limit
        own = settings.for_deck(item.deck_id)
        done = DeckCounts(*store.log.counts_today(today))
        if item.is_new and new_limit is not None:
            return done.new < new_at_start + new_limit
        deck_done = DeckCounts(*store.log.counts_today(today, item.deck_id))
        overall = allowance(settings.new_per_day, settings.reviews_per_day, done)
        room = deck_allowance(overall, allowance(own.new_per_day, own.reviews_per_day, deck_done))
        return room.new > 0 if item.is_new else room.reviews > 0

    return refresh, may_show


def leeches(store: Store, settings: Settings) -> list[dict[str, object]]:
    """Active cards with at least their deck's leech threshold of lapses."""
    lowest = min([settings.leech_threshold, *settings.leech_thresholds().values()])
    return [
        card
        for card in store.cards.marked("lapses", min_lapses=lowest)
        if rules.is_leech(int(str(card["lapses"])), settings.leech_threshold_for(str(card["deck"])))
    ]


@dataclass
class CheckResult:
    """What ``mlcards check`` found, and what ``--repair`` did about it."""

    integrity: list[str]
    differences: list[str]
    cards: int
    repaired: bool = False
    backup: Path | None = None
    index: list[str] = field(default_factory=list)
    """Where the full-text search index disagrees with the cards' text."""

    @property
    def ok(self) -> bool:
        return not self.integrity and (not (self.differences or self.index) or self.repaired)

    def to_dict(self) -> dict[str, object]:
        return {
            "integrity": self.integrity,
            "schedule_differences": self.differences,
            "search_index": self.index,
            "repaired": self.repaired,
            "backup": str(self.backup) if self.backup else None,
            "ok": self.ok,
        }


def check(
    store: Store, repair: bool = False, scheduler_for: SchedulerFor | None = None
) -> CheckResult:
    """SQLite's own checks, then the schedule cache against a replay of the log (each deck
    with its own scheduler when ``scheduler_for`` is given, else SM-2); with ``repair``, a
    backup and then the cache rebuilt from the log."""
    integrity = store.integrity_problems()
    if integrity:  # a damaged file is not read further
        return CheckResult(integrity, [], 0)
    with store.read():  # the cache and the log as of one moment, whoever answers meanwhile
        cached: dict[CardKey, StoredSchedule] = store.cards.states()
        schedule_from = {key: value["schedule_from"] for key, value in cached.items()}
        unreadable = _unreadable_reviews(store)
        if unreadable:  # the log itself is damaged: replaying it would be a guess
            return CheckResult(unreadable, [], len(cached))
        replayed: dict[CardKey, CachedSchedule] = replay(
            store.log.replay_rows(), schedule_from, scheduler_for=scheduler_for
        )
    result = CheckResult([], schedule_differences(cached, replayed), len(cached))
    result.index = store.search.index_problems()
    if result.index and repair:
        result.backup = store.backups.create("pre-repair")
        store.search.rebuild_index()
        result.repaired = True
    if result.differences and repair:
        result.backup = result.backup or store.backups.create("pre-repair")

        def compute(
            rows: Iterator[dict[str, Any]], starts: Mapping[CardKey, int]
        ) -> dict[CardKey, CachedSchedule]:
            return replay(rows, starts, scheduler_for=scheduler_for)

        # replayed again inside the write: an answer given since the check is not undone
        store.cards.rebuild_decks(store.decks.ids(), compute)
        result.repaired = True
    return result


def _unreadable_reviews(store: Store, shown: int = 20) -> list[str]:
    """Review rows the replay cannot read (a study day that is not a date, a quality out of
    0-5), each named by its id."""
    problems = []
    for row in store.log.replay_rows():
        day, quality = row["study_day"], row["quality"]
        try:
            date.fromisoformat(str(day))
            valid = isinstance(quality, int) and 0 <= quality <= 5
        except ValueError:
            problems.append(f"review {row['id']}: study_day {str(day)[:40]!r} is not a date")
            continue
        if not valid:
            problems.append(f"review {row['id']}: quality {str(quality)[:40]!r} is not 0-5")
        if len(problems) >= shown:
            problems.append("(more unreadable reviews not listed)")
            break
    return problems


@dataclass
class StoreActions:
    """What the review screen may do to a card besides answering it, done in the store."""

    store: Store
    today: date
    pause: Callable[[], AbstractContextManager[None]]
    now: Callable[[], datetime]

    def suspend(self, item: ScheduledCard) -> str:
        self.store.cards.suspend(item.deck_id, item.card.id)
        return f"Suspended {item.key} until `mlcards unsuspend {item.key}`."

    def bury(self, item: ScheduledCard) -> str:
        self.store.cards.bury(item.deck_id, item.card.id, self.today + timedelta(days=1))
        return f"Buried {item.key} until tomorrow."

    def flag(self, item: ScheduledCard) -> tuple[ScheduledCard, str]:
        flagged = not item.flagged
        self.store.cards.flag(item.deck_id, item.card.id, flagged)
        words = "Flagged for editing (`mlcards flagged`)." if flagged else "Flag removed."
        return replace(item, flagged=flagged), words

    def edit_if_changed(self, item: ScheduledCard) -> tuple[ScheduledCard | None, str]:
        """Open the deck file at the card's line in $VISUAL/$EDITOR, then re-import it if the
        editor changed it (an unchanged file costs no import, and no pre-import backup)."""
        from mlcards.deck import load_deck

        path = Path(item.path) if item.path else None
        if path is None or not path.is_file():
            return item, f"The deck file of {item.key} is not available to edit."
        before = path.read_bytes()
        variable = "VISUAL" if os.environ.get("VISUAL") else "EDITOR"
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        try:
            command = shlex.split(editor)
        except ValueError as exc:  # e.g. an unbalanced quote
            return item, f"Could not start the editor: ${variable} is not a command line ({exc})."
        if not command:
            return item, f"Could not start the editor: ${variable} is empty."
        with self.pause():
            try:
                run_editor([*command, f"+{item.card.line}", str(path)])
            except OSError as exc:
                shown = terminal_safe(command[0])
                return item, f"Could not start the editor {shown!r}: {exc.strerror}"
        try:
            unchanged = path.read_bytes() == before
        except OSError:
            unchanged = False  # gone or unreadable: the import says what is wrong
        if unchanged:
            return item, f"No changes: {quote_path(path.name)} is as it was."
        try:
            deck = load_deck(path)
            self.store.decks.import_decks([deck], self.now())
        except MlcardsError as exc:
            first = terminal_safe(str(exc).splitlines()[0])
            return item, f"Not re-imported: {first}"
        fresh = self.store.cards.one(item.deck_id, item.card.id)
        if fresh is None:
            return None, f"{item.key} is no longer in its deck file: retired."
        shown = quote_path(path.name)
        return replace(item, card=fresh.card, path=fresh.path), f"Re-imported {shown}."

    def unsuspend(self, item: ScheduledCard) -> str:
        """Undo ``suspend`` from the review screen."""
        self.store.cards.suspend(item.deck_id, item.card.id, suspended=False)
        return f"Undone: {item.key} is no longer suspended."

    def unbury(self, item: ScheduledCard) -> str:
        """Undo ``bury`` from the review screen (the card was not buried when it was shown)."""
        self.store.cards.bury(item.deck_id, item.card.id, None)
        return f"Undone: {item.key} is no longer buried."


EDITOR_GRACE_S = 5.0
"""How long an editor has to save and exit after SIGTERM before it is killed."""


def run_editor(command: list[str]) -> int:
    """Run an editor in the foreground and wait for it.

    Ctrl-C belongs to the editor while it runs (mlcards ignores SIGINT meanwhile, as
    ``system()`` does). If mlcards itself is told to stop (SIGTERM or SIGHUP, raised here as
    SystemExit), the editor is sent SIGTERM and given ``EDITOR_GRACE_S`` seconds to save and
    exit before it is killed: unsaved work gets its chance.
    """
    import signal

    process = subprocess.Popen(command)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return process.wait()
    except BaseException:
        process.terminate()
        try:
            process.wait(timeout=EDITOR_GRACE_S)
        except BaseException:
            process.kill()
            process.wait()
        raise
    finally:
        signal.signal(signal.SIGINT, previous)


def marked_cards(store: Store, kind: str, settings: Settings) -> list[dict[str, object]]:
    """The cards ``flagged``, ``suspended`` or ``leech`` lists, with their file and line."""
    return leeches(store, settings) if kind == "leech" else store.cards.marked(kind)


def parse_card_refs(refs: list[str]) -> list[CardKey]:
    parsed = []
    for ref in refs:
        deck_id, sep, card_id = ref.partition("/")
        if not sep or not deck_id or not card_id:
            raise UsageError(f"{ref!r}: name a card as DECK/CARD (see `mlcards suspended`)")
        parsed.append((deck_id, card_id))
    return parsed


def unsuspend(store: Store, refs: list[str], every: bool = False) -> int:
    """Bring the named suspended cards (or ``every`` one) back; an unknown card is an error."""
    if every:
        return store.cards.unsuspend_all()
    keys = parse_card_refs(refs)
    suspended = {(str(c["deck"]), str(c["card"])) for c in store.cards.marked("suspended")}
    for deck_id, card_id in keys:
        if store.cards.one(deck_id, card_id) is None and (deck_id, card_id) not in suspended:
            raise UsageError(f"no card {deck_id}/{card_id}")
    return sum(store.cards.suspend(*key, suspended=False) for key in keys if key in suspended)


def unflag(store: Store, refs: list[str]) -> int:
    """Clear the flag of the named cards; an unknown card is an error, found before any
    flag is cleared."""
    keys = parse_card_refs(refs)
    known = store.cards.states()
    for deck_id, card_id in keys:
        if (deck_id, card_id) not in known:
            raise UsageError(f"no card {deck_id}/{card_id}")
    for deck_id, card_id in keys:
        store.cards.flag(deck_id, card_id, flagged=False)
    return len(keys)


def check_deck(store: Store, deck: str | None) -> None:
    if deck is not None and deck not in store.decks.ids():
        decks = ", ".join(store.decks.ids()) or "none yet"
        raise UsageError(f"no deck {deck!r}; decks: {decks}")


def check_tag(store: Store, tag: str | None) -> None:
    """An unknown ``--tag`` is an error, like an unknown ``--deck`` (not an empty queue)."""
    if tag is None:
        return
    tags = store.cards.tags()
    if tag not in tags:
        shown = ", ".join(sorted(tags)[:12]) + (", ..." if len(tags) > 12 else "")
        raise UsageError(f"no card has the tag {tag!r}; tags: {shown or 'none yet'}")


def why_nothing_to_review(
    store: Store, settings: Settings, today: date, deck: str | None = None
) -> str:
    """Why ``review`` has no card to show now, and what would give it one."""
    decks = [d for d in deck_status(store, settings, today) if deck is None or d.id == deck]
    unseen = sum(d.new for d in decks)
    due = sum(d.due for d in decks)
    reasons = []
    if unseen and not sum(d.new_today for d in decks):
        limit = settings.for_deck(deck).new_per_day if deck else settings.new_per_day
        reasons.append(
            f"Today's {limit} new cards are done ({unseen} more wait): "
            "`mlcards review --new N` adds N more today."
        )
    if due and not sum(d.reviews_today for d in decks):
        limit = settings.for_deck(deck).reviews_per_day if deck else settings.reviews_per_day
        reasons.append(f"Today's {limit} reviews are done ({due} more are due).")
    from mlcards.clock import describe_due

    reasons.append(f"Next review: {describe_due(store.cards.next_due(deck), today)}.")
    return " ".join(reasons)


def stats_document(
    store: Store, settings: Settings, query: StatsQuery, since: date | None
) -> dict[str, Any]:
    """The one ``stats`` document (``stats --json``, ``export stats``, the dashboard)."""
    from mlcards.scheduling import retrievability_today
    from mlcards.stats import build_stats

    check_deck(store, query.deck_id)
    return build_stats(
        store.stats.data(query),
        query.today,
        since,
        query.deck_id,
        query.tag,
        leech_threshold=settings.leech_threshold,
        deck_leech_thresholds=settings.leech_thresholds(),
        retrievability=retrievability_today(store, settings, query.today, query.deck_id, query.tag),
    )


def export(
    store: Store,
    stream: TextIO,
    what: str,
    fmt: str,
    scope: Scope,
    progress: Callable[[Iterable[Row], int], Iterable[Row]] | None = None,
    *,
    raw: bool = False,
) -> None:
    """Write the review log (``reviews``) or the cards (``cards``) as CSV or JSON; CSV cells
    a spreadsheet would run as formulas are escaped unless ``raw``."""
    from mlcards import stats as serialise

    check_deck(store, scope.deck)
    if what == "reviews":
        rows: Iterable[Row] = store.log.export_rows(scope)
        if progress is not None:
            rows = progress(rows, store.log.count(scope))
        if fmt == "csv":
            serialise.write_csv(stream, REVIEW_COLUMNS, rows, escape_formulas=not raw)
        else:
            serialise.write_json_array(stream, (serialise.review_json(r) for r in rows))
        return
    cards = store.stats.card_summaries(scope)
    if fmt == "csv":
        serialise.write_csv(
            stream,
            serialise.CARD_COLUMNS,
            (serialise.card_csv(c) for c in cards),
            escape_formulas=not raw,
        )
    else:
        serialise.write_json_array(stream, (serialise.card_json(c) for c in cards))


@dataclass
class Loaded:
    """The decks an import reads, and what converting other formats skipped or kept."""

    decks: list[Deck]
    skipped: list[str]
    converted: list[Path]


def load_for_import(
    paths: list[Path], converted_dir: Path, max_bytes: int, dry_run: bool = False
) -> Loaded:
    """YAML decks (files or folders) as they are; CSV, TSV and GIFT files converted first,
    their YAML kept in ``converted_dir`` as the one editable copy (not on a dry run). All
    problems of all files are collected into one DeckError."""
    from mlcards.deck import load_decks
    from mlcards.formats import convert_file, detect_format, write_converted

    yaml_paths: list[Path] = []
    loaded = Loaded([], [], [])
    problems: list[str] = []
    for path in paths:
        if path.is_file() and detect_format(path) is not None:
            try:
                conversion = convert_file(path, max_bytes=max_bytes)
            except DeckError as exc:
                problems.extend(exc.problems)
                continue
            loaded.skipped.extend(conversion.skipped)
            if dry_run:
                loaded.decks.append(conversion.deck)
                continue
            written = write_converted(conversion, converted_dir)
            loaded.converted.append(written)
            yaml_paths.append(written)
        else:
            yaml_paths.append(path)
    try:
        loaded.decks += load_decks(yaml_paths, max_bytes=max_bytes) if yaml_paths else []
    except DeckError as exc:
        problems.extend(exc.problems)
    if problems:
        raise DeckError(problems)
    return loaded
