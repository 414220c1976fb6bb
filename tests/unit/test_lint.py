"""mlcards.lint: every rule fires on a cue and stays quiet on a clean card, the share
arithmetic, the JSON keys, the text lines and the exit codes of ``python -m mlcards.lint``.

Fixture decks live in tests/data/lint/: clean.yaml draws no warning; cues.yaml has one card
per card-level rule (its id is the rule's code) and two select-all cards with the same number
of correct choices; broken.yaml does not load. For the newer rules, more-cues.yaml trips each
card-level and cross-card one (its ids name them) and more-clean.yaml holds near misses;
convergence-wins.yaml and select-all-longest.yaml trip the two set-level rules, clean.yaml and
select-all-balanced.yaml do not. The bundled decks are linted by the last test only.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import DATA, ROOT, start

from mlcards.deck import load_deck
from mlcards.lint import DeckLint, LintReport, LintWarning, format_report, lint_decks
from mlcards.lint.limits import (
    CODES,
    CONVERGENCE_WINS_LIMIT,
    KEY_LENGTH_RATIO,
    LONGEST_WINS_LIMIT,
    SELECT_ALL_LONGEST_MARGIN,
    STEM_JACCARD_LIMIT,
)
from mlcards.lint.measures import (
    absolute_words,
    convergence_wins,
    hedge_words,
    longest_choice_wins,
    normalise,
    part_convergence,
    parts,
    select_all_longest,
)
from mlcards.models import Card, Choice, Deck, Reference

LINT_DATA = DATA / "lint"
CLEAN = LINT_DATA / "clean.yaml"
CUES = LINT_DATA / "cues.yaml"
BROKEN = LINT_DATA / "broken.yaml"
MORE_CUES = LINT_DATA / "more-cues.yaml"
MORE_CLEAN = LINT_DATA / "more-clean.yaml"
CONVERGING = LINT_DATA / "convergence-wins.yaml"
SELECT_ALL_LONGEST = LINT_DATA / "select-all-longest.yaml"
SELECT_ALL_BALANCED = LINT_DATA / "select-all-balanced.yaml"

REPORT_LEVEL = {"longest-wins", "convergence-wins", "select-all-longest"}
CROSS_CARD = {"duplicate-stem", "giveaway"}

REF = (Reference("Goodfellow et al. (2016), Deep Learning", "https://www.deeplearningbook.org/"),)


def card(
    *texts: str,
    answer: str | tuple[str, ...] = "a",
    card_id: str = "c1",
    explanation: str = "Because.",
    references: tuple[Reference, ...] = REF,
    line: int = 4,
) -> Card:
    """A card with choices a, b, c... from ``texts``; a tuple answer makes it select-all."""
    multiple = isinstance(answer, tuple)
    return Card(
        id=card_id,
        question="Question?",
        choices=tuple(Choice(chr(ord("a") + i), t) for i, t in enumerate(texts)),
        answer=answer if isinstance(answer, tuple) else (answer,),
        explanation=explanation,
        multiple=multiple,
        references=references,
        line=line,
    )


def deck(*cards: Card, deck_id: str = "toy", path: str = "toy.yaml") -> Deck:
    return Deck(deck_id, "Toy", tuple(cards), path=path)


def codes(*cards: Card) -> list[str]:
    """The codes of the card- and deck-level warnings of a deck of ``cards``. A deck of one or
    two cards often also draws a report-level warning, and the helper's cards share their stem
    ("Question?"), so the cross-card rules would fire; both kinds are tested apart."""
    report = lint_decks([deck(*cards)])
    return [w.code for w in report.warnings if w.code not in REPORT_LEVEL | CROSS_CARD]


# -- the fixture decks ------------------------------------------------------------------------


def test_clean_deck_draws_no_warning() -> None:
    report = lint_decks([load_deck(CLEAN)])
    assert report.warnings == ()
    assert (
        report.total.single_answer,
        report.total.longest_wins,
        report.total.convergence_wins,
    ) == (3, 0, 0)


CARD_RULES = ["key-longest", "absolute-words", "duplicate-choice", "substring-choice"]


@pytest.mark.parametrize("code", [*CARD_RULES, "no-reference"])
def test_each_cue_card_draws_exactly_its_own_warning(code: str) -> None:
    cues = load_deck(CUES)
    report = lint_decks([cues])
    target = next(c for c in cues.cards if c.id == code)
    found = [(w.code, w.line, w.path) for w in report.warnings if w.card_id == code]
    assert found == [(code, target.line, str(CUES))]


def test_cue_deck_warnings_in_line_order_with_the_deck_level_one_first() -> None:
    report = lint_decks([load_deck(CUES)])
    assert [(w.line, w.card_id, w.code) for w in report.warnings] == [
        (1, "", "select-all-count"),
        (6, "key-longest", "key-longest"),
        (22, "absolute-words", "absolute-words"),
        (38, "duplicate-choice", "duplicate-choice"),
        (54, "substring-choice", "substring-choice"),
        (70, "no-reference", "no-reference"),
        (0, "", "longest-wins"),  # 2 of 5
    ]


# -- key-longest ------------------------------------------------------------------------------


def test_key_longest_fires_above_the_ratio_and_not_at_it() -> None:
    assert float(KEY_LENGTH_RATIO) == 1.3
    ten = "x" * 10
    assert codes(card("k" * 14, ten, "y" * 3)) == ["key-longest"]  # 1.4x
    assert codes(card("k" * 13, ten, "y" * 3)) == []  # exactly 1.3x
    assert codes(card("k" * 40, "x" * 30, "y" * 31)) == []  # measured to the longest distractor


def test_key_longest_counts_stripped_characters() -> None:
    assert codes(card("  " + "k" * 13 + "  ", "x" * 10)) == []
    assert codes(card("k" * 14, "   " + "x" * 10 + "   ")) == ["key-longest"]


def test_key_longest_ignores_select_all_cards() -> None:
    # a select-all card has its own length rule, statement-longest
    assert codes(card("k" * 50, "x" * 5, "y" * 5, answer=("a",))) == ["statement-longest"]


def test_key_longest_message_gives_the_measurements() -> None:
    warning = lint_decks([deck(card("short", "k" * 30, "x" * 20, answer="b"))]).warnings[0]
    assert warning.message == (
        "the key (b, 30 characters) is 1.50x as long as the longest distractor (c, 20); "
        "the limit is 1.3x"
    )


# -- absolute-words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "distractor",
    [
        "It always works.",
        "NEVER tune it.",
        "Only the bias.",
        "It must be zero.",
        "It cannot learn.",
        "It can't learn.",
        "It can\u2019t learn.",
        "It is impossible.",
        "Convergence is guaranteed.",
    ],
)
def test_absolute_word_in_a_distractor_fires(distractor: str) -> None:
    assert codes(card("It depends on the data.", distractor, "It is a bias term.")) == [
        "absolute-words"
    ]


@pytest.mark.parametrize(
    "distractor",
    ["Mustard-yellow curves.", "Unguaranteed bounds.", "Alwaysbatch mode.", "It mustn't stop."],
)
def test_absolute_words_match_whole_words_only(distractor: str) -> None:
    assert codes(card("It depends on the data.", distractor, "It is a bias term.")) == []


def test_absolute_word_in_a_correct_choice_silences_the_rule() -> None:
    assert codes(card("It always helps here.", "It never converges.", "It is slow.")) == []
    # in a select-all card, one correct choice with an absolute word is enough
    assert codes(card("Never.", "Mostly.", "Sometimes.", "Always.", answer=("a", "b"))) == []
    assert codes(card("Rarely.", "Mostly.", "Sometimes.", "Always.", answer=("a", "b"))) == [
        "absolute-words"
    ]


def test_absolute_words_message_lists_choices_and_words() -> None:
    (warning,) = lint_decks(
        [deck(card("It depends.", "It must always fit.", "It is fine.", "It cannot fit."))]
    ).warnings
    assert warning.message == (
        "absolute words in distractors b (must, always), d (cannot) but in no correct choice"
    )
    assert absolute_words("Only, ONLY and only") == ["only"]


# -- duplicate-choice and substring-choice ----------------------------------------------------


def test_normalise() -> None:
    assert normalise("  The ReLU,  an `activation`! ") == "relu activation"
    assert normalise("It can\u2019t be A/B.") == "it cant be b"
    assert normalise("0.80, -1 and 10%") == "0.80 -1 and 10%"
    assert normalise("state-of-the-art") == "state of art"
    assert normalise("x > 0") == "x > 0"


@pytest.mark.parametrize(
    ("first", "second"),
    [("The ReLU.", "relu"), ("An Adam optimiser", "adam   optimiser!"), ("L2-norm", "L2 norm")],
)
def test_duplicate_choice_fires(first: str, second: str) -> None:
    assert codes(card(first, "Something else entirely", second)) == ["duplicate-choice"]


@pytest.mark.parametrize(
    ("first", "second"),
    [("x > 0", "x < 0"), ("-1", "1"), ("0.5", "5"), ("10%", "10"), ("Adam", "Adamax")],
)
def test_duplicate_and_substring_stay_quiet_on_different_choices(first: str, second: str) -> None:
    assert codes(card(first, second, "zzz")) == []


def test_substring_choice_fires_on_whole_words_only() -> None:
    assert codes(card("Adam", "Adam with warmup", "RMSprop")) == ["substring-choice"]
    assert codes(card("Adam", "Adamax with warmup", "RMSprop")) == []
    (warning,) = lint_decks([deck(card("SGD", "Plain SGD, no momentum", "Adam"))]).warnings
    assert warning.message == "choice a ('sgd') is contained in choice b ('plain sgd no momentum')"


def test_a_duplicate_pair_is_not_also_a_substring_pair() -> None:
    assert codes(card("The ReLU", "relu.", "Tanh", answer="c")) == ["duplicate-choice"]


# -- no-explanation, no-reference -------------------------------------------------------------


def test_no_explanation_and_no_reference() -> None:
    texts = ("Yes", "No", "Maybe")
    assert codes(card(*texts, explanation=" \n")) == ["no-explanation"]
    assert codes(card(*texts, references=())) == ["no-reference"]
    assert codes(card(*texts)) == []


# -- select-all-count -------------------------------------------------------------------------


def select_all(card_id: str, correct: int) -> Card:
    answer = tuple("abcde"[:correct])
    return card("One", "Two", "Three", "Four", "Five", answer=answer, card_id=card_id)


def test_select_all_count_fires_when_every_select_all_card_has_the_same_count() -> None:
    report = lint_decks([deck(select_all("s1", 3), select_all("s2", 3), card("No", "Yes"))])
    found = [(w.code, w.card_id, w.line) for w in report.warnings if w.code not in CROSS_CARD]
    assert found == [("select-all-count", "", 1)]
    assert report.warnings[0].message == (
        "all 2 select-all cards have 3 correct choices; vary the number so it gives nothing away"
    )


def test_select_all_count_stays_quiet_on_varied_counts_or_a_single_card() -> None:
    assert codes(select_all("s1", 3), select_all("s2", 2), select_all("s3", 3)) == []
    assert codes(select_all("s1", 3)) == []


def test_select_all_count_is_per_deck() -> None:
    report = lint_decks(
        [deck(select_all("s1", 2), deck_id="one"), deck(select_all("s2", 2), deck_id="two")]
    )
    assert [w.code for w in report.warnings] == ["duplicate-stem"]  # the same card twice


# -- pick the longest: wins, ties, shares -----------------------------------------------------


def test_longest_choice_wins_needs_a_strictly_longest_key() -> None:
    assert longest_choice_wins(card("longest", "short", "mid"))
    assert not longest_choice_wins(card("same1", "same2", "s"))  # a tie is no win
    assert not longest_choice_wins(card("short", "longest"))
    assert not longest_choice_wins(card("longest", "a", answer=("a",)))  # select-all


def hand_made() -> list[Deck]:
    win = card("longer", "short")  # 6 vs 5 characters: a win, but not key-longest
    lose = card("short", "longer")
    tie = card("same1", "same2")
    return [
        deck(win, win, lose, tie, select_all("s", 2), deck_id="one", path="one.yaml"),
        deck(win, lose, lose, lose, deck_id="two", path="two.yaml"),
        deck(select_all("t", 1), deck_id="three", path="three.yaml"),
    ]


def test_share_arithmetic_per_deck_and_in_total() -> None:
    report = lint_decks(hand_made())
    assert [(d.cards, d.single_answer, d.longest_wins) for d in report.decks] == [
        (5, 4, 2),
        (4, 4, 1),
        (1, 0, 0),
    ]
    assert [d.longest_wins_share for d in report.decks] == [0.5, 0.25, 0.0]
    assert (report.total.cards, report.total.single_answer, report.total.longest_wins) == (10, 8, 3)
    assert report.total.longest_wins_share == 3 / 8
    assert report.warnings[-1] == LintWarning(
        "",
        0,
        "",
        "",
        "longest-wins",
        "pick the longest wins 3 of 8 single-answer cards (37.5%), above the 30% limit",
    )


@pytest.mark.parametrize(("wins", "warns"), [(6, False), (7, True)])
def test_longest_wins_limit_is_exact(wins: int, warns: bool) -> None:
    assert float(LONGEST_WINS_LIMIT) == 0.30
    cards = [card("longer", "short", card_id=f"w{i}") for i in range(wins)]
    cards += [card("short", "longer", card_id=f"l{i}") for i in range(20 - wins)]
    report = lint_decks([deck(*cards)])  # 6 of 20 is exactly 30%: not above the limit
    found = [w.code for w in report.warnings if w.code in REPORT_LEVEL]
    assert found == (["longest-wins"] if warns else [])


def test_empty_report() -> None:
    report = lint_decks([])
    assert (report.warnings, report.decks, report.total.longest_wins_share) == ((), (), 0.0)
    assert format_report(report) == ["total: 0 decks, 0 cards, 0 warnings; no single-answer cards"]


# -- to_dict and format_report ----------------------------------------------------------------


def test_to_dict_keys_and_values() -> None:
    data = lint_decks(hand_made()).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert list(data) == ["warnings", "decks", "totals", "by_code", "limits"]
    assert list(data["warnings"][0]) == ["path", "line", "deck_id", "card_id", "code", "message"]
    assert data["decks"][0] == {
        "deck_id": "one",
        "path": "one.yaml",
        "cards": 5,
        "single_answer": 4,
        "longest_wins": 2,
        "longest_wins_share": 0.5,
        "convergence_wins": 0,
        "convergence_wins_share": 0.0,
        "select_all": 1,
        "select_all_longest_right": 0,
        "select_all_longest_right_share": 0.0,
        "select_all_expected_share": 0.4,
    }
    assert data["totals"] == {
        "decks": 3,
        "cards": 10,
        "single_answer": 8,
        "longest_wins": 3,
        "longest_wins_share": 0.375,
        "convergence_wins": 0,
        "convergence_wins_share": 0.0,
        "select_all": 2,
        "select_all_longest_right": 0,
        "select_all_longest_right_share": 0.0,
        "select_all_expected_share": pytest.approx(0.3),
        "warnings": 11,
    }
    # the hand-made decks repeat cards, which duplicate-stem reports once per later copy
    assert data["by_code"] == {"duplicate-stem": 10, "longest-wins": 1}
    assert data["limits"] == {
        "key_length_ratio": 1.3,
        "longest_wins_share": 0.3,
        "convergence_wins_share": 0.3,
        "select_all_longest_margin": 0.1,
        "stem_jaccard": 0.35,
    }


def test_by_code_follows_the_rule_order() -> None:
    report = lint_decks([load_deck(CUES), load_deck(MORE_CUES)])
    assert list(report.by_code) == [c for c in CODES if c in report.by_code]
    assert sum(report.by_code.values()) == len(report.warnings) == 11


def test_format_report_lines() -> None:
    report = lint_decks([load_deck(CLEAN), load_deck(CUES)])
    clean, cues = str(CLEAN), str(CUES)
    assert format_report(report) == [
        f"{cues}:1: cues: all 2 select-all cards have 2 correct choices; vary the number so it "
        "gives nothing away [select-all-count]",
        f"{cues}:6: cues/key-longest: the key (a, 56 characters) is 2.43x as long as the longest "
        "distractor (b, 23); the limit is 1.3x [key-longest]",
        f"{cues}:22: cues/absolute-words: absolute words in distractor b (must) but in no "
        "correct choice [absolute-words]",
        f"{cues}:38: cues/duplicate-choice: choices a and b are the same once normalised: "
        "'relu' [duplicate-choice]",
        f"{cues}:54: cues/substring-choice: choice a ('adam') is contained in choice b "
        "('adam with decoupled weight decay') [substring-choice]",
        f"{cues}:70: cues/no-reference: the card has no reference [no-reference]",
        f"{clean}: clean: 5 cards, 0 warnings; pick the longest wins 0 of 3 single-answer "
        "cards (0%); the longest statement is right on 0 of 2 select-all cards (0%, 62% "
        "expected)",
        f"{cues}: cues: 7 cards, 6 warnings; pick the longest wins 2 of 5 single-answer "
        "cards (40%); the longest statement is right on 1 of 2 select-all cards (50%, 67% "
        "expected)",
        "total: 2 decks, 12 cards, 6 warnings (key-longest 1, absolute-words 1, "
        "duplicate-choice 1, substring-choice 1, no-reference 1, select-all-count 1); pick "
        "the longest wins 2 of 8 single-answer cards (25%); the longest statement is right on "
        "1 of 4 select-all cards (25%, 65% expected)",
    ]


def test_report_types_are_frozen() -> None:
    report = LintReport((), (DeckLint("d", "d.yaml", 1, 1, 0),))
    with pytest.raises(AttributeError):
        report.decks[0].cards = 2  # type: ignore[misc]


# -- the command -------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    """``mlcards lint ARGS``, in process; its exit code."""
    from mlcards.cli import main as cli_main

    with pytest.raises(SystemExit) as exit_info:
        cli_main(["lint", *argv])
    code = exit_info.value.code
    return code if isinstance(code, int) else 1


def test_main_exits_0_with_warnings_and_1_with_strict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(CUES)]) == 0
    out = capsys.readouterr().out
    assert "[key-longest]" in out
    assert out.splitlines()[-1].startswith("total: 1 deck, 7 cards, 7 warnings")
    assert main(["--strict", str(CUES)]) == 1
    assert main(["--strict", str(CLEAN)]) == 0
    assert capsys.readouterr().err == ""


def test_main_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", str(LINT_DATA / "clean.yaml"), str(CUES)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["warnings"] == 6
    assert [d["deck_id"] for d in data["decks"]] == ["clean", "cues"]


def test_main_exits_65_on_a_broken_deck(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--strict", str(CLEAN), str(BROKEN)]) == 65
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        f"{BROKEN}:12: card 'c1': answer 'z' names no choice of this card (choice ids: a, b)\n"
    )


def test_main_exits_66_on_a_missing_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "missing.yaml")]) == 66
    assert "no such file" in capsys.readouterr().err


def test_main_lints_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "clean.yaml").write_text(CLEAN.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["--strict", str(tmp_path)]) == 0
    assert "total: 1 deck, 5 cards, 0 warnings" in capsys.readouterr().out


def test_the_installed_command_runs() -> None:
    result = start(["lint", "--strict", str(CUES)], cwd=ROOT, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "[substring-choice]" in result.stdout


def test_the_bundled_decks_pass_lint_strict(capsys: pytest.CaptureFixture[str]) -> None:
    """The starter decks give nothing away: no warning, "pick the longest choice" wins on at
    most 30% of single-answer cards, and on select-all cards the longest statement is right
    no more often than expected plus the margin, over at least 150 cards in at least 10
    decks."""
    from mlcards.bundled import bundled_decks_dir

    assert main(["--strict", "--json", str(bundled_decks_dir())]) == 0
    totals = json.loads(capsys.readouterr().out)["totals"]
    assert totals["warnings"] == 0
    assert totals["longest_wins_share"] <= 0.30
    assert totals["convergence_wins_share"] <= 0.30
    assert totals["select_all_longest_right_share"] <= totals["select_all_expected_share"] + 0.1
    assert totals["cards"] >= 150 and totals["decks"] >= 10


# -- the newer rules: fixtures ----------------------------------------------------------------

NEW_CARD_RULES = [
    "hedge-only-key",
    "convergence",
    "statement-longest",
    "duplicate-stem",
    "giveaway",
]


@pytest.mark.parametrize("code", NEW_CARD_RULES)
def test_each_newer_cue_card_draws_exactly_its_own_warning(code: str) -> None:
    cues = load_deck(MORE_CUES)
    report = lint_decks([cues])
    target = next(c for c in cues.cards if c.id == code)
    found = [(w.code, w.line) for w in report.warnings if w.card_id == code]
    assert found == [(code, target.line)]
    # and no other card of the fixture warns
    assert {w.card_id for w in report.warnings if w.deck_id} == set(NEW_CARD_RULES)


def test_newer_rules_stay_quiet_on_their_near_misses() -> None:
    report = lint_decks([load_deck(MORE_CLEAN)])
    assert report.warnings == ()


def test_newer_fixture_messages() -> None:
    report = lint_decks([load_deck(MORE_CUES)])
    by_card = {w.card_id: w.message for w in report.warnings}
    assert by_card["hedge-only-key"] == (
        "only the key (a) is hedged (can); no distractor carries a qualifier"
    )
    assert by_card["convergence"] == (
        "the key (b) shares the most parts with the other choices (a 1, b 2, c 1); balance "
        "the parts so each appears equally often"
    )
    assert by_card["statement-longest"] == (
        "the longest right statement (a, 59 characters) is more than 1.3x as long as the "
        "longest wrong one (d, 14)"
    )
    assert by_card["duplicate-stem"].startswith(
        "the stem and key share 73% of their words with more-cues/dup-first ("
    )
    assert by_card["giveaway"].startswith(
        "the stem contains 'divides step running root mean square past gradients', the "
        "answer of more-cues/giveaway-source ("
    )


def test_convergence_wins_fixture_trips_and_clean_does_not() -> None:
    report = lint_decks([load_deck(CONVERGING)])
    assert [w.code for w in report.warnings] == ["convergence-wins"]
    assert report.warnings[0].message == (
        "pick the choice sharing the most words with the others wins 3 of 3 single-answer "
        "cards (100.0%), above the 30% limit"
    )
    assert lint_decks([load_deck(CLEAN)]).warnings == ()


def test_select_all_longest_fixture_trips_and_balanced_does_not() -> None:
    report = lint_decks([load_deck(SELECT_ALL_LONGEST)])
    assert [w.code for w in report.warnings] == ["select-all-longest"]
    assert report.warnings[0].message == (
        "the longest statement is a right one on 10 of 10 select-all cards (100.0%), against "
        "37.5% expected from their share of right statements; the limit is 10% above that"
    )
    balanced = lint_decks([load_deck(SELECT_ALL_BALANCED)])
    assert balanced.warnings == ()
    assert (balanced.total.select_all, balanced.total.select_all_longest_right) == (10, 4)


# -- the newer rules: edges ------------------------------------------------------------------


def test_hedge_words_whole_words_any_case() -> None:
    assert hedge_words("It CAN help; it often does, and may not.") == ["can", "often", "may"]
    assert hedge_words("Mayday, cannot, scan, about 0.5") == []


def test_hedge_only_key_needs_a_hedge_only_in_the_key() -> None:
    assert codes(card("It can help.", "It hurts.", "It is neutral.")) == ["hedge-only-key"]
    assert codes(card("It can help.", "It may hurt.", "It is neutral.")) == []
    assert codes(card("It helps.", "It may hurt.", "It is neutral.")) == []
    # select-all cards are judged by statement length, not hedges
    assert codes(card("It can help.", "It hurts a lot.", "It is fine.", answer=("a", "c"))) == []


def test_parts_split_on_separators_but_not_inside_numbers() -> None:
    assert parts("70% of the variance; error 3.0") == ["70% of variance", "error 3.0"]
    assert parts("2 (fp16) + 2, then 1,000 steps. Done") == [
        "2 fp16",
        "2",
        "then 1,000 steps",
        "done",
    ]
    assert parts("[0.84, -0.89, 0.04]") == ["0.84", "-0.89", "0.04"]


def test_part_convergence_is_strict_and_needs_a_shared_part() -> None:
    two_by_two = card("A 1; B 1", "A 1; B 2", "A 2; B 2", "A 2; B 1", answer="b")
    assert part_convergence(two_by_two) is None  # every part in exactly two choices
    key_in_middle = card("A 1; B 1", "A 1; B 2", "A 2; B 2", answer="b")
    assert part_convergence(key_in_middle) == {"a": 1, "b": 2, "c": 1}
    assert part_convergence(card("x", "y", "z")) is None  # nothing shared
    assert part_convergence(card("A 1; B 1", "A 1; B 2", answer=("a",))) is None


def test_convergence_wins_counts_shared_words_strictly() -> None:
    assert convergence_wins(card("red fox", "red deer", "arctic fox"))
    assert not convergence_wins(card("red fox", "red deer", "grey fox", "grey deer"))  # tie
    assert not convergence_wins(card("red deer", "red fox", "arctic fox"))


@pytest.mark.parametrize(("wins", "warns"), [(6, False), (7, True)])
def test_convergence_wins_limit_is_exact(wins: int, warns: bool) -> None:
    assert float(CONVERGENCE_WINS_LIMIT) == 0.30
    cards = [card("red fox", "red deer", "arctic fox", card_id=f"w{i}") for i in range(wins)]
    cards += [card("red deer", "red fox", "arctic fox", card_id=f"l{i}") for i in range(20 - wins)]
    report = lint_decks([deck(*cards)])
    found = [w.code for w in report.warnings if w.code in REPORT_LEVEL]
    assert found == (["convergence-wins"] if warns else [])


def test_statement_longest_ratio_is_exact() -> None:
    assert codes(card("k" * 13, "r", "x" * 10, answer=("a", "b"))) == []  # exactly 1.3x
    assert codes(card("k" * 14, "r", "x" * 10, answer=("a", "b"))) == ["statement-longest"]
    assert codes(card("k" * 14, "x" * 10, answer="a")) == ["key-longest"]  # single-answer


def test_select_all_longest_skips_ties_and_single_answer_cards() -> None:
    assert select_all_longest(card("long", "s", "x", answer=("a",))) is True
    assert select_all_longest(card("long", "s", "xxxxx", answer=("a",))) is False
    assert select_all_longest(card("same", "s", "four", answer=("a",))) is None
    assert select_all_longest(card("long", "s")) is None


def select_all_card(i: int, longest_right: bool) -> Card:
    words = ["alpha", "bravo", "delta", "gamma", "kappa", "omega", "sigma", "theta", "zeta", "iota"]
    w = words[i % len(words)] + str(i)
    right, wrong = f"{w} right one", f"{w} wrong"
    if not longest_right:
        wrong += " one."
    return Card(
        id=f"s{i}",
        question=f"About {w}?",
        choices=(Choice("a", right), Choice("b", wrong), Choice("c", "x"), Choice("d", "y")),
        answer=("a",),
        explanation="Because.",
        multiple=True,
        references=REF,
        line=4,
    )


@pytest.mark.parametrize(("right", "warns"), [(7, False), (8, True)])
def test_select_all_longest_margin_is_exact(right: int, warns: bool) -> None:
    """20 cards with 1 right statement in 4: expected 25%, limit 35%; 7 of 20 is 35%."""
    assert float(SELECT_ALL_LONGEST_MARGIN) == 0.10
    cards = [select_all_card(i, i < right) for i in range(20)]
    report = lint_decks([deck(*cards)])
    assert (report.total.select_all, report.total.select_all_longest_right) == (20, right)
    assert report.total.select_all_expected == Fraction(5)
    found = [w.code for w in report.warnings if w.code in REPORT_LEVEL]
    assert found == (["select-all-longest"] if warns else [])


def test_select_all_longest_needs_ten_cards() -> None:
    report = lint_decks([deck(*[select_all_card(i, True) for i in range(9)])])
    assert report.total.select_all_longest_right == 9
    assert [w.code for w in report.warnings if w.code in REPORT_LEVEL] == []


def stem_card(card_id: str, question: str, key: str) -> Card:
    return Card(
        id=card_id,
        question=question,
        choices=(Choice("a", key), Choice("b", "Something else entirely")),
        answer=("a",),
        explanation="Because.",
        references=REF,
        line=4,
    )


def test_duplicate_stem_threshold_and_boilerplate() -> None:
    assert float(STEM_JACCARD_LIMIT) == 0.35
    first = stem_card("one", "Which statements are correct? Select all that apply.", "Adam")
    second = stem_card("two", "Which statements are true? Select all that apply.", "Dropout")
    # boilerplate words do not count: {adam} and {dropout} share nothing
    assert lint_decks([deck(first, second)]).warnings == ()
    # 7 shared of 20 words (stem and key) is exactly 0.35: a warning; 7 of 21 is not
    shared = "w1 w2 w3 w4 w5 w6 w7"
    a = stem_card("a", f"{shared} a1 a2 a3 a4 a5?", "k1")
    b = stem_card("b", f"{shared} b1 b2 b3 b4 b5 b6?", "k2")
    assert [w.code for w in lint_decks([deck(a, b)]).warnings] == ["duplicate-stem"]
    c = stem_card("c", f"{shared} c1 c2 c3 c4 c5 c6 c7?", "k3")
    assert [w.code for w in lint_decks([deck(a, c)]).warnings] == []


def test_duplicate_stem_and_giveaway_work_across_decks() -> None:
    source = stem_card(
        "source",
        "Why is Adam's step size insensitive to rescaling the loss?",
        "It divides by a running RMS of the gradients.",
    )
    told = stem_card(
        "told", "Ben notes that Adam divides by a running RMS of the gradients. Eps?", "Safety"
    )
    report = lint_decks([deck(source, deck_id="one"), deck(told, deck_id="two")])
    found = [(w.deck_id, w.card_id, w.code) for w in report.warnings if w.code in CROSS_CARD]
    assert found == [("two", "told", "giveaway")]
    twin = stem_card("twin", "Why is Adam's step size insensitive to rescaling losses?", "Eh")
    report = lint_decks([deck(source, deck_id="one"), deck(twin, deck_id="two")])
    found = [(w.deck_id, w.card_id, w.code) for w in report.warnings if w.code in CROSS_CARD]
    assert found == [("two", "twin", "duplicate-stem")]


def test_giveaway_needs_four_words_or_three_with_a_number() -> None:
    three = stem_card("three", "Pick one.", "held-out set")
    three_numeric = stem_card("numeric", "Pick two.", "2 fp16 weights")
    stem = stem_card("stem", "We use a held-out set and 2 fp16 weights per parameter.", "k")
    found = [
        (w.card_id, w.message) for w in lint_decks([deck(three, three_numeric, stem)]).warnings
    ]
    assert found == [
        ("stem", "the stem contains '2 fp16 weights', the answer of toy/numeric (toy.yaml:4)")
    ]
