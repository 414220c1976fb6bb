"""Checks on the deck files shipped in decks/, independent of the mlcards loader.

Four layers:

* every ``decks/*.yaml`` follows the deck format (read with PyYAML's safe loader, plus event
  and node checks for what safe_load lets through silently: duplicate keys, anchors, aliases,
  explicit tags), uses only tags from ``decks/TAGS.md``, and validates against
  ``decks/deck.schema.json`` once that schema exists;
* the starter decks meet the content targets of the starter-deck issue (size, share of
  select-all cards, references, tagging, terminal-friendly lengths, spread of answer keys);
* every deck loads with ``mlcards.deck.load_deck`` once that module exists;
* the BatchNorm card, which encodes a published question, still matches its source word for
  word (a copy of the source is kept in tests/data/batchnorm-question.txt), gives choice 1
  feedback and carries the ``contested`` tag.

The validator below is itself tested against broken decks, so a check that silently stops
working shows up as a failure.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import DATA, ROOT

DECKS_DIR = ROOT / "decks"
TAGS_FILE = DECKS_DIR / "TAGS.md"
SCHEMA_FILE = DECKS_DIR / "deck.schema.json"
# The published question behind decks/batchnorm.yaml, copied byte for byte into the repository.
BATCHNORM_SOURCE = DATA / "batchnorm-question.txt"
BATCHNORM_CARD = ("batchnorm.yaml", "batchnorm-placement")

AREA_TAGS = (
    "optimization",
    "regularization",
    "normalization",
    "evaluation",
    "architectures",
    "training-practice",
    "transformers-llms",
    "llm-training",
    "probability-statistics",
    "classical-ml",
    "embeddings",
    "generative-models",
    "reinforcement-learning",
    "training-systems",
    "backprop-autodiff",
    "losses-outputs",
    "shift-uncertainty",
    "optimization-conditioning-hpo",
    "kernels-mixtures",
)
# The starter decks are named after their area: decks/<area>.yaml with deck id <area>.
STARTER_FILES = tuple(f"{area}.yaml" for area in AREA_TAGS)

MIN_STARTER_CARDS = 60
MIN_SELECT_ALL_CARDS = 6
MAX_QUESTION_CHARS = 600
MAX_CHOICE_CHARS = 250
MIN_EXPLANATION_CHARS = 300

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
URL = re.compile(r"^https?://[^\s/]+\S*$")
ARXIV_ABS = re.compile(r"^https://arxiv\.org/abs/\d{4}\.\d{4,5}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SELECT_ALL = re.compile(r"select\s+all\s+that\s+apply", re.IGNORECASE)

DECK_REQUIRED, DECK_OPTIONAL = {"id", "name", "cards"}, {"description"}
CARD_REQUIRED = {"id", "question", "choices", "answer", "explanation"}
CARD_OPTIONAL = {"title", "references", "tags", "source", "shuffle"}
CHOICE_KEYS, CHOICE_OPTIONAL = {"id", "text"}, {"feedback"}
REFERENCE_KEYS = {"title", "url"}
SOURCE_KEYS = {"published", "author", "url"}
PLAIN_TAGS = {None, "!"}


# --------------------------------------------------------------------------------------------
# Validation helpers (return lists of problems, so a test can report all of them at once)


def yaml_syntax_problems(text: str) -> list[str]:
    """What yaml.safe_load accepts silently but the deck format forbids."""
    problems: list[str] = []
    documents = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
        elif isinstance(event, yaml.AliasEvent):
            problems.append(f"line {line}: alias *{event.anchor} is not allowed")
        elif isinstance(event, yaml.NodeEvent):
            if event.anchor is not None:
                problems.append(f"line {line}: anchor &{event.anchor} is not allowed")
            tag = getattr(event, "tag", None)
            if tag not in PLAIN_TAGS:
                problems.append(f"line {line}: explicit tag {tag} is not allowed")
    if documents > 1:
        problems.append(f"{documents} YAML documents; a deck file holds exactly one")
    if problems:
        return problems  # composing would resolve aliases and hide the rest
    for node in _walk_nodes(yaml.compose(text, Loader=yaml.SafeLoader)):
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, _ in node.value:
                if key.value in seen:
                    line = key.start_mark.line + 1
                    problems.append(f"line {line}: duplicate key {key.value!r}")
                seen.add(key.value)
    return problems


def _walk_nodes(node: yaml.Node | None) -> list[yaml.Node]:
    found: list[yaml.Node] = []
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        found.append(current)
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return found


def _check_keys(
    problems: list[str], where: str, mapping: dict[Any, Any], required: set[str], optional: set[str]
) -> None:
    for key in mapping:
        if key not in required | optional:
            problems.append(f"{where}: unknown key {key!r}")
    for key in sorted(required - set(mapping)):
        problems.append(f"{where}: missing required key {key!r}")


def _check_text(
    problems: list[str], where: str, mapping: dict[Any, Any], key: str, *, required: bool = True
) -> None:
    if key not in mapping:
        return
    value = mapping[key]
    if not isinstance(value, str):
        problems.append(f"{where}: {key!r} must be a string, got {type(value).__name__}")
    elif required and not value.strip():
        problems.append(f"{where}: {key!r} must not be empty")


def _check_slug(problems: list[str], where: str, mapping: dict[Any, Any], key: str) -> None:
    _check_text(problems, where, mapping, key)
    value = mapping.get(key)
    if isinstance(value, str) and not SLUG.match(value):
        problems.append(f"{where}: {key} {value!r} is not a slug")


def answer_ids(card: dict[str, Any]) -> list[Any]:
    answer = card.get("answer")
    return list(answer) if isinstance(answer, list) else [answer]


def deck_problems(deck: Any, where: str = "deck") -> list[str]:
    """Every way ``deck`` (as read by yaml.safe_load) departs from the deck format."""
    if not isinstance(deck, dict):
        return [f"{where}: a deck must be a mapping, got {type(deck).__name__}"]
    problems: list[str] = []
    _check_keys(problems, where, deck, DECK_REQUIRED, DECK_OPTIONAL)
    _check_slug(problems, where, deck, "id")
    _check_text(problems, where, deck, "name")
    _check_text(problems, where, deck, "description", required=False)
    cards = deck.get("cards")
    if not isinstance(cards, list) or not cards:
        problems.append(f"{where}: 'cards' must be a non-empty list")
        return problems
    seen_cards: set[str] = set()
    for index, card in enumerate(cards):
        card_where = f"{where} card #{index + 1}"
        if not isinstance(card, dict):
            problems.append(f"{card_where}: a card must be a mapping")
            continue
        card_id = card.get("id")
        if isinstance(card_id, str):
            card_where = f"{where} card {card_id!r}"
            if card_id in seen_cards:
                problems.append(f"{card_where}: duplicate card id")
            seen_cards.add(card_id)
        problems.extend(card_problems(card, card_where))
    return problems


def card_problems(card: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    _check_keys(problems, where, card, CARD_REQUIRED, CARD_OPTIONAL)
    _check_slug(problems, where, card, "id")
    for key in ("question", "explanation"):
        _check_text(problems, where, card, key)
    _check_text(problems, where, card, "title", required=False)

    choices = card.get("choices")
    choice_ids: list[Any] = []
    if not isinstance(choices, list) or not 2 <= len(choices) <= 10:
        problems.append(f"{where}: 'choices' must be a list of 2 to 10 choices")
        choices = choices if isinstance(choices, list) else []
    for number, choice in enumerate(choices, start=1):
        choice_where = f"{where} choice #{number}"
        if not isinstance(choice, dict):
            problems.append(f"{choice_where}: a choice must be a mapping with id and text")
            continue
        _check_keys(problems, choice_where, choice, CHOICE_KEYS, CHOICE_OPTIONAL)
        _check_slug(problems, choice_where, choice, "id")
        _check_text(problems, choice_where, choice, "text")
        _check_text(problems, choice_where, choice, "feedback")
        choice_ids.append(choice.get("id"))
    for choice_id, count in Counter(choice_ids).items():
        if count > 1:
            problems.append(f"{where}: duplicate choice id {choice_id!r}")

    answer = card.get("answer")
    ids = answer_ids(card)
    if isinstance(answer, list) and not answer:
        problems.append(f"{where}: 'answer' lists no choice")
    for answer_id in ids:
        if not isinstance(answer_id, str):
            problems.append(f"{where}: answer {answer_id!r} must be a string choice id")
        elif answer_id not in choice_ids:
            problems.append(f"{where}: answer {answer_id!r} names no choice of this card")
    if len(set(map(str, ids))) != len(ids):
        problems.append(f"{where}: 'answer' lists a choice twice")
    question = card.get("question")
    if isinstance(answer, list) and isinstance(question, str) and not SELECT_ALL.search(question):
        problems.append(f"{where}: a list answer needs 'Select all that apply.' in the question")

    references = card.get("references", [])
    if not isinstance(references, list):
        problems.append(f"{where}: 'references' must be a list")
        references = []
    for number, reference in enumerate(references, start=1):
        ref_where = f"{where} reference #{number}"
        if not isinstance(reference, dict):
            problems.append(f"{ref_where}: a reference must be a mapping with title and url")
            continue
        _check_keys(problems, ref_where, reference, REFERENCE_KEYS, set())
        _check_text(problems, ref_where, reference, "title")
        _check_text(problems, ref_where, reference, "url")
        url = reference.get("url")
        if isinstance(url, str) and not URL.match(url):
            problems.append(f"{ref_where}: url {url!r} must be an http(s) URL")

    tags = card.get("tags", [])
    if not isinstance(tags, list):
        problems.append(f"{where}: 'tags' must be a list")
        tags = []
    for tag in tags:
        if not isinstance(tag, str) or not SLUG.match(tag):
            problems.append(f"{where}: tag {tag!r} is not a slug")
    if len(set(map(str, tags))) != len(tags):
        problems.append(f"{where}: a tag is listed twice")

    if "source" in card:
        source = card["source"]
        if not isinstance(source, dict):
            problems.append(f"{where}: 'source' must be a mapping")
        else:
            _check_keys(problems, f"{where} source", source, set(), SOURCE_KEYS)
            for key in SOURCE_KEYS:
                _check_text(problems, f"{where} source", source, key)
            published = source.get("published")
            if isinstance(published, str) and not DATE.match(published):
                problems.append(f"{where}: source published {published!r} is not YYYY-MM-DD")
    return problems


def parse_tag_table(markdown: str) -> list[str]:
    """Tag names from the first column of every Markdown table (header rows skipped)."""
    lines = [line.strip() for line in markdown.splitlines()]
    tags: list[str] = []
    for number, line in enumerate(lines):
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if set(cells[0]) <= set("-: "):
            continue  # the separator row
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if following.startswith("|") and set(following.strip("|").split("|")[0].strip()) <= set(
            "-: "
        ):
            continue  # a header row: the row just above a separator
        tags.append(cells[0].strip("`").strip())
    return tags


# --------------------------------------------------------------------------------------------
# Loading the files once


def _deck_paths() -> list[Path]:
    return sorted(DECKS_DIR.glob("*.yaml"))


DECK_PATHS = _deck_paths()


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def decks() -> dict[str, Any]:
    return {path.name: _load(path) for path in DECK_PATHS}


@pytest.fixture(scope="module")
def starter_decks() -> dict[str, dict[str, Any]]:
    missing = [name for name in STARTER_FILES if not (DECKS_DIR / name).is_file()]
    assert not missing, f"starter decks missing from {DECKS_DIR}: {missing}"
    return {name: _load(DECKS_DIR / name) for name in STARTER_FILES}


@pytest.fixture(scope="module")
def tag_vocabulary() -> list[str]:
    assert TAGS_FILE.is_file(), f"{TAGS_FILE} documents the tag vocabulary and must exist"
    return parse_tag_table(TAGS_FILE.read_text(encoding="utf-8"))


def _starter_cards(starter_decks: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, card) for name, deck in starter_decks.items() for card in deck["cards"]]


def _report(problems: list[str]) -> str:
    return "\n".join(problems[:50]) + ("\n..." if len(problems) > 50 else "")


# --------------------------------------------------------------------------------------------
# 1. Every deck file follows the format


def test_decks_folder_has_decks() -> None:
    assert DECK_PATHS, f"no *.yaml decks in {DECKS_DIR}"


@pytest.mark.parametrize("path", DECK_PATHS, ids=lambda p: p.name)
def test_deck_yaml_is_plain(path: Path) -> None:
    problems = yaml_syntax_problems(path.read_text(encoding="utf-8"))
    assert not problems, f"{path.name}:\n{_report(problems)}"


@pytest.mark.parametrize("path", DECK_PATHS, ids=lambda p: p.name)
def test_deck_follows_format(path: Path) -> None:
    problems = deck_problems(_load(path), path.name)
    assert not problems, _report(problems)


def test_deck_ids_unique_across_files(decks: dict[str, Any]) -> None:
    owners: dict[str, list[str]] = {}
    for name, deck in decks.items():
        if isinstance(deck, dict) and isinstance(deck.get("id"), str):
            owners.setdefault(deck["id"], []).append(name)
    clashes = {deck_id: names for deck_id, names in owners.items() if len(names) > 1}
    assert not clashes, f"deck ids used by more than one file: {clashes}"


def test_tag_vocabulary_is_well_formed(tag_vocabulary: list[str]) -> None:
    assert tag_vocabulary, f"no tags found in the tables of {TAGS_FILE.name}"
    bad = [tag for tag in tag_vocabulary if not SLUG.match(tag)]
    assert not bad, f"tags in {TAGS_FILE.name} that are not slugs: {bad}"
    twice = sorted(tag for tag, count in Counter(tag_vocabulary).items() if count > 1)
    assert not twice, f"tags listed twice in {TAGS_FILE.name}: {twice}"
    missing_areas = sorted(set(AREA_TAGS) - set(tag_vocabulary))
    assert not missing_areas, f"area tags missing from {TAGS_FILE.name}: {missing_areas}"


def test_every_tag_is_documented(decks: dict[str, Any], tag_vocabulary: list[str]) -> None:
    known = set(tag_vocabulary)
    unknown = sorted(
        f"{name} card {card.get('id')!r}: {tag!r}"
        for name, deck in decks.items()
        for card in deck.get("cards", [])
        if isinstance(card, dict)
        for tag in card.get("tags", []) or []
        if tag not in known
    )
    assert not unknown, f"tags not listed in {TAGS_FILE.name}:\n" + "\n".join(unknown)


# --------------------------------------------------------------------------------------------
# 2. JSON Schema (written alongside the loader; skipped until it exists)


def _schema_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA_FILE.is_file():
        pytest.skip(f"{SCHEMA_FILE.name} does not exist yet")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("path", DECK_PATHS, ids=lambda p: p.name)
def test_deck_matches_json_schema(path: Path) -> None:
    validator = _schema_validator()
    errors = sorted(validator.iter_errors(_load(path)), key=lambda e: list(e.absolute_path))
    messages = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
    assert not messages, f"{path.name}:\n{_report(messages)}"


def test_json_schema_rejects_broken_decks() -> None:
    validator = _schema_validator()
    card = {
        "id": "c",
        "question": "Q?",
        "choices": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
        "answer": "a",
        "explanation": "Because.",
    }
    good = {"id": "d", "name": "D", "description": "A deck.", "cards": [card]}
    assert validator.is_valid(good), list(validator.iter_errors(good))
    broken = [
        {**good, "colour": "red"},
        {**good, "cards": [{**card, "hint": "unknown key"}]},
        {**good, "cards": [{k: v for k, v in card.items() if k != "answer"}]},
        {**good, "cards": [{**card, "choices": card["choices"][:1]}]},
        {
            **good,
            "cards": [{**card, "choices": [{"id": "a", "text": 1}, {"id": "b", "text": "B"}]}],
        },
        {**good, "id": "Not A Slug"},
    ]
    accepted = [deck for deck in broken if validator.is_valid(deck)]
    assert not accepted, f"the schema accepts invalid decks: {accepted}"


# --------------------------------------------------------------------------------------------
# 3. The starter decks meet the content targets


def test_starter_deck_ids_match_file_names(starter_decks: dict[str, dict[str, Any]]) -> None:
    wrong = {name: deck.get("id") for name, deck in starter_decks.items()}
    wrong = {name: deck_id for name, deck_id in wrong.items() if f"{deck_id}.yaml" != name}
    assert not wrong, f"starter deck ids should match their file names: {wrong}"


def test_starter_decks_have_enough_cards(starter_decks: dict[str, dict[str, Any]]) -> None:
    counts = {name: len(deck["cards"]) for name, deck in starter_decks.items()}
    assert sum(counts.values()) >= MIN_STARTER_CARDS, counts
    thin = {name: count for name, count in counts.items() if count < 8}
    assert not thin, f"starter decks with fewer than 8 cards: {thin}"


def test_starter_decks_have_select_all_cards(starter_decks: dict[str, dict[str, Any]]) -> None:
    cards = _starter_cards(starter_decks)
    multi = [card for _, card in cards if isinstance(card["answer"], list)]
    assert len(multi) >= MIN_SELECT_ALL_CARDS, f"only {len(multi)} select-all-that-apply cards"
    # A select-all card where every choice is right (or only one choice is offered) teaches
    # nothing: there must be at least one wrong choice to leave out.
    all_right = [
        card["id"] for card in multi if set(card["answer"]) >= {c["id"] for c in card["choices"]}
    ]
    assert not all_right, f"select-all cards with no wrong choice: {all_right}"


def test_starter_cards_have_one_to_three_references(
    starter_decks: dict[str, dict[str, Any]],
) -> None:
    wrong = [
        f"{name} {card['id']}: {len(card.get('references') or [])}"
        for name, card in _starter_cards(starter_decks)
        if not 1 <= len(card.get("references") or []) <= 3
    ]
    assert not wrong, "cards need 1 to 3 references:\n" + "\n".join(wrong)


def test_starter_arxiv_links_are_abstract_pages(starter_decks: dict[str, dict[str, Any]]) -> None:
    wrong = [
        f"{name} {card['id']}: {ref['url']}"
        for name, card in _starter_cards(starter_decks)
        for ref in card.get("references") or []
        if "arxiv.org" in ref["url"] and not ARXIV_ABS.match(ref["url"])
    ]
    assert not wrong, "arXiv links should be https://arxiv.org/abs/NNNN.NNNNN:\n" + "\n".join(wrong)


def test_every_area_tag_is_used(starter_decks: dict[str, dict[str, Any]]) -> None:
    used = {tag for _, card in _starter_cards(starter_decks) for tag in card.get("tags") or []}
    assert set(AREA_TAGS) <= used, f"unused area tags: {sorted(set(AREA_TAGS) - used)}"


def test_starter_cards_have_one_area_tag_and_topic_tags(
    starter_decks: dict[str, dict[str, Any]],
) -> None:
    wrong = []
    for name, deck in starter_decks.items():
        for card in deck["cards"]:
            tags = card.get("tags") or []
            areas = [tag for tag in tags if tag in AREA_TAGS]
            topics = [tag for tag in tags if tag not in AREA_TAGS]
            if areas != [deck["id"]] or not 1 <= len(topics) <= 3:
                wrong.append(f"{name} {card['id']}: {tags}")
    assert not wrong, (
        "each starter card needs its deck's area tag and 1 to 3 topic tags:\n" + "\n".join(wrong)
    )


def test_starter_cards_fit_a_terminal(starter_decks: dict[str, dict[str, Any]]) -> None:
    too_long = []
    for name, card in _starter_cards(starter_decks):
        if len(str(card["question"])) > MAX_QUESTION_CHARS:
            too_long.append(f"{name} {card['id']}: question {len(card['question'])} chars")
        for choice in card["choices"]:
            if len(str(choice["text"])) > MAX_CHOICE_CHARS:
                too_long.append(f"{name} {card['id']}/{choice['id']}: {len(choice['text'])} chars")
    assert not too_long, "\n".join(too_long)


def test_starter_cards_are_fully_explained(starter_decks: dict[str, dict[str, Any]]) -> None:
    short = [
        f"{name} {card['id']}: {len(card['explanation'])} chars"
        for name, card in _starter_cards(starter_decks)
        if len(card["explanation"]) < MIN_EXPLANATION_CHARS
    ]
    assert not short, "explanations should cover the right answer and each distractor:\n" + (
        "\n".join(short)
    )


def test_starter_choice_ids_are_letters_in_order(starter_decks: dict[str, dict[str, Any]]) -> None:
    wrong = [
        f"{name} {card['id']}: {[c['id'] for c in card['choices']]}"
        for name, card in _starter_cards(starter_decks)
        if [c["id"] for c in card["choices"]] != list("abcdefghij"[: len(card["choices"])])
    ]
    assert not wrong, "choice ids should be a, b, c, ... in file order:\n" + "\n".join(wrong)


def test_starter_answer_positions_vary(starter_decks: dict[str, dict[str, Any]]) -> None:
    singles = [
        card["answer"]
        for _, card in _starter_cards(starter_decks)
        if not isinstance(card["answer"], list)
    ]
    counts = Counter(singles)
    for letter in "abcd":
        share = counts[letter] / len(singles)
        assert 0.10 <= share <= 0.40, f"answer {letter!r} is the key for {share:.0%}: {counts}"


def test_starter_markdown_uses_block_scalars() -> None:
    """question and explanation are written with '|' so Markdown line breaks survive."""
    wrong = []
    for name in STARTER_FILES:
        root = yaml.compose((DECKS_DIR / name).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        assert isinstance(root, yaml.MappingNode), name
        cards = next(v for k, v in root.value if k.value == "cards")
        for card in cards.value:
            fields = {k.value: v for k, v in card.value}
            card_id = fields["id"].value
            for key in ("question", "explanation"):
                if fields[key].style != "|":
                    wrong.append(f"{name} {card_id}: {key}")
    assert not wrong, "use a '|' block scalar for:\n" + "\n".join(wrong)


def test_starter_cards_are_original(starter_decks: dict[str, dict[str, Any]]) -> None:
    sourced = [card["id"] for _, card in _starter_cards(starter_decks) if "source" in card]
    assert not sourced, f"starter cards are written for mlcards and carry no source: {sourced}"


# --------------------------------------------------------------------------------------------
# 4. The real loader accepts every deck (skipped until mlcards.deck exists)


@pytest.mark.parametrize("path", DECK_PATHS, ids=lambda p: p.name)
def test_load_deck_accepts(path: Path) -> None:
    deck_module = pytest.importorskip("mlcards.deck")
    errors = pytest.importorskip("mlcards.errors")
    try:
        deck = deck_module.load_deck(path)
    except errors.DeckError as exc:
        pytest.fail(f"load_deck rejected {path.name}:\n{exc}")
    raw = _load(path)
    assert deck.id == raw["id"]
    assert [card.id for card in deck.cards] == [card["id"] for card in raw["cards"]]
    for card, raw_card in zip(deck.cards, raw["cards"], strict=True):
        assert [(c.id, c.text) for c in card.choices] == [
            (c["id"], c["text"]) for c in raw_card["choices"]
        ], card.id
        assert tuple(card.answer) == tuple(answer_ids(raw_card)), card.id


# --------------------------------------------------------------------------------------------
# 5. The published BatchNorm question stays word for word

TYPOGRAPHIC_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def plain_words(text: str) -> str:
    """``text`` for a word-for-word comparison: typographic quotes straightened, Markdown
    bold and block-quote markers dropped, runs of whitespace collapsed to one space."""
    text = text.translate(TYPOGRAPHIC_QUOTES).replace("**", "")
    text = re.sub(r"^[ \t]*>[ \t]?", "", text, flags=re.MULTILINE)
    return " ".join(text.split())


def source_fidelity_problems(card: dict[str, Any], source_text: str) -> list[str]:
    """How a card departs from the published question it encodes: its question, its choice
    texts (in order) and the passages quoted in its explanation must appear in the source
    word for word, and its key must be the source's answer."""
    source = plain_words(source_text)
    problems: list[str] = []
    if plain_words(card["question"]) not in source:
        problems.append("the question differs from the source")
    choices = card["choices"]
    for choice in choices:
        if plain_words(choice["text"]) not in source:
            problems.append(f"choice {choice['id']!r} differs from the source")
    quotes = [line for line in card["explanation"].splitlines() if line.lstrip().startswith(">")]
    if len(quotes) != 2:
        problems.append(f"the explanation quotes {len(quotes)} passages, the source has 2")
    for number, quote in enumerate(quotes, start=1):
        if plain_words(quote) not in source:
            problems.append(f"quoted passage #{number} differs from the source")

    # The source lists its choices as "1. ...", "2. ...", then gives the answer's number
    # alone on a line.
    numbered = list(re.finditer(r"^[ \t]*(\d+)\.[ \t]+(\S.*)$", source_text, flags=re.MULTILINE))
    listed = [plain_words(match.group(2)) for match in numbered]
    if listed != [plain_words(choice["text"]) for choice in choices]:
        problems.append("the choices are not the source's choices in the source's order")
    after = source_text[numbered[-1].end() :] if numbered else ""
    key = re.search(r"^[ \t]*(\d+)[ \t]*$", after, flags=re.MULTILINE)
    ids = [choice["id"] for choice in choices]
    if key is None:
        problems.append("no answer number found after the source's choices")
    elif card["answer"] not in ids or ids.index(card["answer"]) + 1 != int(key.group(1)):
        problems.append(f"the key {card['answer']!r} is not the source's answer {key.group(1)}")
    return problems


