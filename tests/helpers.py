"""Builders shared by tests: small decks as YAML text, and answering cards through the API."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

from mlcards.deck import parse_deck
from mlcards.models import Deck, Quality
from mlcards.session import Session, build_queue
from mlcards.store import Store


def card_yaml(card_id: str, answer: str = "a", question: str = "", text_a: str = "Alpha") -> str:
    question = question or f"Question {card_id}?"
    return textwrap.dedent(
        f"""\
          - id: {card_id}
            question: "{question}"
            choices:
              - id: a
                text: "{text_a}"
              - id: b
                text: Beta
              - id: c
                text: Gamma
            answer: {answer}
            explanation: Because.
            tags: [testing]
        """
    )


def deck_yaml(deck_id: str = "toy", cards: tuple[str, ...] = ("c1", "c2", "c3"), **kw: str) -> str:
    body = "".join(textwrap.indent(card_yaml(c, **kw), "") for c in cards)
    return f"id: {deck_id}\nname: Toy {deck_id}\ncards:\n{body}"


def toy_deck(deck_id: str = "toy", cards: tuple[str, ...] = ("c1", "c2", "c3"), **kw: str) -> Deck:
    return parse_deck(deck_yaml(deck_id, cards, **kw), f"{deck_id}.yaml")


def at(day: str, hour: int = 12) -> datetime:
    d = date.fromisoformat(day)
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def answer_all(store: Store, day: str, quality: Quality, limit: int | None = None) -> int:
    """Answer every card in today's queue (first-of-day grades only) with one quality."""
    today = date.fromisoformat(day)
    queue = build_queue(store.due_cards(today, 200), store.new_cards(20), [], limit)
    session = Session(queue, today)
    count = 0
    for _ in range(len(queue)):
        item = session.next()
        assert item is not None
        chosen = item.card.answer if quality >= Quality.HARD else ("b",)
        store.record(session.answer(item, chosen, quality, 1500, at(day)))
        count += 1
    return count


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def subprocess_env(home: Path, **extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("MLCARDS_")}
    env.update(MLCARDS_HOME=str(home), TZ="UTC", NO_COLOR="1")
    env.update(extra)
    return env


def mlcards(home: Path, *args: str, **extra: str) -> tuple[int, str, str]:
    """Run the real command in a child process; returns (exit code, stdout, stderr)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "mlcards", *args],
        env=subprocess_env(home, **extra),
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def big_deck_yaml(deck_id: str, count: int, variant: str = "") -> str:
    lines = [f"id: {deck_id}", f"name: Big {deck_id}", "cards:"]
    for i in range(count):
        lines += [
            f"  - id: card-{i}",
            f'    question: "Question {i}{variant}?"',
            "    choices:",
            "      - {id: a, text: Alpha}",
            "      - {id: b, text: Beta}",
            "    answer: a",
            f'    explanation: "Explanation {i}{variant}."',
        ]
    return "\n".join(lines) + "\n"
