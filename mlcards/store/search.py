"""A search query value -> SQL over the cards, the full-text index of card text, a card's
history.

Every value of a query reaches SQLite as a parameter; the SQL text is built only from this
module's own fragments. Text is found through ``card_text`` (FTS5, trigram tokens): text of
three characters or more by ``MATCH``, which trigrams make exact substring search; what
``MATCH`` cannot express (shorter text, Anki's ``*`` and ``_`` wildcards) by ``LIKE`` over
the same table, which FTS5 still answers from the index when the pattern holds three
characters in a row (otherwise it reads the indexed text: slower, as right).
The index is a cache of ``cards.content`` kept by triggers; ``index_problems`` verifies it
and ``rebuild_index`` rebuilds it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from mlcards import rules
from mlcards import search as q
from mlcards.errors import UsageError
from mlcards.models import Card, CardKey
from mlcards.records import BrowsedCard, HistoryEntry
from mlcards.store.db import Database
from mlcards.store.migrations import FILL_CARD_TEXT, card_text_sql
from mlcards.store.scope import Params

SORTS = ("deck", "due", "interval", "lapses", "ease", "reviewed", "added")

_ORDER = {
    "deck": "d.position, c.position",
    "due": "c.due IS NULL, c.due, d.position, c.position",
    "interval": "c.interval, d.position, c.position",
    "lapses": "c.lapses, d.position, c.position",
    "ease": "c.easiness, d.position, c.position",
    "reviewed": "lr.ord IS NULL, lr.ord, d.position, c.position",
    "added": "c.added_at, d.position, c.position",
}
_REVERSED = {
    "deck": "d.position DESC, c.position DESC",
    "due": "c.due IS NULL, c.due DESC, d.position, c.position",
    "interval": "c.interval DESC, d.position, c.position",
    "lapses": "c.lapses DESC, d.position, c.position",
    "ease": "c.easiness DESC, d.position, c.position",
    "reviewed": "lr.ord IS NULL, lr.ord DESC, d.position, c.position",
    "added": "c.added_at DESC, d.position, c.position",
}

_SQL_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "=", "!=": "!="}
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


@dataclass(frozen=True)
class SearchContext:
    """What a query's meaning depends on besides the database: the study day, which decks
    FSRS schedules, the leech thresholds, when a study day starts (for ``added:``), and each
    FSRS deck's forgetting curve (factor, decay) for ``prop:r``."""

    today: date
    fsrs_decks: frozenset[str] = frozenset()
    leech_threshold: int = rules.DEFAULT_LEECH_THRESHOLD
    deck_leech_thresholds: Mapping[str, int] = field(default_factory=dict)
    day_start: Callable[[date], str] = lambda day: day.isoformat()
    """The UTC ISO 8601 time a study day starts (``added_at`` is stored as such a time)."""
    curves: Mapping[str, tuple[float, float]] = field(default_factory=dict)


def _like(pattern: str, wildcards: str) -> tuple[str, bool]:
    """An Anki pattern as a LIKE pattern (``*`` -> ``%``; ``_`` stays a wildcard when it is
    one of ``wildcards``), and whether it needs ``ESCAPE '\\'``."""
    out, escaped, i = [], False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            char = pattern[i + 1]
            i += 2
            literal = True
        else:
            i += 1
            literal = False
        if not literal and char == "*":
            out.append("%")
        elif not literal and char == "_" and "_" in wildcards:
            out.append("_")
        elif char in "%_\\":
            out.append("\\" + char)
            escaped = True
        else:
            out.append(char)
    return "".join(out), escaped


def _case(column: str, values: Mapping[str, object], default: object) -> tuple[str, Params]:
    """``CASE column WHEN ? THEN ? ... ELSE ? END`` with its parameters."""
    if not values:
        return "?", [default]
    parts, params = [], []
    for key, value in values.items():
        parts.append("WHEN ? THEN ?")
        params += [key, value]
    return f"CASE {column} {' '.join(parts)} ELSE ? END", [*params, default]


def _in_decks(decks: frozenset[str]) -> tuple[str, Params]:
    if not decks:
        return "0", []
    params: Params = list(sorted(decks))
    return f"c.deck_id IN ({', '.join('?' for _ in decks)})", params


_KEY_IN = "(c.deck_id, c.id) IN "