def _batchnorm_card() -> dict[str, Any]:
    file_name, card_id = BATCHNORM_CARD
    deck = _load(DECKS_DIR / file_name)
    return next(card for card in deck["cards"] if card["id"] == card_id)


def _batchnorm_source() -> str:
    return BATCHNORM_SOURCE.read_text(encoding="utf-8")


def test_batchnorm_card_matches_its_published_source() -> None:
    source_text = _batchnorm_source()
    card = _batchnorm_card()
    problems = source_fidelity_problems(card, source_text)
    assert not problems, f"{BATCHNORM_CARD[0]} {card['id']}:\n" + "\n".join(problems)
    assert card["answer"] == card["choices"][1]["id"], "the source's answer is choice 2"


def test_batchnorm_source_copy_is_the_published_text() -> None:
    """The copy keeps the source's typography (curly quotes, the "previous's" slip), so it
    was not retyped."""
    text = _batchnorm_source()
    assert text.startswith("A morning walk\n")
    assert "after the previous\u2019s layer activation function" in text
    assert "\u201cBusting the Myth About Batch Normalization\u201d" in text


def test_batchnorm_card_is_marked_contested_and_defends_choice_1() -> None:
    """Choice 1 (the original paper's placement) is graded wrong by the published key, so
    the card says why it is defensible, and carries the tag that lets learners skip it."""
    card = _batchnorm_card()
    assert "contested" in card["tags"]
    first = card["choices"][0]
    assert first["id"] != card["answer"]
    feedback = first.get("feedback", "")
    assert "defensible" in feedback and "Ioffe & Szegedy" in feedback, feedback
    explanation = card["explanation"]
    assert "[Ioffe & Szegedy, 2015: added by the editors]" in explanation
    titles = [ref["title"] for ref in card["references"]]
    assert sum(t.startswith("Quoted in the original explanation:") for t in titles) == 2
    assert all(
        t.startswith(("Quoted in the original explanation:", "Added by the mlcards editors:"))
        for t in titles
    ), titles


