"""The session summary counts what is left today (issue 20, item 9) instead of "Next due:
tomorrow" while cards wait."""

from __future__ import annotations

import io
from datetime import date

from helpers import answer_card, at, toy_deck
from rich.console import Console

from mlcards.config import Settings
from mlcards.models import LeftToday
from mlcards.render.review import ReviewOutcome, render_summary
from mlcards.services.study import left_today
from mlcards.store import Store

TODAY = date(2026, 3, 1)


def _text(panel: object) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=80, color_system=None).print(panel)
    return buffer.getvalue()


def test_left_today_counts_new_reviews_and_repeats(db_path: object) -> None:
    settings = Settings(new_per_day=3)
    with Store.open(db_path) as store:  # type: ignore[arg-type]
        store.decks.import_decks([toy_deck(cards=("c1", "c2", "c3", "c4", "c5"))], at("2026-02-28"))
        answer_card(store, "2026-02-28", "toy", "c1", 4)  # due 2026-03-01
        assert left_today(store, settings, TODAY) == LeftToday(new=3, reviews=1)
        answer_card(store, "2026-03-01", "toy", "c2", 1)  # wrong: comes back today
        answer_card(store, "2026-03-01", "toy", "c3", 4)
        assert left_today(store, settings, TODAY) == LeftToday(new=1, reviews=1, repeats=1)
        assert left_today(store, settings, TODAY, deck="toy").total == 3


def test_the_summary_says_what_is_left_rather_than_next_due() -> None:
    outcome = ReviewOutcome(4, 3, True)
    left = _text(
        render_summary(outcome, TODAY, TODAY, left=LeftToday(new=20, reviews=1, repeats=2))
    )
    assert "Left today  20 new, 1 review, 2 repeats" in left
    assert "Next due" not in left
    done = _text(render_summary(outcome, date(2026, 3, 2), TODAY, left=LeftToday()))
    assert "Next due" in done and "Left today" not in done
