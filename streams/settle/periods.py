"""Settlement periods: a month ``2025-01``, a quarter ``2025-Q1`` or a year ``2025``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

KINDS = ("month", "quarter", "year")
_PATTERNS = {"month": re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])"),
             "quarter": re.compile(r"([0-9]{4})-Q([1-4])"),
             "year": re.compile(r"([0-9]{4})")}
_HELP = {"month": "YYYY-MM such as 2025-01", "quarter": "YYYY-Qn such as 2025-Q1",
         "year": "YYYY such as 2025"}


class PeriodError(ValueError):
    """A period that does not parse; the message names the field and the expected form."""


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


@dataclass(frozen=True, order=True)
class Period:
    start: date
    kind: str
    label: str
    end: date

    @classmethod
    def parse(cls, kind: str, label: str) -> Period:
        if kind not in KINDS:
            raise PeriodError(f"period kind: {kind!r} is not one of {', '.join(KINDS)}")
        m = _PATTERNS[kind].fullmatch(label.strip())
        if not m:
            raise PeriodError(f"period: {label!r} is not a {kind} ({_HELP[kind]})")
        year = int(m.group(1))
        if kind == "month":
            month = int(m.group(2))
            return cls(date(year, month, 1), kind, label.strip(), _month_end(year, month))
        if kind == "quarter":
            q = int(m.group(2))
            return cls(date(year, 3 * q - 2, 1), kind, label.strip(), _month_end(year, 3 * q))
        return cls(date(year, 1, 1), kind, label.strip(), date(year, 12, 31))

    @classmethod
    def of(cls, kind: str, day: date) -> Period:
        """The period of ``kind`` that holds ``day``."""
        if kind == "month":
            return cls.parse(kind, f"{day.year}-{day.month:02d}")
        if kind == "quarter":
            return cls.parse(kind, f"{day.year}-Q{(day.month - 1) // 3 + 1}")
        return cls.parse(kind, str(day.year))

    def previous(self) -> Period:
        return Period.of(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        return Period.of(self.kind, self.end + timedelta(days=1))

    @property
    def vietnamese(self) -> str:
        """As the forms write it: ``Tháng 01/2025``, ``Quý I/2025``, ``Năm 2025``."""
        if self.kind == "month":
            return f"Tháng {self.start.month:02d}/{self.start.year}"
        if self.kind == "quarter":
            roman = ("I", "II", "III", "IV")[(self.start.month - 1) // 3]
            return f"Quý {roman}/{self.start.year}"
        return f"Năm {self.start.year}"

    @property
    def inline(self) -> str:
        """Inside a sentence: ``tháng 01/2025``, ``quý I/2025``, ``năm 2025``."""
        text = self.vietnamese
        return text[0].lower() + text[1:]
