"""``Scope``: which decks, tag and study days a query covers. Every filter is built here.

Filters are parameters, never values formatted into the SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

Params = list[object]


@dataclass(frozen=True)
class Scope:
    """Cards of one deck and/or one tag; reviews of those cards from ``since`` to ``until``
    (study days, both included; either end open when None)."""

    deck: str | None = None
    tag: str | None = None
    since: date | None = None
    until: date | None = None

    def cards(self, alias: str = "c") -> tuple[str, Params]:
        """Terms over a ``cards`` row named ``alias`` (its deck and tags; days do not apply)."""
        tagged = f"EXISTS (SELECT 1 FROM json_each({alias}.content, '$.tags') WHERE value = ?)"
        return self._deck_and_tag(alias, tagged)

    def reviews(self, alias: str = "r", *, days: bool = True) -> tuple[str, Params]:
        """Terms over a row of the review log named ``alias``: its card's deck and tags, and
        (unless ``days`` is False) its study day."""
        tagged = (
            "EXISTS (SELECT 1 FROM cards tc, json_each(tc.content, '$.tags') tt "
            f"WHERE tc.deck_id = {alias}.deck_id AND tc.id = {alias}.card_id "
            "AND tt.value = ?)"
        )
        terms, params = self._deck_and_tag(alias, tagged)
        if not days:
            return terms, params
        day_terms, day_params = self.days(alias)
        return f"{terms} AND {day_terms}", params + day_params

    def _deck_and_tag(self, alias: str, tagged: str) -> tuple[str, Params]:
        """``1``, then the deck's term and the tag's (``tagged``, with one parameter)."""
        terms: list[str] = ["1"]
        params: Params = []
        if self.deck:
            terms.append(f"{alias}.deck_id = ?")
            params.append(self.deck)
        if self.tag:
            terms.append(tagged)
            params.append(self.tag)
        return " AND ".join(terms), params

    def days(self, alias: str = "r") -> tuple[str, Params]:
        if self.since is not None and self.since == self.until:  # one day: the day index
            return f"{alias}.study_day = ?", [self.since.isoformat()]
        if self.since is not None and self.until is not None:
            return f"{alias}.study_day BETWEEN ? AND ?", [
                self.since.isoformat(),
                self.until.isoformat(),
            ]
        if self.until is not None:
            return f"{alias}.study_day <= ?", [self.until.isoformat()]
        if self.since is not None:
            return f"{alias}.study_day >= ?", [self.since.isoformat()]
        return "1", []
