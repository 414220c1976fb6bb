"""What the learner has done: the one stats document (``stats``, ``stats --json``,
``export stats``, the dashboard) and the exports of the review log and the cards.

Nothing is printed here: the CLI shows or writes what these return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from itertools import chain
from typing import Any, TextIO

from mlcards.config import Settings
from mlcards.schedulers import scheduler_for
from mlcards.services.decks import check_deck
from mlcards.statsdata import REVIEW_COLUMNS, StatsQuery
from mlcards.store import Scope, Store

Row = tuple[object, ...]


def stats_document(
    store: Store, settings: Settings, query: StatsQuery, since: date | None
) -> dict[str, Any]:
    """The one ``stats`` document (``stats --json``, ``export stats``, the dashboard)."""
    from mlcards.stats import HARDEST_LIMIT, build_stats

    query = replace(query, deck_id=check_deck(store, query.deck_id))
    thresholds = [settings.rules_for(d).leech_threshold for d in store.decks.ids()]
    query = replace(query, hardest=HARDEST_LIMIT, leech_from=min(thresholds, default=0))
    return build_stats(
        store.stats.data(query),
        query.today,
        since,
        query.deck_id,
        query.tag,
        rules_for=settings.rules_for,
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
    from mlcards import exports as serialise

    scope = replace(scope, deck=check_deck(store, scope.deck))
    if what == "reviews":
        if fmt == "csv":  # escaped in SQL; the rows go to the csv writer as they come
            escape = () if raw else serialise.FORMULA_STARTS
            rows: Iterable[Row] = (
                chain.from_iterable(store.log.export_chunks(scope, escape))
                if progress is None
                else progress(store.log.export_rows(scope, escape), store.log.count(scope))
            )
            serialise.write_csv(stream, REVIEW_COLUMNS, rows, escape_formulas=False)
            return
        rows = store.log.export_rows(scope)
        if progress is not None:
            rows = progress(rows, store.log.count(scope))
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


def retrievability_today(
    store: Store, settings: Settings, today: date, deck: str | None, tag: str | None
) -> list[float]:
    """Today's predicted recall of every active FSRS card (the stats' distribution); py-fsrs
    is imported only when there are such cards."""
    cards = store.cards.fsrs_states(deck, tag)
    if not cards:
        return []
    from mlcards.schedulers.fsrs import FSRSState

    grader = scheduler_for(settings.rules_for)
    found = []
    for card in cards:
        scheduler = grader(card.deck_id)
        state = FSRSState(stability=card.stability, last_day=card.last_review_day)
        value = scheduler.retrievability(state, (today - card.last_review_day).days)
        if scheduler.name == "fsrs" and value is not None:
            found.append(value)
    return found