def test_batchnorm_editors_note_follows_the_source_text() -> None:
    """Anything the editors add goes after the source's explanation, clearly marked."""
    explanation = _batchnorm_card()["explanation"]
    note = explanation.find("**Editors' note")
    last_quote = max(i for i, line in enumerate(explanation.splitlines()) if line.startswith(">"))
    assert note != -1, "the editors' note is missing or no longer marked"
    assert note > len("\n".join(explanation.splitlines()[: last_quote + 1])), (
        "the editors' note must come after the source's explanation"
    )
    assert "not part of the original question" in explanation[note:]


def test_source_fidelity_check_catches_changes() -> None:
    source_text = _batchnorm_source()
    card = _batchnorm_card()
    reworded = {
        **card,
        "choices": [
            {**choice, "text": choice["text"].replace("before the layer", "ahead of the layer")}
            for choice in card["choices"]
        ],
    }
    assert any("choice" in problem for problem in source_fidelity_problems(reworded, source_text))
    rekeyed = {**card, "answer": card["choices"][0]["id"]}
    assert any("key" in problem for problem in source_fidelity_problems(rekeyed, source_text))
    requoted = {**card, "explanation": card["explanation"].replace("stable distribution", "calm")}
    assert any("passage" in problem for problem in source_fidelity_problems(requoted, source_text))
    assert plain_words("She\u2019s \u201cfine\u201d,\n  **really**") == 'She\'s "fine", really'
    assert plain_words("> quoted\n>  passage") == "quoted passage"


