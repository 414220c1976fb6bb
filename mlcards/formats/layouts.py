"""The layouts of the public multiple-choice data sets, ``--map``'s field maps and the guess
from common field names: one JSON record -> one ``Record`` (question, choices, answer).

- a list of choices and an answer index or letter: MMLU on the hub (``question``,
  ``choices``, ``answer`` 0-3), MMLU-Pro (``options``, ``answer_index``), RACE (``article``,
  ``question``, ``options``, ``answer`` letter), HellaSwag (``ctx``, ``endings``, ``label``);
- ``text`` and ``label`` lists with ``answerKey``: ARC on the hub, CommonsenseQA,
  OpenBookQA on the hub (``question_stem``), numeric labels included; and the original
  nested form ``question: {stem, choices: [{text, label}]}`` (ARC, OpenBookQA);
- the right answer and distractors: SciQ, GPQA; the right answer's place is drawn from a
  hash of the row, so it is stable and not always first;
- one field a choice: MedMCQA (``opa``-``opd``, ``cop`` 0-3, ``exp``).

Anything else is guessed from common field names, or named with ``--map``; a layout's own
fields always win over the guess. A record that cannot be a card raises ``RowError`` (said in
the record's terms); one without an answer raises ``NoAnswer`` (skipped, not fatal). Reading
files and making drafts is ``formats/jsonl.py``'s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from mlcards.errors import UsageError
from mlcards.formats._common import slugify

MAP_KEYS = ("question", "choices", "answer", "explanation", "id")

JsonValue = object
Row = Mapping[str, JsonValue]


class RowError(Exception):
    """The record cannot be a card; the message says why, in the record's terms."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoAnswer(Exception):
    """The record has no usable answer (a test split): skipped and reported."""


def _get(row: Row, name: str) -> JsonValue:
    """A field by name, or by a dotted path into nested objects (``question.stem``)."""
    if name in row:
        return row[name]
    value: JsonValue = row
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: JsonValue, what: str, *, required: bool = True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError(f"{what} is empty")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RowError(f"{what} must be text, not {kind(value)}")
    return str(value).strip()


def kind(value: JsonValue) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else "text"


def _texts(value: JsonValue, what: str) -> list[str]:
    if not isinstance(value, list):
        raise RowError(f"{what} must be a list of choices, not {kind(value)}")
    return [_text(item, f"{what} item {i + 1}", required=False) for i, item in enumerate(value)]


def _missing(value: JsonValue) -> bool:
    return (
        value is None or value in ("", -1, "-1") or (isinstance(value, str) and not value.strip())
    )


def _index_answer(value: JsonValue, count: int, *, letters: bool = True) -> int:
    """A 0-based index (a number, or digits as text), or a letter A-J when ``letters``."""
    if _missing(value):
        raise NoAnswer
    if isinstance(value, str):
        token = value.strip()
        if letters and len(token) == 1 and token.isascii() and token.isalpha():
            index = ord(token.upper()) - ord("A")
        elif token.isascii() and token.isdigit() and len(token) <= 3:
            index = int(token)
        else:
            raise RowError(f"answer {shorten(token)!r} is not a choice's index or letter")
    elif isinstance(value, int) and not isinstance(value, bool):
        index = value
    else:
        raise RowError(f"answer must be an index or a letter, not {kind(value)}")
    if not 0 <= index < count:
        raise RowError(f"answer {shorten(str(value))!r} names no choice: there are {count}")
    return index


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label_answer(value: JsonValue, labels: list[str]) -> int:
    if _missing(value):
        raise NoAnswer
    key = _text(value, "answerKey")
    if key in labels:
        return labels.index(key)
    raise RowError(f"answerKey {shorten(key)!r} is none of the labels {', '.join(labels)}")