def _case_variants(pattern: str) -> list[str]:
    """SQLite's LIKE folds the case of ASCII letters only: a pattern with other letters is
    tried as typed, in lower case and in upper case (so "élan" finds "Élan" and "ÉLAN")."""
    if pattern.isascii():
        return [pattern]
    return list(dict.fromkeys((pattern, pattern.lower(), pattern.upper())))


def text_terms(node: q.Text) -> tuple[str, Params]:
    """Card text containing the node's text. Three characters or more without wildcards:
    ``MATCH`` of the text as one FTS5 string, which trigrams answer from the index alone,
    folding case as Unicode does. Otherwise ``LIKE`` over the same table, which FTS5 still
    answers from the index when the pattern holds three characters in a row (and needs no
    ESCAPE), else by reading the indexed text; never touching ``cards``."""
    literal = node.literal
    if not node.wildcard and len(literal) >= 3:
        return (
            f"{_KEY_IN}(SELECT k.deck_id, k.card_id FROM card_text_keys k WHERE k.id IN "
            "(SELECT rowid FROM card_text WHERE card_text MATCH ?))",
            ['"' + literal.replace('"', '""') + '"'],
        )
    pattern, escaped = _like(node.pattern, "*_")
    escape = " ESCAPE '\\'" if escaped else ""
    variants = _case_variants(f"%{pattern}%")
    found = " UNION ".join(
        f"SELECT rowid FROM card_text WHERE text LIKE ?{escape}" for _ in variants
    )
    return (
        f"{_KEY_IN}(SELECT k.deck_id, k.card_id FROM card_text_keys k WHERE k.id IN ({found}))",
        list(variants),
    )


def _text_absent(node: q.Text) -> tuple[str, Params]:
    """``-word``: checked card by card on the indexed text (looked up by its key), so that
    the cards the rest of the query chose are tested, never a list of every card that has a
    common word (which the index would build first, slowly)."""
    pattern, escaped = _like(node.pattern, "*_")
    escape = " ESCAPE '\\'" if escaped else ""
    variants = _case_variants(f"%{pattern}%")
    text = (
        "(SELECT t.text FROM card_text_keys k JOIN card_text t ON t.rowid = k.id "
        "WHERE k.deck_id = c.deck_id AND k.card_id = c.id)"
    )
    tests = " OR ".join(f"{text} LIKE ?{escape}" for _ in variants)
    return f"NOT coalesce({tests}, 0)", list(variants)


def compile_query(node: q.Node, ctx: SearchContext) -> tuple[str, Params]:
    """SQL terms over ``cards c JOIN decks d`` that hold exactly for the cards the query
    names (retired cards are left to the caller)."""
    if isinstance(node, q.Everything):
        return "1", []
    if isinstance(node, q.Not) and isinstance(node.node, q.Text):
        return _text_absent(node.node)
    if isinstance(node, q.Not):
        inner, params = compile_query(node.node, ctx)
        return f"NOT ({inner})", params
    if isinstance(node, q.And | q.Or):
        parts = [compile_query(child, ctx) for child in node.nodes]
        joiner = " AND " if isinstance(node, q.And) else " OR "
        return joiner.join(f"({sql})" for sql, _ in parts), [p for _, ps in parts for p in ps]
    if isinstance(node, q.Text):
        return text_terms(node)
    if isinstance(node, q.DeckIs):
        pattern, escaped = _like(node.pattern, "*")
        escape = " ESCAPE '\\'" if escaped else ""
        return f"(c.deck_id LIKE ?{escape} OR d.name LIKE ?{escape})", [pattern, pattern]
    if isinstance(node, q.TagIs):
        if node.pattern is None:
            return "coalesce(json_array_length(c.content, '$.tags'), 0) = 0", []
        pattern, _ = _like(node.pattern, "*")
        return (
            "EXISTS (SELECT 1 FROM json_each(c.content, '$.tags') t "
            "WHERE t.value LIKE ? ESCAPE '\\')",
            [pattern],
        )
    if isinstance(node, q.StateIs):
        return _state(node.name, ctx)
    if isinstance(node, q.Prop):
        return _prop(node, ctx)
    if isinstance(node, q.Days):
        since = (ctx.today - timedelta(days=node.days - 1)).isoformat()
        if node.key == "added":
            return "c.added_at >= ?", [ctx.day_start(ctx.today - timedelta(days=node.days - 1))]
        extra = {
            "rated": "",
            "wrong": " AND correct = 0",
            "introduced": " AND was_new = 1 AND mode = 'review'",
        }[node.key]
        return (
            f"{_KEY_IN}(SELECT deck_id, card_id FROM reviews WHERE study_day >= ?{extra})",
            [since],
        )
    if isinstance(node, q.SchedulerIs):
        sql, params = _in_decks(ctx.fsrs_decks)
        return (sql, params) if node.name == "fsrs" else (f"NOT ({sql})", params)
    raise TypeError(f"not a query value: {node!r}")  # pragma: no cover


