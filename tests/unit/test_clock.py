"""Study days and their starts: ``day_start`` is ``study_day``'s inverse at every rollover
hour, in local time (``cards`` and the Anki export count "today" from it)."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from mlcards.clock import day_start, study_day


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"])
@pytest.mark.parametrize("hour", [0, 4, 23])
def test_a_study_day_starts_at_its_rollover_hour(
    monkeypatch: pytest.MonkeyPatch, zone: str, hour: int
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        for day in (date(2026, 3, 8), date(2026, 11, 1), date(2026, 12, 6)):  # DST edges too
            start = day_start(day, hour)
            assert study_day(start, hour) == day
            assert study_day(start - timedelta(seconds=1), hour) == day - timedelta(days=1)
    finally:
        monkeypatch.undo()
        time.tzset()
