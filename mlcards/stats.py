"""Pure summaries of the review log (the serialisers of ``export`` are in ``exports.py``).

The store hands over rows already aggregated in SQL (one per day, deck, tag, card or value);
this module turns them into the one ``stats`` document that both ``stats --json`` and the
dashboard show, so the two can never disagree. No SQL, no rendering, no clock here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from mlcards import rules
from mlcards.statsdata import CardSummary, DistractorCard, StatsData

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


def _retention(data: StatsData, today: date) -> list[dict[str, Any]]:
    """Share of first answers of the day that were right, young and mature cards apart, over
    each of ``RETENTION_PERIODS``."""
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
    return retention


def _forecast(data: StatsData, today: date) -> dict[str, Any]:
    """Cards due on each of the next ``FORECAST_DAYS`` days; the overdue ones count today."""
    due_by_day = {d: n for d, n in data.due if d >= today}
    overdue = sum(n for d, n in data.due if d < today)
    days = [
        {
            "day": (today + timedelta(days=offset)).isoformat(),
            "due": due_by_day.get(today + timedelta(days=offset), 0)
            + (overdue if offset == 0 else 0),
        }
        for offset in range(FORECAST_DAYS)
    ]
    return {"overdue": overdue, "days": days}


def _struggling(data: StatsData) -> list[CardSummary]:
    """Cards that lapsed or lost easiness, the hardest first."""
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
    return struggling


def _leech_test(rules_for: Callable[[str], rules.DeckRules]) -> Callable[[str, int], bool]:
    """Whether a card of this deck with this many lapses is a leech (its deck's rules, asked
    once per deck: the leeches list can hold thousands of cards)."""
    per_deck: dict[str, rules.DeckRules] = {}

    def is_leech(deck_id: str, lapses: int) -> bool:
        found = per_deck.get(deck_id)
        if found is None:
            found = per_deck[deck_id] = rules_for(deck_id)
        return found.is_leech(lapses)

    return is_leech


def _totals(data: StatsData, today: date) -> dict[str, Any]:
    """The document's ``totals`` and ``today_activity``."""
    activity = data.activity
    answers = sum(a.answers for a in activity)
    correct = sum(a.correct for a in activity)
    today_rows = [a for a in activity if a.day == today]
    today_answers = sum(a.answers for a in today_rows)
    today_correct = sum(a.correct for a in today_rows)
    return {
        "totals": {
            "answers": answers,
            "correct": correct,
            "accuracy": rate(correct, answers),
            "time_ms": sum(a.time_ms for a in activity),
            "study_days": sum(1 for a in activity if a.answers),
            "cards_reviewed": len(data.cards)
            if data.cards_reviewed is None
            else data.cards_reviewed,
        },
        "today_activity": {
            "answers": today_answers,
            "correct": today_correct,
            "accuracy": rate(today_correct, today_answers),
            "time_ms": sum(a.time_ms for a in today_rows),
        },
    }


def build_stats(
    data: StatsData,
    today: date,
    since: date | None,
    deck_id: str | None = None,
    tag: str | None = None,
    *,
    rules_for: Callable[[str], rules.DeckRules] = rules.DeckRules.default_for,
    retrievability: Sequence[float] = (),
) -> dict[str, Any]:
    """The ``stats`` document (keys documented in README, "Stats").

    A card is a leech by its deck's rules (``rules_for``, the defaults when not given) over
    its lapses since its schedule started, as in ``review`` and ``leeches``.
    """
    is_leech = _leech_test(rules_for)
    current, longest = streaks((a.day for a in data.activity if a.answers), today)
    stage_keys = ("new", "learning", "young", "mature", "retired")
    stage_decks = [
        {"deck": s.deck_id, **{k: getattr(s, k) for k in stage_keys}} for s in data.stages
    ]
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
        **_totals(data, today),
        "streak": {"current": current, "longest": longest},
        "calendar": [
            {"day": a.day.isoformat(), "answers": a.answers, "correct": a.correct}
            for a in data.activity
        ],
        "forecast": _forecast(data, today),
        "retention": _retention(data, today),
        "stages": {
            "decks": stage_decks,
            "total": {k: sum(d[k] for d in stage_decks) for k in stage_keys},
        },
        "easiness": histogram(EASINESS_BINS, ((round(e * 100), n) for e, n in data.easiness)),
        "intervals": histogram(INTERVAL_BINS, data.intervals),
        "accuracy_by_deck": [{"deck": g.key, **_share(g.answers, g.correct)} for g in data.by_deck],
        "accuracy_by_tag": [{"tag": g.key, **_share(g.answers, g.correct)} for g in data.by_tag],
        "hardest": [
            _card_entry(c, is_leech(c.deck_id, c.total_lapses))
            for c in (_struggling(data) if data.hardest is None else data.hardest)[:HARDEST_LIMIT]
        ],
        "leeches": [
            {"deck": deck, "card": card, "lapses": lapses}
            for deck, card, lapses in (
                [(c.deck_id, c.card_id, c.total_lapses) for c in data.cards]
                if data.leech_candidates is None
                else data.leech_candidates
            )
            if is_leech(deck, lapses)
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
