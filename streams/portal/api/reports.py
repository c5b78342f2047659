"""Settlement reports, settlements and advances through the portal (docs/settlement.md).

- ``GET /api/v1/reports?facility=&period=&kind=``: the reports the key may see. A facility key
  sees its own reports once both signatures are on (the signed copy is the one with legal value);
  agency keys see every stage of the reports of their jurisdiction (a province's fund summary
  needs a province or central key).
- ``GET /api/v1/reports/{id}/pdf``: the PDF at its latest stage. A report the key may not see is
  a 404, like an unknown one (logged): its existence is not the caller's business.
- ``POST /api/v1/reports/{id}/sign`` ``{"field": "preparer"|"head"}``: agency keys; signs with
  the signer the signers file configures for that field, preparer first. Audited
  (``report_signings``) and counted (``hireview_report_signings_total``), refusals too.
- ``GET /api/v1/settlements?facility=&kind=&period=``: the closed settlements.
- ``POST /api/v1/advances`` ``{"facility", "paid_on", "amount", "reference"}``: agency keys of
  the facility's jurisdiction record an advance paid.
- ``POST /api/v1/advance-policy`` ``{"percent", "valid_from", "reference"}``: central keys
  record a new version of the advance policy.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import Response

from streams.metrics import Metrics
from streams.portal.access import Access, Refused, Unavailable, read_limited
from streams.portal.api.results import plain
from streams.portal.auth import Credential
from streams.portal.roles import may, who_may
from streams.settle import funding
from streams.settle.periods import KINDS
from streams.settle.reports import Actor
from streams.settle.signing import SigningError, load_signers

log = logging.getLogger("hireview.portal")
Record = dict[str, Any]
_MAX_BODY = 16 * 1024


def _guard(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except (Refused, SigningError, LookupError, funding.FundingError):
        raise
    except Exception as exc:  # ClickHouse or the network: the client may retry
        raise Unavailable(f"ClickHouse: {type(exc).__name__}: {exc}") from exc


def _may_see(cred: Credential, report: Record) -> bool:
    if report["facility"]:
        if not cred.covers(report["facility"]):
            return False
        return cred.role != "facility" or report["stage"] == 2
    return cred.role == "central" or (cred.role == "province" and cred.scope
                                      == report["province"])


def _agency(cred: Credential, action: str) -> None:
    """403 (logged) unless the role may ``action`` (streams/portal/roles.py)."""
    if not may(cred.role, action):
        log.warning("refused: %s (%s %s) may not %s", cred.name, cred.role, cred.scope, action)
        raise Refused(403, "forbidden", f"only {who_may(action)} keys may {action}")


class Store(Protocol):
    """What the router needs of ``streams.settle.reports.ReportStore`` (fakes in tests)."""

    def listing(self, *, report_id: str | None = None, facility: str | None = None,
                period: str | None = None, kind: str | None = None, limit: int = 1000
                ) -> list[Record]: ...

    def get(self, rid: str) -> Record | None: ...

    def sign(self, rid: str, field: str, config: Mapping[str, Any], actor: Actor,
             font_dir: Path, tsa_url: str | None = None) -> Record: ...

    def settlements(self, facility: str, kind: str, period: str | None = None
                    ) -> list[Record]: ...

    def insert(self, table: str, columns: tuple[str, ...], rows: list[Record]) -> None: ...


async def _json(request: Request) -> Record:
    body = await read_limited(request, _MAX_BODY)
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Refused(400, "malformed_json", f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Refused(422, "invalid_request", "expected a JSON object")
    return data


def reports_router(store: Store, signers: Path, font_dir: Path, tsa_url: str | None = None,
                   metrics: Metrics | None = None) -> Callable[[Access], APIRouter]:
    signings = (metrics or Metrics.portal()).report_signings_total

    def insert(table: str, columns: tuple[str, ...], row: Record) -> None:
        _guard(lambda: store.insert(table, columns, [row]))

    def make(access: Access) -> APIRouter:
        router = APIRouter()

        def visible(request: Request, rid: str) -> tuple[Credential, Record]:
            cred = access.authenticate(request)
            found = _guard(lambda: store.listing(report_id=rid))
            if not found or not _may_see(cred, found[0]):
                if found:
                    log.warning("refused: %s (%s %s) may not see report %s", cred.name,
                                cred.role, cred.scope, rid)
                raise Refused(404, "not_found", f"no report {rid}")
            return cred, found[0]

        @router.get("/api/v1/reports", summary="Settlement reports the key may see")
        def list_reports(request: Request, facility: str | None = None,
                         period: str | None = None, kind: str | None = None) -> Record:
            cred = access.authenticate(request)
            if cred.role == "facility":
                facility = cred.scope
            elif facility:
                access.require(cred, facility, "list reports of")
            rows = _guard(lambda: store.listing(facility=facility, period=period, kind=kind,
                                                limit=5000))
            shown = [{k: plain(v) for k, v in r.items()} for r in rows if _may_see(cred, r)]
            return {"reports": shown}

        @router.get("/api/v1/reports/{rid}/pdf", summary="A report's PDF")
        def pdf(rid: str, request: Request) -> Response:
            _, report = visible(request, rid)
            full = _guard(lambda: store.get(rid))
            if full is None:
                raise Refused(404, "not_found", f"no report {rid}")
            return Response(full["pdf"], media_type="application/pdf", headers={
                "Content-Disposition": f'attachment; filename="{rid}.pdf"',
                "X-Report-Stage": str(report["stage"])})

        @router.post("/api/v1/reports/{rid}/sign", summary="Sign a report (agency roles)")
        async def sign(rid: str, request: Request) -> Record:
            from fastapi.concurrency import run_in_threadpool

            cred, _ = visible(request, rid)
            _agency(cred, "sign reports")
            field = (await _json(request)).get("field")

            def run() -> Record:
                config = load_signers(signers)
                if field not in config:
                    raise SigningError(f"field: {field!r} has no signer configured "
                                       f"(signers: {', '.join(config)})")
                return dict(store.sign(rid, str(field), config[str(field)],
                                       Actor(cred.name, cred.role), font_dir, tsa_url))
            try:
                row = await run_in_threadpool(lambda: _guard(run))
            except SigningError as exc:
                signings.labels(str(field), "refused").inc()
                log.warning("signing refused: %s (%s) report %s field %s: %s", cred.name,
                            cred.role, rid, field, exc)
                raise Refused(409, "cannot_sign", str(exc)) from None
            signings.labels(str(field), "signed").inc()
            log.info("signed: %s (%s) report %s field %s", cred.name, cred.role, rid, field)
            return {k: plain(v) for k, v in row.items()}

        @router.get("/api/v1/settlements", summary="Closed settlements")
        def settlements(request: Request, facility: str, kind: str = "quarter",
                        period: str | None = None) -> Record:
            cred = access.authenticate(request)
            access.require(cred, facility, "read settlements of")
            if kind not in KINDS:
                raise Refused(422, "invalid_request", f"kind: {kind!r} is not one of "
                              f"{', '.join(KINDS)}")
            rows = _guard(lambda: store.settlements(facility, kind, period))
            return {"settlements": [{k: plain(v) for k, v in r.items()} for r in rows]}

        @router.post("/api/v1/advances", summary="Record an advance paid (agency roles)")
        async def advance(request: Request) -> Record:
            cred = access.authenticate(request)
            _agency(cred, "record advances")
            data = await _json(request)
            try:
                row = funding.advance_row(data, cred.name, funding.now_utc())
            except funding.FundingError as exc:
                raise Refused(422, "invalid_advance", str(exc)) from None
            access.require(cred, row["facility"], "record advances for")
            insert("advances", funding.ADVANCE_COLUMNS, row)
            log.info("advance: %s recorded %s for %s", cred.name, row["amount"], row["facility"])
            return {k: plain(v) for k, v in row.items() if k != "ingested_at"}

        @router.post("/api/v1/advance-policy", summary="A new advance policy version (central)")
        async def policy(request: Request) -> Record:
            cred = access.authenticate(request)
            if not may(cred.role, "set the advance policy"):
                log.warning("refused: %s (%s) may not set the advance policy", cred.name,
                            cred.role)
                raise Refused(403, "forbidden", "only central keys set the advance policy")
            try:
                row = funding.policy_row(await _json(request), cred.name, funding.now_utc())
            except funding.FundingError as exc:
                raise Refused(422, "invalid_policy", str(exc)) from None
            insert("settlement_params", funding.PARAM_COLUMNS, row)
            return {k: plain(v) for k, v in row.items() if k != "ingested_at"}

        return router

    return make