def _struct(value: JsonValue, what: str) -> tuple[list[str], list[str]]:
    """(texts, labels) of ``{text: [...], label: [...]}`` or ``[{text, label}, ...]``."""
    if isinstance(value, Mapping):
        texts = _texts(value.get("text"), f"{what}.text")
        labels = [_text(v, f"{what}.label") for v in _texts(value.get("label"), f"{what}.label")]
        if len(texts) != len(labels):
            raise RowError(f"{what} has {len(texts)} texts but {len(labels)} labels")
        return texts, labels
    if isinstance(value, list):
        texts, labels = [], []
        for number, item in enumerate(value, start=1):
            if not isinstance(item, Mapping):
                raise RowError(f"{what} item {number} must be an object with text and label")
            texts.append(_text(item.get("text"), f"{what} item {number} text", required=False))
            labels.append(_text(item.get("label"), f"{what} item {number} label"))
        return texts, labels
    raise RowError(f"{what} must hold text and label lists, not {kind(value)}")


def _place(row_key: str, count: int) -> int:
    """Where the right answer goes among ``count`` choices: from a hash of the row, so the
    same row always puts it in the same place, and rows spread it over every place."""
    digest = hashlib.sha256(row_key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


@dataclass(frozen=True)
class Record:
    """A record read by a layout, before it is a draft."""

    question: str
    choices: list[str]
    answer: int
    explanation: str = ""
    explicit: str = ""
    tags: tuple[str, ...] = ()
    context: str = ""


Reader = Callable[[Row], Record]


def _tags(*values: JsonValue) -> tuple[str, ...]:
    tags = []
    for value in values:
        if isinstance(value, str) and (tag := slugify(value)) and tag not in tags:
            tags.append(tag)
    return tuple(tags)


def _id(value: JsonValue) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value)


def _mmlu(row: Row) -> Record:
    choices = _texts(row["choices"], "choices")
    return Record(
        _text(row["question"], "question"),
        choices,
        _index_answer(row["answer"], len(choices)),
        tags=_tags(row.get("subject")),
        explicit=_id(row.get("id")),
    )


def _mmlu_pro(row: Row) -> Record:
    choices = _texts(row["options"], "options")
    raw = row.get("answer_index")
    answer = _index_answer(raw if not _missing(raw) else row.get("answer"), len(choices))
    return Record(
        _text(row["question"], "question"),
        choices,
        answer,
        explanation=_text(row.get("cot_content"), "cot_content", required=False),
        explicit=_id(row.get("question_id")),
        tags=_tags(row.get("category")),
    )


def _race(row: Row) -> Record:
    choices = _texts(row["options"], "options")
    article = _text(row["article"], "article")
    return Record(
        _text(row["question"], "question"),
        choices,
        _index_answer(row["answer"], len(choices)),
        context=article,
    )


def _hellaswag(row: Row) -> Record:
    choices = _texts(row["endings"], "endings")
    context = row.get("ctx")
    if _missing(context):
        parts = [_text(row.get(k), k, required=False) for k in ("ctx_a", "ctx_b")]
        context = " ".join(p for p in parts if p)
    question = _text(context, "ctx")
    return Record(
        question + " …",
        choices,
        _index_answer(row["label"], len(choices), letters=False),
        explicit=_id(row.get("ind")),
        tags=_tags(row.get("activity_label")),
    )


def _arc_struct(row: Row) -> Record:
    texts, labels = _struct(row["choices"], "choices")
    question = row["question"] if "question" in row else row.get("question_stem")
    return Record(
        _text(question, "question"),
        texts,
        _label_answer(row["answerKey"], labels),
        explanation=_text(row.get("fact1"), "fact1", required=False),
        explicit=_id(row.get("id")),
    )


def _arc_nested(row: Row) -> Record:
    question = row["question"]
    assert isinstance(question, Mapping)
    texts, labels = _struct(question.get("choices"), "question.choices")
    return Record(
        _text(question.get("stem"), "question.stem"),
        texts,
        _label_answer(row["answerKey"], labels),
        explanation=_text(row.get("fact1"), "fact1", required=False),
        explicit=_id(row.get("id")),
    )


