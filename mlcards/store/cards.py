"""Cards as the review queue sees them, their marks (suspended, buried, flagged) and cached
schedules as read back; the writes are ``card_actions``'s."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, cast

from mlcards import rules
from mlcards.errors import StoreError
from mlcards.models import SCHEDULE_FIELDS, Card, CardKey, ScheduledCard, StoredSchedule
from mlcards.store.card_actions import CardActions
from mlcards.store.marks import marks_differences
from mlcards.store.scope import Params, Scope

TYPE_CHECKING = False
if TYPE_CHECKING:  # (records load where they are made: see records.py)
    from mlcards.records import FsrsCardState


def _select(line: str, path: str) -> str:
    return (
        "SELECT c.deck_id, d.name AS deck_name, c.id, c.content, c.repetitions, c.easiness, "
        f"c.interval, c.due, c.last_review_day, c.lapses, c.leech, c.flagged, {line} AS line, "
        f"{path} AS path, c.stability, c.difficulty"
    )


CARD_SELECT = _select("c.line", "deck_file(d.path)")
_SELECT = f"{CARD_SELECT} FROM cards c JOIN decks d ON d.id = c.deck_id"
"""The one SELECT every queue query extends, read by ``row_to_scheduled``."""
_STREAM_SELECT = _select("0", "''") + " FROM cards c JOIN decks d ON d.id = c.deck_id"
"""``_SELECT`` less the deck file's path and the card's line (an export has no use for them,
and the path costs a lookup a row)."""


def _parsed(card_id: str, content: str, line: int) -> Card:
    return Card.from_content(card_id, json.loads(content), line)


_card = lru_cache(maxsize=512)(_parsed)
"""A card from its stored content, parsed once per content (a card is a frozen value): the
card drawn, answered and drawn again in a session is read back at the cost of its row, and
compares equal to itself at the cost of an identity check. (A stream of every card parses
each once, ``_parsed``, and leaves the session's cards in the cache.)"""


def row_to_scheduled(
    r: Sequence[Any], parse: Callable[[str, str, int], Card] = _card
) -> ScheduledCard:
    """A row of ``CARD_SELECT`` (or of ``_STREAM_SELECT``, by position)."""
    try:
        return ScheduledCard(
            deck_id=r[0],
            deck_name=r[1],
            card=parse(r[2], r[3], r[12]),
            repetitions=r[4],
            easiness=r[5],
            interval=r[6],
            due=date.fromisoformat(r[7]) if r[7] else None,
            last_review_day=date.fromisoformat(r[8]) if r[8] else None,
            lapses=r[9],
            leech=bool(r[10]),
            flagged=bool(r[11]),
            path=r[13],
            stability=r[14],
            difficulty=r[15],
        )
    except (ValueError, KeyError, TypeError, AttributeError):  # a hand-edited row
        raise StoreError(
            f"the database is damaged (card {r[0]}/{r[2]} cannot be read); "
            "`mlcards check` says more"
        ) from None


_ALL = Scope()

REPEATS_TODAY = (
    "c.last_review_day = ? AND (SELECT quality FROM reviews r WHERE r.deck_id = c.deck_id "
    "AND r.card_id = c.id AND r.mode = 'review' ORDER BY r.ord DESC LIMIT 1) < ?"
)
"""Over a card ``c`` (parameters: today, ``rules.REPEAT_BELOW``): its latest graded answer,
given today, brings it back today. ``repeats`` takes these cards, and status counts them
(Lrn), both without the suspended and buried ones."""

_STORED = (*SCHEDULE_FIELDS, "schedule_from")
_STORED_COLUMNS = (*SCHEDULE_FIELDS, "reset_ord")
"""A card's cached schedule, as ``states`` returns it."""


def _stored_schedule(values: Sequence[Any]) -> StoredSchedule:
    return cast(StoredSchedule, dict(zip(_STORED, values, strict=True)))


def _marked_entry(row: sqlite3.Row) -> dict[str, object]:
    """A card of ``flagged``, ``suspended`` or ``leeches``, with where to find it."""
    return {
        "deck": row["deck_id"],
        "card": row["id"],
        "title": json.loads(row["content"]).get("title", ""),
        "path": row["path"],
        "line": row["line"],
        "lapses": row["lapses"],
    }


class Cards(CardActions):
    """The cards as the queues, lists and stats read them (``CardActions`` writes them)."""

    def _rows(self, sql: str, params: Sequence[object]) -> list[sqlite3.Row]:
        cursor = self.database.conn.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params).fetchall()

    def _scheduled(
        self,
        where: str,
        params: Params,
        order: str,
        limit: int,
        scope: Scope = _ALL,
        *,
        today: date | None = None,
    ) -> list[ScheduledCard]:
        """Active cards matching ``where``; suspended and (on ``today``) buried ones excluded."""
        clauses = ["c.retired = 0", "c.suspended = 0", where]
        values = list(params)
        if today is not None:
            clauses.append("(c.buried_until IS NULL OR c.buried_until <= ?)")
            values.append(today.isoformat())
        scope_terms, scope_params = scope.cards("c")
        clauses.append(scope_terms)
        values += scope_params
        sql = f"{_SELECT} WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT ?"
        return [row_to_scheduled(r) for r in self._rows(sql, (*values, limit))]

    def due(
        self, today: date, limit: int, deck_id: str | None = None, tag: str | None = None
    ) -> list[ScheduledCard]:
        """Cards due on or before ``today``, most overdue first."""
        return self._scheduled(
            "c.due IS NOT NULL AND c.due <= ?",
            [today.isoformat()],
            "c.due, d.position, c.position",
            limit,
            Scope(deck_id, tag),
            today=today,
        )

    def new(
        self,
        limit: int,
        deck_id: str | None = None,
        tag: str | None = None,
        today: date | None = None,
    ) -> list[ScheduledCard]:
        """New cards in deck order, then file order; deck by deck, so each query is one
        short walk of the ``cards_new`` index (one query over all decks has SQLite sort every
        new card, content and all, to keep the first few)."""
        from mlcards.store.decks import deck_ids

        found: list[ScheduledCard] = []
        for deck in [deck_id] if deck_id else deck_ids(self.database.conn):
            wanted = limit - len(found) if limit >= 0 else -1
            if wanted == 0:
                break
            found += self._scheduled(
                "c.last_review_id IS NULL", [], "c.position", wanted, Scope(deck, tag), today=today
            )
        return found

    def repeats(
        self, today: date, deck_id: str | None = None, tag: str | None = None
    ) -> list[ScheduledCard]:
        """Cards whose latest answer today comes back today (``rules.comes_back_today``)."""
        return self._scheduled(
            REPEATS_TODAY,
            [today.isoformat(), rules.REPEAT_BELOW],
            "d.position, c.position",
            -1,
            Scope(deck_id, tag),
            today=today,
        )

    def practice(
        self,
        limit: int,
        deck_id: str | None = None,
        tag: str | None = None,
        wrong_only: bool = False,
    ) -> list[ScheduledCard]:
        """Cards for extra practice: reviewed ones (optionally only those last answered wrong);
        when none of the deck's or tag's cards was reviewed yet, its new ones."""
        where = "c.last_review_id IS NOT NULL"
        if wrong_only:
            where += (
                " AND (SELECT correct FROM reviews r WHERE r.deck_id = c.deck_id "
                "AND r.card_id = c.id ORDER BY r.ord DESC LIMIT 1) = 0"
            )
        found = self._scheduled(
            where, [], "c.easiness, c.due, d.position, c.position", limit, Scope(deck_id, tag)
        )
        if found or wrong_only:
            return found
        return self._scheduled("1", [], "d.position, c.position", limit, Scope(deck_id, tag))

    def active(self, deck_id: str | None = None) -> list[ScheduledCard]:
        """Every card that can come up (not retired or suspended), in deck and file order,
        buried ones included (what an export to another program takes)."""
        return self._scheduled("1", [], "d.position, c.position", -1, Scope(deck_id))

    def active_stream(self, deck_id: str | None = None) -> Iterator[ScheduledCard]:
        """``active`` without the deck file's path and the card's line (an export has no use
        for them), streamed from the cursor a chunk at a time: an export of every card holds
        one chunk of rows in memory, never all of them."""
        where, params = Scope(deck_id).cards("c")
        cursor = self.database.conn.execute(
            f"{_STREAM_SELECT} WHERE c.retired = 0 AND c.suspended = 0 AND {where} "
            "ORDER BY d.position, c.position",
            params,
        )
        # fetchmany, not the cursor itself: a generator closed after the store would close
        # the cursor of a closed connection and raise
        while chunk := cursor.fetchmany(256):
            for row in chunk:
                yield row_to_scheduled(row, _parsed)

    def one(self, deck_id: str, card_id: str, today: date | None = None) -> ScheduledCard | None:
        """One active card as the queue sees it (after an edit, say); on ``today``, None
        also when it is buried."""
        found = self._scheduled(
            "c.deck_id = ? AND c.id = ?", [deck_id, card_id], "c.position", 1, today=today
        )
        return found[0] if found else None

    def tags(self) -> set[str]:
        """Every tag on an active card."""
        return {
            r[0]
            for r in self.database.conn.execute(
                "SELECT DISTINCT j.value FROM cards c, json_each(c.content, '$.tags') j "
                "WHERE c.retired = 0"
            )
        }

    # -- marks (their writers: ``card_actions``) -----------------------------------------

    def marked(self, column: str, min_lapses: int | None = None) -> list[dict[str, object]]:
        """Active cards that are suspended or flagged, or (``min_lapses``) lapsed that often,
        with where to find them."""
        if column == "lapses" and min_lapses is not None:
            where, params = "c.lapses >= ?", [min_lapses]
        elif column in ("suspended", "flagged"):
            where, params = f"c.{column} = 1", []
        else:
            raise ValueError(column)
        rows = self._rows(
            f"{CARD_SELECT}, c.flag_note FROM cards c JOIN decks d ON d.id = c.deck_id "
            f"WHERE {where} AND c.retired = 0 ORDER BY d.position, c.position",
            params,
        )
        found = [_marked_entry(r) for r in rows]
        if column == "flagged":
            for card, r in zip(found, rows, strict=True):
                card["note"] = r["flag_note"] or ""
        return found

    def next_due(self, deck_id: str | None = None) -> date | None:
        """The first day a card comes up: its due day, or later if it is buried till then.

        Walks the due index in order and stops as soon as no later card can come up sooner,
        so 100,000 cards cost a few index steps, not a scan.
        """
        sql = (
            "SELECT due, buried_until FROM cards "
            "WHERE retired = 0 AND suspended = 0 AND due IS NOT NULL"
        )
        params: Params = []
        if deck_id:
            sql += " AND deck_id = ?"
            params.append(deck_id)
        best: str | None = None
        for due, buried_until in self.database.conn.execute(sql + " ORDER BY due", params):
            if best is not None and due >= best:
                break
            comes_up = max(due, buried_until or due)
            best = comes_up if best is None else min(best, comes_up)
        return date.fromisoformat(best) if best else None

    def due_ahead(self, today: date, days: int = 7) -> tuple[int, int]:
        """How many cards come up tomorrow, and over the next ``days`` days (tomorrow
        included): by their due day, or the day a burial ends when that is later. Suspended
        and retired cards do not come up."""
        end = (today + timedelta(days=days)).isoformat()
        tomorrow = (today + timedelta(days=1)).isoformat()
        row = self.database.conn.execute(
            "SELECT count(*) FILTER (WHERE comes_up = ?), "
            "count(*) FILTER (WHERE comes_up BETWEEN ? AND ?) FROM ("
            "SELECT max(due, coalesce(buried_until, due)) AS comes_up FROM cards "
            "WHERE retired = 0 AND suspended = 0 AND due IS NOT NULL AND due <= ?)",
            (tomorrow, tomorrow, end, end),
        ).fetchone()
        return int(row[0]), int(row[1])

    # -- the schedule cache -------------------------------------------------------------------

    def states(self) -> dict[CardKey, StoredSchedule]:
        """The cached schedule of every card, keyed by (deck id, card id)."""
        rows = self.database.conn.execute(
            f"SELECT deck_id, id, {', '.join(_STORED_COLUMNS)} FROM cards"
        )
        return {(r[0], r[1]): _stored_schedule(r[2:]) for r in rows}

    def pending_answers(self) -> int:
        """Synced answers waiting for their card (``pending``)."""
        return int(self.database.conn.execute("SELECT count(*) FROM pending").fetchone()[0])

    def marks_differences(self) -> list[str]:
        """Where the cards' marks (suspended, buried, flagged, reset point) differ from what
        their events decide."""
        return marks_differences(self.database.conn)

    def active_keys(self, deck_id: str | None = None) -> list[CardKey]:
        """Every card that can come up (not retired or suspended), in deck and file order."""
        sql = (
            "SELECT c.deck_id, c.id FROM cards c JOIN decks d ON d.id = c.deck_id "
            "WHERE c.retired = 0 AND c.suspended = 0"
        )
        params: Params = []
        if deck_id:
            sql += " AND c.deck_id = ?"
            params.append(deck_id)
        return [
            (r[0], r[1])
            for r in self.database.conn.execute(sql + " ORDER BY d.position, c.position", params)
        ]

    def fsrs_states(
        self, deck_id: str | None = None, tag: str | None = None
    ) -> list[FsrsCardState]:
        """Active cards with an FSRS memory state, for today's retrievability."""
        where, params = Scope(deck_id, tag).cards("c")
        rows = self.database.conn.execute(
            "SELECT c.deck_id, c.stability, c.last_review_day FROM cards c INDEXED BY cards_stats "
            f"WHERE c.retired = 0 AND c.suspended = 0 AND c.stability IS NOT NULL AND {where}",
            params,
        )
        from mlcards.records import FsrsCardState

        return [FsrsCardState(r[0], float(r[1]), date.fromisoformat(r[2])) for r in rows]
