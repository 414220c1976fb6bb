"""Each search filter against a small collection built here (``mlcards.store.search``), and
the full-text index kept right through imports, edits and retirements (``check``)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from helpers import at, build_history

from mlcards.deck import parse_deck
from mlcards.models import Deck
from mlcards.search import parse
from mlcards.services.admin import check
from mlcards.store import Store
from mlcards.store.search import SearchContext

TODAY = date(2026, 3, 20)
CTX = SearchContext(TODAY, day_start=lambda day: f"{day.isoformat()}T04:00:00.000Z")


def words_deck(extra: str = "", explanation: str = "Scaled dot-product.") -> Deck:
    text = textwrap.dedent(
        f"""\
        id: words
        name: Words
        cards:
          - id: w1
            title: Attention
            question: What does self-attention compute?
            choices:
              - {{id: a, text: Weighted sums of values}}
              - {{id: b, text: A convolution}}
            answer: a
            explanation: {explanation}
            tags: [attention, transformers]
          - id: w2
            question: What is KL divergence?
            choices:
              - {{id: a, text: A measure between distributions}}
              - {{id: b, text: A norm}}
            answer: a
            explanation: Not symmetric.
            tags: [info]
          - id: w3
            question: Which learning_rate schedule warms up?
            choices:
              - {{id: a, text: Linear warmup}}
              - {{id: b, text: Constant}}
            answer: a
            explanation: It grows first.
          - id: w4
            question: Pick the 100% right one
            choices:
              - {{id: a, text: Ünïcode ÉLAN}}
              - {{id: b, text: Other}}
            answer: a
            explanation: Only one.
            tags: [x]
        """
    )
    return parse_deck(text + extra, "words.yaml")


@pytest.fixture
def words(db_path: Path) -> Store:
    store = Store.open(db_path)
    store.decks.import_decks([words_deck()], at("2026-03-01"))
    return store


@pytest.fixture
def history(db_path: Path) -> Store:
    store = Store.open(db_path)
    build_history(store)
    return store


@pytest.fixture(scope="module")
def shared_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One history for the read-only tests (building it costs a second)."""
    with Store.open(tmp_path_factory.mktemp("history") / "mlcards.db") as store:
        build_history(store)
        yield store


