"""Work done on a helper thread while a commit runs (``alongside``).

A commit writes its pages and syncs the log file with the GIL released, so Python work that
needs no database can run meanwhile on another core: an answer's next screen is laid out
while the answer commits (``review/ahead.py``), and the two take the time of the longer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress

_helper: tuple[int, Callable[[Callable[[], object]], None], Callable[[], object]] | None = None
"""The process the helper thread runs in, how to hand it a job, how to wait for it."""


def alongside(job: Callable[[], object] | None) -> AbstractContextManager[None]:
    """Run ``job`` on a helper thread while the block runs (a commit, which writes and syncs
    with the GIL released) and wait for it at the block's end, whatever the block did. What
    ``job`` raises is dropped: it is work done ahead (the next screen), done again if not."""
    if job is None:
        return nullcontext()
    return _alongside(job)


@contextmanager
def _alongside(job: Callable[[], object]) -> Iterator[None]:
    global _helper
    if _helper is None or _helper[0] != os.getpid():  # (a forked child has no helper)
        import queue
        import threading

        jobs: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        finished: queue.SimpleQueue[object] = queue.SimpleQueue()

        def work() -> None:
            while True:
                task = jobs.get()
                with suppress(Exception):  # (see alongside)
                    task()
                finished.put(None)

        threading.Thread(target=work, name="mlcards-alongside", daemon=True).start()
        _helper = (os.getpid(), jobs.put, finished.get)
    _, submit, wait = _helper
    submit(job)
    try:
        yield
    finally:
        wait()
