"""``POST /api/v1/precheck``: what submitting the facility's draft claim(s) would give, with
nothing published: no hi.claims event, no receipt, no change to any history.

The body is what ``POST /api/v1/claims`` takes (a GIAMDINHHS envelope or the JSON form), read by
the same code (``streams/portal/reading.py``) under the same access rules (a facility key only
for its own claims). Each claim the intake accepts is stamped as submission would stamp it (the
version the receipts would give, ``submitted_at`` now) and judged by the worker's own pure step
(``streams.appraisal.judge``: the same engine and ``rules.decision.decide``) against the
portal's current catalogs and cards (the reference feed) and the person's visits, asked from a
worker (``GET /history/{person}``, as the card lookup does).

Per claim: ``submission`` (what a submission would answer: accepted, duplicate, conflict or
rejected), ``version``, the intake's findings (grouped as for submission, ``?findings=all``),
``decision`` (outcome, money, rules version and every hit; null when the intake blocks the
claim) and ``history`` (``available``: false when no worker answered; the rules then ran without
the person's earlier visits, and ``detail`` says why).

A ``duplicate`` (same content as the version received) would change nothing when submitted;
its decision here is a fresh judgment with today's rules and reference data. Hits that the
worker's later stages add to a decision (XC03 from practitioners' schedules, amendments from a
partner claim) are not part of a first decision, so a pre-check cannot show them either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder

from rules.context import Cards, Catalog
from rules.engine import Engine
from streams.appraisal import judge
from streams.claim import claim_key
from streams.portal.access import Access
from streams.portal.api.cards import History, HistoryUnavailable
from streams.portal.findings import FindingsQuery, Mode, answer, summary
from streams.portal.intake import ClaimResult, stamp
from streams.portal.intake.limits import Limits
from streams.portal.reading import CLAIMS_BODY, read_claims
from streams.portal.receipts import ReceiptStore

Record = dict[str, Any]
_DECISION_KEYS = ("outcome", "requested", "approved", "rejected", "rules_version", "hits",
                  "adjustments")


class Decided(Protocol):
    def decided(self, facility: str, claim_id: str) -> bool:
        """Has a version of the claim a decision that no appraiser unlocked?"""


@dataclass(frozen=True)
class Precheck:
    """What a pre-check reads: the rules, the reference data, the history, the receipts."""

    engine: Engine
    catalog: Catalog
    cards: Cards
    history: History
    receipts: ReceiptStore
    results: Decided
    max_bytes: int
    limits: Limits | None = None  # the submission's bounds (portal_max_*); None: defaults


def visit_from_page(visit: Record) -> Record:
    """A visit as ``GET /history/{person}`` answers it -> the visit record rules read
    (docs/contracts.md, "Person history"): times parsed, unknown values as the worker loads
    them (``kind`` "", ``outcome`` 0, ``copay`` 0)."""
    return {**visit,
            "admitted": datetime.fromisoformat(visit["admitted"]),
            "discharged": datetime.fromisoformat(visit["discharged"]),
            "kind": visit.get("kind") or "", "diagnosis": visit.get("diagnosis") or "",
            "outcome": visit.get("outcome") or 0, "copay": visit.get("copay") or 0.0,
            "content_hash": visit.get("content_hash") or "",
            "decision": visit.get("decision") or {}}


def _stamped(p: Precheck, result: ClaimResult, now: datetime) -> tuple[Record, str]:
    """The record as submission would publish it, and what submission would answer."""
    assert result.record is not None
    facility, claim_id = result.claim_key
    record = stamp(result.record, version=1, submitted_at=now)
    prior = p.receipts.get(facility, claim_id)
    if prior is None:
        return record, "accepted"
    if prior.content_hash == record["content_hash"]:
        record["version"] = prior.version
        return record, "duplicate"
    record["version"] = prior.version + 1
    if prior.unlocked_version != prior.version and p.results.decided(facility, claim_id):
        return record, "conflict"
    return record, "accepted"


def run_precheck(p: Precheck, claims: list[ClaimResult], mode: Mode) -> list[Record]:
    """Judge every claim; reads only (receipts, results, history), writes nothing."""
    now = datetime.now(UTC)
    visits: dict[str, tuple[list[Record], str | None]] = {}  # one history call per person
    out = []
    for result in claims:
        facility, claim_id = result.claim_key
        item: Record = {"claim_key": claim_key(facility, claim_id), "facility": facility,
                        "ma_lk": claim_id, "index": result.index, "version": None,
                        "submission": "rejected", "finding_counts": summary(result.findings),
                        "findings": answer(result.findings, mode), "decision": None,
                        "history": None}
        out.append(item)
        if result.record is None or not result.accepted:
            continue
        record, item["submission"] = _stamped(p, result, now)
        item["version"] = record["version"]
        person = record["person_key"]
        if person not in visits:
            try:
                visits[person] = ([visit_from_page(v) for v in p.history.visits(person)],
                                  None)
            except HistoryUnavailable as exc:
                visits[person] = ([], str(exc))
        history, problem = visits[person]
        hits, decision = judge(record, history, p.engine, p.catalog, p.cards, now)
        item["decision"] = {k: decision[k] for k in _DECISION_KEYS} | {"hit_count": len(hits)}
        item["history"] = {"available": problem is None, "visits": len(history)}
        if problem is not None:
            item["history"]["detail"] = problem
    return out


def precheck_router(p: Precheck) -> Callable[[Access], APIRouter]:
    def make(access: Access) -> APIRouter:
        router = APIRouter()

        @router.post("/api/v1/precheck", openapi_extra=CLAIMS_BODY,
                     summary="Pre-submission check: the decision a submission would get, "
                             "with every hit; publishes nothing")
        async def precheck(request: Request,
                           findings: FindingsQuery = "grouped") -> dict[str, Any]:
            cred = access.authenticate(request)
            claims, envelope_findings = await read_claims(request, cred, access, p.max_bytes,
                                                          p.limits)
            items = await run_in_threadpool(run_precheck, p, claims, findings)
            return {"claims": jsonable_encoder(items), "published": False,
                    "findings": answer(envelope_findings, findings)}

        return router

    return make
