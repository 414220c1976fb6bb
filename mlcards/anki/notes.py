"""Multiple-choice notes made in Anki -> mlcards decks.

Three kinds of note are understood: our own note type (its deck and card ids kept), the
"Multiple Choice for Anki" add-on's ``AllInOne (kprim, mc, sc)`` (``QType`` 0 kprim: select
the true statements; 1 mc: select all that apply; 2 sc: one answer; ``Answers`` like
``1 0 1 0``), and notes with a question field, option fields (``A``..``J``, ``Option 1``..)
and an answer field holding letters. Field HTML becomes Markdown with no HTML left, and
every character a terminal would act on is dropped before the strict deck loader sees it.
Any other note type is skipped with a count and the reason, never an error.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from mlcards.anki.collection import Collection, NoteType, ReadNote
from mlcards.anki.notetype import CHOICE_FIELDS, CORRECT_FIELDS, DECK_PREFIX, FIELDS, NOTETYPE_ID
from mlcards.errors import DeckError
from mlcards.formats._common import CHOICE_IDS, Conversion, Draft, DraftChoice, is_slug
from mlcards.formats.markdown import html_to_markdown
from mlcards.formats.writer import build
from mlcards.sanitize import UNSAFE

_QUESTION_NAMES = ("question", "front", "stem", "q", "text")
_ANSWER_NAMES = ("answer", "answers", "correct", "correct answer", "answer letter", "key")
_OPTION = re.compile(r"^(?:option|choice|answer|opt)?[ _-]?([a-j]|10|[1-9])$", re.IGNORECASE)
_MEDIA = re.compile(r"<img\b|\[sound:", re.IGNORECASE)
_SOUND = re.compile(r"\[sound:[^\]]*\]")
_LETTERS = re.compile(r"[A-Ja-j]|10|[1-9]")


@dataclass
class Converted:
    """What the notes of one package became: decks of ours whose ids the notes carry, one
    deck for the other multiple-choice notes, and every note left out with its reason."""

    ours: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Note id -> (mlcards deck id, card id), for every note of our type."""
    conversions: list[Conversion] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def is_ours(notetype: NoteType) -> bool:
    return notetype.id == NOTETYPE_ID or notetype.fields == FIELDS


def _kind(notetype: NoteType) -> str:
    names = {n.lower() for n in notetype.fields}
    if is_ours(notetype):
        return "ours"
    if {"question", "qtype", "answers", "q_1"} <= names:
        return "allinone"
    if _letter_layout(notetype) is not None:
        return "letters"
    return ""


def _letter_layout(notetype: NoteType) -> tuple[int, list[tuple[int, int]], int] | None:
    """(question field, [(option number, field)], answer field) for a question/options/
    letter note type, or None."""
    lowered = [n.strip().lower() for n in notetype.fields]
    question = next((lowered.index(n) for n in _QUESTION_NAMES if n in lowered), None)
    answer = next((lowered.index(n) for n in _ANSWER_NAMES if n in lowered), None)
    options: list[tuple[int, int]] = []
    for index, name in enumerate(notetype.fields):
        if index in (question, answer):
            continue
        match = _OPTION.match(name.strip())
        if match:
            token = match.group(1).lower()
            number = int(token) if token.isdigit() else "abcdefghij".index(token) + 1
            options.append((number, index))
    if question is None or answer is None or len(options) < 2:
        return None
    return question, sorted(options), answer


def _text(value: str, notices: list[str], where: str) -> str:
    if _MEDIA.search(value):
        notices.append(f"{where}: an image or sound is not brought over (text only)")
    markdown = html_to_markdown(_SOUND.sub("", value))
    return UNSAFE.sub("", markdown).strip()


def _guid_id(guid: str) -> str:
    return "anki-" + hashlib.sha256(guid.encode()).hexdigest()[:12]


def _draft_ours(note: ReadNote, line: int, notices: list[str], where: str) -> Draft | str:
    values = dict(zip(FIELDS, note.fields, strict=False))
    choices: list[DraftChoice] = []
    answer: list[str] = []
    for index, (name, flag) in enumerate(zip(CHOICE_FIELDS, CORRECT_FIELDS, strict=True)):
        text = _text(values.get(name, ""), notices, where)
        if text:
            choices.append(DraftChoice(CHOICE_IDS[index], text))
            if values.get(flag, "").strip():
                answer.append(CHOICE_IDS[index])
    return _finish(
        line,
        _text(values.get("Question", ""), notices, where),
        choices,
        answer,
        bool(values.get("Multiple", "").strip()),
        _text(values.get("Explanation", ""), notices, where),
        explicit_id=values.get("CardId", "").strip(),
    )


def _draft_allinone(
    notetype: NoteType, note: ReadNote, line: int, notices: list[str], where: str
) -> Draft | str:
    values = {n.lower(): v for n, v in zip(notetype.fields, note.fields, strict=False)}
    qtype = html_to_markdown(values.get("qtype", "")).strip()
    flags = html_to_markdown(values.get("answers", "")).split()
    if qtype not in ("0", "1", "2"):
        return f"QType {qtype[:10]!r} is not 0 (kprim), 1 (mc) or 2 (sc)"
    choices: list[DraftChoice] = []
    answer: list[str] = []
    for number in range(1, 11):
        text = _text(values.get(f"q_{number}", ""), notices, where)
        if not text:
            continue
        choice_id = CHOICE_IDS[len(choices)]
        choices.append(DraftChoice(choice_id, text))
        if number <= len(flags) and flags[number - 1] == "1":
            answer.append(choice_id)
    question = _text(values.get("question", ""), notices, where)
    if qtype == "0":
        question += "\n\nSelect the true statements."
    explanation = "\n\n".join(
        part
        for part in (
            _text(values.get("extra 1", ""), notices, where),
            _text(values.get("sources", ""), notices, where),
        )
        if part
    )
    title = _text(values.get("title", ""), notices, where)
    return _finish(
        line, question, choices, answer, qtype != "2", explanation, title=title, guid=note.guid
    )


