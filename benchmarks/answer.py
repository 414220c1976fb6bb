"""Answer-to-next-card latency of ``mlcards review``, measured in process. Prints JSON.

    MLCARDS_NOW=... python benchmarks/answer.py DB N

Builds the session exactly as ``mlcards review`` does (today's due cards, new cards, same-day
repeats; default limits), then drives the real ``review.run_review`` loop with injected keys and a
rich Console writing to ``io.StringIO``, and the session's journal is the store's review log,
as in the app. For each of N cards it picks the correct choice and rates it 4. The latency of
one answer runs from the moment the rating key is returned by the key reader to the moment
the loop asks for the next key: the answer is graded inside its write transaction from the
card as stored (``ReviewLog.answer``: one ``BEGIN IMMEDIATE`` transaction,
``synchronous=FULL``), the next card is drawn (re-read from the store, today's limits counted
from the log) and its question rendered.
What a terminal adds on top (writing ~2 KB to the tty) is not included.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path


def main(db: Path, count: int) -> None:
    started = time.perf_counter()
    from rich.console import Console

    from mlcards import clock
    from mlcards.config import load_settings
    from mlcards.models import Choice, ScheduledCard
    from mlcards.records import ReviewRecord, StoredCard
    from mlcards.render.review import CHOICE_KEYS
    from mlcards.review import run_review
    from mlcards.services.actions import StoreActions
    from mlcards.services.study import StoreSource, cut_queue
    from mlcards.session import Session
    from mlcards.store import Store

    class Recording(Session):
        last_order: list[Choice] = []

        def choice_order(self, item: ScheduledCard) -> list[Choice]:
            self.last_order = super().choice_order(item)
            return self.last_order

    settings = load_settings()
    store = Store.open(db)
    today = clock.study_day(clock.now(), settings.rollover_hour)
    queue, read_at = cut_queue(store, settings, today)
    queue_ms = (time.perf_counter() - started) * 1000
    record_ms: list[float] = []

    class TimedLog:
        """The store's review log, timing each answer's transaction (grade, append, cache)."""

        def answer(
            self,
            shown: ScheduledCard,
            day: object,
            decide: Callable[[StoredCard], ReviewRecord],
            meanwhile: Callable[[], object] | None = None,
            then: Callable[[], object] | None = None,
        ) -> tuple[int, ReviewRecord]:
            t0 = time.perf_counter()
            result = store.log.answer(shown, today, decide, meanwhile, then)
            record_ms.append((time.perf_counter() - t0) * 1000)
            return result

        def undo(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("the benchmark never undoes")

    session = Recording(
        queue,
        today,
        rng=random.Random(1),
        journal=TimedLog(),  # type: ignore[arg-type]
        source=StoreSource(store, settings, today, read_at=read_at),
    )
    console = Console(file=io.StringIO(), width=100, color_system=None)
    latencies: list[float] = []
    first_card_ms = 0.0
    rated_at: float | None = None
    phase = "question"

    def read_key() -> str:
        nonlocal rated_at, phase, first_card_ms
        now = time.perf_counter()
        if phase == "question":
            if rated_at is None:
                first_card_ms = (now - started) * 1000
            else:
                latencies.append((now - rated_at) * 1000)
            if len(latencies) >= count:
                return "q"
            item = session.next()
            assert item is not None
            phase = "rating"
            right = next(i for i, c in enumerate(session.last_order) if c.id in item.card.answer)
            return CHOICE_KEYS[right]
        phase = "question"
        rated_at = time.perf_counter()
        return "4"

    actions = StoreActions(store, today, contextlib.nullcontext, clock.now)
    outcome = run_review(console, session, actions, read_key, clock.now)
    store.close()
    print(
        json.dumps(
            {
                "queue_ms": queue_ms,
                "queue_size": len(queue),
                "first_card_ms": first_card_ms,
                "answered": outcome.answered,
                "latencies_ms": latencies,
                "record_ms": record_ms,
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
