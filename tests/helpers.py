"""Builders and runners shared by tests: small decks as YAML text, answering cards through
the API, and the one way to run the command (in this process, or as a child process)."""

from __future__ import annotations

import random
import re
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from mlcards.cli import main
from mlcards.config import Settings
from mlcards.deck import parse_deck
from mlcards.models import Deck, Quality, ScheduledCard
from mlcards.rules import DeckRules
from mlcards.services.study import StoreSource, todays_queue
from mlcards.session import Session, build_queue
from mlcards.store import Store
from mlcards.store.settings import spec_of, write_in

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
"""The repository: what tests may read (the README, decks/, benchmarks/), wherever a test
file sits below tests/."""
DATA = TESTS / "data"
"""The tests' own fixture files."""


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
    queue = build_queue(store.cards.due(today, 200), store.cards.new(20), [], limit)
    session = Session(queue, today)
    count = 0
    for _ in range(len(queue)):
        item = session.next()
        assert item is not None
        chosen = item.card.answer if quality >= Quality.HARD else ("b",)
        store.log.record(session.answer(item, chosen, quality, 1500, at(day)))
        count += 1
    return count


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The CLI in this process (fast): returns (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), out, err


def mlcards_argv(*args: str) -> list[str]:
    """The command line that starts the real program in a child process."""
    return [sys.executable, "-m", "mlcards", *args]


def start(
    args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, **kw: Any
) -> subprocess.CompletedProcess[Any]:
    """The one way tests run `python -m mlcards ARGS` to completion in a child process
    (output captured; ``kw`` as for subprocess.run)."""
    return subprocess.run(mlcards_argv(*args), env=env, cwd=cwd, capture_output=True, **kw)


def subprocess_env(home: Path, **extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("MLCARDS_")}
    env.update(MLCARDS_HOME=str(home), TZ="UTC", NO_COLOR="1")
    env.update(extra)
    return env


def mlcards(home: Path, *args: str, **extra: str) -> tuple[int, str, str]:
    """Run the real command in a child process; returns (exit code, stdout, stderr)."""
    done = start(list(args), subprocess_env(home, **extra), home.parent, text=True, timeout=120)
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


# -- a small review history whose stats are worked out by hand in tests/store/test_stats.py ----

HISTORY_TODAY = "2026-03-20"


def tagged_deck(deck_id: str, cards: list[tuple[str, list[str]]], title: str = "") -> Deck:
    """A deck whose cards have choices a (the answer), b and c, and the given tags."""
    body = ""
    for card_id, tags in cards:
        body += textwrap.dedent(
            f"""\
              - id: {card_id}
                title: '{title}'
                question: "Question {card_id}?"
                choices:
                  - id: a
                    text: Alpha
                  - id: b
                    text: Beta
                  - id: c
                    text: Gamma
                answer: a
                explanation: Because.
                tags: [{", ".join(tags)}]
            """
        )
    return parse_deck(f"id: {deck_id}\nname: Deck {deck_id}\ncards:\n{body}", f"{deck_id}.yaml")


def answer_card(
    store: Store,
    day: str,
    deck_id: str,
    card_id: str,
    quality: int,
    chosen: tuple[str, ...] | None = None,
    response_ms: int = 1000,
) -> None:
    """Answer one card as the review screen would: a same-day repeat if it came back today."""
    today = date.fromisoformat(day)
    candidates = [
        *store.cards.repeats(today),
        *store.cards.due(today, 1000),
        *store.cards.new(1000),
    ]
    item = next(i for i in candidates if (i.deck_id, i.card.id) == (deck_id, card_id))
    if chosen is None:
        chosen = item.card.answer if quality >= 3 else (() if quality == 0 else ("b",))
    stored = store.settings.read()
    session = Session([item], today, rules=lambda d: DeckRules(scheduler=spec_of(stored, d)))
    store.log.record(session.answer(item, chosen, Quality(quality), response_ms, at(day)))


