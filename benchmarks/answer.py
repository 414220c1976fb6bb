"""Answer-to-next-card latency of ``mlcards review``, measured in process. Prints JSON.

    MLCARDS_NOW=... python benchmarks/answer.py DB N

Builds the session exactly as ``mlcards review`` does (today's due cards, new cards, same-day
repeats; default limits), then drives the real ``ui.run_review`` loop with injected keys and a
rich Console writing to ``io.StringIO``. For each of N cards it picks the correct choice and
rates it 4. The latency of one answer runs from the moment the rating key is returned by the
key reader to the moment the loop asks for the next key, i.e. the answer is graded, written
(``Store.record``: one transaction, ``synchronous=FULL``) and the next question is drawn.
What a terminal adds on top (writing ~2 KB to the tty) is not included.
"""

from __future__ import annotations

import io
import json
import random
import sys
import time
from pathlib import Path


def main(db: Path, count: int) -> None:
    started = time.perf_counter()
    from rich.console import Console

    from mlcards import clock
    from mlcards.config import load_settings
    from mlcards.models import Choice, ReviewRecord, ScheduledCard
    from mlcards.render.review import CHOICE_KEYS
    from mlcards.review import run_review
    from mlcards.session import Session, build_queue
    from mlcards.store import Store

    class Recording(Session):
        last_order: list[Choice] = []

        def choice_order(self, item: ScheduledCard) -> list[Choice]:
            self.last_order = super().choice_order(item)
            return self.last_order

    settings = load_settings()
    store = Store.open(db)
    today = clock.study_day(clock.now(), settings.rollover_hour)
    new_done, reviews_done = store.log.counts_today(today)
    queue = build_queue(
        store.cards.due(today, max(settings.reviews_per_day - reviews_done, 0)),
        store.cards.new(max(settings.new_per_day - new_done, 0)),
        store.cards.repeats(today),
    )
    queue_ms = (time.perf_counter() - started) * 1000
    session = Recording(queue, today, rng=random.Random(1))
    console = Console(file=io.StringIO(), width=100, color_system=None)
    latencies: list[float] = []
    record_ms: list[float] = []
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

    def record(rec: ReviewRecord) -> int:
        t0 = time.perf_counter()
        review_id = store.log.record(rec)
        record_ms.append((time.perf_counter() - t0) * 1000)
        return review_id

    outcome = run_review(console, session, record, read_key, clock.now)
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
