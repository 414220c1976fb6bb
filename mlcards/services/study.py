"""Studying: today's queue under the daily limits, the store's side of a session (the card
as stored now, whether today's limits still allow it), the review screen's card actions
(suspend, bury, flag, edit, and undoing them) and the card lists (flagged, leeches,
suspended).

``TodaysLimits`` is the one place today's allowances are computed (each deck's own limits
within the global ones, counted from the log, so two sessions share them): the queue, the
status table and a running session all ask it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from mlcards.config import Settings
from mlcards.models import ScheduledCard
from mlcards.rules import Allowance, DeckCounts
from mlcards.store import Store

TYPE_CHECKING = False
if TYPE_CHECKING:  # the session (and its scheduler's fuzz, hashlib) is off status's path
    from mlcards.records import DeckStatus, LeftToday
    from mlcards.session import Session
    from mlcards.store.kept import State


class TodaysLimits:
    """Today's allowances: what the daily limits (each deck's own within the global ones)
    still allow after what the log says was done today. Counted from the log at every ask,
    so two sessions share them. With ``new_limit`` (``--new N``) N new cards may be
    introduced from now on, past the daily limits or below them."""

    def __init__(
        self, store: Store, settings: Settings, today: date, new_limit: int | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        self.today = today
        self.new_limit = new_limit
        self._new_at_start = self._done().new if new_limit is not None else 0

    def _done(self, deck_id: str | None = None) -> DeckCounts:
        return DeckCounts(*self.store.log.counts_today(self.today, deck_id))

    def overall(self) -> Allowance:
        """What the global limits still allow, over every deck."""
        return self._overall(self._done())

    def _overall(self, done: DeckCounts) -> Allowance:
        left = self.settings.rules_for(None).left(done)
        if self.new_limit is not None:
            left = replace(left, new=max(self._new_at_start + self.new_limit - done.new, 0))
        return left

    def deck(self, deck_id: str, overall: Allowance | None = None) -> Allowance:
        """What one deck may still show: its own limits within ``overall`` (by default what
        the global ones allow now, read with the deck's counts in one query)."""
        if overall is None:
            new, reviewed, deck_new, deck_reviewed = self.store.log.counts_today_with(
                self.today, deck_id
            )
            overall = self._overall(DeckCounts(new, reviewed))
            done = DeckCounts(deck_new, deck_reviewed)
        else:
            done = self._done(deck_id)
        room = self.settings.rules_for(deck_id).left(done).within(overall)
        return replace(room, new=overall.new) if self.new_limit is not None else room


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
    from mlcards.session import build_queue

    counts = _todays_counts(TodaysLimits(store, settings, today, new_limit), deck, tag)
    due, new = _todays_cards(store, today, deck, tag, counts)
    repeats = store.cards.repeats(today, deck, tag)
    queue = build_queue(due, new, repeats, limit)
    return with_leech_marks(queue, settings)


def cut_queue(
    store: Store,
    settings: Settings,
    today: date,
    deck: str | None = None,
    tag: str | None = None,
    new_limit: int | None = None,
    limit: int | None = None,
) -> tuple[list[ScheduledCard], State]:
    """``todays_queue`` and the store's state before it was read (``StoreSource.read_at``)."""
    read_at = store.kept.state()
    return todays_queue(store, settings, today, deck, tag, new_limit, limit), read_at


def _todays_cards(
    store: Store,
    today: date,
    deck: str | None,
    tag: str | None,
    counts: tuple[Counter[str], Counter[str]],
) -> tuple[list[ScheduledCard], list[ScheduledCard]]:
    """The due and new cards today's limits let ``review`` show: each deck's own room, then
    the global limits over all of them (the most overdue first, new cards in deck order).
    ``review`` and ``status`` both count from this, so they never disagree. The cut keeps a
    prefix of each deck's cards, so it is counted first (``counts``, ``_todays_counts``'s per
    deck due and new) and only the cards kept are read (not every deck's whole room)."""
    due_by, new_by = counts
    due: list[ScheduledCard] = []
    new: list[ScheduledCard] = []
    for deck_id in [deck] if deck else store.decks.ids():
        if due_by[deck_id]:
            due += store.cards.due(today, due_by[deck_id], deck_id, tag)
        if new_by[deck_id]:
            new += store.cards.new(new_by[deck_id], deck_id, tag, today)
    due.sort(key=lambda item: item.due or today)  # stable: deck order within a day
    return due, new


def left_today(
    store: Store, settings: Settings, today: date, deck: str | None = None, tag: str | None = None
) -> LeftToday:
    """What ``review`` would still show today (the session summary says so rather than
    "Next due: tomorrow" while cards wait): counted from today's queue under the limits."""
    queue = todays_queue(store, settings, today, deck, tag)
    repeats = sum(1 for item in queue if item.last_review_day == today)
    new = sum(1 for item in queue if item.is_new and item.last_review_day != today)
    from mlcards.records import LeftToday

    return LeftToday(new=new, reviews=len(queue) - new - repeats, repeats=repeats)


def with_leech_marks(items: list[ScheduledCard], settings: Settings) -> list[ScheduledCard]:
    """Each card marked a leech exactly when its deck's rules say so today, whatever the
    threshold was when it lapsed (as ``leeches`` and stats)."""
    marked = []
    for item in items:
        leech = settings.rules_for(item.deck_id).is_leech(item.lapses)
        marked.append(item if item.leech == leech else replace(item, leech=leech))
    return marked


def deck_status(store: Store, settings: Settings, today: date) -> list[DeckStatus]:
    """Every deck's counts, with today's new cards and reviews the ones ``review`` would
    show now: the same cut as ``_todays_cards``, counted without reading the cards."""
    due_by, new_by = _todays_counts(TodaysLimits(store, settings, today))
    return [
        replace(status, new_today=new_by[status.id], reviews_today=due_by[status.id])
        for status in store.decks.status(today)
    ]


def _todays_counts(
    limits: TodaysLimits, deck: str | None = None, tag: str | None = None
) -> tuple[Counter[str], Counter[str]]:
    """Per deck, how many due and new cards today's cut holds: each deck's room, the due
    days merged most overdue first (deck order within a day) and cut at the global limit;
    new cards in deck order up to it. Read from an index, without the cards."""
    store, today = limits.store, limits.today
    overall = limits.overall()  # (never negative)
    due: list[tuple[str, int, str]] = []
    new_by: Counter[str] = Counter()
    for position, deck_id in enumerate([deck] if deck else store.decks.ids()):
        room = limits.deck(deck_id, overall)
        days = store.decks.due_days(today, deck_id, room.reviews, tag)
        due += [(day, position, deck_id) for day in days]
        new_left = overall.new - sum(new_by.values())
        if new_left and room.new:
            found = store.decks.new_count(today, deck_id, room.new, tag)
            new_by[deck_id] = min(found, new_left)
    due.sort()
    return Counter(deck_id for _, _, deck_id in due[: overall.reviews]), new_by


@dataclass(frozen=True)
class Status:
    """What ``status`` shows: each deck's counts, the next review day, and the cards due
    tomorrow and over the next 7 days."""

    decks: list[DeckStatus]
    next_due: date | None
    ahead: tuple[int, int]
    pending: int = 0
    """Synced answers waiting for a deck this device has not imported (``mlcards sync``)."""

    def document(self, today: date) -> dict[str, Any]:
        """The ``status --json`` document (both ``status`` commands print it)."""
        keys = (
            "cards",
            "new",
            "due",
            "retired",
            "suspended",
            "learning",
            "new_today",
            "reviews_today",
            "left_today",
        )
        decks, ahead = self.decks, self.ahead
        return {
            "today": today.isoformat(),
            "decks": [d.to_dict() for d in decks],
            "totals": {key: sum(getattr(d, key) for d in decks) for key in keys},
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "due_tomorrow": ahead[0],
            "due_next_7_days": ahead[1],
            **({"sync_pending": self.pending} if self.pending else {}),
        }

    def pending_note(self) -> str:
        if not self.pending:
            return ""
        return (
            f"{self.pending} synced answer(s) wait for a deck not imported here; "
            "`mlcards import` it and they count."
        )


def status_of(store: Store, settings: Settings, today: date) -> Status:
    """``status``, for both its entries (typer's and the quick one): one query of each."""
    return Status(
        deck_status(store, settings, today),
        store.cards.next_due(),
        store.cards.due_ahead(today),
        store.cards.pending_answers(),
    )


class StoreSource:
    """What a session asks the store when it draws a card (``session.CardSource``): the
    card as stored now, and whether today's limits still allow it."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        today: date,
        mode: str = "review",
        new_limit: int | None = None,
        read_at: State | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.today = today
        self.mode = mode
        self.limits = TodaysLimits(store, settings, today, new_limit)
        self.read_at = read_at
        """The store's state when the queue was read and cut to today's limits (``cut_queue``);
        None: it may hold cards past them, each is asked when drawn."""

    def refresh(self, item: ScheduledCard) -> ScheduledCard | None:
        """The card as stored now (None when it was suspended, buried or retired since)."""
        fresh = self.store.cards.one(item.deck_id, item.card.id, self.today)
        return with_leech_marks([fresh], self.settings)[0] if fresh is not None else None

    def may_show(self, item: ScheduledCard) -> bool:
        """Whether today's limits still allow this new card or due review."""
        if self.mode != "review" or item.last_review_day == self.today:
            return True  # practice, or a same-day repeat: no daily limit
        room = self.limits.deck(item.deck_id)
        return room.new > 0 if item.is_new else room.reviews > 0

    def unchanged(self) -> bool:
        """``session.CardSource.unchanged`` (``store/kept.py``)."""
        return self.read_at is not None and self.store.kept.unchanged_since(self.read_at)


def start_session(
    store: Store,
    settings: Settings,
    today: date,
    queue: list[ScheduledCard],
    *,
    mode: str = "review",
    shuffle: bool = True,
    minutes: float | None = None,
    suspend_leeches: bool = False,
    new_limit: int | None = None,
    read_at: State | None = None,
) -> Session:
    """A session over ``queue`` wired to the store: answers to the log, cards re-read and
    today's limits asked as they are drawn, each deck under its own rules (``read_at``:
    ``StoreSource``'s). A deck whose scheduler cannot be built is refused here, before
    anything is shown."""
    import random
    import time

    from mlcards.session import Session

    return Session(
        queue,
        today,
        rng=random.Random() if shuffle else None,
        journal=store.log,
        mode=mode,
        session_id=os.urandom(16).hex(),  # (as uuid4().hex, without importing uuid)
        rules=settings.rules_for,
        suspend_leeches=suspend_leeches,
        deadline=time.monotonic() + minutes * 60 if minutes else None,
        source=StoreSource(store, settings, today, mode, new_limit, read_at),
    )


def leeches(store: Store, settings: Settings) -> list[dict[str, object]]:
    """Active cards with at least their deck's leech threshold of lapses."""
    lowest = min(settings.rules_for(d).leech_threshold for d in [None, *settings.decks])
    return [
        card
        for card in store.cards.marked("lapses", min_lapses=lowest)
        if settings.rules_for(str(card["deck"])).is_leech(int(str(card["lapses"])))
    ]


def marked_cards(store: Store, kind: str, settings: Settings) -> list[dict[str, object]]:
    """The cards ``flagged``, ``suspended`` or ``leech`` lists, with their file and line."""
    return leeches(store, settings) if kind == "leech" else store.cards.marked(kind)


def why_nothing_to_review(
    store: Store, settings: Settings, today: date, deck: str | None = None
) -> str:
    """Why ``review`` has no card to show now, and what would give it one."""
    decks = [d for d in deck_status(store, settings, today) if deck is None or d.id == deck]
    unseen = sum(d.new for d in decks)
    due = sum(d.due for d in decks)
    reasons = []
    if unseen and not sum(d.new_today for d in decks):
        limit = settings.rules_for(deck).new_per_day
        reasons.append(
            f"Today's {limit} new cards are done ({unseen} more wait): "
            "`mlcards review --new N` adds N more today."
        )
    if due and not sum(d.reviews_today for d in decks):
        limit = settings.rules_for(deck).reviews_per_day
        reasons.append(f"Today's {limit} reviews are done ({due} more are due).")
    from mlcards.clock import describe_due

    reasons.append(f"Next review: {describe_due(store.cards.next_due(deck), today)}.")
    from mlcards.config import data_dir
    from mlcards.services.decks import has_bundled

    if deck is None and not has_bundled(store, data_dir() / "decks"):
        reasons.append("Add the bundled decks with `mlcards import --bundled`.")
    return " ".join(reasons)


def undo_last_actions(store: Store) -> list[dict[str, str]]:
    """``mlcards undo``: take back the last batch of card actions given from the command
    line (suspend, unsuspend, bury, unbury, flag, unflag, forget), in one transaction. Each
    event gets a tombstone (which travels to the other devices), the cards' marks are
    rebuilt from the events left, and a forget taken back replays its deck. The cards
    taken back (empty: nothing to undo)."""
    from mlcards.store.events import last_batch

    with store.write() as conn:
        events = last_batch(conn)
        if events:
            _take_back_in(store, conn, [uid for uid, _, _, _ in events])
    return [{"deck": d, "card": c, "action": a} for _, d, c, a in events]


def take_back_actions(store: Store, uids: Sequence[str]) -> None:
    """Take back card-action events by id (the review's ``u`` after ``s`` or ``b``), in one
    transaction: tombstones, the marks rebuilt from the events left, a deck replayed when
    a reset point moved. What another device did to the card since stays."""
    with store.write() as conn:
        _take_back_in(store, conn, uids)


def _take_back_in(store: Store, conn: Any, uids: Sequence[str]) -> None:
    from mlcards.services.admin import replay_with
    from mlcards.store.events import take_back
    from mlcards.store.schedules import rebuild_in

    moved = take_back(conn, uids, store.clock())
    if moved:
        rebuild_in(conn, store.path, sorted(moved), replay_with)
