"""Advances paid to facilities and the versioned advance policy: data the agency enters (the
portal's agency API, or ``hireview settle advance|policy``), which settlements read.

An advance is ``{facility, paid_on, amount, reference}``; the agency's reference (its payment
order) identifies it, so entering the same advance twice stores it once. The advance policy is
the parameter ``advance_percent`` with versions by ``valid_from``: the version in force at a
period's start gives that settlement's advance ceiling (percent × the previous period's approved
cost, adjustments included).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from streams.jurisdiction import FACILITY_CODE
from streams.settle.amounts import money

Query = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]
ADVANCE_COLUMNS = ("advance_id", "facility", "province", "paid_on", "amount", "reference",
                   "entered_by", "entered_at", "ingested_at")
PARAM_COLUMNS = ("name", "valid_from", "value", "reference", "entered_by", "entered_at",
                 "ingested_at")
ADVANCE_PERCENT = "advance_percent"
_REFERENCE = re.compile(r"\S.{0,199}", re.S)


class FundingError(ValueError):
    """A bad advance or policy field; the message names the field."""


def _day(value: Any, field: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise FundingError(f"{field}: expected a date YYYY-MM-DD, got {value!r}") from None


def _amount(value: Any, field: str, upper: Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise FundingError(f"{field}: expected a number, got {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise FundingError(f"{field}: expected a number, got {value!r}") from None
    if not amount.is_finite() or amount <= 0 or amount >= upper:
        raise FundingError(f"{field}: expected a positive number below {upper}, got {value!r}")
    return amount


def _reference(value: Any) -> str:
    if not isinstance(value, str) or not _REFERENCE.fullmatch(value.strip()):
        raise FundingError("reference: expected the payment order's reference (1-200 characters)")
    return value.strip()


def advance_row(data: Mapping[str, Any], entered_by: str, now: datetime) -> dict[str, Any]:
    """The ``advances`` row of an advance ``{facility, paid_on, amount, reference}``."""
    facility = data.get("facility")
    if not isinstance(facility, str) or not FACILITY_CODE.fullmatch(facility):
        raise FundingError(f"facility: expected a 5-character MA_CSKCB, got {facility!r}")
    paid_on = _day(data.get("paid_on"), "paid_on")
    amount = money(_amount(data.get("amount"), "amount", Decimal(10) ** 15))
    reference = _reference(data.get("reference"))
    advance_id = hashlib.sha256(f"{facility}|{reference}".encode()).hexdigest()[:32]
    return {"advance_id": advance_id, "facility": facility, "province": facility[:2],
            "paid_on": paid_on, "amount": amount, "reference": reference,
            "entered_by": entered_by, "entered_at": now, "ingested_at": now}


def policy_row(data: Mapping[str, Any], entered_by: str, now: datetime) -> dict[str, Any]:
    """The ``settlement_params`` row of an advance-policy version ``{percent, valid_from,
    reference}``."""
    percent = _amount(data.get("percent"), "percent", Decimal(101))
    return {"name": ADVANCE_PERCENT, "valid_from": _day(data.get("valid_from"), "valid_from"),
            "value": percent.quantize(Decimal("0.0001")), "reference": _reference(
                data.get("reference")), "entered_by": entered_by, "entered_at": now,
            "ingested_at": now}


@dataclass(frozen=True)
class Policy:
    percent: Decimal
    valid_from: date | None  # None: no version entered yet (no ceiling)
    reference: str = ""


def policy_at(query: Query, day: date) -> Policy:
    rows = query("SELECT argMax(value, valid_from), max(valid_from), argMax(reference, "
                 "valid_from), count() FROM settlement_params FINAL WHERE name = %(n)s "
                 "AND valid_from <= %(d)s", {"n": ADVANCE_PERCENT, "d": day})
    if not rows or not rows[0][3]:
        return Policy(Decimal(0), None)
    return Policy(Decimal(rows[0][0]), rows[0][1], rows[0][2])


def advances_in(query: Query, facilities: tuple[str, ...], start: date, end: date
                ) -> dict[str, list[dict[str, Any]]]:
    """Each facility's advances paid within [start, end], oldest first."""
    rows = query("SELECT facility, advance_id, paid_on, amount, reference FROM advances FINAL "
                 "WHERE facility IN %(fs)s AND paid_on >= %(s)s AND paid_on <= %(e)s "
                 "ORDER BY facility, paid_on, reference",
                 {"fs": facilities, "s": start, "e": end})
    out: dict[str, list[dict[str, Any]]] = {}
    for facility, advance_id, paid_on, amount, reference in rows:
        out.setdefault(facility, []).append({"advance_id": advance_id, "paid_on": paid_on,
                                             "amount": money(amount), "reference": reference})
    return out


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