# --------------------------------------------------------------------------------------------
# The validator above must catch what it claims to catch

GOOD_DECK = """\
id: sample
name: Sample
description: A deck used to test the checks.
cards:
  - id: one
    question: |
      Which?
    choices:
      - id: a
        text: First
      - id: b
        text: Second
    answer: b
    explanation: |
      Because.
    references:
      - title: Somewhere
        url: https://example.org/page
    tags: [evaluation]
"""


def _broken(old: str, new: str) -> str:
    assert old in GOOD_DECK, old
    return GOOD_DECK.replace(old, new, 1)


BROKEN_DECKS = [
    pytest.param(_broken("answer: b", "answer: c"), "names no choice", id="answer-not-a-choice"),
    pytest.param(_broken("answer: b", "answer: [a, a]"), "twice", id="answer-repeated"),
    pytest.param(_broken("answer: b", "answer: []"), "lists no choice", id="answer-empty-list"),
    pytest.param(_broken("answer: b", "answer: [a, b]"), "Select all", id="select-all-unsaid"),
    pytest.param(_broken("    tags:", "    hint: x\n    tags:"), "unknown key", id="unknown-key"),
    pytest.param(_broken("name: Sample", "title: Sample"), "missing required", id="missing-key"),
    pytest.param(_broken("id: sample", "id: Sample Deck"), "not a slug", id="bad-deck-id"),
    pytest.param(_broken("text: First", "text: yes"), "must be a string", id="text-is-bool"),
    pytest.param(_broken("text: First", "text: 3.10"), "must be a string", id="text-is-float"),
    pytest.param(
        _broken("    tags:", "    source:\n      published: 2022-10-30\n    tags:"),
        "must be a string",
        id="unquoted-date",
    ),
    pytest.param(
        _broken("    tags:", '    source:\n      published: "30/10/2022"\n    tags:'),
        "YYYY-MM-DD",
        id="bad-date",
    ),
    pytest.param(_broken("      - id: b\n        text: Second\n", ""), "2 to 10", id="one-choice"),
    pytest.param(
        _broken(
            "        text: Second\n", "        text: Second\n      - id: a\n        text: Again\n"
        ),
        "duplicate choice id",
        id="duplicate-choice",
    ),
    pytest.param(
        _broken("        text: First", "        text: First\n        correct: true"),
        "unknown key",
        id="choice-extra-key",
    ),
    pytest.param(
        _broken("https://example.org/page", "ftp://example.org/page"), "http", id="bad-url"
    ),
    pytest.param(_broken("[evaluation]", "[Evaluation]"), "not a slug", id="bad-tag"),
    pytest.param(
        GOOD_DECK + GOOD_DECK[GOOD_DECK.index("  - id: one") :],
        "duplicate card id",
        id="duplicate-card",
    ),
]


