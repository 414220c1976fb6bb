"""Card search and one card's story: ``mlcards cards QUERY`` and ``mlcards show DECK/CARD``.

The query text is parsed once (``mlcards.search``); what its words mean beyond the database
(today's study day, which decks FSRS schedules, the leech thresholds, when a study day
starts, each FSRS deck's forgetting curve) is gathered here into one ``SearchContext`` and
handed to the store, which turns the query into SQL. The JSON documents are built here, so
``--json`` and the screens show the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from mlcards import rules
from mlcards.clock import day_start
from mlcards.config import Settings
from mlcards.errors import UsageError
from mlcards.models import CardKey, ScheduledCard, utc_iso
from mlcards.records import BrowsedCard, HistoryEntry
from mlcards.search import Node, mentions_prop, parse
from mlcards.store import Store
from mlcards.store.search import SearchContext

__all__ = ["CardStory", "card_story", "find_cards", "resolve_ref"]


def search_context(store: Store, settings: Settings, today: date, node: Node) -> SearchContext:
    deck_ids = store.decks.ids()
    fsrs = frozenset(d for d in deck_ids if settings.rules_for(d).scheduler.name == "fsrs")
    curves: dict[str, tuple[float, float]] = {}
    if fsrs and mentions_prop(node, "r"):  # only then are the schedulers (py-fsrs) imported
        from mlcards.schedulers import scheduler_for

        grader = scheduler_for(settings.rules_for, sorted(fsrs))
        for deck_id in fsrs:
            scheduler = grader(deck_id)
            curves[deck_id] = (
                float(getattr(scheduler, "_factor")),  # noqa: B009 - FSRS's curve constants
                float(getattr(scheduler, "_decay")),  # noqa: B009
            )
    return SearchContext(
        today=today,
        fsrs_decks=fsrs,
        leech_threshold=settings.rules_for(None).leech_threshold,
        deck_leech_thresholds={d: settings.rules_for(d).leech_threshold for d in deck_ids},
        day_start=lambda day: utc_iso(day_start(day, settings.rollover_hour)),
        curves=curves,
    )


def find_cards(
    store: Store,
    settings: Settings,
    today: date,
    query: str,
    sort: str = "deck",
    reverse: bool = False,
    limit: int | None = None,
) -> tuple[list[BrowsedCard], SearchContext]:
    """The cards a query names (a malformed query: ``QueryError``, a usage error)."""
    node = parse(query)
    ctx = search_context(store, settings, today, node)
    return store.search.find(node, ctx, sort, reverse, limit), ctx


def matching_keys(store: Store, settings: Settings, today: date, query: str) -> list[CardKey]:
    node = parse(query)
    return store.search.keys(node, search_context(store, settings, today, node))


def resolve_ref(store: Store, ref: str) -> CardKey:
    """A card named as DECK/CARD, or by its bare id when one deck alone has it."""
    deck_id, sep, card_id = ref.partition("/")
    if sep:
        if not deck_id or not card_id:
            raise UsageError(f"{ref!r}: name a card as DECK/CARD, or by its id alone")
        if store.search.card(deck_id, card_id) is None:
            raise UsageError(f"no card {ref} (`mlcards cards` lists them)")
        return deck_id, card_id
    decks = store.search.decks_with_card(ref)
    if not decks:
        raise UsageError(f"no card with the id {ref!r} (`mlcards cards` lists them)")
    if len(decks) > 1:
        raise UsageError(
            f"the id {ref!r} is in several decks; name one: "
            + ", ".join(f"{d}/{ref}" for d in decks)
        )
    return decks[0], ref


@dataclass(frozen=True)
class CardStory:
    """Everything ``show`` tells about one card."""

    card: BrowsedCard
    scheduler: str
    leech: bool
    history: list[HistoryEntry]


def card_story(store: Store, settings: Settings, ref: str) -> CardStory:
    deck_id, card_id = resolve_ref(store, ref)
    with store.read():  # the card and its history as of one moment
        card = store.search.card(deck_id, card_id)
        history = store.search.history(deck_id, card_id)
    assert card is not None  # resolved above; cards are never deleted
    own = settings.rules_for(deck_id)
    return CardStory(
        card=card,
        scheduler=own.scheduler.name,
        leech=own.is_leech(card.lapses),
        history=history,
    )


# -- JSON ---------------------------------------------------------------------------------------


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def card_json(card: BrowsedCard, ctx: SearchContext) -> dict[str, Any]:
    """One row of ``cards --json``."""
    threshold = ctx.deck_leech_thresholds.get(card.deck_id, ctx.leech_threshold)
    fsrs = card.deck_id in ctx.fsrs_decks
    return {
        "deck": card.deck_id,
        "card": card.card.id,
        "title": card.card.title,
        "question": card.card.question,
        "stage": card.stage,
        "due": _day(card.due),
        "interval": card.interval,
        "scheduler": "fsrs" if fsrs else "sm2",
        "easiness": None if fsrs or not card.reviewed else card.easiness,
        "stability": card.stability,
        "difficulty": card.difficulty,
        "lapses": card.lapses,
        "leech": rules.is_leech(card.lapses, threshold),
        "suspended": card.suspended,
        "buried_until": _day(card.buried_until),
        "flagged": card.flagged,
        "flag_note": card.flag_note,
        "retired": card.retired,
        "tags": list(card.card.tags),
        "added": card.added_at,
        "last_answer": None
        if card.last_answered is None
        else {"correct": card.last_correct, "at": card.last_answered},
    }


def story_json(story: CardStory) -> dict[str, Any]:
    """``show --json``: the card, its state and its history (``reviews``)."""
    card = story.card
    texts = {choice.id: choice.text for choice in card.card.choices}
    return {
        "deck": card.deck_id,
        "deck_name": card.deck_name,
        "card": card.card.id,
        "title": card.card.title,
        "question": card.card.question,
        "choices": [
            {"id": c.id, "text": c.text, "correct": c.id in card.card.answer}
            for c in card.card.choices
        ],
        "answer": list(card.card.answer),
        "multiple": card.card.multiple,
        "explanation": card.card.explanation,
        "references": [{"title": r.title, "url": r.url} for r in card.card.references],
        "tags": list(card.card.tags),
        "path": card.path,
        "line": card.card.line,
        "state": {
            "stage": card.stage,
            "scheduler": story.scheduler,
            "due": _day(card.due),
            "interval": card.interval,
            "repetitions": card.repetitions,
            "easiness": card.easiness if story.scheduler == "sm2" and card.reviewed else None,
            "stability": card.stability,
            "difficulty": card.difficulty,
            "lapses": card.lapses,
            "leech": story.leech,
            "flagged": card.flagged,
            "flag_note": card.flag_note,
            "suspended": card.suspended,
            "buried_until": _day(card.buried_until),
            "retired": card.retired,
            "added": card.added_at,
        },
        "reviews": [
            {
                "id": r.id,
                "reviewed_at": r.reviewed_at,
                "study_day": r.study_day.isoformat(),
                "mode": r.mode,
                "chosen": [{"id": c, "text": texts.get(c)} for c in r.chosen],
                "correct": r.correct,
                "quality": r.quality,
                "interval": r.interval,
                "due": r.due.isoformat(),
                "response_ms": r.response_ms,
                "same_day_repeat": r.same_day_repeat,
                "counted": r.counted,
            }
            for r in story.history
        ],
    }


# -- card actions from the command line ---------------------------------------------------------

ACTIONS = ("suspend", "unsuspend", "bury", "unbury", "flag", "unflag", "forget")

PREVIEW = 5
"""How many of the cards a query finds are named before asking whether to act on them."""


def names_cards(words: list[str]) -> bool:
    """DECK/CARD words (no spaces, no search key, one slash) name cards; anything else is a
    query. A bare id is read as search text, as Anki reads it."""
    return bool(words) and all(
        word.count("/") == 1 and ":" not in word and not any(ch.isspace() for ch in word)
        for word in words
    )


@dataclass(frozen=True)
class ActionTargets:
    """The cards one action names. ``by_query``: a search found them, so the user is shown
    the count and asked before anything changes; refs were named one by one and are not.
    ``unchanged``: named cards the action would leave as they are (already suspended, not
    flagged...), worked out for refs only, where each is worth a word."""

    keys: list[CardKey]
    by_query: bool
    unchanged: list[CardKey]


def already(action: str, card: BrowsedCard, today: date, note: str | None = None) -> bool:
    """Whether ``action`` would leave this card as it is (``note``: a flag's, which a
    flagged card may take anew; none clears the one it has)."""
    buried = card.buried_until is not None and card.buried_until > today
    return {
        "suspend": card.suspended,
        "unsuspend": not card.suspended,
        "bury": card.buried_until == today + timedelta(days=1),
        "unbury": not buried,
        "flag": card.flagged and card.flag_note == (note or None),
        "unflag": not card.flagged,
        "forget": not card.reviewed,
    }[action]


def action_targets(
    store: Store,
    settings: Settings,
    today: date,
    words: list[str],
    action: str = "suspend",
    note: str | None = None,
) -> ActionTargets:
    """The cards an action names: DECK/CARD refs (each must exist, or nothing is done; each
    named once), or the cards a query finds (``note``: a flag's)."""
    if action not in ACTIONS:
        raise ValueError(action)
    if not words:
        raise UsageError("name the cards (DECK/CARD...) or give a search query")
    if not names_cards(words):
        return ActionTargets(matching_keys(store, settings, today, " ".join(words)), True, [])
    keys = list(dict.fromkeys(resolve_ref(store, word) for word in words))
    unchanged = []
    for key in keys:
        card = store.search.card(*key)
        if card is not None and already(action, card, today, note):
            unchanged.append(key)
    return ActionTargets(keys, False, unchanged)


def preview(store: Store, keys: list[CardKey], count: int = PREVIEW) -> list[BrowsedCard]:
    """The first few cards of a query's targets, to show before asking."""
    return [card for key in keys[:count] if (card := store.search.card(*key)) is not None]


def apply_action(
    store: Store, action: str, keys: list[CardKey], today: date, note: str | None = None
) -> int:
    """Do one action to every card, in one transaction; how many cards it changed
    (``note``: why they were flagged)."""
    data: dict[str, Any] = {}
    if action == "bury":
        data = {"until": (today + timedelta(days=1)).isoformat()}
    elif action == "flag":
        data = {"note": note or ""}
    elif action not in ACTIONS:
        raise ValueError(action)
    return store.cards.act([(d, c, action, data) for d, c in keys], batch=True)


def edit_card(store: Store, ref: str, today: date) -> str:
    """Open the card's deck file in $VISUAL/$EDITOR at its line and re-import it if it
    changed, as the review screen's ``e`` does; the message to show."""
    from contextlib import nullcontext

    from mlcards.clock import now
    from mlcards.services.actions import StoreActions

    deck_id, card_id = resolve_ref(store, ref)
    item = store.cards.one(deck_id, card_id)
    if item is None:
        raise UsageError(f"{deck_id}/{card_id} is suspended or retired; `mlcards show` it")
    actions = StoreActions(store, today, pause=nullcontext, now=now)
    return actions.edit_if_changed(item)[1]


# -- custom study from a query --------------------------------------------------------------------


def query_queue(
    store: Store,
    settings: Settings,
    today: date,
    query: str,
    new_limit: int | None = None,
    limit: int | None = None,
) -> list[ScheduledCard]:
    """``review QUERY``: today's queue (due cards, new ones, today's repeats) of the cards a
    query finds, under the same daily limits as ``review``, counted after the query has
    chosen (so the limits go to the cards asked for)."""
    from mlcards.services.study import TodaysLimits, with_leech_marks
    from mlcards.session import build_queue

    wanted = set(matching_keys(store, settings, today, query))

    def chosen(items: list[ScheduledCard]) -> list[ScheduledCard]:
        return [item for item in items if (item.deck_id, item.card.id) in wanted]

    limits = TodaysLimits(store, settings, today, new_limit)
    overall = limits.overall()
    due: list[ScheduledCard] = []
    new: list[ScheduledCard] = []
    order = store.decks.ids()
    for deck_id in sorted({deck for deck, _ in wanted}, key=order.index):
        room = limits.deck(deck_id, overall)
        due += chosen(store.cards.due(today, -1, deck_id))[: room.reviews]
        new += chosen(store.cards.new(-1, deck_id, None, today))[: room.new]
    due.sort(key=lambda item: item.due or today)
    queue = build_queue(
        due[: overall.reviews], new[: overall.new], chosen(store.cards.repeats(today)), limit
    )
    return with_leech_marks(queue, settings)


def query_practice(
    store: Store,
    settings: Settings,
    today: date,
    query: str,
    limit: int,
    wrong_only: bool = False,
) -> list[ScheduledCard]:
    """``practice QUERY``: the cards a query finds that can come up (not suspended or
    retired), lowest EF first as ``practice`` orders them, at most ``limit``; with
    ``wrong_only``, only those whose last answer was wrong."""
    from mlcards.services.study import with_leech_marks

    found, _ = find_cards(store, settings, today, query, sort="ease")
    items: list[ScheduledCard] = []
    for card in found:
        if len(items) >= limit:
            break
        if card.suspended or (wrong_only and card.last_correct is not False):
            continue
        if item := store.cards.one(card.deck_id, card.card.id):
            items.append(item)
    return with_leech_marks(items, settings)
