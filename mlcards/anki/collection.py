"""An Anki collection file (SQLite) written for a package, or read from one.

SQL on a foreign file, never on mlcards' database: this is why this module (alone outside
``store/``) may use sqlite3 (see pyproject's per-file-ignores). We write schema 11, the
format every Anki client still imports, with ``schedVer: 2`` in its config so that Anki does
not run its old v1 -> v2 upgrade over our history. We read schema 11 and schema 18 (what
current Anki and AnkiDroid export), only through read-only queries on a temporary copy.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mlcards.anki.notetype import BACK, CSS, FIELDS, FRONT, NOTETYPE_ID, NOTETYPE_NAME, Note
from mlcards.errors import DeckError

_SCHEMA = """
CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL,
  scm integer NOT NULL, ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL,
  ls integer NOT NULL, conf text NOT NULL, models text NOT NULL, decks text NOT NULL,
  dconf text NOT NULL, tags text NOT NULL);
CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL,
  mod integer NOT NULL, usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL,
  sfld integer NOT NULL, csum integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL,
  ord integer NOT NULL, mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL,
  queue integer NOT NULL, due integer NOT NULL, ivl integer NOT NULL, factor integer NOT NULL,
  reps integer NOT NULL, lapses integer NOT NULL, left integer NOT NULL, odue integer NOT NULL,
  odid integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
CREATE TABLE revlog (id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL,
  ease integer NOT NULL, ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL,
  time integer NOT NULL, type integer NOT NULL);
CREATE TABLE graves (usn integer NOT NULL, oid integer NOT NULL, type integer NOT NULL);
"""
_INDEXES = """
CREATE INDEX ix_notes_usn ON notes (usn);
CREATE INDEX ix_cards_usn ON cards (usn);
CREATE INDEX ix_revlog_usn ON revlog (usn);
CREATE INDEX ix_cards_nid ON cards (nid);
CREATE INDEX ix_cards_sched ON cards (did, queue, due);
CREATE INDEX ix_revlog_cid ON revlog (cid);
CREATE INDEX ix_notes_csum ON notes (csum);
"""
"""Made after the rows are in: one sort each instead of a tree kept in order per insert."""


@dataclass(frozen=True)
class CardRow:
    """A card's scheduling columns as Anki's v2 scheduler keeps them (``due`` in days since
    the collection was created for a review card, a position for a new one)."""

    card_id: int
    note: Note
    deck_id: int
    type: int = 0
    queue: int = 0
    due: int = 0
    ivl: int = 0
    factor: int = 0
    reps: int = 0
    lapses: int = 0
    data: str = ""
    """Anki's card ``data`` JSON: the FSRS memory state (``s``, ``d``) of an FSRS card."""


@dataclass(frozen=True)
class RevlogRow:
    id: int
    cid: int
    ease: int
    ivl: int
    last_ivl: int
    factor: int
    time: int
    type: int


def _deck(deck_id: int, name: str, now_s: int) -> dict[str, object]:
    return {
        "id": deck_id,
        "name": name,
        "mod": now_s,
        "usn": -1,
        "lrnToday": [0, 0],
        "revToday": [0, 0],
        "newToday": [0, 0],
        "timeToday": [0, 0],
        "collapsed": False,
        "browserCollapsed": False,
        "desc": "",
        "dyn": 0,
        "conf": 1,
        "extendNew": 0,
        "extendRev": 0,
    }


def _notetype(now_s: int) -> dict[str, object]:
    return {
        "id": NOTETYPE_ID,
        "name": NOTETYPE_NAME,
        "type": 0,
        "mod": now_s,
        "usn": -1,
        "sortf": 0,
        "did": 1,
        "tmpls": [
            {
                "name": "Multiple choice",
                "ord": 0,
                "qfmt": FRONT,
                "afmt": BACK,
                "bqfmt": "",
                "bafmt": "",
                "did": None,
                "bfont": "",
                "bsize": 0,
            }
        ],
        "flds": [
            {"name": name, "ord": i, "sticky": False, "rtl": False, "font": "Arial", "size": 20}
            for i, name in enumerate(FIELDS)
        ],
        "css": CSS,
        "latexPre": "",
        "latexPost": "",
        "latexsvg": False,
        "req": [[0, "any", [0]]],
        "tags": [],
        "vers": [],
    }