def _state(name: str, ctx: SearchContext) -> tuple[str, Params]:
    today = ctx.today.isoformat()
    if name == "new":
        return "c.last_review_id IS NULL", []
    if name == "learn":
        return "c.last_review_id IS NOT NULL AND c.repetitions < ?", [rules.YOUNG_REPETITIONS]
    if name == "review":
        return "c.last_review_id IS NOT NULL AND c.repetitions >= ?", [rules.YOUNG_REPETITIONS]
    if name == "due":
        return (
            "c.due <= ? AND c.suspended = 0 AND coalesce(c.buried_until, '') <= ?",
            [today, today],
        )
    if name == "suspended":
        return "c.suspended = 1", []
    if name == "buried":
        return "c.buried_until > ?", [today]
    if name == "flagged":
        return "c.flagged = 1", []
    if name == "leech":
        threshold, params = _case("c.deck_id", ctx.deck_leech_thresholds, ctx.leech_threshold)
        return f"c.lapses >= {threshold}", params
    return "c.retired = 1", []


def _prop(node: q.Prop, ctx: SearchContext) -> tuple[str, Params]:
    op = _SQL_OPS[node.op]
    reviewed = "c.last_review_id IS NOT NULL"
    if node.name == "due":
        day = (ctx.today + timedelta(days=int(node.value))).isoformat()
        return f"c.due IS NOT NULL AND c.due {op} ?", [day]
    if node.name == "ivl":
        return f"{reviewed} AND c.interval {op} ?", [int(node.value)]
    if node.name == "lapses":
        return f"c.lapses {op} ?", [int(node.value)]
    if node.name == "ease":
        return f"{reviewed} AND c.easiness {op} ?", [node.value]
    if node.name == "reps":
        return (
            "(SELECT count(*) FROM reviews r WHERE r.deck_id = c.deck_id AND r.card_id = c.id "
            f"AND r.mode = 'review' AND r.ord > c.reset_ord) {op} ?",
            [int(node.value)],
        )
    if node.name == "s":
        return f"c.stability IS NOT NULL AND c.stability {op} ?", [node.value]
    if node.name == "d":  # Anki's 0-1 scale over FSRS's difficulty of 1-10
        return f"c.difficulty IS NOT NULL AND (c.difficulty - 1) / 9.0 {op} ?", [node.value]
    return _recall(node, ctx)


def _recall(node: q.Prop, ctx: SearchContext) -> tuple[str, Params]:
    """``prop:r``: FSRS's predicted recall today, ``(1 + F t / S) ** decay`` (decay < 0),
    falls as ``t / S`` grows; so ``R op x`` is ``t / S op' k`` with the comparison flipped
    and ``k = (x ** (1 / decay) - 1) / F`` for each FSRS deck, all in plain SQL."""
    curves = {d: c for d, c in ctx.curves.items() if d in ctx.fsrs_decks}
    if not curves:
        return "0", []
    limits: dict[str, float] = {}
    for deck_id, (factor, decay) in curves.items():
        if node.value <= 0:
            limits[deck_id] = 1e300
        else:
            limits[deck_id] = (node.value ** (1 / decay) - 1) / factor
    decks, deck_params = _in_decks(frozenset(curves))
    limit, limit_params = _case("c.deck_id", limits, 0.0)
    ratio = "(julianday(?) - julianday(c.last_review_day)) / c.stability"
    return (
        f"{decks} AND c.stability > 0 AND c.last_review_day IS NOT NULL "
        f"AND {ratio} {_FLIPPED[node.op]} {limit}",
        [*deck_params, ctx.today.isoformat(), *limit_params],
    )


