"""JSON Lines / JSON data-set layouts (``mlcards.formats.jsonl``), and what every converter
now shares: streaming in two passes, problems named by the source's line, choices kept last
when their meaning depends on their place, the converted deck's size cap.

Each layout has a small fixture of our own in tests/data/formats/ (no data set is copied).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import DATA, run
from hypothesis import given
from hypothesis import strategies as st

from mlcards.deck import MAX_DEPTH, parse_deck
from mlcards.deckwriter import dump_card, dump_deck, dump_deck_head
from mlcards.errors import DeckError, UsageError
from mlcards.formats import convert_file, convert_stream, parse_map
from mlcards.formats._common import Draft, DraftChoice, Issue, is_pinned
from mlcards.formats.layouts import LAYOUTS, detect, guess
from mlcards.formats.markdown import escape_markdown, html_to_markdown
from mlcards.formats.writer import write_deck

FIXTURES = DATA / "formats"


def fixture(name: str) -> Path:
    path = FIXTURES / name
    assert path.is_file(), f"missing fixture {path}"
    return path


def stream(path: Path, **options: object) -> tuple[str, list[str], str]:
    """(YAML, notes, layout) of ``convert_stream``."""
    out = io.StringIO()
    notes: list[str] = []
    _, layout = convert_stream(path, out, note=notes.append, **options)  # type: ignore[arg-type]
    return out.getvalue(), notes, layout


def problems(path: Path, **options: object) -> list[str]:
    with pytest.raises(DeckError) as excinfo:
        stream(path, **options)
    return excinfo.value.problems


def text_of(card: object, choice_id: str) -> str:
    return next(c.text for c in card.choices if c.id == choice_id)  # type: ignore[attr-defined]


# -- every layout ---------------------------------------------------------------------------

# (fixture, layout found, [(card id, answer, choice texts)], cards skipped)
LAYOUT_CASES = [
    (
        "jsonl-mmlu.jsonl",
        "MMLU",
        [
            ("which-activation-is-zero-for-every-72a72456", "a",
             ["ReLU", "tanh", "sigmoid", "softplus"]),
            (
                "which-of-these-reduce-overfitting-b51878eb",
                "b",
                ["Dropout", "Weight decay", "Early stopping", "All of the above"],
            ),
            ("what-does-the-softmax-of-a-vector-sum-to-29392700", "b",
             ["0", "1", "the vector's length", "it depends"]),
        ],
        0,
    ),
    (
        "jsonl-mmlu-pro.jsonl",
        "MMLU-Pro",
        [
            ("70", "c",
             ["SGD", "Momentum", "Adam", "Nesterov", "Plain gradient descent", "Line search"]),
            ("71", "b", ["5", "6", "9", "3", "2", "8", "12"]),
        ],
        0,
    ),
    (
        "jsonl-race.jsonl",
        "RACE",
        [
            (
                "maria-trained-a-small-network-on-a-bd0dc9aa",
                "a",
                ["The network began to overfit", "The laptop ran out of memory",
                 "The photos were mislabelled", "The learning rate was zero"],
            ),
            (
                "maria-trained-a-small-network-on-a-bc925413",
                "b",
                ["Training for more epochs", "Early stopping", "Removing the validation set",
                 "A larger learning rate"],
            ),
        ],
        0,
    ),
    (
        "jsonl-hellaswag.jsonl",
        "HellaSwag",
        [
            ("24", "a", ["splits it into training and test sets.", "paints the laptop blue.",
                         "sings to the keyboard.", "throws the data away."]),
        ],
        1,
    ),
    (
        "jsonl-arc.jsonl",
        "ARC/CommonsenseQA",
        [
            ("mercury-ml-0001", "a",
             ["the weights", "the input data", "the labels", "the loss function"]),
            ("mcas-ml-0002", "c", ["classification", "clustering", "regression", "ranking"]),
        ],
        1,
    ),
    (
        "jsonl-commonsenseqa.jsonl",
        "ARC/CommonsenseQA",
        [
            ("075e483d21c29a511267ef62bedc0461", "a",
             ["a model hub", "a shoe box", "the GPU fan", "a paper notebook", "the loss curve"]),
        ],
        0,
    ),
    (
        "jsonl-openbookqa.jsonl",
        "ARC/CommonsenseQA",
        [("7-980", "b",
          ["generalise perfectly", "do worse on new data", "train faster", "need no data"])],
        0,
    ),
    (
        "json-arc-original.json",
        "ARC/OpenBookQA (original)",
        [
            ("mercury-ml-0101", "a", ["cross-entropy", "mean absolute error",
                                      "hinge on regression targets", "cosine distance"]),
            ("obqa-ml-0102", "a", ["the optimiser", "the disk", "the labels"]),
        ],
        0,
    ),
    (
        "jsonl-gpqa.jsonl",
        "GPQA",
        [
            ("recml0001", "d", ["layer normalisation of the values", "a causal mask",
                                "dropout on the keys", "dividing by the square root of d"]),
        ],
        0,
    ),
    (
        "jsonl-medmcqa.jsonl",
        "MedMCQA",
        [("e9ad821a-c438-4965-9f77-760819dfa155", "a", ["90%", "10%", "100%", "cannot tell"])],
        1,
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "label", "cards", "skipped"), LAYOUT_CASES)
def test_each_layout_converts_to_the_expected_cards(
    name: str, label: str, cards: list[tuple[str, str, list[str]]], skipped: int
) -> None:
    path = fixture(name)
    text, notes, layout = stream(path)
    assert layout == label
    deck = parse_deck(text, name)
    got = [(c.id, c.answer[0], [x.text for x in c.choices]) for c in deck.cards]
    assert got == cards
    skips = [n for n in notes if ": skipped " in n]
    assert len(skips) == skipped
    assert all(n.startswith(f"{path}:") and "without an answer" in n for n in skips)
    conversion = convert_file(path)  # what import uses: the same deck
    assert conversion.yaml_text == text
    assert len(conversion.skipped) == skipped


def test_explanations_tags_and_questions_come_from_each_layouts_fields() -> None:
    def cards(name: str) -> list[tuple[str, str, tuple[str, ...]]]:
        deck = convert_file(fixture(name)).deck
        return [(c.question, c.explanation, c.tags) for c in deck.cards]

    (first, *_) = cards("jsonl-mmlu-pro.jsonl")
    assert first[1] == "Adam keeps running averages of the gradient and of its square."
    assert first[2] == ("computer-science",)
    race = cards("jsonl-race.jsonl")[0][0]
    assert race.startswith("Maria trained a small network") and race.endswith("fifth epoch?")
    assert cards("jsonl-sciq.jsonl")[0][1] == "The learning rate scales each gradient step."
    assert cards("jsonl-medmcqa.jsonl")[0][1].startswith("Sensitivity is true positives")
    assert cards("jsonl-medmcqa.jsonl")[0][2] == ("biostatistics",)
    assert cards("jsonl-openbookqa.jsonl")[0][1] == "overfitting lowers accuracy on unseen data"
    assert cards("jsonl-hellaswag.jsonl")[0][2] == ("training-a-model",)
    assert cards("jsonl-gpqa.jsonl")[0][1].startswith("Dot products of random vectors")
    assert cards("jsonl-mmlu.jsonl")[0][2] == ("machine-learning",)


def test_right_answer_and_distractors_get_a_stable_place_that_is_not_always_first(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sciq.jsonl"
    rows = [
        {"question": f"Question {n}?", "correct_answer": f"right {n}", "distractor1": "x",
         "distractor2": "y", "distractor3": "z", "support": ""}
        for n in range(40)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    deck = convert_file(path).deck
    places = [c.answer[0] for c in deck.cards]
    assert set(places) == {"a", "b", "c", "d"}, "the right answer takes every place"
    for card, number in zip(deck.cards, range(40), strict=True):
        assert text_of(card, card.answer[0]) == f"right {number}"
    path.write_text("".join(json.dumps(r) + "\n" for r in reversed(rows)), encoding="utf-8")
    again = {c.id: c.answer for c in convert_file(path).deck.cards}
    assert again == {c.id: c.answer for c in deck.cards}, "same row, same place, any order"


def test_ids_come_from_the_rows_id_or_a_hash_that_survives_reordering(tmp_path: Path) -> None:
    source = fixture("jsonl-mmlu.jsonl").read_text(encoding="utf-8").splitlines(True)
    path = tmp_path / "mmlu.jsonl"
    path.write_text("".join(reversed(source)), encoding="utf-8")
    reordered = sorted(c.id for c in convert_file(path).deck.cards)
    assert reordered == sorted(c.id for c in convert_file(fixture("jsonl-mmlu.jsonl")).deck.cards)
    twice = tmp_path / "twice.jsonl"
    record = {"id": "Q-1", "question": "Q?", "choices": ["a", "b"], "answer": 0}
    twice.write_text(json.dumps(record) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    assert problems(twice) == [f"{twice}:2: duplicate id 'q-1' (first at line 1)"]


def test_identical_questions_get_numbered_ids_and_shared_stems_their_choices(
    tmp_path: Path,
) -> None:
    path = tmp_path / "same.jsonl"
    rows = [
        {"question": "Same?", "choices": ["a", "b"], "answer": 0},
        {"question": "Same?", "choices": ["c", "d"], "answer": 0},
        {"question": "Same?", "choices": ["a", "b"], "answer": 1},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ids = [c.id for c in convert_file(path).deck.cards]
    assert len(set(ids)) == 3
    assert ids[2] == ids[0] + "-2"
    assert ids[0].startswith("same-") and ids[1].startswith("same-") and ids[0] != ids[1]


# -- the detector -----------------------------------------------------------------------------


def _first_record(name: str) -> dict[str, object]:
    text = fixture(name).read_text(encoding="utf-8")
    record = json.loads(text)[0] if name.endswith(".json") else json.loads(text.splitlines()[0])
    assert isinstance(record, dict)
    return record


SAMPLES = {case[1] + "/" + case[0]: _first_record(case[0]) for case in LAYOUT_CASES}
KNOWN_FIELDS = frozenset(name for layout in LAYOUTS for name in layout.fields) | {
    "subject", "cot_content", "question_id", "category", "ctx", "ctx_a", "ctx_b", "ind",
    "activity_label", "question_stem", "fact1", "id", "support", "distractor2", "distractor3",
    "Incorrect Answer 2", "Incorrect Answer 3", "Explanation", "Record ID", "Subdomain",
    "opc", "opd", "exp", "subject_name", "answer",
}  # fmt: skip
"""Every field a known layout reads (its own and the optional ones): the extra fields added
to a record below are none of these."""

_GUESS_BAIT = ["prompt", "target", "gold", "options_list", "correct", "rationale", "stem", "text"]
_EXTRA_NAMES = st.one_of(
    st.sampled_from(_GUESS_BAIT),
    st.text(min_size=1, max_size=12).filter(lambda n: n not in KNOWN_FIELDS),
)
_EXTRA_VALUES = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.text(max_size=8),
    st.lists(st.text(max_size=5), max_size=4),
)


@given(
    sample=st.sampled_from(sorted(SAMPLES)),
    extra=st.dictionaries(_EXTRA_NAMES, _EXTRA_VALUES, max_size=6),
)
def test_a_layouts_own_fields_always_win_over_guesses(
    sample: str, extra: dict[str, object]
) -> None:
    """Whatever other fields a record carries (names a guess would take included), the
    layout its own fields name is the one found, and it reads the record the same way."""
    record = SAMPLES[sample]
    layout = detect(record)
    assert layout is not None and sample.startswith(layout.label + "/")
    noisy = {**{k: v for k, v in extra.items() if k not in record}, **record}
    assert detect(noisy) is layout
    assert layout.read(noisy) == layout.read(record)


def test_the_guess_is_used_only_without_a_known_layout() -> None:
    for layout in LAYOUTS:
        assert layout.fields, layout.name
    text, _, label = stream(fixture("jsonl-guessed.jsonl"))
    assert label == "guessed: question=prompt choices=options answer=target"
    (card,) = parse_deck(text).cards
    assert card.answer == ("a",) and card.explanation.startswith("Weight decay adds lambda")
    assert guess({"question": "Q", "nothing": 1}) is None


def test_a_record_no_layout_fits_asks_for_map(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text('{"q": "Q?", "A": "x", "B": "y", "key": "A"}\n', encoding="utf-8")
    code, _, err = run(capsys, "convert", str(path))
    assert code == 2
    assert "no known layout has the fields 'q', 'A', 'B', 'key'" in err
    assert "--map question=FIELD choices=FIELD answer=FIELD" in err


# -- --map --------------------------------------------------------------------------------------


def test_map_names_the_fields_of_any_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = fixture("jsonl-mapped.jsonl")
    target = tmp_path / "mapped.yaml"
    code, _, err = run(
        capsys, "convert", str(path), "-o", str(target),
        "--map", "question=query.text choices=A,B,C answer=key",
        "--map", "explanation=why", "--map", "id=uid",
    )  # fmt: skip
    assert code == 0, err
    assert "read as fields named by --map" in err
    cards = parse_deck(target.read_text(encoding="utf-8")).cards
    assert [(c.id, c.answer) for c in cards] == [("m-1", ("b",)), ("m-2", ("c",))]
    assert cards[0].explanation == "The test set stays untouched until the end."


def test_import_takes_map_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--map on import as on convert (the data-set issue: "names the fields of any other
    layout" for convert/import)."""
    path = fixture("jsonl-mapped.jsonl")
    code, out, err = run(
        capsys, "import", "--json", str(path),
        "--map", "question=query.text choices=A,B,C answer=key", "--map", "id=uid",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["decks"][0]["added"] == ["m-1", "m-2"]
    code, _, err = run(capsys, "import", str(path))  # without it: no layout fits
    assert code == 2 and "--map question=FIELD" in err


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["question"], "write KEY=FIELD"),
        (["questoin=q"], "KEY is one of question, choices, answer, explanation, id"),
        (["question=q choices=c"], "--map must name answer"),
        (["question=q", "question=r"], "--map names 'question' twice"),
        (["question=q choices=, answer=a"], "--map choices= names no field"),
    ],
)
def test_map_mistakes_are_usage_errors(values: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_map(values)


def test_map_is_for_json_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.csv"
    path.write_text("Q?,a,b,A\n", encoding="utf-8")
    code, _, err = run(capsys, "convert", str(path), "--map", "question=q choices=c answer=a")
    assert code == 2 and "--map names the fields of a JSON or JSON Lines file" in err


def test_a_mapped_field_missing_from_a_record_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"q": "Q?", "c": ["x", "y"], "a": 0}\n{"q": "R?", "a": 1}\n', "utf-8")
    mapping = parse_map(["question=q choices=c answer=a"])
    assert problems(path, mapping=mapping) == [f"{path}:2: c must be a list of choices, not null"]


