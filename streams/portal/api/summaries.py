"""``POST /api/v1/summaries``: a facility's monthly summary checked against its claims (SB02).

The body is JSON ``{"facility", "month": "YYYYMM", "claims", "t_tongchi_bh", "t_bhtt",
"t_bncct"[, "t_bntt"]}``. The answer compares it at once with ClickHouse (rules/summary.py): the
sums of the claims, each finding, and ``matches``. Nothing is stored: the summary is the
facility's own document; the answer is what the agency would send back within 48 h.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from clickhouse_driver import Client
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from rules import summary
from streams.portal.access import Access, GuardedClickHouse, Refused, read_limited

log = logging.getLogger("hireview.portal")
Sums = Callable[[str, str], dict[str, float]]
_MONTH = re.compile(r"([0-9]{4})(0[1-9]|1[0-2])")
_FACILITY = re.compile(r"[0-9A-Za-z]{5}")
_MAX_BODY = 64 * 1024
# Latest version of each claim of the facility, then those settled in the month.
_SUMS = (
    "SELECT count(), sum(bh), sum(bhtt), sum(bncct), sum(bntt) FROM ("
    " SELECT claim_id, argMax(t_tongchi_bh, version) AS bh, argMax(t_bhtt, version) AS bhtt,"
    " argMax(t_bncct, version) AS bncct, argMax(t_bntt, version) AS bntt,"
    " argMax(ifNull(ngay_ttoan, ngay_ra), version) AS paid"
    " FROM claims FINAL WHERE facility = %(f)s GROUP BY claim_id"
    ") WHERE toYYYYMM(paid) = %(m)s"
)


class ClickHouseSums:
    """The facility-month sums of the claims."""

    def __init__(self, client: Client) -> None:
        self._query = GuardedClickHouse(client).rows

    def __call__(self, facility: str, month: str) -> dict[str, float]:
        rows = self._query(_SUMS, {"f": facility, "m": int(month)})
        count, bh, bhtt, bncct, bntt = rows[0]
        money = [float(Decimal(v or 0)) for v in (bh, bhtt, bncct, bntt)]
        return {"claims": int(count), **dict(zip(summary.TOTALS, money, strict=True))}


def _reported(body: bytes) -> tuple[str, str, dict[str, float]]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Refused(400, "malformed_json", f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Refused(422, "invalid_summary", "expected a JSON object")
    facility, month = data.get("facility"), str(data.get("month", ""))
    if not isinstance(facility, str) or not _FACILITY.fullmatch(facility):
        raise Refused(422, "invalid_summary", "facility: expected a 5-character MA_CSKCB")
    if not _MONTH.fullmatch(month):
        raise Refused(422, "invalid_summary", f"month: expected YYYYMM, got {month!r}")
    values: dict[str, float] = {}
    for name in ("claims", *summary.TOTALS):
        value = data.get(name)
        if value is None and name in ("claims", "t_tongchi_bh", "t_bhtt", "t_bncct"):
            raise Refused(422, "invalid_summary", f"{name}: is required")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 \
                or value >= 10**15 or (name == "claims" and value != int(value)):
            raise Refused(422, "invalid_summary",
                          f"{name}: expected a non-negative number below 10^15, got {value!r}")
        values[name] = float(value)
    return facility, month, values


def summaries_router(sums: Sums) -> Callable[[Access], APIRouter]:
    def make(access: Access) -> APIRouter:
        router = APIRouter()

        @router.post("/api/v1/summaries",
                     summary="Check a facility's monthly summary against its claims (SB02)")
        async def check(request: Request) -> dict[str, Any]:
            cred = access.authenticate(request)
            facility, month, reported = _reported(await read_limited(request, _MAX_BODY))
            access.require(cred, facility, "submit a summary for")
            found = await run_in_threadpool(sums, facility, month)
            findings = summary.compare(reported, found)
            if findings:
                log.info("SB02: %s %s: %d total(s) off", facility, month, len(findings))
            return {"facility": facility, "month": month, "reported": reported,
                    "claims_sum": found, "matches": not findings,
                    "findings": [f.to_dict() for f in findings]}

        return router

    return make
