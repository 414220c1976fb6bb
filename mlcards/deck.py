"""Deck files: YAML text -> a validated Deck, or a DeckError listing every problem as FILE:LINE.

The YAML is read strictly, from the parser's events rather than PyYAML's constructors, so that
every value keeps its line and nothing surprising gets through: no tags beyond the plain ones,
no anchors or aliases (an alias bomb is a few hundred bytes that expand without bound), no
duplicate keys, YAML 1.2 scalars only (``no`` stays the text "no"; no implicit dates or
sexagesimal numbers), strict UTF-8, a size cap checked before reading, and a nesting limit
enforced while parsing, so deep input cannot exhaust the stack.

A deck is data, never control: text holding a terminal control character after YAML has
decoded its escapes (``"\\e]52;..."`` in double quotes) is refused, and only regular files are
read (symlinks followed; loops, FIFOs and devices refused; reads stop at the cap whatever the
file's size says). What a deck may hold is checked on the composed tree by
``mlcards.deckcheck``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from mlcards.deckcheck import DeckChecker, Mapping, Node, Scalar, Sequence
from mlcards.deckfiles import find_deck_files, read_text
from mlcards.errors import DeckError
from mlcards.models import Deck
from mlcards.sanitize import describe_char, first_unsafe, quote_path

try:
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32

# Characters YAML refuses unescaped (C0/C1 controls, surrogates, U+FFFE/U+FFFF).
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)

# YAML 1.2 core schema, in the order PyYAML tries them for a plain scalar.
_CORE_SCHEMA = [
    ("bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")),
    ("null", re.compile(r"^(?:~|null|Null|NULL|)$")),
    ("int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")),
    (
        "float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
    ),
]
_PLAIN_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "!"}


class _Fatal(Exception):
    """A problem that stops reading the file (the rest cannot be trusted)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _scalar_kind(event: yaml.ScalarEvent) -> str:
    if event.tag is not None:
        return "str"  # "!" and "!!str" are the only explicit tags let through

    if not event.implicit[0]:
        return "str"  # quoted and block scalars are always text
    for kind, pattern in _CORE_SCHEMA:
        if pattern.match(event.value):
            return kind
    return "str"


