"""The aggregates behind ``stats`` and ``export cards``.

Everything is aggregated here with GROUP BY; Python only ever sees one row per day, deck,
tag, card or value.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date

from mlcards import rules
from mlcards.statsdata import (
    CardSummary,
    DayActivity,
    DistractorCard,
    GroupAccuracy,
    RetentionDay,
    StatsData,
    StatsQuery,
)
from mlcards.store.db import Database
from mlcards.store.scope import Params, Scope
from mlcards.store.stats_cards import CardState, card_state

_LAPSE = f"h.quality < {rules.LAPSE_BELOW} AND h.reps_before >= {rules.LEARNED_REPETITIONS}"


def _history(scope: Scope) -> tuple[str, Params]:
    """A CTE ``h``: every graded-mode review with the card's repetitions and interval
    *before* it (``prev_repetitions``, ``prev_interval``: 0 for a card that was new, which
    also covers a card whose schedule was reset by a changed answer)."""
    where, params = scope.reviews("r", days=False)
    sql = f"""
        WITH h AS (
            SELECT r.id, r.ord, r.deck_id, r.card_id, r.study_day, r.correct,
                   r.quality, r.same_day_repeat,
                   r.prev_repetitions AS reps_before, r.prev_interval AS interval_before
            FROM reviews r WHERE r.mode = 'review' AND {where}
        )"""
    return sql, params


_SUMMARY = """{history},
    agg AS (
        SELECT h.deck_id, h.card_id, count(*) AS reviews, sum(h.correct) AS correct,
               sum(h.same_day_repeat = 0 AND {lapse}) AS lapses,
               max(h.ord) AS last_ord,
               sum(h.same_day_repeat = 0) AS first_answers,
               sum(h.same_day_repeat = 0 AND h.correct) AS first_correct,
               sum(h.same_day_repeat = 0 AND h.quality = 0) AS dont_know
        FROM h WHERE {days} GROUP BY h.deck_id, h.card_id
    )
    SELECT c.deck_id, c.id AS card_id, json_extract(c.content, '$.title') AS title, c.retired,
           c.last_review_id IS NOT NULL AS reviewed, c.repetitions, c.easiness, c.interval,
           c.due, coalesce(a.reviews, 0) AS reviews, coalesce(a.correct, 0) AS correct,
           coalesce(a.lapses, 0) AS lapses, last.reviewed_at AS last_review,
           coalesce(a.first_answers, 0) AS first_answers,
           coalesce(a.first_correct, 0) AS first_correct,
           coalesce(a.dont_know, 0) AS dont_know, c.lapses AS total_lapses,
           c.stability, c.difficulty
    FROM cards c JOIN decks d ON d.id = c.deck_id
    {join} agg a ON a.deck_id = c.deck_id AND a.card_id = c.id
    LEFT JOIN reviews last ON last.ord = a.last_ord
    WHERE {cards}
    ORDER BY d.position, c.position
