"""A register's daily series as arrays: one row per facility, one column per day.

Built from facility_day rows (``from_rows``) or directly by the simulator; the detector only
ever sees this shape, so where the numbers came from does not matter to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from streams.fund.measures import SERIES_COLUMNS

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FacilityInfo:
    facility: str
    province: str
    tier: int  # 1 central, 2 provincial, 3 district, 4 commune
    kind: str  # public_hospital, private_hospital, clinic, health_station
    name: str = ""


@dataclass
class FacilitySeries:
    start: date  # the date of column 0
    facilities: list[FacilityInfo]
    data: dict[str, Array] = field(default_factory=dict)  # column -> [facility, day]

    @property
    def days(self) -> int:
        return int(self.data["visits"].shape[1]) if self.data else 0

    @property
    def rows(self) -> int:
        """Facility-days covered (the unit of the benchmark's rows/s)."""
        return len(self.facilities) * self.days

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)

    def index(self, d: date) -> int:
        return (d - self.start).days

    def weekdays(self) -> npt.NDArray[np.int64]:
        first = self.start.weekday()
        return (np.arange(self.days) + first) % 7

    @classmethod
    def empty(cls, start: date, days: int, facilities: list[FacilityInfo]) -> FacilitySeries:
        shape = (len(facilities), days)
        return cls(start, facilities, {c: np.zeros(shape) for c in SERIES_COLUMNS})

    @classmethod
    def from_rows(cls, start: date, end: date, facilities: list[FacilityInfo],
                  rows: Iterable[Mapping[str, Any]]) -> FacilitySeries:
        """facility_day rows (dicts with ``day``, ``facility`` and SERIES_COLUMNS) for
        ``start``..``end``; a facility-day without a row is a day without claims (zeros).
        Rows of facilities not in ``facilities`` are ignored."""
        series = cls.empty(start, (end - start).days + 1, facilities)
        where = {f.facility: i for i, f in enumerate(facilities)}
        for row in rows:
            i = where.get(row["facility"])
            t = (row["day"] - start).days
            if i is None or not 0 <= t < series.days:
                continue
            for c in SERIES_COLUMNS:
                series.data[c][i, t] = float(row[c])
        return series
