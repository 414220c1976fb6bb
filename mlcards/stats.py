"""Pure summaries of the review log, and the CSV/JSON serialisers used by ``export``.

The store hands over rows already aggregated in SQL (one per day, deck, tag, card or value);
this module turns them into the one ``stats`` document that both ``stats --json`` and the
dashboard show, so the two can never disagree. No SQL, no rendering, no clock here.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, TextIO

from mlcards import rules
from mlcards.models import (
    REVIEW_COLUMNS,
    CardSummary,
    DeckStatus,
    DistractorCard,
    StatsData,
)

DEFAULT_DAYS = 365
DISTRACTOR_CARDS = 20
"""``stats --json`` lists distractor picks for this many cards (the most missed) unless --all."""
RETENTION_PERIODS = (7, 30, 365)
FORECAST_DAYS = 30
HARDEST_LIMIT = 10
STARTING_EASINESS = rules.NEW_EASINESS

EASINESS_BINS: tuple[tuple[str, int, int | None], ...] = tuple(
    (f"{lo / 100:.2f}-{(lo + 19) / 100:.2f}", lo, lo + 19) for lo in range(130, 270, 20)
) + (("2.70+", 270, None),)
"""(label, lowest, highest) in hundredths: EF moves in steps of 0.02 from 1.30 up."""

INTERVAL_BINS: tuple[tuple[str, int, int | None], ...] = (
    ("1d", 0, 1),
    ("2-6d", 2, 6),
    ("7-13d", 7, 13),
    ("14-20d", 14, 20),
    ("21-59d", 21, 59),
    ("60-179d", 60, 179),
    ("180-364d", 180, 364),
    ("1y+", 365, None),
)
"""(label, lowest, highest) in days; the young/mature boundary (21) is a bin edge."""


def rate(correct: int, answers: int) -> float | None:
    """A share rounded to 4 places, or None when there is nothing to divide."""
    return round(correct / answers, 4) if answers else None


def _bin(bins: tuple[tuple[str, int, int | None], ...], value: int) -> str:
    for label, low, high in bins:
        if value >= low and (high is None or value <= high):
            return label
    return bins[0][0]


def histogram(
    bins: tuple[tuple[str, int, int | None], ...], counts: Iterable[tuple[int, int]]
) -> list[dict[str, Any]]:
    totals = dict.fromkeys((label for label, _, _ in bins), 0)
    for value, count in counts:
        totals[_bin(bins, value)] += count
    return [{"bin": label, "cards": count} for label, count in totals.items()]


def streaks(days: Iterable[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive study days with at least one answer.

    The current streak counts back from today, or from yesterday while today has no
    answers yet (the streak is not broken until the day is over).
    """
    studied = sorted(set(days))
    longest = run = 0
    previous: date | None = None
    for day in studied:
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, run)
        previous = day
    present = set(studied)
    start = today if today in present else today - timedelta(days=1)
    current = 0
    while start - timedelta(days=current) in present:
        current += 1
    return current, longest


def _share(answers: int, correct: int) -> dict[str, Any]:
    return {"answers": answers, "correct": correct, "rate": rate(correct, answers)}


def _card_entry(card: CardSummary, leech: bool) -> dict[str, Any]:
    return {
        "deck": card.deck_id,
        "card": card.card_id,
        "title": card.title,
        "reviews": card.reviews,
        "lapses": card.lapses,
        "easiness": card.easiness,
        "accuracy": rate(card.correct, card.reviews),
        "leech": leech,
    }


def _distractor_entry(card: DistractorCard) -> dict[str, Any]:
    wrong = [c for c in card.choices if c not in card.answer]
    choices = [
        {"id": c, "picks": card.picks.get(c, 0), "text": card.texts.get(c, "")} for c in wrong
    ]
    return {
        "deck": card.deck_id,
        "card": card.card_id,
        "answers": card.answers,
        "correct": card.correct,
        "dont_know": card.dont_know,
        "wrong_picks": sum(c["picks"] for c in choices),
        "choices": choices,
        "never_picked": [c["id"] for c in choices if c["picks"] == 0],
    }


