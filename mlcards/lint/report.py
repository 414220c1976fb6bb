"""What a lint run found: warnings, per-deck numbers, totals, and their JSON shapes."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import TypedDict, cast

from mlcards.lint.limits import (
    CODES,
    CONVERGENCE_WINS_LIMIT,
    KEY_LENGTH_RATIO,
    LONGEST_WINS_LIMIT,
    SELECT_ALL_LONGEST_MARGIN,
    STEM_JACCARD_LIMIT,
)


class WarningDict(TypedDict):
    path: str
    line: int
    deck_id: str
    card_id: str
    code: str
    message: str


class CountsDict(TypedDict):
    cards: int
    single_answer: int
    longest_wins: int
    longest_wins_share: float
    convergence_wins: int
    convergence_wins_share: float
    select_all: int
    select_all_longest_right: int
    select_all_longest_right_share: float
    select_all_expected_share: float


class DeckDict(CountsDict):
    deck_id: str
    path: str


class TotalsDict(CountsDict):
    decks: int
    warnings: int


class LimitsDict(TypedDict):
    key_length_ratio: float
    longest_wins_share: float
    convergence_wins_share: float
    select_all_longest_margin: float
    stem_jaccard: float


class ReportDict(TypedDict):
    """What ``LintReport.to_dict`` returns (and ``--json`` prints)."""

    warnings: list[WarningDict]
    decks: list[DeckDict]
    totals: TotalsDict
    by_code: dict[str, int]
    limits: LimitsDict


@dataclass(frozen=True)
class LintWarning:
    path: str
    line: int
    deck_id: str
    card_id: str
    """Empty for a deck-level warning (and for the report-level ``longest-wins``)."""
    code: str
    message: str

    def to_dict(self) -> WarningDict:
        """The fields, in their order (``WarningDict`` names the same ones)."""
        return cast(WarningDict, asdict(self))


@dataclass(frozen=True)
class DeckLint:
    """The counts behind the per-deck summary line."""

    deck_id: str
    path: str
    cards: int
    single_answer: int
    longest_wins: int
    """Single-answer cards whose key is strictly longer than every other choice."""
    convergence_wins: int = 0
    """Single-answer cards whose key strictly shares the most words with the other choices."""
    select_all: int = 0
    """Select-all cards with a strictly longest statement (the others are not counted)."""
    select_all_longest_right: int = 0
    """Of those, the cards whose strictly longest statement is a right one."""
    select_all_expected: Fraction = Fraction(0)
    """The number of those expected by chance: the sum of each card's share of right
    statements."""

    @property
    def longest_wins_share(self) -> float:
        return _share(self.longest_wins, self.single_answer)

    @property
    def convergence_wins_share(self) -> float:
        return _share(self.convergence_wins, self.single_answer)

    @property
    def select_all_longest_right_share(self) -> float:
        return _share(self.select_all_longest_right, self.select_all)

    @property
    def select_all_expected_share(self) -> float:
        return float(self.select_all_expected) / self.select_all if self.select_all else 0.0

    def to_dict(self) -> DeckDict:
        return {"deck_id": self.deck_id, "path": self.path, **self.counts()}

    def counts(self) -> CountsDict:
        return {
            "cards": self.cards,
            "single_answer": self.single_answer,
            "longest_wins": self.longest_wins,
            "longest_wins_share": self.longest_wins_share,
            "convergence_wins": self.convergence_wins,
            "convergence_wins_share": self.convergence_wins_share,
            "select_all": self.select_all,
            "select_all_longest_right": self.select_all_longest_right,
            "select_all_longest_right_share": self.select_all_longest_right_share,
            "select_all_expected_share": self.select_all_expected_share,
        }


@dataclass(frozen=True)
class LintReport:
    warnings: tuple[LintWarning, ...]
    decks: tuple[DeckLint, ...]

    @property
    def total(self) -> DeckLint:
        """Every deck's counts added up, as one deck's."""
        decks = self.decks
        return DeckLint(
            "",
            "",
            cards=sum(d.cards for d in decks),
            single_answer=sum(d.single_answer for d in decks),
            longest_wins=sum(d.longest_wins for d in decks),
            convergence_wins=sum(d.convergence_wins for d in decks),
            select_all=sum(d.select_all for d in decks),
            select_all_longest_right=sum(d.select_all_longest_right for d in decks),
            select_all_expected=sum((d.select_all_expected for d in decks), Fraction(0)),
        )

    @property
    def by_code(self) -> dict[str, int]:
        """Warnings per code, in the order of CODES, for the codes that occurred."""
        counts = Counter(w.code for w in self.warnings)
        return {code: counts[code] for code in CODES if counts[code]}

    def to_dict(self) -> ReportDict:
        return {
            "warnings": [w.to_dict() for w in self.warnings],
            "decks": [d.to_dict() for d in self.decks],
            "totals": {
                "decks": len(self.decks),
                **self.total.counts(),
                "warnings": len(self.warnings),
            },
            "by_code": self.by_code,
            "limits": {
                "key_length_ratio": float(KEY_LENGTH_RATIO),
                "longest_wins_share": float(LONGEST_WINS_LIMIT),
                "convergence_wins_share": float(CONVERGENCE_WINS_LIMIT),
                "select_all_longest_margin": float(SELECT_ALL_LONGEST_MARGIN),
                "stem_jaccard": float(STEM_JACCARD_LIMIT),
            },
        }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
