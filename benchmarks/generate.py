"""Reproducible benchmark collections: the same cards and review history for mlcards and Anki.

Everything comes from one seeded ``random.Random`` (never the global one), so the same
arguments give the same databases. The history is simulated with mlcards' own SM-2
(``mlcards.scheduler.review``), card by card, over the year before ``REF_DAY``:

- each card starts on a random day and is answered on every due day (sometimes a few days
  late); three kinds of learner-card pairs (hard, medium, easy) give lapses, young and mature
  cards; answers below 4 are repeated the same day, as ``mlcards review`` does;
- one card in ten is abandoned before ``REF_DAY``, leaving an overdue backlog;
- cards are simulated until exactly ``reviews`` answers exist; the cards left over are new.

The mlcards database is written through the store itself: ``Store.import_decks`` for the
decks and ``Store.append_reviews`` for the log (which also sets each card's cached schedule,
so that ``mlcards.session.replay`` of the log gives back the cache). The Anki collection gets
the same notes through ``col.add_notes``, its cards' scheduling columns set to the same
states and a revlog with one row per answer (written with ``col.db.executemany``).

Run ``python benchmarks/generate.py --help`` for the command line; ``run.py`` calls it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from mlcards.models import Card, Choice, Deck, Quality, Reference
from mlcards.records import ReviewRecord
from mlcards.scheduler import SM2State, review

REF_DAY = date(2026, 11, 25)
"""The benchmark's "today": run mlcards with MLCARDS_NOW on this day (see ``NOW``)."""
NOW = "2026-11-25T12:00:00+00:00"
SEED = 20261125
DECKS = 10
HISTORY_DAYS = 365
GENERATOR_VERSION = 2
"""Bump when the generated data changes, so cached collections are rebuilt."""

_VOCABULARY = """
gradient loss batch layer weight bias learning rate optimizer momentum dropout
attention transformer embedding token sequence kernel convolution pooling stride
variance entropy softmax logit regularization overfitting validation holdout feature
normalization activation sigmoid relu residual encoder decoder latent prior posterior
likelihood sampling bootstrap ensemble boosting tree margin hinge vector matrix
tensor eigenvalue projection manifold cluster centroid precision recall calibration
"""
WORDS = tuple(_VOCABULARY.split())


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize()


def make_card(rng: random.Random, card_id: str) -> Card:
    choices = tuple(Choice(f"c{k}", sentence(rng, 3, 8) + ".") for k in range(4))
    answer = rng.choice(choices).id
    return Card(
        id=card_id,
        title=sentence(rng, 2, 4),
        question=sentence(rng, 15, 35) + "?",
        choices=choices,
        answer=(answer,),
        explanation=sentence(rng, 30, 70) + ".",
        references=(Reference(sentence(rng, 3, 6), f"https://example.org/{card_id}"),),
        tags=tuple(sorted({rng.choice(WORDS) for _ in range(2)})),
    )