def _right_and_wrong(
    question: str, right: JsonValue, wrong: list[JsonValue], what: str
) -> tuple[list[str], int]:
    if _missing(right):
        raise NoAnswer
    key = _text(right, what)
    distractors = [_text(w, "a distractor", required=False) for w in wrong]
    distractors = [d for d in distractors if d]
    place = _place(question + "\x1f" + key, len(distractors) + 1)
    return distractors[:place] + [key] + distractors[place:], place


def _sciq(row: Row) -> Record:
    question = _text(row["question"], "question")
    wrong = [row.get(f"distractor{n}") for n in (1, 2, 3)]
    choices, answer = _right_and_wrong(question, row["correct_answer"], wrong, "correct_answer")
    return Record(
        question,
        choices,
        answer,
        explanation=_text(row.get("support"), "support", required=False),
    )


def _gpqa(row: Row) -> Record:
    question = _text(row["Question"], "Question")
    wrong = [row.get(f"Incorrect Answer {n}") for n in (1, 2, 3)]
    choices, answer = _right_and_wrong(question, row["Correct Answer"], wrong, "Correct Answer")
    return Record(
        question,
        choices,
        answer,
        explanation=_text(row.get("Explanation"), "Explanation", required=False),
        explicit=_id(row.get("Record ID")),
        tags=_tags(row.get("Subdomain")),
    )


def _medmcqa(row: Row) -> Record:
    choices = [_text(row.get(k), k, required=False) for k in ("opa", "opb", "opc", "opd")]
    return Record(
        _text(row["question"], "question"),
        choices,
        _index_answer(row["cop"], 4, letters=False),
        explanation=_text(row.get("exp"), "exp", required=False),
        explicit=_id(row.get("id")),
        tags=_tags(row.get("subject_name")),
    )


def _is_list(name: str) -> Callable[[Row], bool]:
    return lambda row: isinstance(row.get(name), list)


def _is_struct(row: Row) -> bool:
    value = row.get("choices")
    return isinstance(value, Mapping) and "text" in value and "label" in value


def _is_nested(row: Row) -> bool:
    value = row.get("question")
    return isinstance(value, Mapping) and "stem" in value and "choices" in value


@dataclass(frozen=True)
class Layout:
    name: str
    label: str
    fields: tuple[str, ...]
    """The fields that name this layout; all must be present."""
    read: Reader
    shape: Callable[[Row], bool] = field(default=lambda _row: True)
    """A check of the fields' types, where two layouts share names (a list or a struct)."""


LAYOUTS = (
    Layout("mmlu-pro", "MMLU-Pro", ("question", "options", "answer_index"), _mmlu_pro),
    Layout("race", "RACE", ("article", "question", "options", "answer"), _race),
    Layout("hellaswag", "HellaSwag", ("endings", "label"), _hellaswag, _is_list("endings")),
    Layout(
        "arc-nested",
        "ARC/OpenBookQA (original)",
        ("question", "answerKey"),
        _arc_nested,
        _is_nested,
    ),
    Layout("arc", "ARC/CommonsenseQA", ("choices", "answerKey"), _arc_struct, _is_struct),
    Layout("sciq", "SciQ", ("question", "correct_answer", "distractor1"), _sciq),
    Layout("gpqa", "GPQA", ("Question", "Correct Answer", "Incorrect Answer 1"), _gpqa),
    Layout("medmcqa", "MedMCQA", ("question", "opa", "opb", "cop"), _medmcqa),
    Layout("mmlu", "MMLU", ("question", "choices", "answer"), _mmlu, _is_list("choices")),
)
"""Known layouts, most specific first: the first whose fields a record has is its layout."""

