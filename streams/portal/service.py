"""The reception portal's HTTP API (FastAPI). ``create_portal`` takes every outside dependency,
so unit tests run it with fakes and ``run.py`` with Kafka and ClickHouse.

- ``POST /api/v1/claims``: a GIAMDINHHS envelope (application/xml, text/xml) or the JSON form
  (application/json: one claim object or a list). One result per claim. Accepted new versions
  are published (``publish``, acknowledged) and then their receipts written, all before the
  answer, within one deadline (``portal_ack_seconds``). A failure is a 503 that says per claim
  ``accepted`` (delivered: its receipt is kept, written later if its write failed) or
  ``not_delivered`` (known never to arrive: its version stays free). Same content under the
  same claim key: the same receipt, nothing published. Replacing a version whose appraisal
  started (``results.decided``) without an unlock: 409 for the whole request, nothing published.
- ``POST /api/v1/claims/{facility}/{ma_lk}/unlock``: agency roles (district, province,
  central) in their jurisdiction; roles and their actions: streams/portal/roles.py.
- ``GET /api/v1/claims/{facility}/{ma_lk}``: the latest decision, 404 when none.
  Findings per claim: blocking first, grouped per code/table/field (``?findings=all``: every
  one; streams/portal/findings.py).
- ``GET /api/v1/errors``: the error catalogue. ``/openapi.json``: FastAPI's document.
- More routers (``routers``): cards, catalogs, results, summaries, explanations, the
  pre-submission check (api/precheck.py) and health (api/health.py).
- ``GET /metrics``: the portal's Prometheus metrics (streams/http_metrics.py).

Unreadable input is a 4xx with ``{"error": reason, "detail": message}``, never a 5xx.
Submissions are serialised by one lock: versions come from the in-memory receipts.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask

from streams.claim import claim_key
from streams.http_metrics import install_metrics
from streams.metrics import Metrics
from streams.portal.access import Access, NotDelivered, Refused, Unavailable, install
from streams.portal.auth import Credentials
from streams.portal.backfill import SentAtQuery, backfill_time
from streams.portal.findings import FindingsQuery, Mode, answer, summary
from streams.portal.intake import ClaimResult, catalogue_rows, stamp
from streams.portal.intake.limits import Limits
from streams.portal.memory import release_memory
from streams.portal.openapi import install_document
from streams.portal.parsepool import ParsePool
from streams.portal.reading import CLAIMS_BODY, read_claims
from streams.portal.receipts import Receipt, ReceiptStore, ReceiptWriteFailed, receipt_id
from streams.portal.roles import may, who_may
from streams.settings import Settings

log = logging.getLogger("hireview.portal")


class Publish(Protocol):
    def __call__(self, records: list[dict[str, Any]]) -> None:
        """Publish stamped claims to hi.claims keyed by person_key; return once all are
        acknowledged, else raise ``Unavailable``."""


class Results(Protocol):
    def decided(self, facility: str, claim_id: str) -> bool:
        """Is the claim locked: has a version a decision (its appraisal started) that no
        appraiser has unlocked for replacement?"""

    def latest_decision(self, facility: str, claim_id: str) -> dict[str, Any] | None:
        """The decision of the latest decided version, with its hits; None when none."""


@dataclass
class _Outcome:
    claim: ClaimResult
    version: int | None = None
    receipt: str | None = None
    status: str = "rejected"  # accepted | duplicate | rejected | conflict | not_delivered

    def to_dict(self, mode: Mode = "grouped", max_findings: int = 1000) -> dict[str, Any]:
        facility, claim_id = self.claim.claim_key
        found = answer(self.claim.findings, mode)
        return {"claim_key": claim_key(facility, claim_id), "facility": facility, "ma_lk": claim_id,
                "index": self.claim.index, "version": self.version,
                "accepted": self.status in ("accepted", "duplicate"), "status": self.status,
                "receipt": self.receipt, "finding_counts": summary(self.claim.findings),
                "findings": found[:max_findings],  # blocking first: those are never cut
                "findings_omitted": max(0, len(found) - max_findings)}


def create_portal(settings: Settings, *, publish: Publish, receipts: ReceiptStore,
                  results: Results, credentials: Credentials,
                  routers: Sequence[Callable[[Access], APIRouter]] = (),
                  metrics: Metrics | None = None, parser: ParsePool | None = None) -> FastAPI:
    """The portal; each of ``routers`` builds more endpoints on the same access checks.
    ``metrics`` (the portal's, ``Metrics.portal()``) count requests and failed writes;
    ``parser`` parses submissions in processes (else in threads of this one)."""
    app = FastAPI(title="hireview reception portal", version="1")
    metrics = metrics or Metrics.portal()
    install_metrics(app, metrics)
    failed_writes = metrics.portal_publish_failures_total
    for topic in ("hi.claims", "hi.receipts"):  # series at 0 from the start, for rate()
        failed_writes.labels(topic)
    max_bytes = settings.portal_max_body_mb * 1024 * 1024
    limits = Limits.from_settings(settings)
    gate = asyncio.Semaphore(settings.portal_parse_workers)
    submit_lock = threading.Lock()

    access = Access(credentials)
    authenticate, require = access.authenticate, access.require
    install(app)

    def _deliver(fresh: list[tuple[_Outcome, dict[str, Any]]], outcomes: list[_Outcome],
                 now: datetime) -> tuple[int, list[_Outcome]]:
        """Publish, then write the receipts of what was delivered. Per claim the answer says
        accepted (delivered, receipt kept) or not_delivered (known never to arrive: its
        version stays free); any claim not delivered or receipt not written is a 503."""
        try:
            publish([record for _, record in fresh])
            report: list[bool | None] = [True] * len(fresh)
        except NotDelivered as exc:
            failed_writes.labels("hi.claims").inc()
            report = exc.report
        except Unavailable:  # no report at all: nothing is taken as delivered
            failed_writes.labels("hi.claims").inc()
            raise
        # No report (None) may still arrive: its version is kept as used, never given again.
        sent = [(out, r) for (out, r), ok in zip(fresh, report, strict=True) if ok is not False]
        stamped = [Receipt(r["facility"], r["claim_id"], r["version"], r["content_hash"],
                           receipt_id(r["facility"], r["claim_id"], r["version"],
                                      r["content_hash"]),
                           r["person_key"], now.isoformat()) for _, r in sent]
        receipts_ok = True
        try:
            receipts.put_delivered(stamped)
        except ReceiptWriteFailed:
            failed_writes.labels("hi.receipts").inc()
            receipts_ok = False
        for (out, _), rec in zip(sent, stamped, strict=True):
            out.receipt, out.status = rec.receipt, "accepted"
        for (out, _), ok in zip(fresh, report, strict=True):
            if ok is False:
                out.status, out.version = "not_delivered", None
        return (200 if receipts_ok and all(report) else 503), outcomes

    def submit(claims: list[ClaimResult], sent_at: datetime | None = None
               ) -> tuple[int, list[_Outcome]]:
        now = datetime.now(UTC)
        outcomes = [_Outcome(c) for c in claims]
        with submit_lock:
            if receipts.unwritten:  # delivered claims' receipts a failed write left behind
                try:
                    receipts.put([])
                except ReceiptWriteFailed:
                    failed_writes.labels("hi.receipts").inc()
            fresh: list[tuple[_Outcome, dict[str, Any]]] = []
            for out in outcomes:
                if out.claim.record is None or not out.claim.accepted:
                    continue
                facility, claim_id = out.claim.claim_key
                prior = receipts.get(facility, claim_id)
                record = stamp(out.claim.record, version=1, submitted_at=now, sent_at=sent_at)
                if prior is not None and prior.content_hash == record["content_hash"]:
                    out.version, out.receipt, out.status = prior.version, prior.receipt, "duplicate"
                    continue
                if prior is not None:
                    record["version"] = prior.version + 1
                    if prior.unlocked_version != prior.version and results.decided(facility,
                                                                                    claim_id):
                        out.version, out.status = prior.version, "conflict"
                        continue
                out.version = record["version"]
                fresh.append((out, record))
            if any(o.status == "conflict" for o in outcomes):
                for out, _ in fresh:  # nothing of the request is published
                    out.status, out.version = "rejected", None
                return 409, outcomes
            if fresh:
                return _deliver(fresh, outcomes, now)
        return 200, outcomes

    @app.post("/api/v1/claims", summary="Submit claims (GIAMDINHHS XML or the JSON form)",
              openapi_extra=CLAIMS_BODY)
    async def post_claims(request: Request,
                          findings: FindingsQuery = "grouped",
                          sent_at: SentAtQuery = None) -> JSONResponse:
        cred = authenticate(request)
        sent = backfill_time(sent_at, datetime.now(UTC))
        claims, envelope_findings = await read_claims(request, cred, access, max_bytes, limits,
                                                      gate, parser)
        if sent is not None:
            log.info("backfill: %s (%s %s) sends %d claims first sent %s", cred.name,
                     cred.role, cred.scope, len(claims), sent.isoformat())
        status, outcomes = await run_in_threadpool(submit, claims, sent)

        def respond() -> JSONResponse:  # in a thread: a big answer never blocks the loop
            conflicts = [o.claim.claim_key[1] for o in outcomes if o.status == "conflict"]
            content: dict[str, Any] = {
                "claims": [o.to_dict(findings, limits.findings) for o in outcomes],
                "findings": answer(envelope_findings, findings)[:limits.findings]}
            if status == 503:
                lost = [o.claim.claim_key[1] for o in outcomes if o.status == "not_delivered"]
                content |= {"error": "unavailable",
                            "detail": f"Kafka did not acknowledge in time: not delivered "
                                      f"{lost} (send them again); the claims answered "
                                      "accepted were delivered and keep their receipt"}
            if conflicts:
                content |= {"error": "appraisal_started",
                            "detail": f"appraisal started for {conflicts}: replacing needs an "
                                      "unlock by the agency (POST .../unlock); nothing was "
                                      "accepted"}
            # Sent, then the memory of a big answer is given back (reading.release_memory).
            return JSONResponse(content, status_code=status,
                                background=BackgroundTask(release_memory))

        return await run_in_threadpool(respond)

    @app.post("/api/v1/claims/{facility}/{ma_lk}/unlock",
              summary="Allow the current version of a claim to be replaced (agency roles)")
    def unlock(facility: str, ma_lk: str, request: Request) -> dict[str, Any]:
        cred = authenticate(request)
        require(cred, facility, "unlock claims of")
        if not may(cred.role, "unlock claims"):
            log.warning("refused: %s (%s %s) may not unlock claims", cred.name, cred.role,
                        cred.scope)
            raise Refused(403, "forbidden", f"only {who_may('unlock claims')} keys may unlock")
        with submit_lock:
            try:
                done = receipts.unlock(facility, ma_lk, by=cred.name,
                                       at=datetime.now(UTC).isoformat())
            except ReceiptWriteFailed as exc:
                failed_writes.labels("hi.receipts").inc()
                raise Unavailable(str(exc)) from exc
        if done is None:
            raise Refused(404, "not_found", f"no claim {facility}|{ma_lk} received")
        log.info("unlock: %s (%s) unlocked %s version %d", cred.name, cred.role, done.key,
                 done.version)
        return {"claim_key": done.key, "unlocked_version": done.unlocked_version,
                "unlocked_by": done.unlocked_by, "unlocked_at": done.unlocked_at}

    @app.get("/api/v1/claims/{facility}/{ma_lk}", summary="The latest decision of a claim")
    def get_claim(facility: str, ma_lk: str, request: Request) -> dict[str, Any]:
        cred = authenticate(request)
        require(cred, facility, "read")
        decision = results.latest_decision(facility, ma_lk)
        if decision is None:
            raise Refused(404, "not_found", f"no decision for {facility}|{ma_lk} yet")
        return decision

    @app.get("/api/v1/errors", summary="The machine-readable error catalogue")
    def errors() -> list[dict[str, Any]]:
        return catalogue_rows()

    for make_router in routers:
        app.include_router(make_router(access))
    install_document(app)  # every status and the error body actually sent (ErrorBody)
    return app
