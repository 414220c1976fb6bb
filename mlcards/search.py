"""Anki's search language, for the part that applies to mlcards: query text -> a query value.

A small recursive-descent parser (the grammar below) that produces a tree of frozen values;
turning that tree into SQL is the store's business (``mlcards.store.search``), so this module
is pure and knows nothing of tables. Every malformed query raises ``QueryError`` naming the
column where it went wrong; nothing is guessed.

    query    := or_expr END
    or_expr  := and_expr ("or" and_expr)*
    and_expr := unary ("and"? unary)*
    unary    := "-" unary | "(" or_expr ")" | term
    term     := text | "quoted text" | key ":" value

Text is Anki's: ``*`` matches any run of characters, ``_`` one character, and a backslash
makes the next character literal (``\\*``, ``\\_``, ``\\:``, ``\\"``, ``\\(``, ``\\-``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mlcards.errors import UsageError

STATES = ("new", "learn", "review", "due", "suspended", "buried", "flagged", "leech", "retired")
PROPS = ("ivl", "due", "reps", "lapses", "ease", "s", "d", "r")
OPERATORS = ("<=", ">=", "!=", "<", ">", "=")
DAY_KEYS = ("rated", "wrong", "added", "introduced")
SCHEDULER_NAMES = ("sm2", "fsrs")
KEYS = ("deck", "tag", "is", "prop", *DAY_KEYS, "scheduler")
MAX_DAYS = 36500


class QueryError(UsageError):
    """A query that does not parse: the message names the column (1-based) and the query."""

    def __init__(self, message: str, query: str, position: int) -> None:
        self.position = position
        self.query = query
        super().__init__(f"search query, column {position + 1}: {message} (in {query!r})")


# -- the query value ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Everything:
    """The empty query: every card."""


@dataclass(frozen=True)
class Text:
    """Card text (title, question, choices, explanation) containing ``pattern``.

    ``pattern`` keeps Anki's wildcards: unescaped ``*`` and ``_`` are wildcards, and a
    backslash before ``*``, ``_`` or ``\\`` makes it literal; ``wildcard`` says whether
    there is any. ``literal`` is the text to find when there is none.
    """

    pattern: str
    wildcard: bool = False

    @property
    def literal(self) -> str:
        return unescape(self.pattern)


@dataclass(frozen=True)
class DeckIs:
    """A deck by id (or name), case-insensitive; in ``pattern`` an unescaped ``*`` is any
    run of characters (``_`` is just an underscore)."""

    pattern: str


@dataclass(frozen=True)
class TagIs:
    """A tag, case-insensitive, ``*`` for any run of characters; None for ``tag:none``."""

    pattern: str | None


@dataclass(frozen=True)
class StateIs:
    name: str


@dataclass(frozen=True)
class Prop:
    name: str
    op: str
    value: float


@dataclass(frozen=True)
class Days:
    """``rated``, ``wrong``, ``added`` or ``introduced`` within the last ``days`` study days
    (1 is today)."""

    key: str
    days: int


@dataclass(frozen=True)
class SchedulerIs:
    name: str


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple[Node, ...]


Node = Everything | Text | DeckIs | TagIs | StateIs | Prop | Days | SchedulerIs | Not | And | Or


def unescape(pattern: str) -> str:
    """A pattern's text with its escapes resolved (``\\*`` -> ``*``)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            i += 1
        out.append(pattern[i])
        i += 1
    return "".join(out)


def walk(node: Node) -> Iterator[Node]:
    """The node and every node under it."""
    yield node
    if isinstance(node, Not):
        yield from walk(node.node)
    elif isinstance(node, And | Or):
        for child in node.nodes:
            yield from walk(child)


def mentions_state(node: Node, name: str) -> bool:
    """Whether the query names ``is:NAME`` anywhere (``is:retired`` shows retired cards,
    which are hidden otherwise)."""
    return any(isinstance(n, StateIs) and n.name == name for n in walk(node))


def mentions_prop(node: Node, name: str) -> bool:
    return any(isinstance(n, Prop) and n.name == name for n in walk(node))


# -- lexing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", "-", "or", "and", "term"
    text: str
    """A term's text with the quotes removed and the escapes kept."""
    position: int
    quoted: bool = False


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token(char, char, i))
            i += 1
        elif char == "-" and (i + 1 >= n or query[i + 1].isspace()):
            raise QueryError("'-' negates what follows it, and nothing follows", query, i)
        elif char == "-":
            tokens.append(_Token("-", char, i))
            i += 1
        else:
            start, text, quoted, quote_at = i, [], False, -1
            while i < n:
                char = query[i]
                if char == "\\":
                    if i + 1 >= n:
                        raise QueryError("a backslash ends the query", query, i)
                    following = query[i + 1]
                    # an escaped quote, paren or dash is that character; other escapes stay
                    text.append(following if following in '"()-' else "\\" + following)
                    i += 2
                    continue
                if char == '"':
                    quoted = True
                    quote_at = -1 if quote_at >= 0 else i
                    i += 1
                    continue
                if quote_at < 0 and (char.isspace() or char in "()"):
                    break
                text.append(char)
                i += 1
            if quote_at >= 0:
                raise QueryError("this quote is never closed", query, quote_at)
            word = "".join(text)
            lowered = word.lower()
            if not quoted and lowered in ("or", "and"):
                tokens.append(_Token(lowered, word, start))
            else:
                tokens.append(_Token("term", word, start, quoted))
    return tokens