class _Tree:
    """The node tree as the parser's events build it, one event at a time."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        self.stack: list[Mapping | Sequence] = []
        self.pending_key: list[tuple[str, int] | None] = []
        self.root: Node | None = None
        self.documents = 0

    def add(self, event: yaml.Event, line: int) -> None:
        """Take one event (not a stream's start or end), refusing what the format forbids."""
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _Fatal(line, "a deck file holds one YAML document; remove the '---'")
            return
        if isinstance(event, yaml.AliasEvent):
            raise _Fatal(line, f"aliases (*{event.anchor}) are not allowed in decks")
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            finished = self.stack.pop()
            self.pending_key.pop()
            if not self.stack:
                self.root = finished
            return
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Fatal(line, f"anchors (&{anchor}) are not allowed in decks")
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _PLAIN_TAGS:
            raise _Fatal(line, f"YAML tag {tag!r} is not allowed in decks")
        self._attach(self._node(event, line), line)

    def _node(self, event: yaml.Event, line: int) -> Node:
        if isinstance(event, yaml.ScalarEvent):
            unsafe = first_unsafe(event.value)
            if unsafe is not None:
                self.problems.append(
                    (
                        line,
                        f"{describe_char(unsafe)} is a terminal control character; deck "
                        "text cannot hold it (remove the escape sequence)",
                    )
                )
            return Scalar(event.value, _scalar_kind(event), line)
        if isinstance(event, yaml.MappingStartEvent):
            return Mapping({}, line)
        if isinstance(event, yaml.SequenceStartEvent):
            return Sequence([], line)
        raise _Fatal(line, f"unexpected YAML event {type(event).__name__}")  # pragma: no cover

    def _attach(self, node: Node, line: int) -> None:
        if self.stack:
            parent = self.stack[-1]
            if isinstance(parent, Sequence):
                parent.items.append(node)
            elif self.pending_key[-1] is None:
                if not isinstance(node, Scalar):
                    raise _Fatal(line, "mapping keys must be plain text")
                self.pending_key[-1] = (node.value, line)
                return
            else:
                key, key_line = self.pending_key[-1]
                self.pending_key[-1] = None
                if key in parent.items:
                    first = parent.items[key][0]
                    self.problems.append(
                        (key_line, f"duplicate key {key!r} (first at line {first})")
                    )
                else:
                    parent.items[key] = (key_line, node)
        elif isinstance(node, Scalar):
            self.root = node
        if isinstance(node, (Mapping, Sequence)):
            self.stack.append(node)
            self.pending_key.append(None)
            if len(self.stack) > MAX_DEPTH:
                raise _Fatal(line, f"nesting deeper than {MAX_DEPTH} levels")


def _compose(text: str, problems: list[tuple[int, str]]) -> Node | None:
    """Build a Node tree from parser events, iteratively, refusing what the format forbids.

    Lines are counted as editors count them (LF only) from each mark's character index, not
    from YAML's own count, which also breaks lines at NEL, U+2028 and U+2029.
    """
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        raise _Fatal(
            text.count("\n", 0, bad.start()) + 1,
            f"character U+{ord(bad.group()):04X} is not allowed in YAML; remove it, or write it "
            "as an escape inside double quotes",
        )
    breaks = [m.start() for m in re.finditer("\n", text)]

    def line_of(mark: yaml.Mark) -> int:
        return bisect.bisect_left(breaks, mark.index) + 1

    loader = None
    tree = _Tree(problems)
    try:
        loader = _BaseLoader(text)
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.StreamEndEvent):
                break
            if not isinstance(event, (yaml.StreamStartEvent, yaml.DocumentEndEvent)):
                tree.add(event, line_of(event.start_mark))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at_end = mark is not None and not text[mark.index :].strip()
        if mark is None or (at_end and exc.context_mark is not None):
            mark = exc.context_mark  # e.g. an unclosed quote: say where it opened
        where = line_of(mark) if mark is not None else 1
        message = exc.problem or exc.context or "invalid YAML"
        if at_end and exc.context:
            message = f"{message} ({exc.context})"
        raise _Fatal(where, f"YAML syntax error: {message}") from None
    except yaml.YAMLError as exc:
        raise _Fatal(1, f"YAML error: {' '.join(str(exc).split())}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return tree.root


def parse_deck(text: str, path: str = "<deck>") -> Deck:
    """Validate deck YAML text. Raises DeckError with every problem as ``PATH:LINE: message``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # lines as editors count them
    problems: list[tuple[int, str]] = []
    checker = DeckChecker(path)
    deck = None
    try:
        root = _compose(text, problems)
    except _Fatal as fatal:
        problems.append((fatal.line, fatal.message))
    else:
        deck = checker.deck(root)
    problems.extend(checker.problems)
    if problems or deck is None:
        problems.sort(key=lambda p: p[0])
        shown = quote_path(path)  # a file name cannot drive the terminal either
        raise DeckError([f"{shown}:{line}: {message}" for line, message in problems])
    return deck


def load_deck(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Deck:
    """Read and validate one deck file, refusing oversized or non-UTF-8 files before parsing."""
    return parse_deck(read_text(path, max_bytes, what="decks"), str(path))


def load_decks(paths: Iterable[Path], max_bytes: int = DEFAULT_MAX_BYTES) -> list[Deck]:
    """Load every file, collecting all problems of all files into one DeckError."""
    decks: list[Deck] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in find_deck_files(paths, problems):
        try:
            deck = load_deck(path, max_bytes)
        except DeckError as exc:
            problems.extend(exc.problems)
            continue
        if deck.id in seen:
            problems.append(
                f"{quote_path(path)}:1: deck id {deck.id!r} is also used by {seen[deck.id]}"
            )
            continue
        seen[deck.id] = quote_path(path)
        decks.append(deck)
    if problems:
        raise DeckError(problems)
    return decks
