"""``mlcards review`` in a real pseudo-terminal takes each card queued next as it read it
(no read inside the answer's transaction) while nothing but its own answers changed the
store: nothing it does between reading its queue and the first answer, or between answers,
writes outside them (``tests/store/test_queue_as_read.py`` has what does)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import deck_yaml, write
from pty_helpers import finish, import_deck, reviews, spawn

pytestmark = pytest.mark.slow  # drives `mlcards review` in a pseudo-terminal

HOOK = """\
import os

from mlcards.services import study

_unchanged = study.StoreSource.unchanged


def unchanged(self):
    found = _unchanged(self)
    with open(os.environ["MLCARDS_TEST_UNCHANGED"], "a") as log:
        log.write(f"{found}\\n")
    return found


study.StoreSource.unchanged = unchanged
"""


def test_review_takes_the_cards_queued_next_as_it_read_them(
    isolated_home: Path, tmp_path: Path
) -> None:
    deck = write(tmp_path / "toy.yaml", deck_yaml("toy", ("c1", "c2", "c3", "c4")))
    import_deck(isolated_home, tmp_path, deck)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(textwrap.dedent(HOOK))
    log = tmp_path / "unchanged.log"
    child = spawn(
        isolated_home,
        tmp_path,
        "--no-shuffle",
        "--deck",
        "toy",
        PYTHONPATH=str(hook),
        MLCARDS_TEST_UNCHANGED=str(log),
    )
    for _ in range(3):
        child.expect("don't know")
        child.send("1")  # Alpha, the right choice (no shuffle)
        child.expect("Rate it")
        child.send("4")
    child.expect("don't know")
    child.send("q")
    code, text = finish(child)
    assert code == 0, text
    assert [r["card_id"] for r in reviews(isolated_home)] == ["c1", "c2", "c3"]
    assert log.read_text().split() == ["True", "True", "True"]