def test_validator_accepts_good_deck() -> None:
    assert yaml_syntax_problems(GOOD_DECK) == []
    assert deck_problems(yaml.safe_load(GOOD_DECK)) == []


@pytest.mark.parametrize(("text", "expected"), BROKEN_DECKS)
def test_validator_rejects_broken_deck(text: str, expected: str) -> None:
    problems = deck_problems(yaml.safe_load(text))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            _broken("name: Sample", "name: Sample\nname: Again"), "duplicate key", id="dup"
        ),
        pytest.param(_broken("name: Sample", "name: &n Sample"), "anchor", id="anchor"),
        pytest.param(
            _broken("description: A deck used to test the checks.", "description: *n").replace(
                "name: Sample", "name: &n Sample"
            ),
            "alias",
            id="alias",
        ),
        pytest.param(_broken("name: Sample", "name: !!str Sample"), "explicit tag", id="tag"),
        pytest.param(GOOD_DECK + "---\n" + GOOD_DECK, "documents", id="two-documents"),
    ],
)
def test_syntax_check_rejects(text: str, expected: str) -> None:
    problems = yaml_syntax_problems(text)
    assert any(expected in problem for problem in problems), problems


def test_parse_tag_table() -> None:
    markdown = (
        "# Tags\n\nSome text | with a pipe.\n\n"
        "| Tag | Meaning |\n| --- | --- |\n| `alpha` | First. |\n| beta | Second. |\n\n"
        "| Tag | Meaning |\n|:---|:---|\n| `gamma-2` | Third. |\n"
    )
    assert parse_tag_table(markdown) == ["alpha", "beta", "gamma-2"]