HISTORY_EVENTS: list[tuple[str, str, str, int, tuple[str, ...] | None, int]] = [
    # (day, deck, card, quality, chosen or None for the default, response ms)
    ("2026-01-01", "alpha", "m1", 4, None, 1000),
    ("2026-01-01", "alpha", "m2", 4, None, 1000),
    ("2026-01-02", "alpha", "m1", 4, None, 1000),
    ("2026-01-02", "alpha", "m2", 4, None, 1000),
    ("2026-01-08", "alpha", "m1", 5, None, 1000),
    ("2026-01-08", "alpha", "m2", 4, None, 1000),
    ("2026-01-23", "alpha", "m1", 4, None, 1000),
    ("2026-01-23", "alpha", "m2", 4, None, 1000),
    ("2026-03-01", "alpha", "a1", 4, None, 1000),
    ("2026-03-01", "alpha", "a2", 1, ("b",), 1000),
    ("2026-03-01", "alpha", "a2", 4, None, 1000),  # same-day repeat
    ("2026-03-01", "alpha", "leech", 4, None, 1000),
    ("2026-03-01", "beta", "b1", 0, (), 1000),
    ("2026-03-01", "beta", "b1", 4, None, 1000),  # same-day repeat
    ("2026-03-02", "alpha", "a1", 4, None, 1000),
    ("2026-03-02", "alpha", "a2", 0, (), 1000),
    ("2026-03-03", "alpha", "m1", 1, ("b",), 1000),  # a mature lapse
    ("2026-03-03", "alpha", "m1", 4, None, 1000),  # same-day repeat
    ("2026-03-04", "alpha", "m1", 4, None, 1000),
    ("2026-03-08", "alpha", "a1", 3, None, 1000),
]
# The leech: learned on 03-01, then forgotten (picking c) and relearned on alternate days.
for _offset in range(2, 18):
    _day = f"2026-03-{_offset:02d}"
    HISTORY_EVENTS.append(
        (
            _day,
            "alpha",
            "leech",
            1 if _offset % 2 == 0 else 4,
            ("c",) if _offset % 2 == 0 else None,
            1000,
        )
    )
HISTORY_EVENTS.sort(key=lambda e: e[0])  # stable: same-day order as written above
HISTORY_EVENTS += [
    ("2026-03-20", "alpha", "m1", 3, None, 2500),
    ("2026-03-20", "beta", "b1", 4, None, 1000),
]


def build_history(store: Store) -> None:
    """Decks alpha (m1 m2 a1 a2 a3 leech) and beta (b1; b2 retired), then HISTORY_EVENTS."""
    start = at("2026-01-01", 8)
    alpha = tagged_deck(
        "alpha",
        [
            ("m1", ["optim"]),
            ("m2", ["optim"]),
            ("a1", ["optim", "lr"]),
            ("a2", ["optim"]),
            ("a3", ["optim"]),
            ("leech", ["optim"]),
        ],
    )
    store.decks.import_decks(
        [alpha, tagged_deck("beta", [("b1", ["eval"]), ("b2", ["eval"])])], start
    )
    store.decks.import_decks([tagged_deck("beta", [("b1", ["eval"])])], start)  # retires b2
    with store.settings.database.write() as conn:  # textbook SM-2: the tests pin its exact days
        write_in(conn, {"": {"fuzz": False}})
    for day, deck, card, quality, chosen, ms in HISTORY_EVENTS:
        answer_card(store, day, deck, card, quality, chosen, ms)


def session_for(store: Store, day: date = date(2026, 3, 1), **kw: object) -> Session:
    queue = build_queue(store.cards.due(day, 100), store.cards.new(100), [])
    return Session(queue, day, journal=store.log, session_id="s1", **kw)


# -- a session over the store, as the review screen runs one (the log contract tests) ------


def session(store: Store, day: str, **kw: object) -> Session:
    today = date.fromisoformat(day)
    queue = todays_queue(store, Settings(), today)
    return Session(
        queue,
        today,
        journal=store.log,
        session_id="s1",
        source=StoreSource(store, Settings(), today),
        **kw,  # type: ignore[arg-type]
    )


def answer(s: Session, day: str, quality: int) -> str:
    item = s.next()
    assert item is not None
    chosen = item.card.answer if quality >= 3 else ("b",)
    s.answer(item, chosen, Quality(quality), 1000, at(day))
    return item.card.id


def flags(store: Store) -> tuple[int, int, int]:
    return store.conn.execute("SELECT leech, suspended, lapses FROM cards").fetchone()


class Refreshing:
    """A session's card source that re-reads each card when drawn and sets no daily limit."""

    def __init__(self, store: Store, today: date) -> None:
        self.store, self.today = store, today

    def refresh(self, item: ScheduledCard) -> ScheduledCard | None:
        return self.store.cards.one(item.deck_id, item.card.id, self.today)

    def may_show(self, item: ScheduledCard) -> bool:
        return True

    def unchanged(self) -> bool:
        return False


# -- rows for the CSV converter -----------------------------------------------------------