def build_stats(
    data: StatsData,
    today: date,
    since: date | None,
    deck_id: str | None = None,
    tag: str | None = None,
    *,
    leech_threshold: int = rules.DEFAULT_LEECH_THRESHOLD,
    deck_leech_thresholds: Mapping[str, int] | None = None,
    retrievability: Sequence[float] = (),
) -> dict[str, Any]:
    """The ``stats`` document (keys documented in README, "Stats").

    A card is a leech by ``rules.is_leech`` over its lapses since its schedule started and
    its deck's threshold, as in ``review`` and ``leeches``.
    """
    thresholds = deck_leech_thresholds or {}

    def leech(card: CardSummary) -> bool:
        return rules.is_leech(card.total_lapses, thresholds.get(card.deck_id, leech_threshold))

    activity = data.activity
    answers = sum(a.answers for a in activity)
    correct = sum(a.correct for a in activity)
    today_rows = [a for a in activity if a.day == today]
    today_answers = sum(a.answers for a in today_rows)
    today_correct = sum(a.correct for a in today_rows)
    current, longest = streaks((a.day for a in activity if a.answers), today)

    retention = []
    for period in RETENTION_PERIODS:
        first = today - timedelta(days=period - 1)
        rows = [r for r in data.retention if r.day >= first]
        young = [r for r in rows if not r.mature]
        mature = [r for r in rows if r.mature]
        retention.append(
            {
                "days": period,
                "young": _share(sum(r.answers for r in young), sum(r.correct for r in young)),
                "mature": _share(sum(r.answers for r in mature), sum(r.correct for r in mature)),
                "all": _share(sum(r.answers for r in rows), sum(r.correct for r in rows)),
            }
        )

    due_by_day = {d: n for d, n in data.due if d >= today}
    overdue = sum(n for d, n in data.due if d < today)
    forecast_days = []
    for offset in range(FORECAST_DAYS):
        day = today + timedelta(days=offset)
        forecast_days.append(
            {
                "day": day.isoformat(),
                "due": due_by_day.get(day, 0) + (overdue if offset == 0 else 0),
            }
        )

    stage_keys = ("new", "learning", "young", "mature", "retired")
    stage_decks = [
        {"deck": s.deck_id, **{k: getattr(s, k) for k in stage_keys}} for s in data.stages
    ]
    stage_total = {k: sum(d[k] for d in stage_decks) for k in stage_keys}

    struggling = [c for c in data.cards if c.lapses > 0 or c.easiness < STARTING_EASINESS]
    struggling.sort(
        key=lambda c: (
            -c.lapses,
            c.easiness,
            c.correct / c.reviews if c.reviews else 1.0,
            c.deck_id,
            c.card_id,
        )
    )
    distractors = [_distractor_entry(d) for d in data.distractors]
    distractors.sort(key=lambda d: -int(d["wrong_picks"]))

    return {
        "today": today.isoformat(),
        "window": {
            "days": (today - since).days + 1 if since else None,
            "from": since.isoformat() if since else None,
            "to": today.isoformat(),
        },
        "filter": {"deck": deck_id, "tag": tag},
        "totals": {
            "answers": answers,
            "correct": correct,
            "accuracy": rate(correct, answers),
            "time_ms": sum(a.time_ms for a in activity),
            "study_days": sum(1 for a in activity if a.answers),
            "cards_reviewed": len(data.cards),
        },
        "today_activity": {
            "answers": today_answers,
            "correct": today_correct,
            "accuracy": rate(today_correct, today_answers),
            "time_ms": sum(a.time_ms for a in today_rows),
        },
        "streak": {"current": current, "longest": longest},
        "calendar": [
            {"day": a.day.isoformat(), "answers": a.answers, "correct": a.correct} for a in activity
        ],
        "forecast": {"overdue": overdue, "days": forecast_days},
        "retention": retention,
        "stages": {"decks": stage_decks, "total": stage_total},
        "easiness": histogram(EASINESS_BINS, ((round(e * 100), n) for e, n in data.easiness)),
        "intervals": histogram(INTERVAL_BINS, data.intervals),
        "accuracy_by_deck": [{"deck": g.key, **_share(g.answers, g.correct)} for g in data.by_deck],
        "accuracy_by_tag": [{"tag": g.key, **_share(g.answers, g.correct)} for g in data.by_tag],
        "hardest": [_card_entry(c, leech(c)) for c in struggling[:HARDEST_LIMIT]],
        "leeches": [
            {"deck": c.deck_id, "card": c.card_id, "lapses": c.total_lapses}
            for c in data.cards
            if leech(c)
        ],
        "distractors": distractors,
        "retrievability": retrievability_summary(retrievability),
    }


RETRIEVABILITY_BINS = (
    (0.0, "<50%"),
    (0.5, "50-70%"),
    (0.7, "70-80%"),
    (0.8, "80-90%"),
    (0.9, "90-95%"),
    (0.95, "95-100%"),
)


def retrievability_summary(values: Sequence[float]) -> dict[str, Any] | None:
    """How today's predicted recall of the FSRS cards is spread (None without FSRS cards)."""
    if not values:
        return None
    counts = [0] * len(RETRIEVABILITY_BINS)
    for value in values:
        index = max(i for i, (low, _) in enumerate(RETRIEVABILITY_BINS) if value >= low)
        counts[index] += 1
    return {
        "cards": len(values),
        "mean": round(sum(values) / len(values), 4),
        "bins": [
            {"bin": name, "cards": n}
            for (_, name), n in zip(RETRIEVABILITY_BINS, counts, strict=True)
        ],
    }


def dumps(document: dict[str, Any]) -> str:
    """The stats document as stable JSON text (fixed key order), on one line.

    Not indented: with a card per distractor entry the document runs to tens of MB at 100,000
    cards, and only the unindented form uses the json module's C encoder (10x faster). Pipe it
    through `python -m json.tool` to read it.
    """
    return json.dumps(document, ensure_ascii=False)


# -- export rows --------------------------------------------------------------------------------

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
) -> int:
    """A header row then one line per row, RFC 4180 (quoted as needed, CRLF). Returns rows.

    Text cells that a spreadsheet would run as a formula are escaped (``spreadsheet_safe``)
    unless ``escape_formulas`` is off."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([spreadsheet_safe(v) for v in row] if escape_formulas else row)
        count += 1
    return count


def write_json_array(stream: TextIO, objects: Iterable[dict[str, Any]]) -> int:
    """A JSON array written one object per line as the rows arrive. Returns rows."""
    count = 0
    for obj in objects:
        stream.write("[\n" if count == 0 else ",\n")
        stream.write(json.dumps(obj, ensure_ascii=False))
        count += 1
    stream.write("\n]\n" if count else "[]\n")
    return count


def status_json(
    decks: Sequence[DeckStatus],
    today: date,
    next_due: date | None,
    ahead: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The ``status --json`` document; ``ahead``: the cards due tomorrow and over the next
    7 days."""
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
    return {
        "today": today.isoformat(),
        "decks": [d.to_dict() for d in decks],
        "totals": {key: sum(getattr(d, key) for d in decks) for key in keys},
        "next_due": next_due.isoformat() if next_due else None,
        **({"due_tomorrow": ahead[0], "due_next_7_days": ahead[1]} if ahead is not None else {}),
    }