def _draft_letters(
    notetype: NoteType, note: ReadNote, line: int, notices: list[str], where: str
) -> Draft | str:
    layout = _letter_layout(notetype)
    assert layout is not None
    question_at, options, answer_at = layout
    choices: list[DraftChoice] = []
    by_number: dict[int, str] = {}
    for number, index in options:
        text = _text(note.fields[index] if index < len(note.fields) else "", notices, where)
        if text:
            by_number[number] = CHOICE_IDS[len(choices)]
            choices.append(DraftChoice(CHOICE_IDS[len(choices)], text))
    key = html_to_markdown(note.fields[answer_at] if answer_at < len(note.fields) else "")
    answer = []
    for token in _LETTERS.findall(key.strip()[:40]):
        number = int(token) if token.isdigit() else "abcdefghij".index(token.lower()) + 1
        if number not in by_number:
            return f"the answer {key.strip()[:20]!r} names no option with text"
        answer.append(by_number[number])
    return _finish(
        line,
        _text(note.fields[question_at], notices, where),
        choices,
        answer,
        len(answer) > 1,
        "",
        guid=note.guid,
    )


def _finish(
    line: int,
    question: str,
    choices: list[DraftChoice],
    answer: list[str],
    multiple: bool,
    explanation: str,
    *,
    title: str = "",
    explicit_id: str = "",
    guid: str = "",
) -> Draft | str:
    if not question:
        return "no question text"
    if len(choices) < 2:
        return "fewer than two choices with text"
    if not answer:
        return "no choice is marked right"
    if len({c.text for c in choices}) < len(choices):
        return "two choices have the same text"
    return Draft(
        line=line,
        question=question,
        choices=tuple(choices),
        answer=tuple(dict.fromkeys(answer)),
        multiple=multiple,
        explanation=explanation,
        key=question,
        choice_key="\x1f".join(c.text for c in choices),
        explicit_id=explicit_id or (_guid_id(guid) if guid else ""),
        title=title,
    )


def convert_notes(
    collection: Collection, shown: str, deck_id: str, deck_name: str, skip_decks: set[str]
) -> Converted:
    """Every note of a package sorted out: ours (kept by id; those of a deck mlcards does not
    have, i.e. not in ``skip_decks``, also become decks), the other multiple-choice kinds
    (one deck, ``deck_id``), the rest skipped and counted by note type."""
    result = Converted()
    ours: dict[str, list[Draft]] = {}
    others: list[Draft] = []
    names: dict[str, str] = {}
    other_types: Counter[str] = Counter()
    note_decks: dict[int, int] = {}
    for nid, did in collection.cards.values():
        note_decks.setdefault(nid, did)
    for line, note in enumerate(collection.notes.values(), start=1):
        notetype = collection.notetypes.get(note.notetype_id)
        kind = _kind(notetype) if notetype is not None else ""
        if notetype is None or not kind:
            other_types[notetype.name if notetype else f"unknown ({note.notetype_id})"] += 1
            continue
        where = f"{shown}: note {note.id}"
        if kind == "ours":
            values = dict(zip(FIELDS, note.fields, strict=False))
            key = (values.get("DeckId", "").strip(), values.get("CardId", "").strip())
            if not (is_slug(key[0]) and is_slug(key[1])):
                result.skipped.append(
                    f"{where}: skipped, its DeckId and CardId fields are not both ids "
                    "(lowercase letters, digits, '-' or '_')"
                )
                continue
            result.ours[note.id] = key
            if key[0] in skip_decks:
                continue
            draft: Draft | str = _draft_ours(note, line, result.notices, where)
            if isinstance(draft, Draft):
                ours.setdefault(key[0], []).append(draft)
                anki_deck = collection.decks.get(note_decks.get(note.id, 0), "")
                names.setdefault(key[0], anki_deck.removeprefix(DECK_PREFIX) or key[0])
        elif kind == "allinone":
            draft = _draft_allinone(notetype, note, line, result.notices, where)
            if isinstance(draft, Draft):
                others.append(draft)
        else:
            draft = _draft_letters(notetype, note, line, result.notices, where)
            if isinstance(draft, Draft):
                others.append(draft)
        if isinstance(draft, str):
            result.skipped.append(f"{where} ({notetype.name}): skipped, {draft}")
    for name, count in sorted(other_types.items()):
        result.skipped.append(
            f"{shown}: {count} note(s) of type {name!r} skipped: not multiple choice"
        )
    problems: list[str] = []
    for mlcards_deck, drafts in sorted(ours.items()):
        _build(result, problems, drafts, shown, mlcards_deck, names[mlcards_deck])
    if others:
        _build(result, problems, others, shown, deck_id, deck_name)
    if problems:
        raise DeckError(problems)
    return result


def _build(
    result: Converted,
    problems: list[str],
    drafts: list[Draft],
    shown: str,
    deck_id: str,
    name: str,
) -> None:
    try:
        result.conversions.append(
            build(
                drafts,
                path=shown,
                deck_id=deck_id,
                name=name,
                description=f"Converted from the Anki package {shown}.",
            )
        )
    except DeckError as exc:
        problems.extend(exc.problems)
