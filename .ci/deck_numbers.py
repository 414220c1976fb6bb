"""Per-deck answer-cue numbers for the README's lint section, computed by ``mlcards lint``.

``python .ci/deck_numbers.py`` prints the Markdown table; ``--write`` replaces the table
between the ``deck-numbers`` markers in README.md; ``--check`` exits 1 when that table is not
what the decks give now (run it after adding or changing cards). The numbers come from
``mlcards.lint.lint_decks`` over the bundled decks, so they are never typed by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcards.deck import load_decks
from mlcards.lint import LintReport, lint_decks

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START, END = "<!-- deck-numbers:start -->", "<!-- deck-numbers:end -->"


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def table(report: LintReport) -> str:
    """One row per deck and a total row: cards, single-answer cards won by the strictly
    longest choice, select-all cards whose strictly longest statement is right (against the
    share expected from their right statements), and warnings."""
    warnings: dict[str, int] = {}
    for warning in report.warnings:
        warnings[warning.deck_id] = warnings.get(warning.deck_id, 0) + 1
    lines = [
        "| deck | cards | key longest | select-all: longest right (expected) | warnings |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for deck in report.decks:
        wins, single = deck.longest_wins, deck.single_answer
        longest = f"{wins}/{single} ({_percent(wins, single)})"
        if deck.select_all:
            right = deck.select_all_longest_right
            select = (
                f"{right}/{deck.select_all} ({_percent(right, deck.select_all)}; "
                f"{deck.select_all_expected_share:.0%})"
            )
        else:
            select = "–"
        count = warnings.get(deck.deck_id, 0)
        lines.append(f"| {deck.deck_id} | {deck.cards} | {longest} | {select} | {count} |")
    measured = report.select_all
    expected = float(report.select_all_expected) / measured if measured else 0.0
    lines.append(
        f"| **all** | {report.cards} | {report.longest_wins}/{report.single_answer} "
        f"({_percent(report.longest_wins, report.single_answer)}) | "
        f"{report.select_all_longest_right}/{measured} "
        f"({_percent(report.select_all_longest_right, measured)}; {expected:.0%}) | "
        f"{len(report.warnings)} |"
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="update README.md in place")
    mode.add_argument("--check", action="store_true", help="exit 1 if README.md is stale")
    args = parser.parse_args(argv)
    rendered = table(lint_decks(load_decks([ROOT / "decks"])))
    if not (args.write or args.check):
        print(rendered)
        return 0
    text = README.read_text(encoding="utf-8")
    before, found, rest = text.partition(START)
    _, found_end, after = rest.partition(END)
    if not (found and found_end):
        print(f"README.md has no {START} ... {END} block", file=sys.stderr)
        return 2
    updated = f"{before}{START}\n{rendered}\n{END}{after}"
    if args.check:
        if updated != text:
            print("README.md's deck numbers are stale: run python .ci/deck_numbers.py --write")
            return 1
        return 0
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