_TOPICS = [
    ("learning rate", "step size of each update", "number of layers", "batch size", "seed"),
    ("dropout", "randomly zeroes activations", "adds noise to labels", "prunes weights", "clips"),
    ("weight decay", "shrinks weights towards zero", "raises the lr", "adds layers", "sorts"),
    ("batch norm", "normalizes activations per batch", "normalizes labels", "drops units", "x"),
    ("ReLU", "max(0, x)", "1 / (1 + e^-x)", "tanh(x)", "x^2"),
    ("softmax", "exp(x_i) / sum_j exp(x_j)", "max(x)", "x / |x|", "log(x)"),
    ("L1 penalty", "sum of |w_i|", "sum of w_i^2", "max |w_i|", "count of w"),
    ("cross-entropy", "-sum y log p", "(y - p)^2", "|y - p|", "y * p"),
]


def mmlu_rows(count: int) -> list[tuple[list[str], str]]:
    """Deterministic MMLU-style rows (cells, answer letter), with commas, quotes, newlines,
    Markdown characters and 2 to 4 choices (a headerless row may not have more cells than
    most rows)."""
    rng = random.Random(16)
    rows: list[tuple[list[str], str]] = []
    for number in range(count):
        topic, right, *wrong = _TOPICS[number % len(_TOPICS)]
        n_choices = 4 if number % 5 else rng.randint(2, 4)
        distractors = [*wrong, *(f"distractor {k}, *not* {topic}" for k in range(10))]
        choices = distractors[: n_choices - 1]
        position = rng.randrange(n_choices)
        choices.insert(position, right)
        question = f'Q{number}: which describes "{topic}" best? (P(H) * P(W), _ blank, O(N^2))'
        if number % 7 == 0:
            question += "\nSecond line, with a # and 1. inside"
        answer = "ABCDEFGHIJ"[position] if number % 3 else str(position + 1)
        rows.append(([question, *choices, answer], "abcdefghij"[position]))
    return rows


# -- the real command in a child process, its output checked for control bytes ------------

HOSTILE = DATA / "hostile"


# What a terminal would act on, in decoded text: ESC and other C0 controls (not tab and
# newline), DEL, C1, bidi overrides; and undecodable bytes (surrogate escapes).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\udc80-\udcff]")


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_child(
    home: Path, *args: str, cwd: Path | None = None, timeout: int = 60, **extra: str
) -> Run:
    """The real command in a child process (no terminal, NO_COLOR): any control byte in its
    output came from user data, so every run asserts there is none."""
    done = start(list(args), subprocess_env(home, **extra), cwd or home.parent, timeout=timeout)
    result = Run(
        done.returncode,
        done.stdout.decode("utf-8", "surrogateescape"),
        done.stderr.decode("utf-8", "surrogateescape"),
    )
    for name, text in (("stdout", result.out), ("stderr", result.err)):
        found = CONTROL.search(text.replace("\r\n", "\n"))  # CSV lines end in CRLF
        assert found is None, f"{name} holds {found.group()!r}: {text!r}"
    return result


def run_here(
    home: Path, *args: str, cwd: Path | None = None, timeout: int = 60, **extra: str
) -> Run:
    """run_child's twin in this process, many times faster: the same environment, working
    folder, exit code and control-byte check, for commands whose output is all a test reads
    (not for terminals, signals, FIFOs or what the bytes on a real stdout are)."""
    import io
    import os
    import time
    from contextlib import redirect_stderr, redirect_stdout

    from mlcards.cli import base

    base.JSON_PRINTED[0] = False  # as in a fresh process (main does not reset it)
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    # UTF-8 streams over bytes, as a child's stdout and stderr are when piped
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    code: object = 0
    os.environ.clear()
    os.environ.update(subprocess_env(home, **extra))
    time.tzset()
    os.chdir(cwd or home.parent)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as done:
                code = done.code
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        time.tzset()
        os.chdir(saved_cwd)
    out.flush()
    err.flush()
    result = Run(
        code if isinstance(code, int) else int(code is not None),
        out.buffer.getvalue().decode("utf-8", "surrogateescape"),
        err.buffer.getvalue().decode("utf-8", "surrogateescape"),
    )
    for name, text in (("stdout", result.out), ("stderr", result.err)):
        found = CONTROL.search(text.replace("\r\n", "\n"))  # CSV lines end in CRLF
        assert found is None, f"{name} holds {found.group()!r}: {text!r}"
    return result


def mlcards_here(home: Path, *args: str, **extra: str) -> tuple[int, str, str]:
    """``mlcards()`` in this process (run_here): (exit code, stdout, stderr)."""
    done = run_here(home, *args, **extra)
    return done.code, done.out, done.err


def no_traceback(result: Run) -> None:
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err


def add_review(path: Path, when: str = "2026-03-01") -> None:
    from mlcards.models import Quality

    with Store.open(path) as store:
        answer_all(store, when, Quality.GOOD, limit=1)


def review_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM reviews").fetchone()[0])
    finally:
        conn.close()
