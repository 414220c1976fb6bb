"""Card marks (suspended, buried, flagged and its note, the reset point of a forgotten card):
a cache of ``card_events`` folded in ``ord`` order with tombstoned events left out, written
by every card action and sync, compared by ``check`` and rebuilt by ``--repair``."""

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

Marks = dict[str, Any]
"""suspended, buried_until, flagged, flag_note, reset_ord: what ``card_events`` decide."""

MARK_COLUMNS = ("suspended", "buried_until", "flagged", "flag_note", "reset_ord")
NO_MARKS: Marks = {
    "suspended": 0,
    "buried_until": None,
    "flagged": 0,
    "flag_note": None,
    "reset_ord": "",
}


def fold(marks: Marks, ord_: str, action: str, data: Mapping[str, Any]) -> Marks:
    """One card event applied to a card's marks (pure)."""
    marks = dict(marks)
    if action in ("suspend", "unsuspend"):
        marks["suspended"] = int(action == "suspend")
    elif action == "bury":
        marks["buried_until"] = data.get("until")
    elif action == "unbury":
        marks["buried_until"] = None
    elif action == "flag":
        marks["flagged"] = 1
        if "note" in data:
            marks["flag_note"] = data["note"] or None
    elif action == "unflag":
        marks["flagged"] = 0
    elif action in ("forget", "reset"):
        marks["reset_ord"] = ord_
    return marks


def marks_of(
    conn: sqlite3.Connection,
    deck_ids: Sequence[str] | None = None,
    *,
    card: tuple[str, str] | None = None,
) -> dict[tuple[str, str], Marks]:
    """Every card's marks (of these decks, or of one ``card``) as its (untombstoned)
    events decide them, in ``ord`` order; cards with no event are left out (they have
    ``NO_MARKS``)."""
    sql = (
        "SELECT deck_id, card_id, ord, action, data FROM card_events e "
        "WHERE NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.target = e.uid)"
    )
    args: list[str] = []
    if deck_ids is not None:
        sql += f" AND deck_id IN ({', '.join('?' for _ in deck_ids)})"
        args = list(deck_ids)
    if card is not None:
        sql += " AND deck_id = ? AND card_id = ?"
        args += card
    found: dict[tuple[str, str], Marks] = {}
    for deck_id, card_id, ord_, action, data in conn.execute(
        sql + " ORDER BY deck_id, card_id, ord", args
    ):
        key = (deck_id, card_id)
        found[key] = fold(found.get(key, NO_MARKS), ord_, action, json.loads(data))
    return found


def every_reset(
    conn: sqlite3.Connection, starts: Mapping[tuple[str, str], int | str]
) -> dict[tuple[str, str], int | str | tuple[str, ...]]:
    """``starts`` (each card's latest reset point) with every reset point of the cards that
    have more than one, in ``ord`` order (forgets and answer-key resets, untombstoned), as
    ``replay`` takes them: a deck that balances due days replays each stretch between them."""
    found: dict[tuple[str, str], list[str]] = {}
    for deck_id, card_id, ord_ in conn.execute(
        "SELECT deck_id, card_id, ord FROM card_events e WHERE action IN ('forget', 'reset') "
        "AND NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.target = e.uid) ORDER BY ord"
    ):
        found.setdefault((deck_id, card_id), []).append(ord_)
    every: dict[tuple[str, str], int | str | tuple[str, ...]] = dict(starts)
    for key, points in found.items():
        if key in every and len(points) > 1 and every[key] == points[-1]:
            every[key] = tuple(points)
    return every


def reset_points(
    conn: sqlite3.Connection, deck_ids: Sequence[str]
) -> dict[tuple[str, str], int | str | tuple[str, ...]]:
    """Every card of these decks with its reset points, as ``replay`` takes them: the
    cached latest one (``reset_ord``), with the earlier ones ``every_reset`` adds."""
    marks = ", ".join("?" for _ in deck_ids)
    return every_reset(
        conn,
        {
            (r[0], r[1]): str(r[2])
            for r in conn.execute(
                f"SELECT deck_id, id, reset_ord FROM cards WHERE deck_id IN ({marks})",
                list(deck_ids),
            )
        },
    )


