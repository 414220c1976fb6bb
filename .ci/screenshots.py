"""Regenerate the README screenshots with rich's own SVG export: python .ci/screenshots.py"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from rich.console import Console

from mlcards.deck import bundled_deck_files, load_deck
from mlcards.models import ScheduledCard
from mlcards.ui import render_answer, render_question, render_rating_prompt

OUT = Path(__file__).resolve().parent / "screenshots"


def main() -> int:
    deck = load_deck(bundled_deck_files()[0])
    card = deck.cards[0]
    item = ScheduledCard(deck.id, deck.name, card, 0, 2.5, 0, None, None)
    order = list(card.choices)
    OUT.mkdir(exist_ok=True)

    question = Console(record=True, width=80, file=io.StringIO(), color_system="truecolor")
    render_question(question, item, order, position=1, total=12, elapsed_s=4)
    question.save_svg(str(OUT / "review-question.svg"), title="mlcards review")

    answer = Console(record=True, width=80, file=io.StringIO(), color_system="truecolor")
    render_answer(answer, item, order, (card.answer[0],), correct=True, dont_know=False)
    render_rating_prompt(answer, True)
    answer.save_svg(str(OUT / "review-answer.svg"), title="mlcards review")
    print(f"wrote {OUT}/review-question.svg and review-answer.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
