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
import gc
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from mlcards.deckcheck import DeckChecker, Mapping, Node, Scalar, Sequence
from mlcards.deckfiles import find_deck_files, read_text
from mlcards.errors import DeckError
from mlcards.models import Deck
from mlcards.sanitize import UNSAFE, describe_char, first_unsafe, quote_path

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
_TYPED_WORDS = frozenset(
    ("true", "True", "TRUE", "false", "False", "FALSE", "~", "null", "Null", "NULL", "")
)
_NUMBER_START = frozenset("-+.0123456789")
_PRINTABLE_ASCII = b"\t\n" + bytes(range(0x20, 0x7F))


class _Fatal(Exception):
    """A problem that stops reading the file (the rest cannot be trusted)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _plain_kind(value: str) -> str:
    """What YAML 1.2 reads a plain, untagged scalar as. Only called for one that starts
    like a number or is one of the words the patterns take (``_TYPED_WORDS``, and the same
    followed by a line break, which ``$`` also matches): any other is text, and most of a
    deck is."""
    for kind, pattern in _CORE_SCHEMA:
        if pattern.match(value):
            return kind
    return "str"


def _refuse_anchor_or_tag(event: Any, line: int) -> None:
    if event.anchor is not None:
        raise _Fatal(line, f"anchors (&{event.anchor}) are not allowed in decks")
    tag = event.tag
    if tag is not None and tag not in _PLAIN_TAGS:
        raise _Fatal(line, f"YAML tag {tag!r} is not allowed in decks")


def _unsafe_problem(value: str) -> str | None:
    unsafe = first_unsafe(value)
    if unsafe is None:
        return None
    return (
        f"{describe_char(unsafe)} is a terminal control character; deck text cannot hold it "
        "(remove the escape sequence)"
    )


class _Tree:
    """The node tree as the parser's events build it, refusing what the format forbids.

    ``screen_all`` says whether every scalar must be screened for terminal control
    characters: when the file's text holds none, only a double-quoted scalar (whose escapes
    YAML decodes) or one holding ``&`` (an HTML character reference) can produce one.
    """

    def __init__(self, problems: list[tuple[int, str]], screen_all: bool) -> None:
        self.problems = problems
        self.screen_all = screen_all
        self.stack: list[Mapping | Sequence] = []
        self.pending_key: list[tuple[str, int] | None] = []
        self.root: Node | None = None
        self.documents = 0

    def build(self, next_event: Callable[[], Any], line_of: Callable[[Any], int] | None) -> None:
        """Take every event up to the stream's end (``line_of`` None: YAML's own line count
        is the editor's, see ``_direct_lines``). One loop with the node kinds inlined, and
        no node made for a mapping's key: it runs for each of a deck's events (half a
        million in 10,000 cards)."""
        stack, pending = self.stack, self.pending_key
        screen_all, problems = self.screen_all, self.problems
        scalar, mapping = yaml.ScalarEvent, yaml.MappingStartEvent
        while True:
            event = next_event()
            kind = type(event)
            if kind is scalar or kind is mapping or kind is yaml.SequenceStartEvent:
                line = event.start_mark.line + 1 if line_of is None else line_of(event.start_mark)
                tag = event.tag
                if event.anchor is not None or (tag is not None and tag not in _PLAIN_TAGS):
                    _refuse_anchor_or_tag(event, line)
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                finished = stack.pop()
                pending.pop()
                if not stack:
                    self.root = finished
                continue
            elif kind is yaml.StreamEndEvent:
                return
            elif kind is yaml.StreamStartEvent or kind is yaml.DocumentEndEvent:
                continue
            else:
                self._other(
                    event, line_of(event.start_mark) if line_of else event.start_mark.line + 1
                )
                continue
            if kind is scalar:
                value = event.value
                if screen_all or event.style == '"' or "&" in value:
                    problem = _unsafe_problem(value)
                    if problem is not None:
                        problems.append((line, problem))
                if stack and pending[-1] is None and type(stack[-1]) is Mapping:
                    pending[-1] = (value, line)  # a key: its value comes next
                    continue
                typed = (
                    tag is None
                    and event.implicit[0]
                    and (value[:1] in _NUMBER_START or value.removesuffix("\n") in _TYPED_WORDS)
                )
                node: Node = Scalar(value, _plain_kind(value) if typed else "str", line)
            else:
                node = Mapping({}, line) if kind is mapping else Sequence([], line)
            if stack:
                parent = stack[-1]
                if type(parent) is Sequence:
                    parent.items.append(node)
                elif pending[-1] is None:
                    raise _Fatal(line, "mapping keys must be plain text")
                else:
                    key, key_line = pending[-1]
                    pending[-1] = None
                    if key in parent.items:  # the first value is kept
                        first = parent.items[key][0]  # type: ignore[call-overload]
                        problems.append(
                            (key_line, f"duplicate key {key!r} (first at line {first})")
                        )
                    else:
                        parent.items[key] = (key_line, node)  # type: ignore[call-overload]
            elif kind is scalar:
                self.root = node
            if kind is not scalar:
                stack.append(node)  # type: ignore[arg-type]
                pending.append(None)
                if len(stack) > MAX_DEPTH:
                    raise _Fatal(line, f"nesting deeper than {MAX_DEPTH} levels")

    def _other(self, event: yaml.Event, line: int) -> None:
        """A document's start (only one is allowed), or what a deck can never hold."""
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _Fatal(line, "a deck file holds one YAML document; remove the '---'")
            return
        if isinstance(event, yaml.AliasEvent):
            raise _Fatal(line, f"aliases (*{event.anchor}) are not allowed in decks")
        raise _Fatal(line, f"unexpected YAML event {type(event).__name__}")  # pragma: no cover