# -- hostile and broken records --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"question": "Q?", "choices": ["a", "b"], "answer": 0\n', "1: not valid JSON"),
        ('{"question": "Q?", "question": "R?", "choices": ["a", "b"], "answer": 0}\n',
         "1: not valid JSON: key 'question' appears twice in one object"),
        ('{"question": "Q?", "choices": ["a", "b"], "answer": ' + "7" * 5000 + "}\n",
         "1: not valid JSON: a number of 5,000 digits (at most 20)"),
        ('{"question": "Q?", "choices": ["a", "b"], "answer": NaN}\n',
         "1: not valid JSON: NaN is not a JSON number"),
        ('{"question": "Q?", "choices": ["a", "b"], "answer": "' + "7" * 5000 + '"}\n',
         "1: answer '777777777777777777"),
        ('["a", "b"]\n', "1: each record must be an object with named fields, not a list"),
        ('{"question": "Q\\u001b]52;c;x\\u0007", "choices": ["a", "b"], "answer": 0}\n',
         "1: U+001B (ESC) is a terminal control character"),
        ('{"question": "Q?", "choices": ["a", "b"], "answer": 2}\n',
         "1: answer '2' names no choice: there are 2"),
        ('{"question": "Q?", "choices": ["a", ""], "answer": 1}\n',
         "1: the answer, choice B, is empty"),
        ('{"question": "Q?", "choices": ["a"], "answer": 0}\n',
         "1: a card needs 2 to 10 choices, found 1"),
        ('{"question": "Q?", "choices": "ab", "answer": 0}\n', "1: choices must be a list"),
        ('{"question": ["Q?"], "choices": ["a", "b"], "answer": 0}\n',
         "1: question must be text, not a list"),
        ('{"x": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}\n",
         f"1: nested deeper than {MAX_DEPTH} levels"),
    ],
)  # fmt: skip
def test_broken_records_are_problems_at_their_line(tmp_path: Path, text: str, message: str) -> None:
    """Each broken record follows a good one, which decided the layout."""
    path = tmp_path / "bad.jsonl"
    good = '{"question": "Fine?", "choices": ["a", "b"], "answer": 0}\n'
    path.write_text(good + text, encoding="utf-8")
    line, _, rest = message.partition(":")
    found = problems(path)
    assert any(p.startswith(f"{path}:{int(line) + 1}:{rest}") for p in found), found