_BROWSE_SELECT = """
    SELECT c.deck_id, d.name, c.id, {content}, c.line, d.path, c.retired,
           c.suspended, c.buried_until, c.flagged, c.flag_note, c.lapses, c.repetitions, c.easiness,
           c.interval, c.due, c.stability, c.difficulty, c.added_at,
           c.last_review_id IS NOT NULL, lr.id AS last_id, lr.correct, lr.reviewed_at,
           lr.study_day
    FROM cards c JOIN decks d ON d.id = c.deck_id
    LEFT JOIN reviews lr ON lr.id = (
        SELECT r.id FROM reviews r INDEXED BY reviews_card_ord
        WHERE r.deck_id = c.deck_id AND r.card_id = c.id ORDER BY r.ord DESC LIMIT 1
    )
"""
"""A card as ``cards`` lists it, with its latest answer of any mode, latest in the log's
order (``ord``: an answer synced from another computer has a higher row id than a later one
given here), one step down ``reviews_card_ord`` (migration 20). ``_browsed`` reads the
columns by position: at 100,000 cards a search may build thousands of these."""

_WHOLE = "c.content"
_LISTED = (
    "json_object('title', json_extract(c.content, '$.title'), "
    "'question', json_extract(c.content, '$.question'), "
    "'tags', json_extract(c.content, '$.tags'))"
)
"""What a list needs of a card's text: its title, question and tags, picked out by SQLite
(about half the time of decoding every card's whole text in Python and building its
choices, at thousands of cards)."""


def _browsed(row: tuple[Any, ...], whole: bool = True) -> BrowsedCard:
    (deck_id, deck_name, card_id, content, line, path, retired, suspended, buried_until,
     flagged, flag_note, lapses, repetitions, easiness, interval, due, stability, difficulty,
     added_at, reviewed, last_id, last_correct, last_at, last_day) = row  # fmt: skip
    answered = last_id is not None
    if whole:
        card = Card.from_content(card_id, json.loads(content), line)
    else:
        text = json.loads(content)
        card = Card(
            card_id, text["question"], (), (), "", title=text["title"], tags=tuple(text["tags"]),
            line=line,
        )  # fmt: skip
    return BrowsedCard(
        deck_id=deck_id,
        deck_name=deck_name,
        card=card,
        path=path,
        retired=bool(retired),
        suspended=bool(suspended),
        buried_until=date.fromisoformat(buried_until) if buried_until else None,
        flagged=bool(flagged),
        flag_note=flag_note if flagged else None,
        lapses=lapses,
        repetitions=repetitions,
        easiness=easiness,
        interval=interval,
        due=date.fromisoformat(due) if due else None,
        stability=stability,
        difficulty=difficulty,
        added_at=added_at,
        last_correct=bool(last_correct) if answered else None,
        last_answered=last_at if answered else None,
        last_day=date.fromisoformat(last_day) if answered else None,
        reviewed=bool(reviewed),
    )