_DECK_CONFIG = {
    "id": 1,
    "name": "Default",
    "mod": 0,
    "usn": 0,
    "maxTaken": 60,
    "autoplay": True,
    "timer": 0,
    "replayq": True,
    "dyn": False,
    "new": {
        "delays": [1.0, 10.0],
        "ints": [1, 4, 0],
        "initialFactor": 2500,
        "order": 1,
        "perDay": 20,
        "bury": False,
    },
    "lapse": {"delays": [10.0], "mult": 0.0, "minInt": 1, "leechFails": 8, "leechAction": 1},
    "rev": {
        "perDay": 200,
        "ease4": 1.3,
        "maxIvl": 36500,
        "hardFactor": 1.2,
        "bury": False,
    },
}


_TAG = re.compile(r"<[^>]*>")


def _checksum(stripped: str) -> int:
    """Anki's first-field checksum, of the field with its HTML tags stripped."""
    return int(hashlib.sha1(stripped.encode()).hexdigest()[:8], 16)


_BATCH = 500
"""Rows inserted per ``executemany``: a batch, never the whole export, is in memory."""

RevlogValues = tuple[int, int, int, int, int, int, int, int]
"""A review-log row to write, in Anki's column order: id (the answer's millisecond), cid,
ease, ivl, lastIvl, factor, time, type."""


class CollectionWriter:
    """A schema-11 collection written at ``path`` (a new file) as rows stream in: cards with
    their notes, then the review log, then ``finish`` with the decks they named. Nothing but
    one batch of rows is held, so memory does not grow with the export. ``created_s`` is the
    collection's day start: review ``due`` days count from it."""

    def __init__(self, path: Path, *, created_s: int, now_s: int) -> None:
        self.created_s, self.now_s = created_s, now_s
        self._last_id = -1
        self._conn = sqlite3.connect(path, isolation_level=None)
        # a new temporary file: the package that zips it is what is made durable
        self._conn.execute("PRAGMA journal_mode = OFF")
        self._conn.execute("PRAGMA synchronous = OFF")
        self._conn.executescript(_SCHEMA)
        self._conn.execute("BEGIN")

    def __enter__(self) -> CollectionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.close()

    def add_cards(self, rows: Iterable[CardRow]) -> int:
        """Each card and its note (one note a card: our note type has one template); the
        number written."""
        count = 0
        for batch in _batches(rows):
            _insert_cards(self._conn, batch, self.now_s)
            count += len(batch)
        return count

    def add_revlog(self, rows: Iterable[RevlogValues]) -> int:
        """Review-log rows, each id moved up by the fewest needed to keep it unique (Anki's
        revlog id is its primary key); the number written. An id above every one so far is
        unique as it is: only one that is not is looked up, among the rows written."""
        count, batch = 0, list[RevlogValues]()
        for row in rows:
            if row[0] <= self._last_id:
                count += self._write_revlog(batch)
                row = (self._free_id(row[0]), *row[1:])
            self._last_id = max(self._last_id, row[0])
            batch.append(row)
            if len(batch) >= _BATCH:
                count += self._write_revlog(batch)
        return count + self._write_revlog(batch)

    def _write_revlog(self, batch: list[RevlogValues]) -> int:
        self._conn.executemany("INSERT INTO revlog VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)", batch)
        written = len(batch)
        batch.clear()
        return written

    def _free_id(self, wanted: int) -> int:
        taken = "SELECT 1 FROM revlog WHERE id = ?"
        while self._conn.execute(taken, (wanted,)).fetchone() is not None:
            wanted += 1
        return wanted

    def finish(self, decks: dict[str, int]) -> None:
        """The collection's own row: our note type and ``decks`` (name -> id, the parents
        included by the caller); then the indexes, made after the rows are in."""
        deck_map = {"1": _deck(1, "Default", self.now_s)}
        for name, deck_id in decks.items():
            deck_map[str(deck_id)] = _deck(deck_id, name, self.now_s)
        conf = {
            "schedVer": 2,
            "nextPos": 1,
            "activeDecks": [1],
            "curDeck": 1,
            "sortType": "noteFld",
        }
        self._conn.execute(
            "INSERT INTO col VALUES (1, ?, ?, ?, 11, 0, 0, 0, ?, ?, ?, ?, '{}')",
            (
                self.created_s,
                self.now_s * 1000,
                self.now_s * 1000,
                json.dumps(conf),
                json.dumps({str(NOTETYPE_ID): _notetype(self.now_s)}),
                json.dumps(deck_map),
                json.dumps({"1": _DECK_CONFIG}),
            ),
        )
        self._conn.execute("COMMIT")
        self._conn.executescript(_INDEXES)