def unleech(conn: sqlite3.Connection, key: tuple[str, str], *, keep_leech: bool = False) -> None:
    """Take a leech's own suspension off a card (and its leech mark, unless ``keep_leech``):
    it stays suspended only if its events say so (a forget, a reset, an undone leech answer;
    what ``marks_differences`` then expects)."""
    suspended = marks_of(conn, card=key).get(key, NO_MARKS)["suspended"]
    conn.execute(
        "UPDATE cards SET leech = leech * ?, suspended = ? WHERE deck_id = ? AND id = ?",
        (int(keep_leech), suspended, *key),
    )


_MARKED = (
    "(suspended != 0 OR buried_until IS NOT NULL OR flagged != 0 OR flag_note IS NOT NULL "
    "OR reset_ord != '' OR EXISTS (SELECT 1 FROM card_events e "
    "WHERE e.deck_id = cards.deck_id AND e.card_id = cards.id))"
)


def cached_marks(
    conn: sqlite3.Connection, deck_ids: Sequence[str] | None = None, *, marked: bool = False
) -> dict[tuple[str, str], tuple[Marks, bool]]:
    """The marks the cards columns hold now, with whether the card is a leech. ``marked``:
    only cards with a mark or an event (any other has ``NO_MARKS`` and its events agree)."""
    sql = f"SELECT deck_id, id, leech, {', '.join(MARK_COLUMNS)} FROM cards WHERE 1"
    args: list[str] = []
    if deck_ids is not None:
        sql += f" AND deck_id IN ({', '.join('?' for _ in deck_ids)})"
        args = list(deck_ids)
    if marked:
        sql += f" AND {_MARKED}"
    return {
        (r[0], r[1]): (dict(zip(MARK_COLUMNS, r[3:], strict=True)), bool(r[2]))
        for r in conn.execute(sql, args)
    }


def marks_differences(conn: sqlite3.Connection) -> list[str]:
    """Where the cards' marks differ from their events (a leech's suspension is its
    answer's, so a suspended leech is fine)."""
    decided = marks_of(conn)
    problems = []
    for key, (cached, leech) in sorted(cached_marks(conn, marked=True).items()):
        expected = decided.get(key, NO_MARKS)
        for name in MARK_COLUMNS:
            have, want = cached[name], expected[name]
            if name == "suspended" and leech and have == 1:
                continue
            if have != want:
                problems.append(f"{key[0]}/{key[1]}: {name} is {have!r}, its events say {want!r}")
    return problems


def write_marks(conn: sqlite3.Connection, deck_ids: Sequence[str] | None = None) -> set[str]:
    """Rewrite the cards' marks from their events; the decks whose reset points moved
    (their schedules need a replay). A leech keeps its own suspension, unless a reset point
    moved past all its answers (then it is new, no leech, as a forget here leaves it)."""
    decided = marks_of(conn, deck_ids)
    moved: set[str] = set()
    updates = []
    unleeched = []
    for key, (cached, leech) in cached_marks(conn, deck_ids, marked=True).items():
        want = dict(decided.get(key, NO_MARKS))
        if (
            leech
            and want["reset_ord"] > cached["reset_ord"]
            and _reset_after_answers(conn, key, want)
        ):
            unleeched.append(key)  # new again (a forget or reset synced in), as ``act_in`` does
        elif leech and cached["suspended"] == 1:
            want["suspended"] = 1
        if want != cached:
            if want["reset_ord"] != cached["reset_ord"]:
                moved.add(key[0])
            updates.append((*(want[c] for c in MARK_COLUMNS), *key))
    conn.executemany(
        f"UPDATE cards SET {', '.join(f'{c} = ?' for c in MARK_COLUMNS)} "
        "WHERE deck_id = ? AND id = ?",
        updates,
    )
    conn.executemany("UPDATE cards SET leech = 0 WHERE deck_id = ? AND id = ?", unleeched)
    return moved


def _reset_after_answers(conn: sqlite3.Connection, key: tuple[str, str], marks: Marks) -> bool:
    """Whether the card's reset point comes after every answer of its log (it is new)."""
    row = conn.execute(
        "SELECT max(ord) FROM reviews WHERE deck_id = ? AND card_id = ?", key
    ).fetchone()
    return row[0] is None or marks["reset_ord"] > row[0]
