"""``GET /api/v1/claims?facility=&month=YYYYMM&page=&page_size=``: a facility's decisions of a
month, a page at a time, from ClickHouse.

Why a query on the collection (``/api/v1/claims``) rather than ``/facilities/{f}/claims``: it is
the same resource ``POST`` creates and ``/claims/{facility}/{ma_lk}`` reads one of, and the
facility role may leave ``facility`` out (its own code is meant).

One row per claim: the decision of its latest decided version (``decisions FINAL``: the current
revision), when that version's service month (``NGAY_VAO``, the ``service_date`` partition key)
is ``month``. Each row carries its hits from ``rule_hits FINAL`` of the same revision: code,
severity, title, line, amount, ``message`` (the explanation) and ``legal_basis``. Sorted by MA_LK
so pages are stable; ``total`` counts every row of the month and ``next`` is the next page's link
(null on the last page). The SQL runs on ClickHouse 18.16 (``LIMIT offset, n``, tuple ``IN``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import urlencode

from clickhouse_driver import Client
from fastapi import APIRouter, Request

from streams.portal.access import Access, GuardedClickHouse, Refused

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
_FACILITY = re.compile(r"[0-9A-Za-z]{5}")
_MONTH = re.compile(r"([0-9]{4})(0[1-9]|1[0-2])")

_CURRENT = ("FROM decisions FINAL WHERE facility = %(f)s AND service_date >= %(start)s "
            "AND service_date < %(end)s AND (claim_id, version) IN (SELECT claim_id, "
            "max(version) FROM decisions WHERE facility = %(f)s GROUP BY claim_id)")
_COUNT = "SELECT count() " + _CURRENT
_PAGE = ("SELECT claim_id, version, revision, outcome, requested, approved, rejected, "
         "rules_version, hit_count, warned, service_date, submitted_at, decided_at " + _CURRENT
         + " ORDER BY claim_id LIMIT %(offset)s, %(limit)s")
_PAGE_COLUMNS = ("ma_lk", "version", "revision", "outcome", "requested", "approved", "rejected",
                 "rules_version", "hit_count", "warned", "service_date", "submitted_at",
                 "decided_at")
# Hits of the page's claims (every version), matched to each row's version and revision below:
# a scalar IN list works the same on every server version, unlike a one-tuple tuple list.
_HITS = ("SELECT claim_id, version, revision, code, severity, title, table, line, amount, "
         "message, legal_basis FROM rule_hits FINAL WHERE facility = %(f)s "
         "AND claim_id IN %(ids)s ORDER BY claim_id, code, table, line, occurrence")
_HIT_COLUMNS = ("code", "severity", "title", "table", "line", "amount", "message",
                "legal_basis")


class Listing(Protocol):
    def decisions_page(self, facility: str, start: date, end: date, offset: int,
                       limit: int) -> tuple[int, list[dict[str, Any]]]:
        """``(total, rows)``: rows shaped like ``_PAGE_COLUMNS`` plus ``hits``; raise
        ``Unavailable`` when the store does not answer."""


def plain(value: Any) -> Any:
    """JSON-friendly: money as exact text with its 2 decimals, dates and times as ISO."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"  # the driver gives Decimal('100') for 100.00
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class ClickHouseListing:
    """The paged decisions from ClickHouse."""

    def __init__(self, client: Client) -> None:
        self._query = GuardedClickHouse(client).rows

    def decisions_page(self, facility: str, start: date, end: date, offset: int,
                       limit: int) -> tuple[int, list[dict[str, Any]]]:
        params = {"f": facility, "start": start, "end": end, "offset": offset, "limit": limit}
        total = int(self._query(_COUNT, params)[0][0])
        rows = [{k: plain(v) for k, v in zip(_PAGE_COLUMNS, row, strict=True)}
                for row in self._query(_PAGE, params)]
        hits: dict[tuple[str, int, int], list[dict[str, Any]]] = {}
        if rows:
            for hit in self._query(_HITS, {"f": facility,
                                           "ids": tuple(r["ma_lk"] for r in rows)}):
                hits.setdefault((hit[0], hit[1], hit[2]), []).append(
                    {k: plain(v) for k, v in zip(_HIT_COLUMNS, hit[3:], strict=True)})
        for row in rows:
            row["warned"] = bool(row["warned"])
            row["hits"] = hits.get((row["ma_lk"], row["version"], row["revision"]), [])
        return total, rows


def month_range(month: str) -> tuple[date, date]:
    """``YYYYMM`` -> first day of the month, first day of the next; ``Refused`` (400) else."""
    match = _MONTH.fullmatch(month)
    if match is None:
        raise Refused(400, "bad_parameter", f"month: {month!r} is not YYYYMM (e.g. 202503)")
    year, mon = int(match.group(1)), int(match.group(2))
    if not 1971 <= year <= 2105:  # the span of ClickHouse dates
        raise Refused(400, "bad_parameter", f"month: {month!r} is outside 197101..210512")
    return date(year, mon, 1), date(year + mon // 12, mon % 12 + 1, 1)


def _whole(value: str, name: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise Refused(400, "bad_parameter", f"{name}: {value!r} is not a whole number from "
                      f"{low} to {high}")
    return int(value)


def results_router(listing: Listing) -> Callable[[Access], APIRouter]:
    """The paged results router for ``create_portal(routers=...)``."""

    def make(access: Access) -> APIRouter:
        router = APIRouter()

        @router.get("/api/v1/claims", summary="Decisions of a facility's claims for a service "
                    "month, paged (facility may be omitted by a facility key)")
        def list_claims(request: Request, month: str, facility: str | None = None,
                        page: str = "1",
                        page_size: str = str(DEFAULT_PAGE_SIZE)) -> dict[str, Any]:
            cred = access.authenticate(request)
            if facility is None:
                if cred.role != "facility":
                    raise Refused(400, "bad_parameter", f"facility: required for the "
                                  f"{cred.role} role")
                facility = cred.scope
            if not _FACILITY.fullmatch(facility):
                raise Refused(400, "bad_parameter", f"facility: {facility!r} is not a "
                              "5-character MA_CSKCB")
            access.require(cred, facility, "read results of")
            start, end = month_range(month)
            number = _whole(page, "page", 1, 10**6)
            size = _whole(page_size, "page_size", 1, MAX_PAGE_SIZE)
            total, rows = listing.decisions_page(facility, start, end, (number - 1) * size,
                                                 size)
            for row in rows:
                row["claim_key"] = f"{facility}|{row['ma_lk']}"
            more = number * size < total
            query = {"facility": facility, "month": month, "page": number + 1,
                     "page_size": size}
            return {"facility": facility, "month": month, "page": number, "page_size": size,
                    "total": total, "pages": -(-total // size), "claims": rows,
                    "next": f"{request.url.path}?{urlencode(query)}" if more else None}

        return router

    return make
