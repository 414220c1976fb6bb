"""The deck format, checked on a tree of YAML nodes that keep their lines: every problem of
a deck found in one walk (not the first only), each with its line, and a ``Deck`` only when
there is none.

No YAML here: ``mlcards.deck`` composes the tree (strictly, from the parser's events), and
this module knows only the nodes and what a deck, a card, a choice, a reference and a source
may hold.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date

from mlcards.models import Card, Choice, Deck, Reference

MIN_CHOICES, MAX_CHOICES = 2, 10
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_URL = re.compile(r"https?://\S+")


@dataclass(slots=True)
class Scalar:
    value: str
    kind: str  # "str", "bool", "null", "int" or "float": what YAML 1.2 reads it as
    line: int


@dataclass(slots=True)
class Mapping:
    items: dict[str, tuple[int, Node]]  # key -> (line of the key, value)
    line: int


@dataclass(slots=True)
class Sequence:
    items: list[Node]
    line: int


Node = Scalar | Mapping | Sequence
_KIND_WORDS = {"bool": "true/false", "null": "empty (null)", "int": "a number", "float": "a number"}


def _describe(node: Node) -> str:
    if isinstance(node, Mapping):
        return "a mapping"
    if isinstance(node, Sequence):
        return "a list"
    return _KIND_WORDS.get(node.kind, "text")


def _is_date(text: str) -> bool:
    if not _DATE.fullmatch(text) or not text.isascii():
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _id_of(node: Node) -> str:
    if isinstance(node, Mapping) and "id" in node.items:
        value = node.items["id"][1]
        if isinstance(value, Scalar):
            return value.value
    return ""


class _Fields:
    """Reads one mapping's keys as the deck format's kinds of value (text, true/false, a
    slug, a list), noting every problem with its line instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[tuple[int, str]] = []

    def error(self, line: int, message: str) -> None:
        self.problems.append((line, message))

    def keys(
        self, node: Mapping, where: str, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> None:
        items = node.items
        for key, (line, _) in items.items():
            if key not in required and key not in optional:
                hint = difflib.get_close_matches(key, [*required, *optional], n=1)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                self.error(line, f"{where}: unknown key {key!r}{suggestion}")
        for key in required:
            if key not in items:
                self.error(node.line, f"{where}: missing required key {key!r}")

    def text(
        self, node: Mapping, key: str, where: str, *, required: bool = True, empty_ok: bool = False
    ) -> str:
        if key not in node.items:
            return ""
        _, value = node.items[key]
        if not isinstance(value, Scalar) or value.kind != "str":
            if isinstance(value, Scalar) and value.kind != "null":
                self.error(
                    value.line,
                    f"{where}: {key!r} must be text, but YAML reads {value.value} as "
                    f'{_describe(value)}; put it in quotes: "{value.value}"',
                )
            elif isinstance(value, Scalar) and required:
                self.error(value.line, f"{where}: {key!r} must not be empty")
            elif not isinstance(value, Scalar):
                self.error(value.line, f"{where}: {key!r} must be text, not {_describe(value)}")
            return ""
        if required and not empty_ok and (not value.value or value.value.isspace()):
            self.error(value.line, f"{where}: {key!r} must not be empty")
        return value.value

    def flag(self, node: Mapping, key: str, where: str, *, default: bool) -> bool:
        """A true/false key (YAML 1.2 booleans only); ``default`` when absent."""
        if key not in node.items:
            return default
        _, value = node.items[key]
        if isinstance(value, Scalar) and value.kind == "bool":
            return value.value.lower() == "true"
        shown = value.value if isinstance(value, Scalar) else _describe(value)
        self.error(value.line, f"{where}: {key!r} must be true or false, not {shown!r}")
        return default

    def slug(self, node: Mapping, key: str, where: str) -> str:
        value = self.text(node, key, where)
        if value and not _SLUG.fullmatch(value):
            line = node.items[key][1].line
            self.error(
                line,
                f"{where}: {key} {value!r} must be a slug: lowercase letters, digits, '-' or '_', "
                "at most 64 characters",
            )
        return value

    def seq(self, node: Mapping, key: str, where: str) -> list[Node]:
        if key not in node.items:
            return []
        _, value = node.items[key]
        if isinstance(value, Scalar) and value.kind == "null":
            return []
        if not isinstance(value, Sequence):
            self.error(value.line, f"{where}: {key!r} must be a list, not {_describe(value)}")
            return []
        return value.items


class DeckChecker(_Fields):
    """Walks the composed tree against the deck format, collecting every problem."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.deck_shuffle = True

    def deck(self, root: Node | None) -> Deck | None:
        if not isinstance(root, Mapping):
            line = root.line if root is not None else 1
            self.error(line, "a deck file must be a mapping with id, name and cards")
            return None
        self.keys(root, "deck", ("id", "name", "cards"), ("description", "shuffle"))
        deck_id = self.slug(root, "id", "deck")
        name = self.text(root, "name", "deck")
        description = self.text(root, "description", "deck", required=False)
        self.deck_shuffle = self.flag(root, "shuffle", "deck", default=True)
        cards: list[Card] = []
        seen: dict[str, int] = {}
        items = self.seq(root, "cards", "deck")
        if "cards" in root.items and not items:
            self.error(root.items["cards"][0], "deck: 'cards' must list at least one card")
        for item in items:
            card = self.card(item)
            card_id = _id_of(item)
            if card_id in seen:
                self.error(
                    item.line, f"duplicate card id {card_id!r} (first at line {seen[card_id]})"
                )
            elif card_id:
                seen[card_id] = item.line
                if card is not None:
                    cards.append(card)
        if self.problems:
            return None
        return Deck(deck_id, name, tuple(cards), description, self.path)

    def card(self, node: Node) -> Card | None:
        if not isinstance(node, Mapping):
            self.error(node.line, f"each card must be a mapping, not {_describe(node)}")
            return None
        before = len(self.problems)
        where = "card"
        if "id" in node.items:
            card_id = self.slug(node, "id", "card")
            where = f"card {card_id!r}" if card_id else "card"
        else:
            card_id = ""
        self.keys(
            node,
            where,
            ("id", "question", "choices", "answer", "explanation"),
            ("title", "references", "tags", "source", "shuffle"),
        )
        shuffle = self.flag(node, "shuffle", where, default=self.deck_shuffle)
        title = self.text(node, "title", where, required=False)
        question = self.text(node, "question", where)
        explanation = self.text(node, "explanation", where)
        choices = self.choices(node, where)
        answer, multiple = self.answer(node, where, {c.id for c in choices})
        references = self.references(node, where)
        tags = self.tags(node, where)
        source = self.source(node, where)
        if len(self.problems) > before:
            return None
        return Card(
            id=card_id,
            question=question,
            choices=tuple(choices),
            answer=answer,
            explanation=explanation,
            multiple=multiple,
            title=title,
            references=tuple(references),
            tags=tuple(tags),
            source=tuple(sorted(source.items())),
            line=node.line,
            shuffle=shuffle,
        )

    def choices(self, card: Mapping, where: str) -> list[Choice]:
        items = self.seq(card, "choices", where)
        if "choices" in card.items and not MIN_CHOICES <= len(items) <= MAX_CHOICES:
            self.error(
                card.items["choices"][0],
                f"{where}: a card needs {MIN_CHOICES} to {MAX_CHOICES} choices, found {len(items)}",
            )
        choices: list[Choice] = []
        seen: dict[str, int] = {}
        in_choice = f"{where} choice"
        for item in items:
            if not isinstance(item, Mapping):
                self.error(
                    item.line,
                    f"{where}: each choice must be a mapping with 'id' and 'text', "
                    f"not {_describe(item)}",
                )
                continue
            self.keys(item, in_choice, ("id", "text"), ("feedback",))
            choice_id = self.slug(item, "id", in_choice)
            named = f"{in_choice} {choice_id!r}"
            text = self.text(item, "text", named)
            feedback = self.text(item, "feedback", named)
            if choice_id in seen:
                self.error(
                    item.line,
                    f"{where}: duplicate choice id {choice_id!r} (first at line {seen[choice_id]})",
                )
            elif choice_id:
                seen[choice_id] = item.line
                choices.append(Choice(choice_id, text, feedback))
        return choices

    def answer(
        self, card: Mapping, where: str, choice_ids: set[str]
    ) -> tuple[tuple[str, ...], bool]:
        if "answer" not in card.items:
            return (), False
        _, node = card.items["answer"]
        multiple = isinstance(node, Sequence)
        raw: list[Node] = node.items if isinstance(node, Sequence) else [node]
        if multiple and not raw:
            self.error(node.line, f"{where}: 'answer' lists no choice")
        answer: list[str] = []
        for item in raw:
            if not isinstance(item, Scalar) or item.kind == "null":
                self.error(item.line, f"{where}: 'answer' must name choice ids")
                continue
            if item.value not in choice_ids:
                known = ", ".join(sorted(choice_ids)) or "none"
                self.error(
                    item.line,
                    f"{where}: answer {item.value!r} names no choice of this card "
                    f"(choice ids: {known})",
                )
            elif item.value in answer:
                self.error(item.line, f"{where}: answer {item.value!r} is listed twice")
            else:
                answer.append(item.value)
        return tuple(answer), multiple

    def references(self, card: Mapping, where: str) -> list[Reference]:
        refs: list[Reference] = []
        for item in self.seq(card, "references", where):
            if not isinstance(item, Mapping):
                self.error(item.line, f"{where}: each reference needs 'title' and 'url'")
                continue
            self.keys(item, f"{where} reference", ("title", "url"), ())
            title = self.text(item, "title", f"{where} reference")
            url = self.text(item, "url", f"{where} reference")
            if url and not _URL.fullmatch(url):
                self.error(
                    item.items["url"][1].line,
                    f"{where}: reference url {url!r} must start with http:// or https://",
                )
            refs.append(Reference(title, url))
        return refs

    def tags(self, card: Mapping, where: str) -> list[str]:
        tags: list[str] = []
        for item in self.seq(card, "tags", where):
            if (
                not isinstance(item, Scalar)
                or item.kind != "str"
                or not _SLUG.fullmatch(item.value)
            ):
                shown = item.value if isinstance(item, Scalar) else _describe(item)
                self.error(item.line, f"{where}: tag {shown!r} must be a slug (e.g. batch-norm)")
            elif item.value not in tags:
                tags.append(item.value)
        return tags

    def source(self, card: Mapping, where: str) -> dict[str, str]:
        if "source" not in card.items:
            return {}
        _, node = card.items["source"]
        if not isinstance(node, Mapping):
            self.error(node.line, f"{where}: 'source' must be a mapping (published, author, url)")
            return {}
        self.keys(node, f"{where} source", (), ("published", "author", "url"))
        source = {}
        for key in ("published", "author", "url"):
            value = self.text(node, key, f"{where} source")
            if value:
                source[key] = value
        published = source.get("published", "")
        if published and not _is_date(published):
            line = node.items["published"][1].line
            self.error(line, f"{where}: source published {published!r} must be YYYY-MM-DD")
        url = source.get("url", "")
        if url and not _URL.fullmatch(url):
            line = node.items["url"][1].line
            self.error(line, f"{where}: source url {url!r} must start with http:// or https://")
        return source