def _lines_by_index(text: str) -> Callable[[Any], int]:
    """A mark's line as editors count them (LF only), from its character index: YAML's own
    count also breaks lines at NEL, U+2028 and U+2029, and adds one at the end of a file
    whose last line has no line break."""
    breaks = [m.start() for m in re.finditer("\n", text)]
    return lambda mark: bisect.bisect_left(breaks, mark.index) + 1


def _direct_lines(text: str) -> bool:
    """Whether YAML's own line count of a node's mark is ``_lines_by_index``'s: no NEL,
    U+2028 or U+2029; a line break at the end (else a node at the very end, such as the
    empty document of ``---``, is on the extra line YAML adds). ``test_deck_compose``
    compares them."""
    return (
        text.endswith("\n") and "\x85" not in text and "\u2028" not in text and "\u2029" not in text
    )


def _printable_ascii(text: str) -> bool:
    """ASCII with no control character but tab and line feed: neither ``_NOT_PRINTABLE``
    nor ``UNSAFE`` can match it, and this is found several times faster than by either."""
    return text.isascii() and not text.encode("ascii").translate(None, _PRINTABLE_ASCII)


def _compose(text: str, problems: list[tuple[int, str]]) -> Node | None:
    """Build a Node tree from parser events, iteratively, refusing what the format forbids.

    A leading byte order mark is dropped first, as ``read_text`` drops it: libyaml leaves it
    out of its marks' indexes (the pure-Python parser counts it), so no line found from an
    index could be right for both."""
    text = text.lstrip("\ufeff")
    clean = _printable_ascii(text)
    bad = None if clean else _NOT_PRINTABLE.search(text)
    if bad:
        raise _Fatal(
            text.count("\n", 0, bad.start()) + 1,
            f"character U+{ord(bad.group()):04X} is not allowed in YAML; remove it, or write it "
            "as an escape inside double quotes",
        )
    loader = None
    tree = _Tree(problems, screen_all=not clean and UNSAFE.search(text) is not None)
    try:
        loader = _BaseLoader(text)
        tree.build(loader.get_event, None if _direct_lines(text) else _lines_by_index(text))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at_end = mark is not None and not text[mark.index :].strip()
        if mark is None or (at_end and exc.context_mark is not None):
            mark = exc.context_mark  # e.g. an unclosed quote: say where it opened
        where = _lines_by_index(text)(mark) if mark is not None else 1
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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a deck is read: the node tree holds no cycle
    (reference counting frees all of it), but each of its half a million objects counts
    towards the next collection, and every collection walks all the tree built so far:
    about a fifth of reading 10,000 cards. Resumed (if it ran before) on any exit; a cycle
    made meanwhile (an exception's traceback) is collected then."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_deck(text: str, path: str = "<deck>") -> Deck:
    """Validate deck YAML text. Raises DeckError with every problem as ``PATH:LINE: message``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # lines as editors count them
    problems: list[tuple[int, str]] = []
    checker = DeckChecker(path)
    deck = None
    with _collector_paused():
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
