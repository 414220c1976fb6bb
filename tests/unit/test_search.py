"""The search parser (``mlcards.search``) against a table of queries: the examples of Anki's
manual that apply to mlcards, every key, and malformed queries with the column named."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcards.errors import UsageError
from mlcards.search import (
    And,
    Days,
    DeckIs,
    Everything,
    Node,
    Not,
    Or,
    Prop,
    QueryError,
    SchedulerIs,
    StateIs,
    TagIs,
    Text,
    mentions_state,
    parse,
)

T = Text

PARSED: list[tuple[str, Node]] = [
    # Anki manual, "Simple searches"
    ("", Everything()),
    ("dog", T("dog")),
    ("dog cat", And((T("dog"), T("cat")))),
    ("dog or cat", Or((T("dog"), T("cat")))),
    ("dog OR cat", Or((T("dog"), T("cat")))),
    ("dog and cat", And((T("dog"), T("cat")))),
    ("dog (cat or mouse)", And((T("dog"), Or((T("cat"), T("mouse")))))),
    ("-cat", Not(T("cat"))),
    ("-cat -mouse", And((Not(T("cat")), Not(T("mouse"))))),
    ("-(cat or mouse)", Not(Or((T("cat"), T("mouse"))))),
    ('"a dog"', T("a dog")),
    ('-"a dog"', Not(T("a dog"))),
    ("d_g", T("d_g", wildcard=True)),
    ("d*g", T("d*g", wildcard=True)),
    (r"d\*g", T(r"d\*g")),
    (r"d\_g", T(r"d\_g")),
    (r"a\:b", T("a:b")),
    (r"\-x", T("-x")),
    (r"\"quoted\"", T('"quoted"')),
    ("self-attention", T("self-attention")),
    ('"or"', T("or")),
    ("a or b c", Or((T("a"), And((T("b"), T("c")))))),
    ("((a))", T("a")),
    # decks and tags
    ("deck:french", DeckIs("french")),
    ("deck:fr*", DeckIs("fr*")),
    ('deck:"french vocab"', DeckIs("french vocab")),
    ('"deck:french vocab"', DeckIs("french vocab")),
    ("-deck:french", Not(DeckIs("french"))),
    ("DECK:x", DeckIs("x")),
    ("tag:animal", TagIs("animal")),
    ("tag:ani*", TagIs("ani*")),
    ("tag:none", TagIs(None)),
    ("tag:NONE", TagIs(None)),
    # states
    ("is:new", StateIs("new")),
    ("is:learn", StateIs("learn")),
    ("is:review", StateIs("review")),
    ("is:due", StateIs("due")),
    ("is:suspended", StateIs("suspended")),
    ("is:buried", StateIs("buried")),
    ("is:flagged", StateIs("flagged")),
    ("is:leech", StateIs("leech")),
    ("is:retired", StateIs("retired")),
    ("is:DUE", StateIs("due")),
    # properties
    ("prop:ivl>=10", Prop("ivl", ">=", 10)),
    ("prop:due=1", Prop("due", "=", 1)),
    ("prop:due=-1", Prop("due", "=", -1)),
    ("prop:due>-1 prop:due<1", And((Prop("due", ">", -1), Prop("due", "<", 1)))),
    ("prop:reps<10", Prop("reps", "<", 10)),
    ("prop:lapses>3", Prop("lapses", ">", 3)),
    ("prop:ease!=2.5", Prop("ease", "!=", 2.5)),
    ("prop:ease<=2", Prop("ease", "<=", 2)),
    ("prop:s>21", Prop("s", ">", 21)),
    ("prop:d>5", Prop("d", ">", 5)),
    ("prop:r<0.9", Prop("r", "<", 0.9)),
    # answers and days
    ("rated:1", Days("rated", 1)),
    ("rated:7", Days("rated", 7)),
    ("wrong:7", Days("wrong", 7)),
    ("added:1", Days("added", 1)),
    ("introduced:365", Days("introduced", 365)),
    ("scheduler:fsrs", SchedulerIs("fsrs")),
    ("scheduler:SM2", SchedulerIs("sm2")),
    (
        "tag:attention wrong:7",
        And((TagIs("attention"), Days("wrong", 7))),
    ),
]


@pytest.mark.parametrize(("query", "expected"), PARSED, ids=[q or "empty" for q, _ in PARSED])
def test_a_query_parses_to_its_value(query: str, expected: Node) -> None:
    assert parse(query) == expected


MALFORMED: list[tuple[str, int, str]] = [
    ("(dog", 1, "never closed"),
    ("dog)", 4, "closes no"),
    ("()", 1, "empty group"),
    ("or dog", 1, "needs a search term"),
    ("dog or", 7, "ends where"),
    ("dog or or cat", 8, "needs a search term"),
    ('"dog', 1, "quote is never closed"),
    ('a deck:"x', 8, "quote is never closed"),
    ("- dog", 1, "negates"),
    ("dog -", 5, "negates"),
    ("dog\\", 4, "backslash"),
    ("foo:bar", 1, "unknown search key"),
    ("deck:", 6, "needs a value"),
    ("is:maybe", 4, "is:maybe"),
    ("prop:size>1", 6, "property"),
    ("prop:ivl", 6, "comparison"),
    ("prop:ivl>", 6, "not a number"),
    ("prop:ivl>abc", 6, "not a number"),
    ("prop:ivl>1.5", 6, "whole number"),
    ("prop:ease>inf", 6, "not a number"),
    ("rated:0", 7, "whole number of days"),
    ("rated:x", 7, "whole number of days"),
    ("added:99999999", 7, "whole number of days"),
    ("scheduler:anki", 11, "sm2, fsrs"),
    ('""', 1, "empty quoted"),
]


@pytest.mark.parametrize(("query", "column", "words"), MALFORMED)
def test_a_malformed_query_names_its_column(query: str, column: int, words: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert isinstance(caught.value, UsageError) and caught.value.exit_code == 2
    assert f"column {column}:" in str(caught.value)
    assert words in str(caught.value)
    assert repr(query) in str(caught.value)


def test_literal_text_resolves_its_escapes() -> None:
    assert Text(r"a\*b\_c\\d").literal == "a*b_c\\d"


def test_mentions_finds_a_state_under_negation_and_groups() -> None:
    assert mentions_state(parse("a (b or -is:retired)"), "retired")
    assert not mentions_state(parse("a (b or -is:due)"), "retired")


ALPHABET = 'ab -()"\\:*_orAND' + "deck:tag:is:prop:<=>!1.é\t"


@given(st.text(alphabet=ALPHABET, max_size=40) | st.text(max_size=20))
def test_any_text_parses_or_is_a_query_error(query: str) -> None:
    """Whatever is typed, the parser gives a value or a QueryError naming a column inside
    the query (or just past its end), never another exception."""
    try:
        parse(query)
    except QueryError as exc:
        assert 0 <= exc.position <= len(query)


@settings(deadline=None)  # the first example builds the schema
@given(st.text(alphabet=ALPHABET, max_size=30))
def test_every_query_value_becomes_sql_that_runs(query: str) -> None:
    """Whatever parses also compiles to SQL SQLite accepts, with one parameter per mark."""
    from datetime import date

    from mlcards.store.search import SearchContext, compile_query

    try:
        node = parse(query)
    except QueryError:
        return
    sql, params = compile_query(node, SearchContext(date(2026, 1, 1)))
    assert sql.count("?") == len(params)
    conn = _schema()
    conn.execute(
        f"SELECT count(*) FROM cards c JOIN decks d ON d.id = c.deck_id WHERE {sql}", params
    )


_CONN: list[sqlite3.Connection] = []


def _schema() -> sqlite3.Connection:
    """An empty migrated database, made once (nothing is written to it)."""
    if not _CONN:
        from mlcards.store import Store

        _CONN.append(Store.in_memory().conn)
    return _CONN[0]
