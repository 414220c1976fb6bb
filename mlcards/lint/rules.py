"""The rules: per card, per deck, across cards, and over everything linted; the text report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

from mlcards.lint.limits import (
    CONVERGENCE_WINS_LIMIT,
    GIVEAWAY_MIN_WORDS,
    KEY_LENGTH_RATIO,
    LONGEST_WINS_LIMIT,
    SELECT_ALL_LONGEST_MARGIN,
    SELECT_ALL_LONGEST_MIN_CARDS,
    STEM_BOILERPLATE,
    STEM_JACCARD_LIMIT,
    STOP_WORDS,
)
from mlcards.lint.measures import (
    _contains_words,
    _length,
    absolute_words,
    content_words,
    convergence_wins,
    hedge_words,
    jaccard,
    longest_choice_wins,
    normalise,
    part_convergence,
    parts,
    select_all_longest,
)
from mlcards.lint.report import (
    DeckLint,
    LintReport,
    LintWarning,
)
from mlcards.models import Card, Choice, Deck
from mlcards.wording import counted, plural

# -- the rules --------------------------------------------------------------------------------


Finding = tuple[str, str]
"""(code, message)."""


def _card_findings(card: Card) -> list[Finding]:
    """(code, message) pairs for one card, in the order of CODES."""
    correct = [c for c in card.choices if c.id in card.answer]
    distractors = [c for c in card.choices if c.id not in card.answer]
    findings = _key_longest(card, correct, distractors)
    findings += _absolute_words(correct, distractors)
    findings += _same_choices(card)
    if not card.explanation.strip():
        findings.append(("no-explanation", "the explanation is empty"))
    if not card.references:
        findings.append(("no-reference", "the card has no reference"))
    findings += _single_key_cues(card, correct, distractors)
    findings += _statement_longest(card, correct, distractors)
    return findings


def _key_longest(card: Card, correct: list[Choice], distractors: list[Choice]) -> list[Finding]:
    if card.multiple or len(correct) != 1 or not distractors:
        return []
    key = correct[0]
    longest = max(distractors, key=_length)
    key_len, longest_len = _length(key), _length(longest)
    if key_len <= KEY_LENGTH_RATIO * longest_len:
        return []
    ratio = f"{key_len / longest_len:.2f}x" if longest_len else "infinitely"
    return [
        (
            "key-longest",
            f"the key ({key.id}, {key_len} characters) is {ratio} as long as the longest "
            f"distractor ({longest.id}, {longest_len}); the limit is "
            f"{float(KEY_LENGTH_RATIO):g}x",
        )
    ]


def _absolute_words(correct: list[Choice], distractors: list[Choice]) -> list[Finding]:
    if any(absolute_words(c.text) for c in correct):
        return []
    flagged = [(c.id, absolute_words(c.text)) for c in distractors]
    flagged = [(cid, words) for cid, words in flagged if words]
    if not flagged:
        return []
    where = ", ".join(f"{cid} ({', '.join(words)})" for cid, words in flagged)
    noun = plural(len(flagged), "distractor")
    return [("absolute-words", f"absolute words in {noun} {where} but in no correct choice")]


def _same_choices(card: Card) -> list[Finding]:
    """Choices equal once normalised, then choices whose words another one contains."""
    findings: list[Finding] = []
    normal = [(c.id, normalise(c.text)) for c in card.choices]
    for i, (id_i, text_i) in enumerate(normal):
        for id_j, text_j in normal[i + 1 :]:
            if text_i == text_j:
                findings.append(
                    (
                        "duplicate-choice",
                        f"choices {id_i} and {id_j} are the same once normalised: {text_i!r}",
                    )
                )
    for id_i, text_i in normal:
        for id_j, text_j in normal:
            if text_i != text_j and _contains_words(text_i, text_j):
                findings.append(
                    (
                        "substring-choice",
                        f"choice {id_i} ({text_i!r}) is contained in choice {id_j} ({text_j!r})",
                    )
                )
    return findings


def _single_key_cues(card: Card, correct: list[Choice], distractors: list[Choice]) -> list[Finding]:
    """``hedge-only-key`` and ``convergence``, for a card with one right choice."""
    if card.multiple or len(correct) != 1 or not distractors:
        return []
    findings: list[Finding] = []
    hedges = hedge_words(correct[0].text)
    if hedges and not any(hedge_words(c.text) for c in distractors):
        findings.append(
            (
                "hedge-only-key",
                f"only the key ({correct[0].id}) is hedged ({', '.join(hedges)}); "
                "no distractor carries a qualifier",
            )
        )
    scores = part_convergence(card)
    if scores is not None:
        listed = ", ".join(f"{cid} {n}" for cid, n in scores.items())
        findings.append(
            (
                "convergence",
                f"the key ({correct[0].id}) shares the most parts with the other choices "
                f"({listed}); balance the parts so each appears equally often",
            )
        )
    return findings


def _statement_longest(
    card: Card, correct: list[Choice], distractors: list[Choice]
) -> list[Finding]:
    if not (card.multiple and correct and distractors):
        return []
    right = max(correct, key=_length)
    wrong = max(distractors, key=_length)
    if _length(right) <= KEY_LENGTH_RATIO * _length(wrong):
        return []
    return [
        (
            "statement-longest",
            f"the longest right statement ({right.id}, {_length(right)} characters) is "
            f"more than {float(KEY_LENGTH_RATIO):g}x as long as the longest wrong one "
            f"({wrong.id}, {_length(wrong)})",
        )
    ]


def _select_all_finding(deck: Deck) -> str | None:
    counts = [len(c.answer) for c in deck.cards if c.multiple]
    if len(counts) >= 2 and len(set(counts)) == 1:
        return (
            f"all {len(counts)} select-all cards have {counts[0]} correct "
            f"{plural(counts[0], 'choice')}; vary the number so it gives nothing away"
        )
    return None


def _stem_words(card: Card) -> list[str]:
    words = normalise(card.question).split()
    return [w for w in words if w not in STOP_WORDS and w not in STEM_BOILERPLATE]


def _card_words(card: Card) -> frozenset[str]:
    """What ``duplicate-stem`` compares: the content words of the stem and the right choices
    (two cards with different stems that teach the same fact share their key's words)."""
    words = set(_stem_words(card))
    for choice in card.choices:
        if choice.id in card.answer:
            words |= content_words(choice.text)
    return frozenset(words)


def _key_texts(card: Card) -> list[list[str]]:
    """The right choices of a card and their parts, as content-word runs long enough for
    ``giveaway``."""
    runs: list[list[str]] = []
    for choice in card.choices:
        if choice.id not in card.answer:
            continue
        for text in [choice.text, *parts(choice.text)]:
            run = [w for w in normalise(text).split() if w not in STOP_WORDS]
            words = [w for w in run if any(ch.isalnum() for ch in w)]
            needed = GIVEAWAY_MIN_WORDS - any(ch.isdigit() for w in words for ch in w)
            if len(words) >= needed and run not in runs:
                runs.append(run)
    return runs


def _cross_card_warnings(decks: Sequence[Deck]) -> list[LintWarning]:
    """``duplicate-stem`` and ``giveaway`` over every pair of cards linted, each reported on
    the later card (in deck order, then line order)."""
    cards = [(deck, card) for deck in decks for card in deck.cards]
    stems = [_card_words(card) for _, card in cards]
    runs = [" " + " ".join(_stem_words(card)) + " " for _, card in cards]
    keys = [_key_texts(card) for _, card in cards]
    warnings: list[LintWarning] = []
    for j, (deck_j, card_j) in enumerate(cards):
        for i, (deck_i, card_i) in enumerate(cards):
            if i == j:
                continue
            if i < j:
                similarity = jaccard(stems[i], stems[j])
                if similarity >= STEM_JACCARD_LIMIT:
                    warnings.append(
                        _on_card(
                            deck_j,
                            card_j,
                            "duplicate-stem",
                            f"the stem and key share {float(similarity):.0%} of their words with "
                            f"{deck_i.id}/{card_i.id} ({deck_i.path}:{card_i.line}); merge the "
                            "cards or make them ask different things",
                        )
                    )
            given = next((run for run in keys[i] if f" {' '.join(run)} " in runs[j]), None)
            if given is not None:
                warnings.append(
                    _on_card(
                        deck_j,
                        card_j,
                        "giveaway",
                        f"the stem contains {' '.join(given)!r}, the answer of "
                        f"{deck_i.id}/{card_i.id} ({deck_i.path}:{card_i.line})",
                    )
                )
    return warnings


def lint_deck(deck: Deck) -> tuple[list[LintWarning], DeckLint]:
    warnings: list[LintWarning] = []
    message = _select_all_finding(deck)
    if message is not None:
        warnings.append(LintWarning(deck.path, 1, deck.id, "", "select-all-count", message))
    for card in deck.cards:
        for code, text in _card_findings(card):
            warnings.append(_on_card(deck, card, code, text))
    single = [c for c in deck.cards if not c.multiple]
    measured = [(c, select_all_longest(c)) for c in deck.cards if c.multiple]
    measured = [(c, right) for c, right in measured if right is not None]
    summary = DeckLint(
        deck_id=deck.id,
        path=deck.path,
        cards=len(deck.cards),
        single_answer=len(single),
        longest_wins=sum(longest_choice_wins(c) for c in single),
        convergence_wins=sum(convergence_wins(c) for c in single),
        select_all=len(measured),
        select_all_longest_right=sum(bool(right) for _, right in measured),
        select_all_expected=sum(
            (Fraction(len(c.answer), len(c.choices)) for c, _ in measured), Fraction(0)
        ),
    )
    return warnings, summary


def lint_decks(decks: Sequence[Deck]) -> LintReport:
    """Lint every deck; warnings come deck by deck, in line order, the report-level one last."""
    warnings: list[LintWarning] = []
    summaries: list[DeckLint] = []
    for deck in decks:
        deck_warnings, summary = lint_deck(deck)
        warnings.extend(deck_warnings)
        summaries.append(summary)
    warnings.extend(_cross_card_warnings(decks))
    total = LintReport((), tuple(summaries)).total
    wins, single = total.longest_wins, total.single_answer
    if single and Fraction(wins, single) > LONGEST_WINS_LIMIT:
        warnings.append(
            _overall(
                "longest-wins",
                f"pick the longest wins {wins} of {single} single-answer cards "
                f"({wins / single:.1%}), above the {float(LONGEST_WINS_LIMIT):.0%} limit",
            )
        )
    converging = total.convergence_wins
    if single and Fraction(converging, single) > CONVERGENCE_WINS_LIMIT:
        warnings.append(
            _overall(
                "convergence-wins",
                f"pick the choice sharing the most words with the others wins {converging} of "
                f"{single} single-answer cards ({converging / single:.1%}), above the "
                f"{float(CONVERGENCE_WINS_LIMIT):.0%} limit",
            )
        )
    measured, right = total.select_all, total.select_all_longest_right
    expected = total.select_all_expected
    if (
        measured >= SELECT_ALL_LONGEST_MIN_CARDS
        and Fraction(right, measured) > expected / measured + SELECT_ALL_LONGEST_MARGIN
    ):
        warnings.append(
            _overall(
                "select-all-longest",
                f"the longest statement is a right one on {right} of {measured} select-all "
                f"cards ({right / measured:.1%}), against {float(expected / measured):.1%} "
                f"expected from their share of right statements; the limit is "
                f"{float(SELECT_ALL_LONGEST_MARGIN):.0%} above that",
            )
        )
    return LintReport(tuple(warnings), tuple(summaries))


def _on_card(deck: Deck, card: Card, code: str, message: str) -> LintWarning:
    return LintWarning(deck.path, card.line, deck.id, card.id, code, message)


def _overall(code: str, message: str) -> LintWarning:
    """A report-level warning: no path, deck, card or line."""
    return LintWarning("", 0, "", "", code, message)


# -- text output ------------------------------------------------------------------------------


def format_warning(warning: LintWarning) -> str:
    if not warning.deck_id:
        return f"all decks: {warning.message} [{warning.code}]"
    where = f"{warning.deck_id}/{warning.card_id}" if warning.card_id else warning.deck_id
    return f"{warning.path}:{warning.line}: {where}: {warning.message} [{warning.code}]"


def _longest_summary(wins: int, single: int) -> str:
    if not single:
        return "no single-answer cards"
    return f"pick the longest wins {wins} of {single} single-answer cards ({wins / single:.0%})"


def _select_all_summary(right: int, measured: int, expected: float) -> str:
    if not measured:
        return ""
    return (
        f"; the longest statement is right on {right} of {measured} select-all cards "
        f"({right / measured:.0%}, {expected:.0%} expected)"
    )


def _wins_summary(counts: DeckLint) -> str:
    """How often "pick the longest" wins, and the select-all cards' longest statements."""
    select_all = _select_all_summary(
        counts.select_all_longest_right, counts.select_all, counts.select_all_expected_share
    )
    return _longest_summary(counts.longest_wins, counts.single_answer) + select_all


def format_report(report: LintReport) -> list[str]:
    """The report as plain text lines: the warnings, a line per deck, a total line."""
    lines = [format_warning(w) for w in report.warnings]
    per_deck = Counter(w.deck_id for w in report.warnings)
    for deck in report.decks:
        lines.append(
            f"{deck.path}: {deck.deck_id}: {counted(deck.cards, 'card')}, "
            f"{counted(per_deck[deck.deck_id], 'warning')}; {_wins_summary(deck)}"
        )
    codes = ", ".join(f"{code} {n}" for code, n in report.by_code.items())
    total = report.total
    lines.append(
        f"total: {counted(len(report.decks), 'deck')}, {counted(total.cards, 'card')}, "
        f"{counted(len(report.warnings), 'warning')}{f' ({codes})' if codes else ''}; "
        f"{_wins_summary(total)}"
    )
    return lines


# -- command line -----------------------------------------------------------------------------