def _batches(rows: Iterable[CardRow]) -> Iterator[list[CardRow]]:
    batch: list[CardRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_cards(conn: sqlite3.Connection, rows: list[CardRow], now_s: int) -> None:
    notes = []
    for row in rows:
        note = row.note
        sort_field = _TAG.sub("", note.fields[0])
        notes.append(
            (
                note.note_id,
                note.guid,
                NOTETYPE_ID,
                now_s,
                f" {' '.join(note.tags)} ",
                "\x1f".join(note.fields),
                sort_field,
                _checksum(sort_field),
            )
        )
    conn.executemany("INSERT INTO notes VALUES (?, ?, ?, ?, -1, ?, ?, ?, ?, 0, '')", notes)
    conn.executemany(
        "INSERT INTO cards VALUES (?, ?, ?, 0, ?, -1, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?)",
        [
            (
                row.card_id,
                row.note.note_id,
                row.deck_id,
                now_s,
                row.type,
                row.queue,
                row.due,
                row.ivl,
                row.factor,
                row.reps,
                row.lapses,
                row.data,
            )
            for row in rows
        ],
    )


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteType:
    id: int
    name: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ReadNote:
    id: int
    guid: str
    notetype_id: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass
class Collection:
    """What mlcards reads from a collection: note types, notes, cards (id -> note id, deck
    id), deck names and the review log."""

    notetypes: dict[int, NoteType] = field(default_factory=dict)
    notes: dict[int, ReadNote] = field(default_factory=dict)
    cards: dict[int, tuple[int, int]] = field(default_factory=dict)
    decks: dict[int, str] = field(default_factory=dict)
    revlog: list[RevlogRow] = field(default_factory=list)


def read_collection(path: Path, shown: str) -> Collection:
    """Read a collection file (schema 11 or 18). A file SQLite cannot read, or one without
    Anki's tables, is a DeckError naming ``shown`` (the package)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise DeckError([f"{shown}: the collection inside cannot be opened ({exc})"]) from None
    try:
        return _read(conn)
    except (sqlite3.Error, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DeckError(
            [f"{shown}: the collection inside is damaged or not an Anki collection ({exc})"]
        ) from None
    finally:
        conn.close()


def _read(conn: sqlite3.Connection) -> Collection:
    found = Collection()
    ver, models, decks = conn.execute("SELECT ver, models, decks FROM col").fetchone()
    if int(ver) >= 15:  # the split tables of current Anki
        for ntid, name in conn.execute("SELECT id, name FROM notetypes"):
            names = tuple(
                str(r[0])
                for r in conn.execute(
                    "SELECT name FROM fields WHERE ntid = ? ORDER BY ord", (ntid,)
                )
            )
            found.notetypes[int(ntid)] = NoteType(int(ntid), str(name), names)
        for deck_id, name in conn.execute("SELECT id, name FROM decks"):
            found.decks[int(deck_id)] = str(name).replace("\x1f", "::")
    else:
        for value in json.loads(models).values():
            flds = sorted(value["flds"], key=lambda f: int(f["ord"]))
            names = tuple(str(f["name"]) for f in flds)
            found.notetypes[int(value["id"])] = NoteType(
                int(value["id"]), str(value["name"]), names
            )
        for value in json.loads(decks).values():
            found.decks[int(value["id"])] = str(value["name"])
    for nid, guid, mid, flds, tags in conn.execute(
        "SELECT id, guid, mid, flds, tags FROM notes ORDER BY id"
    ):
        found.notes[int(nid)] = ReadNote(
            int(nid), str(guid), int(mid), tuple(str(flds).split("\x1f")), tuple(str(tags).split())
        )
    for cid, nid, did in conn.execute("SELECT id, nid, did FROM cards"):
        found.cards[int(cid)] = (int(nid), int(did))
    found.revlog = [
        RevlogRow(*(int(v) for v in row))
        for row in conn.execute(
            "SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog ORDER BY id"
        )
    ]
    return found