def test_deep_nesting_in_a_json_array_stops_the_file_without_recursion(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[\n" + "[" * 100_000 + "]" * 100_000 + "\n]\n", encoding="utf-8")
    assert problems(path) == [f"{path}:2: nested deeper than {MAX_DEPTH} levels; a record "
                              "holds plain fields"]  # fmt: skip


def test_a_json_array_is_read_record_by_record_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "arr.json"
    one = {"question": "One [a] {b}?", "choices": ["x]", "{y"], "answer": 0}
    two = {"question": 'Two "quoted\\" ]?', "choices": ["a", "b"], "answer": 7}
    path.write_text("[" + json.dumps(one) + ",\n\n  " + json.dumps(two) + "\n]", encoding="utf-8")
    assert problems(path) == [f"{path}:3: answer '7' names no choice: there are 2"]
    for text, message in [
        ('{"question": "Q?"}', "1: a .json file holds one array"),
        ("", "1: no records"),
        ('[{"question": "Q?", "choices": ["a", "b"], "answer": 0}', "1: the array is not closed"),
    ]:
        path.write_text(text, encoding="utf-8")
        (problem,) = problems(path)
        assert problem.startswith(f"{path}:{message}"), problem


def test_records_without_an_answer_are_skipped_counted_and_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "test-split.jsonl"
    rows = [{"question": "A?", "choices": ["a", "b"], "answer": 0}]
    rows += [{"question": f"Q{n}?", "choices": ["a", "b"], "answer": v}
             for n, v in enumerate([-1, "", None, "-1"])]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, out, err = run(capsys, "convert", str(path))
    assert code == 0 and len(parse_deck(out).cards) == 1
    for line in (2, 3, 4, 5):
        assert f"{path}:{line}: skipped a record without an answer (empty or -1)" in err
    assert "skipped 4 records or questions" in err
    path.write_text(json.dumps(rows[1]) + "\n", encoding="utf-8")
    assert problems(path) == [
        f"{path}:1: no multiple-choice question to convert (1 skipped)",
        f"{path}:1: skipped a record without an answer (empty or -1)",
    ]


def test_import_takes_jsonl_and_json_and_keeps_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "import", str(fixture("jsonl-arc.jsonl")), str(fixture("json-arc-original.json"))
    )
    assert code == 0, err
    assert "skipped a record without an answer" in err
    code, out, _ = run(capsys, "import", "--json", str(fixture("jsonl-arc.jsonl")))
    assert code == 0 and json.loads(out)["changed"] is False