# -- parsing --------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _lex(query)
        self.at = 0

    def fail(self, message: str, position: int | None = None) -> QueryError:
        if position is None:
            position = (
                self.tokens[self.at].position if self.at < len(self.tokens) else len(self.query)
            )
        return QueryError(message, self.query, position)

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def parse(self) -> Node:
        if not self.tokens:
            return Everything()
        node = self.or_expr()
        token = self.peek()
        if token is not None:  # only a stray ")" stops or_expr early
            raise self.fail("')' closes no '('", token.position)
        return node

    def or_expr(self) -> Node:
        nodes = [self.and_expr()]
        while (token := self.peek()) is not None and token.kind == "or":
            self.at += 1
            nodes.append(self.and_expr())
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def and_expr(self) -> Node:
        nodes = [self.unary()]
        while (token := self.peek()) is not None and token.kind not in (")", "or"):
            if token.kind == "and":
                self.at += 1
            nodes.append(self.unary())
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def unary(self) -> Node:
        token = self.peek()
        if token is None:
            raise self.fail("the query ends where a search term was expected")
        if token.kind in ("or", "and"):
            raise self.fail(f"'{token.text}' needs a search term on each side")
        if token.kind == ")":
            raise self.fail("')' closes no '(' (or the group is empty)")
        self.at += 1
        if token.kind == "-":
            return Not(self.unary())
        if token.kind == "(":
            if (inner := self.peek()) is not None and inner.kind == ")":
                raise self.fail("an empty group '()'", token.position)
            node = self.or_expr()
            closing = self.peek()
            if closing is None:
                raise self.fail("this '(' is never closed", token.position)
            self.at += 1
            return node
        return _term(token, self.query)


def parse(query: str) -> Node:
    """The query value of Anki-style search text; ``QueryError`` when it is malformed."""
    return _Parser(query).parse()


def _split_key(text: str) -> tuple[str, str] | None:
    """``key:value`` at the first colon not escaped; None for plain text."""
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == ":":
            return text[:i], text[i + 1 :]
        i += 1
    return None


def _text(pattern: str) -> Text:
    """Text as typed: unescaped ``*``/``_`` stay wildcards; other escapes are resolved except
    those of ``*``, ``_`` and ``\\`` (which the pattern keeps)."""
    out, wildcard, i = [], False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            following = pattern[i + 1]
            out.append("\\" + following if following in "*_\\" else following)
            i += 2
            continue
        wildcard = wildcard or char in "*_"
        out.append(char)
        i += 1
    return Text("".join(out), wildcard)


def _term(token: _Token, query: str) -> Node:
    split = _split_key(token.text)
    if split is None:
        if not token.text:
            raise QueryError('an empty quoted text ""', query, token.position)
        return _text(token.text)
    raw_key, raw_value = split
    key = raw_key.lower()
    value = unescape(raw_value)
    at = token.position + len(raw_key) + 1 + (1 if query[token.position] == '"' else 0)

    def fail(message: str) -> QueryError:
        return QueryError(message, query, min(at, len(query)))

    if key not in KEYS:
        raise QueryError(
            f"unknown search key {raw_key!r} (keys: {', '.join(KEYS)}; to search for a colon "
            "in the text write \\:)",
            query,
            token.position,
        )
    if not value:
        raise fail(f"{key}: needs a value")
    if key == "deck":
        return DeckIs(_text(raw_value).pattern)
    if key == "tag":
        return TagIs(None if value.lower() == "none" else _text(raw_value).pattern)
    if key == "is":
        name = value.lower()
        if name not in STATES:
            raise fail(f"is:{value} is not one of {', '.join(STATES)}")
        return StateIs(name)
    if key == "scheduler":
        name = value.lower()
        if name not in SCHEDULER_NAMES:
            raise fail(f"scheduler:{value} is not one of {', '.join(SCHEDULER_NAMES)}")
        return SchedulerIs(name)
    if key == "prop":
        return _prop(value, fail)
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_DAYS:
        raise fail(f"{key}:{value}: give a whole number of days from 1 to {MAX_DAYS}")
    return Days(key, int(value))


def _prop(value: str, fail: Callable[[str], QueryError]) -> Prop:
    name_end = 0
    while name_end < len(value) and value[name_end].isalpha():
        name_end += 1
    name = value[:name_end].lower()
    if name not in PROPS:
        raise fail(f"prop:{value}: the property must be one of {', '.join(PROPS)}")
    rest = value[name_end:]
    op = next((o for o in OPERATORS if rest.startswith(o)), None)
    if op is None:
        raise fail(f"prop:{value}: a comparison ({' '.join(OPERATORS)}) must follow {name}")
    number = rest[len(op) :]
    try:
        parsed = float(number)
    except ValueError:
        parsed = math.nan
    if not math.isfinite(parsed) or not number.strip():
        raise fail(f"prop:{value}: {number!r} is not a number")
    if name in ("ivl", "due", "reps", "lapses") and parsed != int(parsed):
        raise fail(f"prop:{value}: {name} is a whole number of days or answers")
    return Prop(name, op, parsed)