@pytest.fixture(scope="module")
def shared_words(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with Store.open(tmp_path_factory.mktemp("words") / "mlcards.db") as store:
        store.decks.import_decks([words_deck()], at("2026-03-01"))
        yield store


def found(store: Store, query: str) -> list[str]:
    return [c.card.id for c in store.search.find(parse(query), CTX)]


TEXT = [
    ("attention", ["w1"]),
    ("ATTENTION", ["w1"]),
    ("dot-product", ["w1"]),
    ("convolution", ["w1"]),
    ("kl", ["w2"]),
    ("KL divergence", ["w2"]),
    ("attention -self", []),
    ("divergence or warmup", ["w2", "w3"]),
    ('"sums of values"', ["w1"]),
    ('"sums values"', []),
    ("learning_rate", ["w3"]),
    (r"learning\_rate", ["w3"]),
    ("learningXrate", []),
    ("warm*up", ["w3"]),
    ("100%", ["w4"]),
    ("élan", ["w4"]),
    ("-e", []),
    ("zzz", []),
    ("tag:transformers", ["w1"]),
    ("tag:trans*", ["w1"]),
    ("tag:INFO", ["w2"]),
    ("tag:none", ["w3"]),
    ("-tag:none", ["w1", "w2", "w4"]),
    ("deck:words", ["w1", "w2", "w3", "w4"]),
    ("deck:WO*", ["w1", "w2", "w3", "w4"]),
    ("deck:nope", []),
    ("(attention or kl) tag:info", ["w2"]),
]


@pytest.mark.parametrize(("query", "expected"), TEXT)
def test_text_decks_and_tags(shared_words: Store, query: str, expected: list[str]) -> None:
    assert found(shared_words, query) == expected


STATES = [
    ("is:new", ["a3"]),
    ("is:learn", ["a2", "leech", "b1"]),
    ("is:review", ["m1", "m2", "a1"]),
    ("is:due", ["m2", "a2", "leech"]),
    ("is:leech", ["leech"]),
    ("is:retired", ["b2"]),
    ("is:suspended", []),
    ("is:flagged", []),
    ("is:buried", []),
    ("prop:ivl>=10", ["m2", "a1"]),
    ("prop:due=1", ["b1"]),
    ("prop:due<=0", ["m2", "a2", "leech"]),
    ("prop:lapses>1", ["leech"]),
    ("prop:reps>5", ["m1", "leech"]),
    ("prop:ease<2.3", ["m1", "a2", "leech", "b1"]),
    ("rated:1", ["m1", "b1"]),
    ("rated:3", ["m1", "b1"]),
    ("wrong:1", []),
    ("wrong:20", ["m1", "a2", "leech", "b1"]),
    ("introduced:20", ["a1", "a2", "leech", "b1"]),
    ("added:1", []),
    ("added:100", ["m1", "m2", "a1", "a2", "a3", "leech", "b1"]),
    ("tag:lr", ["a1"]),
    ("scheduler:sm2", ["m1", "m2", "a1", "a2", "a3", "leech", "b1"]),
    ("scheduler:fsrs", []),
    ("prop:s>1", []),
    ("prop:r<0.9", []),
    ("deck:beta is:retired", ["b2"]),
    ("-is:new -is:retired", ["m1", "m2", "a1", "a2", "leech", "b1"]),
]


@pytest.mark.parametrize(("query", "expected"), STATES)
def test_states_properties_and_days(shared_history: Store, query: str, expected: list[str]) -> None:
    assert found(shared_history, query) == expected


def test_marks_are_found(history: Store) -> None:
    history.cards.suspend("alpha", "m1")
    history.cards.flag("alpha", "a1")
    history.cards.bury("alpha", "m2", date(2026, 3, 21))
    assert found(history, "is:suspended") == ["m1"]
    assert found(history, "is:flagged") == ["a1"]
    assert found(history, "is:buried") == ["m2"]
    assert found(history, "is:due") == ["a2", "leech"]  # neither suspended nor buried


def test_a_deck_on_fsrs_answers_scheduler_and_recall(history: Store) -> None:
    history.conn.execute(
        "UPDATE cards SET stability = 10, difficulty = 5.5 WHERE deck_id = 'beta' AND id = 'b1'"
    )
    fsrs = SearchContext(
        TODAY,
        fsrs_decks=frozenset({"beta"}),
        curves={"beta": (19 / 81, -0.5)},  # FSRS-4.5's curve: recall 90% after S days
    )
    ids = [c.card.id for c in history.search.find(parse("scheduler:fsrs"), fsrs)]
    assert ids == ["b1"]
    assert [c.card.id for c in history.search.find(parse("prop:s>=10 prop:d=0.5"), fsrs)] == ["b1"]
    # answered today: recall 1.0; ten days on (t = S): 0.9
    assert [c.card.id for c in history.search.find(parse("prop:r>0.99"), fsrs)] == ["b1"]
    later = SearchContext(date(2026, 3, 31), fsrs_decks=fsrs.fsrs_decks, curves=fsrs.curves)
    assert [c.card.id for c in history.search.find(parse("prop:r<0.91"), later)] == ["b1"]
    assert [c.card.id for c in history.search.find(parse("prop:r<0.89"), later)] == []


def test_sort_reverse_and_limit(history: Store) -> None:
    def ids(sort: str, reverse: bool = False, limit: int | None = None) -> list[str]:
        cards = history.search.find(parse("-is:new"), CTX, sort, reverse, limit)
        return [c.card.id for c in cards]

    assert ids("interval") == ["a2", "leech", "b1", "m1", "a1", "m2"]
    assert ids("interval", reverse=True)[:2] == ["m2", "a1"]
    assert ids("lapses", reverse=True, limit=2) == ["leech", "m1"]
    assert ids("due")[0] == "m2"
    assert ids("reviewed", reverse=True)[:2] == ["b1", "m1"]


def test_the_latest_answer_of_any_mode_is_shown(history: Store) -> None:
    (b1,) = history.search.find(parse("deck:beta"), CTX)
    assert b1.last_correct is True and (b1.last_answered or "").startswith("2026-03-20")
    (a3,) = history.search.find(parse("is:new"), CTX)
    assert a3.last_correct is None and a3.stage == "new"


def test_the_index_follows_imports_edits_and_retirements(words: Store) -> None:
    assert words.search.index_problems() == []
    edited = words_deck(explanation="Softmax of scaled scores.")
    words.decks.import_decks([edited], at("2026-03-02"))
    assert found(words, "softmax") == ["w1"]
    assert found(words, "dot-product") == []
    w5 = textwrap.indent(
        "- id: w5\n  question: Newcomer question?\n  choices:\n    - {id: a, text: Yes}\n"
        "    - {id: b, text: No}\n  answer: a\n  explanation: Added later.\n",
        "  ",
    )
    words.decks.import_decks([words_deck(w5)], at("2026-03-03"))
    assert found(words, "newcomer") == ["w5"]
    words.decks.import_decks([words_deck()], at("2026-03-04"))  # w5 retired
    assert found(words, "newcomer") == []
    assert found(words, "newcomer is:retired") == ["w5"]
    assert words.search.index_problems() == []


def test_check_finds_a_wrong_index_and_repair_rebuilds_it(words: Store) -> None:
    words.conn.execute("DELETE FROM card_text WHERE rowid = 1")
    words.conn.execute("UPDATE card_text SET text = 'something else' WHERE rowid = 2")
    words.conn.execute("INSERT INTO card_text (rowid, text) VALUES (99, 'stray')")
    result = check(words)
    assert not result.ok
    assert result.index == [
        "words/w1: missing from the search index",
        "words/w2: the search index holds other text",
        "1 search index row(s) belong to no card",
    ]
    assert found(words, "kl divergence") == []
    repaired = check(words, repair=True)
    assert repaired.ok and repaired.repaired
    assert check(words).index == []
    assert found(words, "kl divergence") == ["w2"]


def test_a_list_reads_the_text_it_shows_and_one_card_reads_it_whole(words: Store) -> None:
    """``find`` takes a card's title, question and tags from SQLite (no choices: a list
    shows none); ``card`` gives the same card whole, and both agree on what a list shows."""
    (listed,) = [c for c in words.search.find(parse("deck:words"), CTX) if c.card.id == "w1"]
    whole = words.search.card("words", "w1")
    assert whole is not None and len(whole.card.choices) == 2 and whole.card.answer == ("a",)
    assert listed.card.choices == ()
    for field in ("id", "title", "question", "tags", "line"):
        assert getattr(listed.card, field) == getattr(whole.card, field)
    assert listed.card.tags == ("attention", "transformers")
    assert replace(listed, card=whole.card) == whole


def test_the_index_gathers_8_mb_before_writing(words: Store) -> None:
    """Migration 16: FTS5's in-memory batch raised from 1 MB (imports write fewer segments)."""
    from mlcards.store.migrations import CARD_TEXT_HASHSIZE

    config = dict(words.search.database.conn.execute("SELECT k, v FROM card_text_config"))
    assert config["hashsize"] == CARD_TEXT_HASHSIZE == 8 << 20


def test_the_latest_answer_is_the_latest_in_the_log_order_after_a_sync(tmp_path: Path) -> None:
    """An answer given earlier on another computer arrives with a higher row id than this
    computer's later one: the latest answer (``cards``' Last column, ``--sort reviewed``) is
    the latest in the log's order, not the last row written."""
    from datetime import timedelta

    from sync_helpers import Device, deck

    from mlcards.models import Quality

    folder = tmp_path / "folder"
    here = Device(tmp_path / "a" / "mlcards.db", folder, skew=timedelta(hours=2))
    there = Device(tmp_path / "b" / "mlcards.db", folder)
    for device in (here, there):
        device.import_deck(deck())
    here.answer([Quality.GOOD])  # toy/c1, right, two hours after...
    there.answer([Quality.WRONG])  # ...toy/c1 answered wrong over there
    there.sync()
    here.sync()
    card = here.store.search.card("toy", "c1")
    [listed] = here.store.search.find(parse("deck:toy -is:new"), SearchContext(here.today))
    for shown in (card, listed):
        assert shown is not None and shown.last_correct is True
        assert (shown.last_answered or "").startswith("2026-01-01T14")
