"""Regenerate the README screenshots with rich's own SVG export: python .ci/screenshots.py"""

from __future__ import annotations

import io
import random
import sys
import tempfile
import textwrap
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console

from mlcards.bundled import bundled_deck_files
from mlcards.deck import load_deck, parse_deck
from mlcards.models import Deck, Quality, ScheduledCard
from mlcards.render.dashboard import render_dashboard
from mlcards.render.review import Answer, CardView, card_screen
from mlcards.render.screen import Screenful
from mlcards.session import Session, build_queue
from mlcards.stats import build_stats
from mlcards.statsdata import StatsQuery
from mlcards.store import Store

OUT = Path(__file__).resolve().parent / "screenshots"


def _sample_deck(deck_id: str, size: int, tags: list[str]) -> Deck:
    cards = "".join(
        textwrap.dedent(
            f"""\
              - id: q{i}
                question: "Question {i}?"
                choices:
                  - id: right
                    text: Right
                  - id: common-myth
                    text: A common myth
                  - id: plausible
                    text: Plausible
                  - id: silly
                    text: Silly
                answer: right
                explanation: Because.
                tags: [{tags[i % len(tags)]}]
            """
        )
        for i in range(size)
    )
    return parse_deck(f"id: {deck_id}\nname: {deck_id}\ncards:\n{cards}", f"{deck_id}.yaml")


def sample_stats(folder: Path) -> dict[str, object]:
    """Six weeks of simulated reviews (fixed seed) over three decks, as the stats document."""
    rng = random.Random(7)
    start, days = date(2026, 2, 1), 45
    with Store.open(folder / "sample.db") as store:
        store.decks.import_decks(
            [
                _sample_deck("optimization", 25, ["learning-rate", "momentum", "adam"]),
                _sample_deck("regularization", 20, ["dropout", "weight-decay"]),
                _sample_deck("evaluation", 15, ["metrics", "leakage", "cross-validation"]),
            ],
            datetime(2026, 2, 1, 8, tzinfo=UTC),
        )
        for offset in range(days):
            today = start + timedelta(days=offset)
            if rng.random() < 0.15:
                continue
            session = Session(
                build_queue(store.cards.due(today, 200), store.cards.new(8), []), today
            )
            moment = datetime(today.year, today.month, today.day, 18, tzinfo=UTC)
            while (item := session.next()) is not None:
                right = 0.45 if item.card.id in ("q3", "q7") else 0.85
                roll = rng.random()
                chosen: tuple[str, ...]
                if roll < right:
                    chosen, quality = item.card.answer, rng.choice([3, 4, 4, 5])
                elif roll < right + 0.04:
                    chosen, quality = (), Quality.BLACKOUT
                else:
                    chosen = (rng.choice(["common-myth", "common-myth", "plausible"]),)
                    quality = Quality.WRONG
                moment += timedelta(seconds=rng.randint(5, 40))
                store.log.record(
                    session.answer(item, chosen, Quality(quality), rng.randint(2000, 20000), moment)
                )
        today = start + timedelta(days=days - 1)
        since = today - timedelta(days=364)
        data = store.stats.data(StatsQuery(today=today, since=since))
    return build_stats(data, today, since)


WIDTH, HEIGHT = 80, 24


def _save(view: Screenful, name: str) -> None:
    """One 80x24 screen, exactly as the terminal shows it, as SVG."""
    console = Console(
        record=True, width=WIDTH, height=HEIGHT, file=io.StringIO(), color_system="truecolor"
    )
    console.print(view)
    console.save_svg(str(OUT / name), title="mlcards review")


def main() -> int:
    deck = load_deck(bundled_deck_files()[0])
    card = deck.cards[0]
    item = ScheduledCard(deck.id, deck.name, card, 0, 2.5, 0, None, None)
    order = tuple(card.choices)
    OUT.mkdir(exist_ok=True)
    session = Session([item], date(2026, 3, 1))
    shown = CardView(item, order, position=1, total=12, width=WIDTH, height=HEIGHT)
    _save(card_screen(replace(shown, elapsed_s=4)), "review-question.svg")
    wrong = Answer((order[3].id,), correct=False)
    _save(card_screen(replace(shown, answer=wrong, elapsed_s=31)), "review-answer.svg")
    right = Answer(card.answer, correct=True, rating=session.preview(item))
    scrolled = replace(shown, answer=right, elapsed_s=52, scroll=10_000)
    _save(card_screen(scrolled), "review-answer-scrolled.svg")

    stats = Console(record=True, width=80, file=io.StringIO(), color_system="truecolor")
    with tempfile.TemporaryDirectory() as folder:
        stats.print(render_dashboard(sample_stats(Path(folder))))
    stats.save_svg(str(OUT / "stats.svg"), title="mlcards stats")
    print(
        f"wrote {OUT}/review-question.svg, review-answer.svg, review-answer-scrolled.svg, stats.svg"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
