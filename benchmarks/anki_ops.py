"""What Anki does for each benchmark row, one operation per process (``run.py`` times these).

    python benchmarks/anki_ops.py counts COLLECTION
    python benchmarks/anki_ops.py stats COLLECTION
    python benchmarks/anki_ops.py import COLLECTION DECK.yaml...
    python benchmarks/anki_ops.py answer COLLECTION N     (prints latencies as JSON)
    python benchmarks/anki_ops.py find COLLECTION QUERY   (prints the number of cards found)

Each starts from nothing (``import anki`` is part of the cost, as ``import mlcards`` is for
mlcards) and closes the collection before exiting.
"""

from __future__ import annotations

import json
import sys
import time

PARENT = "mlbench"


def counts(path: str) -> None:
    from anki.collection import Collection

    col = Collection(path)
    print(col.sched.counts())
    col.close()


def stats(path: str) -> None:
    """The data behind Anki's statistics screen (the graphs call), one deck tree, 365 days."""
    from anki.collection import Collection

    col = Collection(path)
    graphs = col._backend.graphs(search=f"deck:{PARENT}", days=365)
    print(len(graphs.SerializeToString()))
    col.close()


def import_(path: str, files: list[str]) -> None:
    """Add the notes of deck YAML files to a new collection: parse, then one add_notes a file."""
    import yaml
    from anki.collection import AddNoteRequest, Collection

    col = Collection(path)
    notetype = col.models.by_name("Basic")
    for name in files:
        with open(name, encoding="utf-8") as handle:
            deck = yaml.load(handle, Loader=yaml.CSafeLoader)
        deck_id = col.decks.id(f"{PARENT}::{deck['id']}")
        requests = []
        for card in deck["cards"]:
            note = col.new_note(notetype)
            choices = "".join(f"<li>{c['text']}</li>" for c in card["choices"])
            note.fields[0] = (
                f"<b>{card.get('title', '')}</b><br>{card['question']}<ol>{choices}</ol>"
            )
            right = ", ".join(c["text"] for c in card["choices"] if c["id"] == card["answer"])
            note.fields[1] = f"{right}<hr>{card['explanation']}"
            note.tags = list(card.get("tags", []))
            requests.append(AddNoteRequest(note=note, deck_id=deck_id))
        col.add_notes(requests)
    print(col.card_count())
    col.close()


def answer(path: str, count: int) -> None:
    """Answer ``count`` cards Good as Anki's reviewer does (v3 queue), timing each step.

    Latency = from the answer to the next card ready to draw: ``answer_card``, then
    ``get_queued_cards`` and rendering the next card's question HTML.
    """
    import anki.collection  # noqa: F401 - before anki.cards, which alone is a circular import
    from anki.cards import Card
    from anki.collection import Collection
    from anki.scheduler.v3 import CardAnswer

    col = Collection(path)
    started = time.perf_counter()
    queued = col.sched.get_queued_cards()
    top = queued.cards[0]
    card = Card(col, backend_card=top.card)
    card.question(reload=True)
    first_ms = (time.perf_counter() - started) * 1000
    latencies = []
    for _ in range(count):
        card.start_timer()
        t0 = time.perf_counter()
        col.sched.answer_card(
            col.sched.build_answer(card=card, states=top.states, rating=CardAnswer.GOOD)
        )
        queued = col.sched.get_queued_cards()
        if not queued.cards:
            break
        top = queued.cards[0]
        card = Card(col, backend_card=top.card)
        card.question(reload=True)
        latencies.append((time.perf_counter() - t0) * 1000)
    col.close()
    print(json.dumps({"first_card_ms": first_ms, "latencies_ms": latencies}))


def find(path: str, query: str) -> None:
    from anki.collection import Collection

    col = Collection(path)
    print(len(col.find_cards(query)))
    col.close()


def main(argv: list[str]) -> None:
    op, path, *rest = argv
    if op == "counts":
        counts(path)
    elif op == "stats":
        stats(path)
    elif op == "import":
        import_(path, rest)
    elif op == "answer":
        answer(path, int(rest[0]))
    elif op == "find":
        find(path, rest[0])
    else:
        raise SystemExit(f"unknown operation {op!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
