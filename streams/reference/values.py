"""Field values of catalog upload rows: text, numbers, whole numbers and dates, each problem
recorded as a :class:`RowFinding` naming the row and field (used by streams.reference.rows)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,(?:\d{1,2}|\d{4,})")  # not 1,234: that is grouping
_MAX_NUMBER = 10**15  # "num 15", the widest numeric field of the standard


@dataclass(frozen=True)
class RowFinding:
    row: int  # 1-based data row (CSV: the header is not counted)
    field: str
    code: str
    message: str
    value: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "code": self.code,
                "message": self.message, "value": self.value}

    def __str__(self) -> str:
        shown = f" (value {self.value!r})" if self.value else ""
        return f"row {self.row}, {self.field}: {self.message}{shown}"


class Row:
    """Findings of one row."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.found: list[RowFinding] = []

    def bad(self, name: str, code: str, message: str, value: Any = "") -> None:
        shown = value.isoformat() if isinstance(value, date) else str(value)[:80]
        self.found.append(RowFinding(self.number, name, code, message, shown))


def as_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)


def as_number(name: str, value: Any, row: Row) -> float | None:
    if value is None:
        row.bad(name, "required", "is required")
        return None
    text = value.strip() if isinstance(value, str) else ""
    if isinstance(value, bool) or not (isinstance(value, int | float) or _NUMBER.fullmatch(text)
                                       or _DECIMAL_COMMA.fullmatch(text)):
        row.bad(name, "invalid_number", "not a number (use '.' as the decimal separator, no "
                "thousands grouping)", value)
        return None
    # A huge JSON int is compared before float() could overflow.
    if isinstance(value, int) and abs(value) >= _MAX_NUMBER:
        num = math.inf
    else:
        num = float(text.replace(",", ".")) if text else float(value)
    if not math.isfinite(num) or abs(num) >= _MAX_NUMBER:
        row.bad(name, "out_of_range", "must be a finite number below 10^15", value)
        return None
    return num


def as_whole(name: str, value: Any, row: Row) -> int | None:
    num = as_number(name, value, row)
    if num is not None and num != int(num):
        row.bad(name, "invalid_number", "must be a whole number", value)
        return None
    return None if num is None else int(num)


def as_date(name: str, value: Any, row: Row) -> date | None:
    if value is None:
        row.bad(name, "required", "is required")
        return None
    text = as_text(value)
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y"):
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if 1990 <= day.year <= 2100:
            return day
        row.bad(name, "out_of_range", "year outside 1990-2100", value)
        return None
    row.bad(name, "invalid_date", "expected YYYY-MM-DD, yyyyMMdd or dd/mm/yyyy", value)
    return None
