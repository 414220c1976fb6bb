"""The writes to cards through ``Cards``: card actions and the schedule cache's rebuild.

A card action (suspend, bury, flag, forget and their opposites) is logged as an event and
applied to the columns that cache it in the same transaction (``schedules.act_in``); a
rebuild rewrites the decks' cached schedules from their log in one write transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from mlcards.models import CardKey
from mlcards.store.db import Database
from mlcards.store.events import CardAction
from mlcards.store.marks import write_marks
from mlcards.store.schedules import act_in, rebuild_in
from mlcards.store.settings import Compute
from mlcards.store.settings import write_in as write_settings


class CardActions:
    """Card actions and schedule rebuilds over the store's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def act(self, actions: Sequence[CardAction], *, batch: bool = False) -> int:
        """Card actions (``events.CARD_ACTIONS``) on existing cards, each logged as an event
        and applied to the cards columns that cache them, in one transaction; how many
        cards changed. Actions that would change nothing are not logged. ``batch``: given
        from the command line (``mlcards undo`` takes the last such batch back)."""
        return len(self.act_logged(actions, batch=batch))

    def act_logged(self, actions: Sequence[CardAction], *, batch: bool = False) -> list[str]:
        """``act``, returning the ids of the events it logged (for an undo to name)."""
        with self.database.write() as conn:
            return act_in(conn, self.database.clock(), actions, batch=batch)

    def _one(self, deck_id: str, card_id: str, action: str, data: Mapping[str, Any]) -> bool:
        """One action from the review screen; whether the card is there."""
        with self.database.write() as conn:
            act_in(conn, self.database.clock(), [(deck_id, card_id, action, data)])
            found = conn.execute(
                "SELECT 1 FROM cards WHERE deck_id = ? AND id = ?", (deck_id, card_id)
            ).fetchone()
        return found is not None

    def suspend(self, deck_id: str, card_id: str, suspended: bool = True) -> bool:
        return self._one(deck_id, card_id, "suspend" if suspended else "unsuspend", {})

    def bury(self, deck_id: str, card_id: str, until: date | None) -> bool:
        """Hide the card until the study day ``until`` (None un-buries it)."""
        if until is None:
            return self._one(deck_id, card_id, "unbury", {})
        return self._one(deck_id, card_id, "bury", {"until": until.isoformat()})

    def flag(
        self, deck_id: str, card_id: str, flagged: bool = True, note: str | None = None
    ) -> bool:
        """Flag or unflag a card; ``note`` (on a flag; "" for none) says why. Without a
        note the one it had stays, so a flag taken back and given again keeps its note."""
        data = {} if note is None or not flagged else {"note": note}
        return self._one(deck_id, card_id, "flag" if flagged else "unflag", data)

    def forget(self, keys: Sequence[CardKey], *, batch: bool = True) -> int:
        """Back to new, in one transaction: the history stays in the log but stops counting
        (a ``forget`` event sets the card's reset point, as when a card's answer changes),
        so a replay of the log gives the same new card. Cards never answered are left as
        they are."""
        return self.act([(d, c, "forget", {}) for d, c in keys], batch=batch)

    def rebuild_decks(
        self,
        deck_ids: Sequence[str],
        compute: Compute,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        marks: bool = False,
    ) -> int:
        """Recompute the cached schedule of every card of these decks from their log, in one
        write transaction (no answer can land between the read and the write): ``compute``
        gets the decks' graded log in ``ord`` order, each card's reset point as ``replay``
        takes them, and each deck's scheduling spec as stored in that same transaction.
        ``settings`` are scheduling values to set first in it (a scheduler switch): the
        settings and the schedules they decide change together (and are logged as events).
        ``marks``: first the cards' marks from their events (a repair). Returns the number of
        cards rewritten."""
        with self.database.write() as conn:
            if marks:
                write_marks(conn, list(deck_ids))
            write_settings(conn, settings or {}, self.database.clock())
            return rebuild_in(conn, self.database.path, deck_ids, compute)