# -- what every converter shares -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pinned"),
    [
        ("All of the above", True),
        ("all of the above.", True),
        ("None of these", True),
        ("Both A and B", True),
        ("Both (a) and (c)", True),
        ("A, B and C", True),
        ("Neither A nor B", True),
        ("All of the above are correct", True),
        ("A and B only", True),
        ("Above all, regularise", False),
        ("All of the weights", False),
        ("None", False),
        ("Both models overfit", False),
        ("A", False),
        ("Batch norm and dropout", False),
    ],
)
def test_choices_whose_meaning_depends_on_their_place(text: str, pinned: bool) -> None:
    assert is_pinned(text) is pinned


def test_choices_naming_others_are_kept_last_and_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pinned.csv"
    path.write_text(
        "Which help?,None of the above,Dropout,Both B and D,Weight decay,B\n"
        "Which is a norm?,L2,All of the above,L1,Max,A\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "convert", str(path))
    assert code == 0
    first, second = parse_deck(out).cards
    assert [c.text for c in first.choices] == [
        "Dropout", "Weight decay", "None of the above", "Both B and D",
    ]  # fmt: skip
    assert first.answer == ("b",) and text_of(first, "b") == "Dropout", "ids kept"
    assert [c.text for c in second.choices][-1] == "All of the above"
    assert f"{path}:1: card {first.id}: 'None of the above'; 'Both B and D' kept last" in err
    assert f"{path}:2: card {second.id}: 'All of the above' kept last" in err
    assert "2 cards with a choice kept last" in err


def test_problems_the_loader_finds_name_the_source_line_not_the_yamls(tmp_path: Path) -> None:
    """A bidi override written as an HTML reference in a GIFT answer is refused at the line
    of the question in the .gift file (it was the line of the converted YAML)."""
    path = tmp_path / "one.gift"
    path.write_text("\n" * 5 + "Which is safe? {=a&\\#x202e;b ~c}\n", encoding="utf-8")
    found = problems(path)
    assert found and all(p.startswith(f"{path}:6: U+202E") for p in found), found


def test_streaming_writes_what_the_deck_writer_writes() -> None:
    document = {"id": "d", "name": "D", "description": "x: y", "cards": []}
    cards = [
        {"id": "c1", "question": "Q\n\nwith: colon", "choices": [{"id": "a", "text": "yes"},
         {"id": "b", "text": "no", "feedback": "#"}], "answer": "a", "explanation": "E"},
        {"id": "c2", "question": "R", "choices": [{"id": "a", "text": "1"},
         {"id": "b", "text": "2"}], "answer": ["a", "b"], "explanation": "F", "tags": ["t"]},
    ]  # fmt: skip
    whole = dump_deck({**document, "cards": cards})  # type: ignore[dict-item]
    assert dump_deck_head(document) + "".join(dump_card(c) for c in cards) == whole  # type: ignore[arg-type]


def _draft(line: int, question: str) -> Draft:
    return Draft(
        line=line,
        question=question,
        choices=(DraftChoice("a", "x"), DraftChoice("b", "y")),
        answer=("a",),
        multiple=False,
        key=question,
    )


def test_a_source_that_changes_between_the_passes_is_refused() -> None:
    passes: list[list[Draft | Issue]] = [
        [_draft(1, "One?"), _draft(2, "Two?")],
        [_draft(1, "One?"), _draft(2, "Changed?")],
    ]

    def rows() -> Iterator[Draft | Issue]:
        return iter(passes.pop(0))

    with pytest.raises(DeckError, match="the file changed while it was converted"):
        write_deck(rows, io.StringIO(), path="f.csv", deck_id="f", name="F", description="")


def test_the_converted_deck_obeys_the_deck_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    record = {"question": "Q {n}?", "choices": ["a" * 50, "b" * 50], "answer": 0}
    path.write_text(
        "".join(json.dumps({**record, "question": f"Q {n}?"}) + "\n" for n in range(200)),
        encoding="utf-8",
    )
    size = path.stat().st_size
    (problem,) = problems(path, max_bytes=size + 100)
    assert problem.startswith(f"{path}:1: the converted deck would be ")
    assert "raise the max_deck_bytes setting" in problem
    (problem,) = problems(path, max_bytes=size - 1)
    assert problem == (
        f"{path}:1: file is {size:,} bytes; sources are limited to {size - 1:,} bytes "
        "(the max_deck_bytes setting)"
    )


def test_running_out_of_memory_is_a_clean_error_with_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlcards.formats

    def exhausted(*_args: object, **_kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(mlcards.formats, "convert_stream", exhausted)
    code, _, err = run(capsys, "convert", str(fixture("jsonl-mmlu.jsonl")))
    assert code == 71
    assert err.startswith("mlcards: error: out of memory; nothing was left half written")
    assert "Traceback" not in err


# -- hostile input is converted in linear time -----------------------------------------------


def test_deeply_nested_html_lists_convert_in_linear_time_and_size() -> None:
    html = "<ul><li>x" * 4000 + "</li></ul>" * 4000
    start = time.perf_counter()
    markdown = html_to_markdown(html)
    assert time.perf_counter() - start < 5
    assert len(markdown) < 40 * len(html)


def test_long_runs_of_spaces_convert_in_linear_time() -> None:
    start = time.perf_counter()
    html_to_markdown("<pre>" + " " * 160_000 + "x</pre>")
    html_to_markdown("a" + " " * 160_000 + "<br>" + " " * 160_000 + "b")
    escape_markdown("-|" + " |" * 20_000 + " x")
    escape_markdown("| " + "-" * 100 + " " * 100_000 + "|x")
    assert time.perf_counter() - start < 5


def test_hard_breaks_keep_their_meaning() -> None:
    assert html_to_markdown("a<br>b") == "a\\\nb"
    assert html_to_markdown("a <br> <br> b") == "a\n\nb"
    assert html_to_markdown("a<br>") == "a"
    assert html_to_markdown("<p>a<br></p><p>b</p>") == "a\n\nb"


def test_a_table_rule_is_still_found() -> None:
    assert escape_markdown("a | b\n--- | ---") == "a \\| b\\\n--- \\| ---"
    assert escape_markdown("a | b\n:-- | x") == "a | b\\\n:-- | x"
