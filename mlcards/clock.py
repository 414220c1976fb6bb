"""The one place mlcards reads the time. ``MLCARDS_NOW`` (ISO 8601) overrides it everywhere.

A naive ``MLCARDS_NOW`` is read as local time; study days are derived from local time with a
rollover hour (04:00 by default, as Anki does), so a late-night session counts for the day
before. ``MLCARDS_NOW`` is for scheduling only: anything about real files (backup names, their
order, rotation) uses the real time, in the store.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta

from mlcards.errors import UsageError
from mlcards.models import utc_iso
from mlcards.rules import DEFAULT_ROLLOVER_HOUR, EARLIEST_YEAR, LATEST_YEAR


def now() -> datetime:
    """Current time as an aware UTC datetime."""
    override = os.environ.get("MLCARDS_NOW")
    if override:
        return parse_instant(override, source="MLCARDS_NOW")
    return datetime.now(UTC)


def parse_instant(text: str, source: str = "time") -> datetime:
    shown = text if len(text) <= 40 else text[:40] + "..."
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{source}={shown!r} is not an ISO 8601 time (e.g. 2026-11-25T09:30:00+01:00)"
        ) from None
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise UsageError(
            f"{source}={shown!r} is out of range: give a time from {EARLIEST_YEAR} to {LATEST_YEAR}"
        )
    try:
        if value.tzinfo is None:
            value = value.astimezone()  # naive means local time
        return value.astimezone(UTC)
    except (OverflowError, OSError, ValueError):
        raise UsageError(f"{source}={shown!r} cannot be read as a local time") from None


def study_day(instant: datetime, rollover_hour: int = DEFAULT_ROLLOVER_HOUR) -> date:
    """The study day an instant belongs to, in local time, shifted by the rollover hour."""
    local = instant.astimezone()
    return (local - timedelta(hours=rollover_hour)).date()


def day_start(day: date, rollover_hour: int = DEFAULT_ROLLOVER_HOUR) -> datetime:
    """The instant a study day starts: its rollover hour, local time (``study_day``'s
    inverse)."""
    return datetime.combine(day, time(rollover_hour)).astimezone()


def describe_due(next_due: date | None, today: date) -> str:
    """When a card next comes up, in words ("tomorrow (2026-03-02)")."""
    if next_due is None:
        return "nothing scheduled"
    days = (next_due - today).days
    if days <= 0:
        return f"today ({next_due.isoformat()})"
    if days == 1:
        return f"tomorrow ({next_due.isoformat()})"
    return f"in {days} days ({next_due.isoformat()})"


__all__ = ["describe_due", "now", "parse_instant", "study_day", "utc_iso"]
