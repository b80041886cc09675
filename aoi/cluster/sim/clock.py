"""Simulated time: a tick clock that starts at a fixed instant, so every run with the same seed is identical."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
"""Wall-clock time of tick 0. Fixed, so outputs never depend on when the simulation ran."""

TICK_SECONDS = 5
"""Simulated seconds per tick: the scrape interval of the metrics and the reconciler period."""


@dataclass(slots=True)
class SimClock:
    tick: int = 0

    @property
    def seconds(self) -> int:
        return self.tick * TICK_SECONDS

    @property
    def now(self) -> datetime:
        return EPOCH + timedelta(seconds=self.seconds)

    def advance(self) -> None:
        self.tick += 1


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