def make_decks(rng: random.Random, cards: int, decks: int = DECKS) -> list[Deck]:
    decks = max(1, min(decks, cards))
    per = [cards // decks + (1 if k < cards % decks else 0) for k in range(decks)]
    out = []
    for k, count in enumerate(per):
        deck_id = f"bench-{k + 1:02d}"
        made = tuple(make_card(rng, f"card-{k + 1:02d}-{i:06d}") for i in range(count))
        out.append(Deck(deck_id, f"Benchmark deck {k + 1}", made, path=f"{deck_id}.yaml"))
    return out


@dataclass(frozen=True)
class Answer:
    """One simulated answer; ``card`` indexes the flat list of (deck, card)."""

    at: float  # seconds since the epoch, UTC
    card: int
    day: date
    quality: int
    same_day_repeat: bool
    was_new: bool
    state: SM2State
    last_interval: int
    due: date
    response_ms: int


def _quality(rng: random.Random, p_correct: float) -> int:
    if rng.random() < p_correct:
        return rng.choices((Quality.HARD, Quality.GOOD, Quality.EASY), (15, 65, 20))[0]
    return Quality.WRONG if rng.random() < 0.8 else Quality.BLACKOUT


def _card_history(rng: random.Random, card: int, ref: date) -> Iterator[Answer]:
    p_correct = rng.choices((0.7, 0.87, 0.95), (15, 40, 45))[0]
    day = ref - timedelta(days=rng.randint(1, HISTORY_DAYS))
    stop = ref if rng.random() > 0.1 else day + timedelta(days=rng.randint(0, (ref - day).days))
    state, first = SM2State(), True
    while day < stop:
        at = datetime(day.year, day.month, day.day, 8, tzinfo=UTC).timestamp()
        at += rng.randint(0, 12 * 3600)
        quality = _quality(rng, p_correct)
        before, state = state, review(state, quality)
        due = day + timedelta(days=state.interval)
        yield Answer(at, card, day, quality, False, first, state, before.interval, due, _ms(rng))
        first = False
        repeats = 0
        while quality < Quality.GOOD and repeats < 3:
            at += rng.randint(60, 600)
            quality = _quality(rng, min(p_correct + 0.2, 0.98))
            yield Answer(at, card, day, quality, True, False, state, state.interval, due, _ms(rng))
            repeats += 1
        day = due + timedelta(days=0 if rng.random() < 0.7 else rng.randint(1, 4))


def _ms(rng: random.Random) -> int:
    return int(rng.lognormvariate(8.8, 0.6))  # median about 6.6 s


def simulate(rng: random.Random, cards: int, reviews: int, ref: date = REF_DAY) -> list[Answer]:
    """Histories of randomly ordered cards until exactly ``reviews`` answers; time-sorted."""
    order = list(range(cards))
    rng.shuffle(order)
    answers: list[Answer] = []
    for card in order:
        if len(answers) >= reviews:
            break
        for answer in _card_history(rng, card, ref):
            if len(answers) >= reviews:
                break
            answers.append(answer)
    if len(answers) < reviews:
        raise SystemExit(
            f"only {len(answers)} answers from {cards} cards; ask for fewer reviews per card"
        )
    answers.sort(key=lambda a: a.at)
    return answers


def to_record(answer: Answer, flat: list[tuple[Deck, Card]]) -> ReviewRecord:
    deck, card = flat[answer.card]
    correct = answer.quality >= Quality.HARD
    if correct:
        chosen: tuple[str, ...] = card.answer
    elif answer.quality == Quality.BLACKOUT:
        chosen = ()
    else:
        chosen = (next(c.id for c in card.choices if c.id not in card.answer),)
    return ReviewRecord(
        deck_id=deck.id,
        card_id=card.id,
        reviewed_at=datetime.fromtimestamp(answer.at, UTC),
        study_day=answer.day,
        chosen=chosen,
        correct=correct,
        quality=Quality(answer.quality),
        response_ms=answer.response_ms,
        same_day_repeat=answer.same_day_repeat,
        was_new=answer.was_new,
        repetitions=answer.state.repetitions,
        easiness=float(answer.state.easiness),
        interval=answer.state.interval,
        due=answer.due,
    )


@dataclass
class Collection:
    decks: list[Deck]
    answers: list[Answer]

    @property
    def flat(self) -> list[tuple[Deck, Card]]:
        return [(deck, card) for deck in self.decks for card in deck.cards]


def make_collection(cards: int, reviews: int, seed: int = SEED) -> Collection:
    rng = random.Random(seed)
    decks = make_decks(rng, cards)
    return Collection(decks, simulate(rng, cards, reviews))


def build_mlcards(path: Path, collection: Collection) -> None:
    from mlcards.store import Store

    if path.exists():
        path.unlink()
    flat = collection.flat
    with Store.open(path) as store:
        # The history is simulated with SM-2 unfuzzed: so is this database's replay (a new
        # database fuzzes by default, and check would find every interval different).
        store.settings.adopt({"": {"fuzz": False}})
        store.decks.import_decks(collection.decks, datetime(2025, 11, 1, tzinfo=UTC))
        store.log.append(to_record(a, flat) for a in collection.answers)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# -- Anki ---------------------------------------------------------------------------------------

ANKI_PARENT = "mlbench"
_ANKI_EASE = {0: 1, 1: 1, 2: 1, 3: 2, 4: 3, 5: 4}  # SM-2 quality -> Again/Hard/Good/Easy


def anki_fields(card: Card) -> tuple[str, str]:
    """Front: question and choices; back: the answer and explanation (HTML, as Anki keeps)."""
    choices = "".join(f"<li>{c.text}</li>" for c in card.choices)
    front = f"<b>{card.title}</b><br>{card.question}<ol>{choices}</ol>"
    answer = ", ".join(c.text for c in card.choices if c.id in card.answer)
    back = f"{answer}<hr>{card.explanation}"
    return front, back


def anki_add_notes(col: object, decks: list[Deck]) -> None:
    """Add every card as a Basic note, in one ``add_notes`` call per deck."""
    from anki.collection import AddNoteRequest

    notetype = col.models.by_name("Basic")  # type: ignore[attr-defined]
    for deck in decks:
        deck_id = col.decks.id(f"{ANKI_PARENT}::{deck.id}")  # type: ignore[attr-defined]
        requests = []
        for card in deck.cards:
            note = col.new_note(notetype)  # type: ignore[attr-defined]
            note.fields[0], note.fields[1] = anki_fields(card)
            note.tags = list(card.tags)
            requests.append(AddNoteRequest(note=note, deck_id=deck_id))
        col.add_notes(requests)  # type: ignore[attr-defined]


def build_anki(path: Path, collection: Collection, ref: date = REF_DAY) -> None:
    from anki.collection import Collection as AnkiCollection

    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    col = AnkiCollection(str(path))
    try:
        anki_add_notes(col, collection.decks)
        col.decks.select(col.decks.id(ANKI_PARENT))
        today = col.sched.today
        # Notes were added deck by deck, card by card: card ids follow that order.
        card_ids = col.db.list("SELECT id FROM cards ORDER BY nid")
        flat_len = len(collection.flat)
        assert len(card_ids) == flat_len, (len(card_ids), flat_len)
        last: dict[int, Answer] = {}
        lapses: dict[int, int] = {}
        revlog = []
        used: set[int] = set()
        for a in collection.answers:
            last[a.card] = a
            if not a.same_day_repeat and a.quality < 3 and not a.was_new:
                lapses[a.card] = lapses.get(a.card, 0) + 1
            rid = int(a.at * 1000)
            while rid in used:
                rid += 1
            used.add(rid)
            kind = 0 if a.was_new else (2 if a.same_day_repeat else 1)
            revlog.append(
                (
                    rid,
                    card_ids[a.card],
                    _ANKI_EASE[a.quality],
                    a.state.interval,
                    a.last_interval,
                    int(a.state.easiness * 1000),
                    min(a.response_ms, 60_000),
                    kind,
                )
            )
        for start in range(0, len(revlog), 100_000):
            col.db.executemany(
                "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
                "VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)",
                revlog[start : start + 100_000],
            )
        reps: dict[int, int] = {}
        for a in collection.answers:
            reps[a.card] = reps.get(a.card, 0) + 1
        updates = [
            (
                today + (a.due - ref).days,
                a.state.interval,
                int(a.state.easiness * 1000),
                reps[card],
                lapses.get(card, 0),
                card_ids[card],
            )
            for card, a in last.items()
        ]
        col.db.executemany(
            "UPDATE cards SET type = 2, queue = 2, due = ?, ivl = ?, factor = ?, reps = ?, "
            "lapses = ?, usn = -1 WHERE id = ?",
            updates,
        )
        col.db.execute("ANALYZE")
    finally:
        col.close()


# -- the deck to import ------------------------------------------------------------------------


def _yaml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def deck_yaml(deck: Deck) -> str:
    lines = [f"id: {deck.id}", f"name: {_yaml_text(deck.name)}", "cards:"]
    for card in deck.cards:
        lines += [
            f"  - id: {card.id}",
            f"    title: {_yaml_text(card.title)}",
            "    question: |",
            f"      {card.question}",
            "    choices:",
        ]
        for choice in card.choices:
            lines += [f"      - id: {choice.id}", f"        text: {_yaml_text(choice.text)}"]
        lines += [
            f"    answer: {card.answer[0]}",
            "    explanation: |",
            f"      {card.explanation}",
        ]
        lines.append("    references:")
        for ref in card.references:
            lines += [f"      - title: {_yaml_text(ref.title)}", f"        url: {ref.url}"]
        lines.append(f"    tags: [{', '.join(card.tags)}]")
    return "\n".join(lines) + "\n"


IMPORT_FILES = 4
"""The import deck is split in files: mlcards refuses deck files over 5 MB."""


def write_import_decks(folder: Path, cards: int, seed: int = SEED + 1) -> list[Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    files = min(IMPORT_FILES, cards)
    paths = []
    for k in range(files):
        count = cards // files + (1 if k < cards % files else 0)
        deck_id = f"import-{k + 1}"
        made = tuple(make_card(rng, f"imp-{k + 1}-{i:06d}") for i in range(count))
        path = folder / f"{deck_id}.yaml"
        path.write_text(deck_yaml(Deck(deck_id, f"Import {k + 1}", made)), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--import-cards", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "work")
    parser.add_argument("--no-anki", action="store_true", help="skip the Anki collection")
    args = parser.parse_args(argv)
    generate(args.out, args.cards, args.reviews, args.import_cards, args.seed, not args.no_anki)


def generate(
    out: Path, cards: int, reviews: int, import_cards: int, seed: int, anki: bool
) -> dict[str, object]:
    """Build (or keep, when the manifest matches) every benchmark input under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, object] = {
        "generator": GENERATOR_VERSION,
        "cards": cards,
        "reviews": reviews,
        "import_cards": import_cards,
        "seed": seed,
        "ref_day": REF_DAY.isoformat(),
    }
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    same = {k: manifest.get(k) for k in wanted} == wanted
    mlcards_db, anki_db = out / "mlcards.db", out / "collection.anki2"
    need_anki = anki and not (same and manifest.get("anki") and anki_db.exists())
    if not (same and mlcards_db.exists()) or need_anki:
        started = time.monotonic()
        collection = make_collection(cards, reviews, seed)
        _log(f"simulated {len(collection.answers):,} answers", started)
        if not (same and mlcards_db.exists()):
            manifest = {}
            build_mlcards(mlcards_db, collection)
            _log(f"wrote {mlcards_db}", started)
            write_import_decks(out / "import", import_cards)
            _log(f"wrote {import_cards:,} cards to import under {out / 'import'}", started)
        if need_anki:
            build_anki(anki_db, collection)
            _log(f"wrote {anki_db}", started)
        manifest = {**wanted, "anki": anki or bool(manifest.get("anki"))}
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    from mlcards.store import Store

    Store.open(mlcards_db).close()  # apply any newer migration now, not in a timed run
    return manifest


def _log(message: str, started: float) -> None:
    print(f"[generate {time.monotonic() - started:6.1f}s] {message}", file=sys.stderr)


if __name__ == "__main__":
    main()
