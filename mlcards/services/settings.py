"""The settings a command works with: ``config.yaml``'s, with the scheduling values the
database keeps (which decide its schedules: see ``services/admin.py``).

Kept apart from ``services/admin.py`` (the check, the replay and the schedulers it needs)
so that every command's start, the review's first card above all, reads its settings
without importing them.
"""

from __future__ import annotations

from mlcards.config import Settings
from mlcards.store import Store


def effective_settings(store: Store, file_settings: Settings) -> Settings:
    """The settings a command works with: the file's, with the scheduling values the
    database keeps. The first time, a database takes over the values an older mlcards kept
    in the file (its cache was built with them)."""
    values = file_settings.scheduling_values()
    if values and not store.settings.adopted():  # (nothing to take over: nothing written)
        store.settings.adopt(values)
    return file_settings.with_scheduling(store.settings.read())


def file_differences(store: Store, file_settings: Settings) -> list[str]:
    """Scheduling values in ``config.yaml`` that the database (which decides) does not hold."""
    stored = store.settings.read()
    notes = []
    for deck_id, values in file_settings.scheduling_values().items():
        for key, value in values.items():
            if stored.get(deck_id, {}).get(key) != value:
                where = f" (deck {deck_id})" if deck_id else ""
                notes.append(
                    f"config.yaml sets {key}{where} to {value}, which is not used: the database "
                    f"decides (`mlcards config set {key} ...` changes it there)"
                )
    return notes