class CardSearch:
    def __init__(self, database: Database) -> None:
        self.database = database

    def _where(self, node: q.Node, ctx: SearchContext) -> tuple[str, Params]:
        terms, params = compile_query(node, ctx)
        if not q.mentions_state(node, "retired"):
            terms = f"c.retired = 0 AND ({terms})"
        return terms, params

    def find(
        self,
        node: q.Node,
        ctx: SearchContext,
        sort: str = "deck",
        reverse: bool = False,
        limit: int | None = None,
    ) -> list[BrowsedCard]:
        """The cards the query names, in the order asked, at most ``limit`` of them. Each
        card's text as a list shows it: its title, question and tags (no choices, key or
        explanation; ``card`` gives one card whole)."""
        if sort not in SORTS:
            raise UsageError(f"--sort {sort!r}: one of {', '.join(SORTS)}")
        where, params = self._where(node, ctx)
        order = (_REVERSED if reverse else _ORDER)[sort]
        select = _BROWSE_SELECT.format(content=_LISTED)
        sql = f"{select} WHERE {where} ORDER BY {order} LIMIT ?"
        rows = self.database.conn.execute(sql, [*params, -1 if limit is None else limit])
        return [_browsed(row, whole=False) for row in rows]

    def keys(self, node: q.Node, ctx: SearchContext) -> list[CardKey]:
        """The (deck, card) of every card the query names, in deck and file order."""
        where, params = self._where(node, ctx)
        sql = (
            "SELECT c.deck_id, c.id FROM cards c JOIN decks d ON d.id = c.deck_id "
            f"WHERE {where} ORDER BY d.position, c.position"
        )
        return [(r[0], r[1]) for r in self.database.conn.execute(sql, params)]

    def card(self, deck_id: str, card_id: str) -> BrowsedCard | None:
        """One card, retired or not."""
        row = self.database.conn.execute(
            f"{_BROWSE_SELECT.format(content=_WHOLE)} WHERE c.deck_id = ? AND c.id = ?",
            (deck_id, card_id),
        ).fetchone()
        return None if row is None else _browsed(row)

    def decks_with_card(self, card_id: str) -> list[str]:
        return [
            r[0]
            for r in self.database.conn.execute(
                "SELECT c.deck_id FROM cards c JOIN decks d ON d.id = c.deck_id "
                "WHERE c.id = ? ORDER BY d.position",
                (card_id,),
            )
        ]

    def history(self, deck_id: str, card_id: str) -> list[HistoryEntry]:
        """Every answer of the card, oldest first, practice included."""
        rows = self.database.conn.execute(
            "SELECT r.id, r.reviewed_at, r.study_day, r.mode, r.chosen, r.correct, r.quality, "
            "r.interval, r.due, r.response_ms, r.same_day_repeat, r.ord > c.reset_ord "
            "FROM reviews r JOIN cards c ON c.deck_id = r.deck_id AND c.id = r.card_id "
            "WHERE r.deck_id = ? AND r.card_id = ? ORDER BY r.ord",
            (deck_id, card_id),
        )
        return [
            HistoryEntry(
                id=r[0],
                reviewed_at=r[1],
                study_day=date.fromisoformat(r[2]),
                mode=r[3],
                chosen=tuple(json.loads(r[4])),
                correct=bool(r[5]),
                quality=r[6],
                interval=r[7],
                due=date.fromisoformat(r[8]),
                response_ms=r[9],
                same_day_repeat=bool(r[10]),
                counted=bool(r[11]) and r[3] == "review",
            )
            for r in rows
        ]

    # -- the full-text index ------------------------------------------------------------------

    def index_problems(self, shown: int = 20) -> list[str]:
        """Where the full-text index disagrees with the cards' text (a card missing, another
        text, a row of no card), and what FTS5's own integrity check finds."""
        conn = self.database.conn
        problems: list[str] = []
        try:
            conn.execute("INSERT INTO card_text (card_text) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as exc:
            problems.append(f"the index is damaged ({exc})")
        expected = {
            (r[0], r[1]): r[2]
            for r in conn.execute(f"SELECT c.deck_id, c.id, {card_text_sql('c')} FROM cards c")
        }
        stored: dict[CardKey, str | None] = {
            (r[0], r[1]): r[2]
            for r in conn.execute(
                "SELECT k.deck_id, k.card_id, t.text FROM card_text_keys k "
                "LEFT JOIN card_text t ON t.rowid = k.id"
            )
        }
        for key in sorted(set(expected) | set(stored)):
            if key not in stored or stored[key] is None:
                problems.append(f"{key[0]}/{key[1]}: missing from the search index")
            elif key not in expected:
                problems.append(f"{key[0]}/{key[1]}: in the search index but not a card")
            elif stored[key] != expected[key]:
                problems.append(f"{key[0]}/{key[1]}: the search index holds other text")
        pending = conn.execute("SELECT count(*) FROM card_text_pending").fetchone()[0]
        if pending:
            problems.append(f"{pending} card(s) wait to be indexed")
        orphans = conn.execute(
            "SELECT count(*) FROM card_text WHERE rowid NOT IN (SELECT id FROM card_text_keys)"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} search index row(s) belong to no card")
        if len(problems) > shown:
            problems = [*problems[:shown], f"(and {len(problems) - shown} more)"]
        return problems

    def rebuild_index(self) -> None:
        """The full-text index rebuilt from every card's content, in one transaction."""
        with self.database.write() as conn:
            conn.execute("DELETE FROM card_text")
            conn.execute("DELETE FROM card_text_keys")
            conn.execute("DELETE FROM card_text_pending")
            for statement in FILL_CARD_TEXT:
                conn.execute(statement)
