"""What ``export`` and the ``--json`` options write: the stats document as JSON text, the
review log and the cards as CSV or JSON rows (the ``status --json`` document is
``Status.document``, off the stats' imports).

Pure over rows the store has read, streaming (a row is written as it arrives, so an export of
the whole log never holds it in memory). CSV cells a spreadsheet would run as formulas are
escaped unless asked otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from mlcards import rules
from mlcards.stats import rate
from mlcards.statsdata import REVIEW_COLUMNS, CardSummary


def dumps(document: dict[str, Any]) -> str:
    """The stats document as stable JSON text (fixed key order), on one line.

    Not indented: with a card per distractor entry the document runs to tens of MB at 100,000
    cards, and only the unindented form uses the json module's C encoder (10x faster). Pipe it
    through `python -m json.tool` to read it.
    """
    return json.dumps(document, ensure_ascii=False)


_BOOL_REVIEW_COLUMNS = {"correct", "same_day_repeat", "was_new"}


CARD_COLUMNS: tuple[str, ...] = (
    "deck_id",
    "card_id",
    "title",
    "stage",
    "retired",
    "repetitions",
    "easiness",
    "interval",
    "due",
    "reviews",
    "correct",
    "accuracy",
    "lapses",
    "last_review",
    "stability",
    "difficulty",
)


def review_json(row: tuple[Any, ...]) -> dict[str, Any]:
    """A review-log row (``REVIEW_COLUMNS``) as a JSON object: flags as booleans, the chosen
    ids as a list; everything else exactly as stored."""
    obj = dict(zip(REVIEW_COLUMNS, row, strict=True))
    obj["chosen"] = json.loads(obj["chosen"])
    for key in _BOOL_REVIEW_COLUMNS:
        obj[key] = bool(obj[key])
    return obj


def card_json(card: CardSummary) -> dict[str, Any]:
    return {
        "deck_id": card.deck_id,
        "card_id": card.card_id,
        "title": card.title,
        "stage": rules.stage(
            retired=card.retired,
            reviewed=card.reviewed,
            repetitions=card.repetitions,
            interval=card.interval,
        ),
        "retired": card.retired,
        "repetitions": card.repetitions,
        "easiness": card.easiness,
        "interval": card.interval,
        "due": card.due.isoformat() if card.due else None,
        "reviews": card.reviews,
        "correct": card.correct,
        "accuracy": rate(card.correct, card.reviews),
        "lapses": card.lapses,
        "last_review": card.last_review,
        "stability": card.stability,
        "difficulty": card.difficulty,
    }


def card_csv(card: CardSummary) -> tuple[Any, ...]:
    obj = card_json(card)
    obj["retired"] = int(card.retired)
    return tuple("" if obj[c] is None else obj[c] for c in CARD_COLUMNS)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection)."""


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (``=HYPERLINK(...)``), with a ``'``
    in front so it is shown as text; numbers and other text are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(
    stream: TextIO,
    columns: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
    *,
    escape_formulas: bool = True,
) -> None:
    """A header row then one line per row, RFC 4180 (quoted as needed, CRLF).

    Text cells that a spreadsheet would run as a formula are escaped (``spreadsheet_safe``)
    unless ``escape_formulas`` is off (or the rows come escaped already, as the review log
    does from the store: then the rows go to the csv module whole, at its C speed)."""
    import csv

    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(
        ([spreadsheet_safe(v) for v in row] for row in rows) if escape_formulas else rows
    )


def write_json_array(stream: TextIO, objects: Iterable[dict[str, Any]]) -> int:
    """A JSON array written one object per line as the rows arrive. Returns rows."""
    count = 0
    for obj in objects:
        stream.write("[\n" if count == 0 else ",\n")
        stream.write(json.dumps(obj, ensure_ascii=False))
        count += 1
    stream.write("\n]\n" if count else "[]\n")
    return count
