"""Our Anki note type, "mlcards multiple choice", and one note per mlcards card.

The note type has a fixed id and fixed fields, so every export updates the same note type
in the learner's collection, and a note's GUID is derived from its deck and card ids, so
exporting again updates notes instead of duplicating them. The back marks each right choice
with the class ``correct`` and a check mark using only ``{{#Field}}`` conditionals: it works
in every Anki client, with JavaScript or without.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from mlcards.anki.html import link_html, markdown_to_html
from mlcards.models import Card, Deck

NOTETYPE_ID = 1764_000_000_026
"""Fixed forever: Anki recognises the note type of a later export by this id."""
NOTETYPE_NAME = "mlcards multiple choice"
DECK_PREFIX = "mlcards::"
MAX_CHOICES = 10
MARK = "\u2714"

CHOICE_FIELDS = tuple(f"Choice{n}" for n in range(1, MAX_CHOICES + 1))
CORRECT_FIELDS = tuple(f"Correct{n}" for n in range(1, MAX_CHOICES + 1))
FIELDS: tuple[str, ...] = (
    "Question",
    *CHOICE_FIELDS,
    *CORRECT_FIELDS,
    "Multiple",
    "Explanation",
    "References",
    "Source",
    "DeckId",
    "CardId",
)

_CHOICE_LETTERS = "ABCDEFGHIJ"


def _front_choices() -> str:
    return "\n".join(
        f'{{{{#{c}}}}}<li class="choice"><span class="letter">{_CHOICE_LETTERS[i]}</span> '
        f"{{{{{c}}}}}</li>{{{{/{c}}}}}"
        for i, c in enumerate(CHOICE_FIELDS)
    )


def _back_choices() -> str:
    return "\n".join(
        f'{{{{#{c}}}}}<li class="choice{{{{#{k}}}}} correct{{{{/{k}}}}}">'
        f'<span class="letter">{_CHOICE_LETTERS[i]}</span> {{{{{c}}}}}'
        f'{{{{#{k}}}}} <span class="mark">{MARK}</span>{{{{/{k}}}}}</li>{{{{/{c}}}}}'
        for i, (c, k) in enumerate(zip(CHOICE_FIELDS, CORRECT_FIELDS, strict=True))
    )


FRONT = (
    '<div class="question">{{Question}}</div>\n'
    '{{#Multiple}}<div class="hint">Select all that apply.</div>{{/Multiple}}\n'
    '<ul class="choices">\n' + _front_choices() + "\n</ul>"
)
BACK = (
    '<div class="question">{{Question}}</div>\n'
    '{{#Multiple}}<div class="hint">Select all that apply.</div>{{/Multiple}}\n'
    '<ul class="choices">\n' + _back_choices() + "\n</ul>\n"
    '<hr id="answer">\n'
    '{{#Explanation}}<div class="explanation">{{Explanation}}</div>{{/Explanation}}\n'
    '{{#References}}<div class="references">{{References}}</div>{{/References}}\n'
    '{{#Source}}<div class="source">{{Source}}</div>{{/Source}}'
)
CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.choices { list-style: none; padding-left: 0; }
.choice { margin: 0.4em 0; padding: 0.3em 0.5em; border: 1px solid #8884; border-radius: 6px; }
.letter { font-weight: bold; margin-right: 0.3em; }
.choice.correct { border-color: #2a2; background: #2a22; }
.mark { color: #2a2; font-weight: bold; }
.hint, .source { font-size: 0.8em; opacity: 0.7; }
.explanation, .references { margin-top: 0.8em; }
"""


@dataclass(frozen=True)
class Note:
    """One card as an Anki note: its GUID, field values (HTML, in ``FIELDS`` order), tags."""

    guid: str
    note_id: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    deck_name: str


def note_guid(deck_id: str, card_id: str) -> str:
    """The same note on every export (never a row number: editing text keeps it)."""
    digest = hashlib.sha256(f"mlcards\x1f{deck_id}\x1f{card_id}".encode()).hexdigest()
    return "mlc" + digest[:20]


def stable_id(*parts: str) -> int:
    """A positive 50-bit id from text: Anki's ids are integers, and a stable one keeps a
    re-export's notes, cards and decks the same rows."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") % (1 << 50) + (1 << 40)


def anki_deck_name(deck: Deck) -> str:
    name = " ".join(deck.name.replace("::", ":").split()) or deck.id
    return DECK_PREFIX + name


def _references_html(card: Card) -> str:
    items = [f"<li>{link_html(r.title, r.url)}</li>" for r in card.references]
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _tag(text: str) -> str:
    return "_".join(text.split())


def card_note(deck: Deck, card: Card) -> Note:
    """The note of one card (choices beyond ``MAX_CHOICES`` are refused by the caller)."""
    choices = [markdown_to_html(c.text) for c in card.choices]
    correct = [MARK if c.id in card.answer else "" for c in card.choices]
    pad = [""] * (MAX_CHOICES - len(choices))
    question = markdown_to_html(card.question)
    if card.title:
        question = f"<b>{markdown_to_html(card.title)}</b><br>{question}"
    source = "; ".join(f"{k}: {v}" for k, v in card.source)
    fields = (
        question,
        *choices,
        *pad,
        *correct,
        *pad,
        "1" if card.multiple else "",
        markdown_to_html(card.explanation),
        _references_html(card),
        markdown_to_html(source) if source else "",
        deck.id,
        card.id,
    )
    return Note(
        guid=note_guid(deck.id, card.id),
        note_id=stable_id("note", deck.id, card.id),
        fields=fields,
        tags=("mlcards", *(_tag(t) for t in card.tags if _tag(t))),
        deck_name=anki_deck_name(deck),
    )
