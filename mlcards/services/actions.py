"""What the review screen may do to a card besides answering it (``StoreActions``):
suspend, bury, flag, edit its deck file, and take back a suspension or burial given here."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from mlcards.errors import MlcardsError
from mlcards.models import CardKey, ScheduledCard
from mlcards.sanitize import quote_path, terminal_safe
from mlcards.services.study import take_back_actions
from mlcards.store import Store


@dataclass
class StoreActions:
    """What the review screen may do to a card besides answering it, done in the store."""

    store: Store
    today: date
    pause: Callable[[], AbstractContextManager[None]]
    now: Callable[[], datetime]
    done: dict[tuple[str, CardKey], list[str]] = field(default_factory=dict)
    """The events of each suspension and burial given here, for ``u`` to take back."""

    def suspend(self, item: ScheduledCard) -> str:
        key = (item.deck_id, item.card.id)
        self.done["suspend", key] = self.store.cards.act_logged([(*key, "suspend", {})])
        return f"Suspended {item.key} until `mlcards unsuspend {item.key}`."

    def bury(self, item: ScheduledCard) -> str:
        key = (item.deck_id, item.card.id)
        until = (self.today + timedelta(days=1)).isoformat()
        self.done["bury", key] = self.store.cards.act_logged([(*key, "bury", {"until": until})])
        return f"Buried {item.key} until tomorrow."

    def flag(self, item: ScheduledCard, note: str | None = None) -> tuple[ScheduledCard, str]:
        """Toggle the flag; ``note`` (a flag's why, "" for none; None keeps the one it had)."""
        flagged = not item.flagged
        self.store.cards.flag(item.deck_id, item.card.id, flagged, note if flagged else None)
        words = "Flagged for editing (`mlcards flagged`)." if flagged else "Flag removed."
        return replace(item, flagged=flagged), words

    def edit_if_changed(self, item: ScheduledCard) -> tuple[ScheduledCard | None, str]:
        """Open the deck file at the card's line in $VISUAL/$EDITOR, then re-import it if the
        editor changed it (an unchanged file costs no import, and no pre-import backup)."""
        from mlcards.deck import load_deck

        path = Path(item.path) if item.path else None
        if path is None:
            return item, f"{item.key} came from no file: there is nothing to edit."
        if not path.is_file():
            where = quote_path(path)
            return item, f"The deck file of {item.key} is missing (looked at {where})."
        before = path.read_bytes()
        variable = "VISUAL" if os.environ.get("VISUAL") else "EDITOR"
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        try:
            import shlex  # (here: only an edit needs it, and it costs start-up time)

            command = shlex.split(editor)
        except ValueError as exc:  # e.g. an unbalanced quote
            return item, f"Could not start the editor: ${variable} is not a command line ({exc})."
        if not command:
            return item, f"Could not start the editor: ${variable} is empty."
        with self.pause():
            try:
                run_editor([*command, f"+{item.card.line}", str(path)])
            except OSError as exc:
                shown = terminal_safe(command[0])
                return item, f"Could not start the editor {shown!r}: {exc.strerror}"
        try:
            unchanged = path.read_bytes() == before
        except OSError:
            unchanged = False  # gone or unreadable: the import says what is wrong
        if unchanged:
            return item, f"No changes: {quote_path(path.name)} is as it was."
        try:
            deck = load_deck(path)
            self.store.decks.import_decks([deck], self.now())
        except MlcardsError as exc:
            first = terminal_safe(str(exc).splitlines()[0])
            return item, f"Not re-imported: {first}"
        fresh = self.store.cards.one(item.deck_id, item.card.id)
        if fresh is None:
            return None, f"{item.key} is no longer in its deck file: retired."
        shown = quote_path(path.name)
        return replace(item, card=fresh.card, path=fresh.path), f"Re-imported {shown}."

    def unsuspend(self, item: ScheduledCard) -> str:
        """Undo ``suspend`` from the review screen: its event is tombstoned (on every synced
        device); a suspension given meanwhile elsewhere stays, and the message says so."""
        return self._take_back("suspend", item, "suspended")

    def unbury(self, item: ScheduledCard) -> str:
        """Undo ``bury`` from the review screen, as ``unsuspend`` does."""
        return self._take_back("bury", item, "buried")

    def _take_back(self, kind: str, item: ScheduledCard, marked: str) -> str:
        key = (item.deck_id, item.card.id)
        if uids := self.done.pop((kind, key)):  # (none: the card was so marked already)
            take_back_actions(self.store, uids)
        card = self.store.search.card(*key)
        if card is not None and (
            card.suspended if kind == "suspend" else (card.buried_until or self.today) > self.today
        ):
            return f"Undone here, but {item.key} stays {marked}: another session {marked} it too."
        return f"Undone: {item.key} is no longer {marked}."


EDITOR_GRACE_S = 5.0
"""How long an editor has to save and exit after SIGTERM before it is killed."""


def run_editor(command: list[str]) -> int:
    """Run an editor in the foreground and wait for it.

    Ctrl-C belongs to the editor while it runs (mlcards ignores SIGINT meanwhile, as
    ``system()`` does). If mlcards itself is told to stop (SIGTERM or SIGHUP, raised here as
    SystemExit), the editor is sent SIGTERM and given ``EDITOR_GRACE_S`` seconds to save and
    exit before it is killed: unsaved work gets its chance.
    """
    import signal
    import subprocess  # (here: only an edit runs the editor)

    process = subprocess.Popen(command)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return process.wait()
    except BaseException:
        process.terminate()
        try:
            process.wait(timeout=EDITOR_GRACE_S)
        except BaseException:
            process.kill()
            process.wait()
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