"""


def row_to_summary(r: sqlite3.Row) -> CardSummary:
    return CardSummary(
        deck_id=r["deck_id"],
        card_id=r["card_id"],
        title=r["title"] or "",
        retired=bool(r["retired"]),
        reviewed=bool(r["reviewed"]),
        repetitions=r["repetitions"],
        easiness=float(r["easiness"]),
        interval=r["interval"],
        due=date.fromisoformat(r["due"]) if r["due"] else None,
        reviews=r["reviews"],
        correct=r["correct"],
        lapses=r["lapses"],
        last_review=r["last_review"],
        first_answers=r["first_answers"],
        first_correct=r["first_correct"],
        dont_know=r["dont_know"],
        total_lapses=r["total_lapses"],
        stability=r["stability"],
        difficulty=r["difficulty"],
    )


class StatsQueries:
    def __init__(self, database: Database) -> None:
        self.database = database

    @property
    def conn(self) -> sqlite3.Connection:
        return self.database.conn

    def data(self, query: StatsQuery) -> StatsData:
        """Every aggregate the stats dashboard shows, for one window and filter, read from
        the running totals (``store/stats_totals.py``)."""
        from mlcards.store.stats_totals import data_from_totals

        return data_from_totals(self, query)

    def data_from_log(self, query: StatsQuery) -> StatsData:
        """The same aggregates summed from the log itself: the reference the totals are
        tested against, linear in the log."""
        today = query.today
        scope = self._window(Scope(query.deck_id, query.tag, query.since, today))
        reviews_where, reviews_params = scope.reviews("r")
        activity = [
            DayActivity(date.fromisoformat(r[0]), r[1], r[2], r[3])
            for r in self.conn.execute(
                "SELECT r.study_day, count(*), sum(r.correct), sum(r.response_ms) FROM reviews r "
                f"WHERE {reviews_where} GROUP BY r.study_day ORDER BY r.study_day",
                reviews_params,
            )
        ]
        retention = self._retention(scope)
        state = self.card_state(query, scope)
        cards = list(self.card_summaries(scope, reviewed_in_window=True))
        by_deck, by_tag = self._accuracy_groups(cards)
        distractors = self._distractors(cards, scope, query.distractor_cards)
        # (the card state's four lists are StatsData's fields stages to due, in that order)
        return StatsData(activity, retention, by_deck, by_tag, *state, cards, distractors)

    def card_state(self, query: StatsQuery, scope: Scope) -> CardState:
        """What the cards table says (``store/stats_cards.py``)."""
        return card_state(self.conn, query, scope)

    def _retention(self, scope: Scope) -> list[RetentionDay]:
        """First answers of each day, right or not, young and mature cards apart."""
        history, history_params = _history(scope)
        h_days, h_day_params = scope.days("h")
        return [
            RetentionDay(date.fromisoformat(r[0]), bool(r[1]), r[2], r[3])
            for r in self.conn.execute(
                f"{history} SELECT h.study_day, "
                f"h.interval_before >= {rules.MATURE_INTERVAL} AS mature, "
                "count(*), sum(h.correct) FROM h "
                f"WHERE h.same_day_repeat = 0 AND {h_days} "
                "GROUP BY h.study_day, mature ORDER BY h.study_day, mature",
                history_params + h_day_params,
            )
        ]

    def _window(self, scope: Scope) -> Scope:
        """The scope without its day bounds when they hold the whole log anyway: the same
        rows, but SQLite can then walk the covering history index in card order."""
        first, last = self.conn.execute(
            "SELECT min(study_day), max(study_day) FROM reviews"
        ).fetchone()
        if first is None:
            return scope
        since_ok = scope.since is None or scope.since.isoformat() <= first
        until_ok = scope.until is None or scope.until.isoformat() >= last
        return Scope(scope.deck, scope.tag) if since_ok and until_ok else scope

    def card_summaries(
        self, scope: Scope, reviewed_in_window: bool = False
    ) -> Iterator[CardSummary]:
        """Every card of the scope (or only those reviewed in its window) with its schedule
        and counts over the window's reviews (lapses by ``rules.is_lapse``)."""
        history, params = _history(scope)
        days, day_params = scope.days("h")
        # unary plus: the day bounds are no index term, so SQLite walks the covering history
        # index in card order (the GROUP BY's order) rather than the day index and the table
        days = days.replace("h.study_day", "+h.study_day")
        card_where, card_params = scope.cards("c")
        sql = _SUMMARY.format(
            history=history,
            lapse=_LAPSE,
            days=days,
            join="JOIN" if reviewed_in_window else "LEFT JOIN",
            cards=card_where,
        )
        cursor = self.conn.cursor()
        cursor.row_factory = sqlite3.Row
        for row in cursor.execute(sql, [*params, *day_params, *card_params]):
            yield row_to_summary(row)

    def _accuracy_groups(
        self, cards: list[CardSummary]
    ) -> tuple[list[GroupAccuracy], list[GroupAccuracy]]:
        """Accuracy by deck (in deck order) and by tag (most answered first), summed from the
        per-card counts rather than by scanning the log twice more."""
        decks: dict[str, list[int]] = {}
        tags: dict[str, list[int]] = {}
        counts = {(c.deck_id, c.card_id): (c.reviews, c.correct) for c in cards if c.reviews}
        for c in cards:
            if c.reviews:
                total = decks.setdefault(c.deck_id, [0, 0])
                total[0] += c.reviews
                total[1] += c.correct
        for deck, card, card_tags in self.conn.execute(
            "SELECT deck_id, id, json_extract(content, '$.tags') FROM cards"
        ):
            if (deck, card) not in counts:
                continue
            answers, correct = counts[deck, card]
            for name in json.loads(card_tags):
                total = tags.setdefault(name, [0, 0])
                total[0] += answers
                total[1] += correct
        by_deck = [GroupAccuracy(key, n, k) for key, (n, k) in decks.items()]
        by_tag = [
            GroupAccuracy(key, n, k)
            for key, (n, k) in sorted(tags.items(), key=lambda kv: (-kv[1][0], kv[0]))
        ]
        return by_deck, by_tag

    def _distractors(
        self, cards: list[CardSummary], scope: Scope, limit: int | None
    ) -> list[DistractorCard]:
        """For the ``limit`` cards most often missed (wrong or "don't know", first-of-day
        answers; all answered cards when None): how often
        each choice was picked in a wrong first answer (a distractor can only be picked in a
        wrong answer), with the choices' texts."""
        missed = [c for c in cards if c.first_answers > c.first_correct]
        missed.sort(key=lambda c: c.first_correct - c.first_answers)
        top = {(c.deck_id, c.card_id) for c in missed[:limit]} if limit is not None else None
        chosen = [  # in deck order, like the rest of the document
            c for c in cards if c.first_answers and (top is None or (c.deck_id, c.card_id) in top)
        ]
        if not chosen:
            return []
        days, day_params = scope.days("r")
        picks: dict[tuple[str, str], dict[str, int]] = {}
        content: dict[tuple[str, str], list[dict[str, str]]] = {}
        answers: dict[tuple[str, str], tuple[str, ...]] = {}
        keys = [(c.deck_id, c.card_id) for c in chosen]
        for start in range(0, len(keys), 400):  # bounded parameter lists
            batch = keys[start : start + 400]
            pairs = " OR ".join("(r.deck_id = ? AND r.card_id = ?)" for _ in batch)
            flat = [part for key in batch for part in key]
            for deck, card, choice, count in self.conn.execute(
                "SELECT r.deck_id, r.card_id, j.value, count(*) "
                "FROM reviews r, json_each(r.chosen) j "
                f"WHERE ({pairs}) AND r.mode = 'review' AND r.same_day_repeat = 0 "
                f"AND r.correct = 0 AND {days} GROUP BY r.deck_id, r.card_id, j.value",
                [*flat, *day_params],
            ):
                picks.setdefault((deck, card), {})[choice] = count
            cards_pairs = pairs.replace("r.deck_id", "c.deck_id").replace("r.card_id", "c.id")
            for deck, card, choices, answer in self.conn.execute(
                "SELECT c.deck_id, c.id, json_extract(c.content, '$.choices'), "
                f"json_extract(c.content, '$.answer') FROM cards c WHERE {cards_pairs}",
                flat,
            ):
                content[deck, card] = json.loads(choices)
                answers[deck, card] = tuple(json.loads(answer))
        return [
            DistractorCard(
                deck_id=c.deck_id,
                card_id=c.card_id,
                choices=tuple(choice["id"] for choice in content[c.deck_id, c.card_id]),
                answer=answers[c.deck_id, c.card_id],
                answers=c.first_answers,
                correct=c.first_correct,
                dont_know=c.dont_know,
                picks=picks.get((c.deck_id, c.card_id), {}),
                texts={ch["id"]: ch["text"] for ch in content[c.deck_id, c.card_id]},
            )
            for c in chosen
        ]