_BY_NUMBER = re.compile(r"\b[Cc]hoices? \d(?: and \d)?\b")


def _shuffled_yet_naming_choices(decks: dict[str, Any]) -> list[str]:
    """The cards whose text names a choice by its number while their choices are shuffled
    (no ``shuffle: false`` on the card, nor on its deck where the card says nothing)."""
    wrong = []
    for name, deck in decks.items():
        for card in deck["cards"]:
            texts = [card["question"], card["explanation"]]
            texts += [str(c.get(k, "")) for c in card["choices"] for k in ("text", "feedback")]
            named = any(_BY_NUMBER.search(text) for text in texts)
            if named and card.get("shuffle", deck.get("shuffle", True)) is not False:
                wrong.append(f"{name}: {card['id']}")
    return wrong


def test_text_naming_choices_by_number_keeps_them_in_file_order(decks: dict[str, Any]) -> None:
    """Choices are shuffled on screen, so a note saying "choice 2" would name the wrong one
    unless its card shows them in file order (``shuffle: false``, on the card or its deck)."""
    assert _shuffled_yet_naming_choices(decks) == []


def test_a_shuffled_card_that_names_choices_by_number_is_found() -> None:
    def card(card_id: str, explanation: str, feedback: str = "", **more: Any) -> dict[str, Any]:
        choices = [{"id": "a", "text": "x", "feedback": feedback}, {"id": "b", "text": "y"}]
        return {
            "id": card_id,
            "question": "q",
            "explanation": explanation,
            "choices": choices,
            **more,
        }

    decks = {
        "shuffled.yaml": {
            "cards": [
                card("named", "as choice 2 says"),
                card("kept", "as choices 1 and 3 say", shuffle=False),
                card("quoted", "the choices 'max' and 'mean'"),
                card("in-feedback", "none", feedback="unlike Choice 1"),
            ]
        },
        "in-order.yaml": {"shuffle": False, "cards": [card("deck-kept", "see choice 1")]},
        "overridden.yaml": {"shuffle": False, "cards": [card("on", "choice 4", shuffle=True)]},
    }
    assert _shuffled_yet_naming_choices(decks) == [
        "shuffled.yaml: named",
        "shuffled.yaml: in-feedback",
        "overridden.yaml: on",
    ]