_GUESS_QUESTION = ("question", "prompt", "stem", "query", "input", "problem", "text")
_GUESS_CHOICES = ("choices", "options", "answers", "endings", "candidates", "alternatives")
_GUESS_ANSWER = ("answer", "answer_index", "answerKey", "label", "correct", "target", "gold")
_GUESS_EXPLANATION = ("explanation", "rationale", "solution", "support", "exp")


def detect(row: Row) -> Layout | None:
    """The known layout whose fields the record has; None when there is none."""
    for layout in LAYOUTS:
        if all(name in row for name in layout.fields) and layout.shape(row):
            return layout
    return None


# -- named fields (--map) and guesses --------------------------------------------------------


@dataclass(frozen=True)
class FieldMap:
    """Which field holds what, for a layout mlcards does not know (``--map``)."""

    question: str
    choices: tuple[str, ...]
    answer: str
    explanation: str = ""
    id: str = ""

    def read(self, row: Row) -> Record:
        question = _text(_get(row, self.question), self.question)
        labels: list[str] = []
        if len(self.choices) == 1:
            value = _get(row, self.choices[0])
            if isinstance(value, Mapping) or (
                isinstance(value, list) and value and isinstance(value[0], Mapping)
            ):
                choices, labels = _struct(value, self.choices[0])
            else:
                choices = _texts(value, self.choices[0])
        else:
            choices = [_text(_get(row, name), name, required=False) for name in self.choices]
        raw = _get(row, self.answer)
        if labels and isinstance(raw, str) and raw.strip() in labels:
            answer = labels.index(raw.strip())
        elif isinstance(raw, str) and raw.strip() in choices and len(raw.strip()) > 1:
            answer = choices.index(raw.strip())
        else:
            answer = _index_answer(raw, len(choices))
        return Record(
            question,
            choices,
            answer,
            explanation=_text(_get(row, self.explanation), self.explanation, required=False)
            if self.explanation
            else "",
            explicit=_id(_get(row, self.id)) if self.id else "",
        )


def parse_map(pairs: Iterable[str]) -> FieldMap | None:
    """``--map`` values (``question=q choices=a,b,c answer=gold``...) as a FieldMap."""
    given: dict[str, str] = {}
    for pair in (p for text in pairs for p in text.split()):
        key, sep, value = pair.partition("=")
        key = key.strip().casefold()
        if not sep or not value.strip():
            raise UsageError(f"--map {pair!r}: write KEY=FIELD, e.g. question=prompt")
        if key not in MAP_KEYS:
            raise UsageError(f"--map {pair!r}: KEY is one of {', '.join(MAP_KEYS)}")
        if key in given:
            raise UsageError(f"--map names {key!r} twice")
        given[key] = value.strip()
    if not given:
        return None
    missing = [k for k in ("question", "choices", "answer") if k not in given]
    if missing:
        raise UsageError(f"--map must name {', '.join(missing)} (question, choices and answer)")
    choices = tuple(name.strip() for name in given["choices"].split(",") if name.strip())
    if not choices:
        raise UsageError("--map choices= names no field")
    return FieldMap(
        given["question"],
        choices,
        given["answer"],
        given.get("explanation", ""),
        given.get("id", ""),
    )


def guess(row: Row) -> FieldMap | None:
    """A FieldMap from common field names, when no known layout fits."""

    def first(names: tuple[str, ...], test: Callable[[JsonValue], bool]) -> str:
        return next((n for n in names if n in row and test(row[n])), "")

    question = first(_GUESS_QUESTION, lambda v: isinstance(v, str))
    choices = first(_GUESS_CHOICES, lambda v: isinstance(v, list | Mapping))
    answer = first(_GUESS_ANSWER, lambda v: v is not None)
    if not (question and choices and answer):
        return None
    explanation = first(_GUESS_EXPLANATION, lambda v: isinstance(v, str))
    ident = "id" if "id" in row else ""
    return FieldMap(question, (choices,), answer, explanation, ident)
