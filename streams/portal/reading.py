"""A request's claims, read the same way for submission (``POST /api/v1/claims``) and for the
pre-submission check (``POST /api/v1/precheck``): the content type, the size limit, the XML
envelope or the JSON form, and the access check on every facility named.

``read_claims`` answers ``(claims, envelope findings)`` or raises ``Refused`` (4xx, the
portal's error shape); a facility credential may only send its own claims (403).
"""

from __future__ import annotations

import asyncio
import re
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

import orjson
from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from streams.portal.access import Access, Refused, read_limited
from streams.portal.auth import Credential
from streams.portal.errors import Finding, finding
from streams.portal.intake import ClaimResult, PortalInputError, parse_envelope, parse_json_claim
from streams.portal.intake.limits import Budget, Limits, OverLimit, check_json
from streams.portal.memory import release_memory
from streams.portal.parsepool import ParsePool

XML_TYPES = ("application/xml", "text/xml")
MAX_JSON_CLAIMS = Limits().claims  # the default of portal_max_claims (OpenAPI's maxItems)
_NO_GATE: AbstractAsyncContextManager[None] = nullcontext()
_BIG = 1 << 20  # a body above this is worth giving its memory back after
_FACILITY = re.compile(r"[0-9A-Za-z]{5}").fullmatch
# The body as the OpenAPI document declares it (FastAPI cannot see a body read by hand).
CLAIMS_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/xml": {"schema": {"type": "string", "description": "a GIAMDINHHS envelope "
                                   "(docs/claim-standard.md, Envelope)"}},
    # Any JSON is answered: each item (or the one value) is a claim, and one that is not an
    # object is answered blocked (P503), so the schema bounds only the number of claims.
    "application/json": {"schema": {"anyOf": [
        {"type": "array", "maxItems": MAX_JSON_CLAIMS, "description": "claims in the JSON "
         "form (docs/claim-standard.md); an item that is not an object is blocked (P503)"},
        {"type": ["object", "string", "number", "boolean", "null"],
         "description": "one claim in the JSON form; not an object: blocked (P503)"}]}}}}}


def refusal(exc: PortalInputError) -> Refused:
    """The HTTP answer of an input error: its status (400, or 413/422 for a bound), reason,
    and the bound's field and limit when it is one."""
    return Refused(exc.status, exc.reason, str(exc), field=exc.field, limit=exc.limit)


Parsed = tuple[list[ClaimResult], list[Finding], str]  # claims, envelope findings, MACSKCB


def parse_pure(body: bytes, ctype: str, own: str | None, max_bytes: int,
               limits: Limits | None = None) -> Parsed:
    """The claims of ``body`` (``ctype`` already checked), the envelope's own findings and the
    facility it names ("" for JSON), within ``limits``; no access check (``own``: a facility
    key's code, the facility of JSON claims). Pure: it may run in a parser process."""
    limits = limits or Limits()
    budget = limits.budget()
    try:
        if ctype in XML_TYPES:
            return _xml(body, max_bytes, limits, budget)
        return _json(body, own, limits, budget), [], ""
    except PortalInputError as exc:
        raise refusal(exc) from None


def parse_outcome(body: bytes, ctype: str, own: str | None, max_bytes: int,
                  limits: Limits) -> tuple[Any, ...]:
    """:func:`parse_pure` for a parser process: a refusal comes back as data (an exception
    with keyword arguments does not survive pickling)."""
    try:
        return ("ok", *parse_pure(body, ctype, own, max_bytes, limits))
    except Refused as exc:
        return ("refused", exc.status, exc.reason, exc.detail, exc.field, exc.limit)


def parse_body(body: bytes, ctype: str, cred: Credential, access: Access,
               max_bytes: int, limits: Limits | None = None
               ) -> tuple[list[ClaimResult], list[Finding]]:
    """:func:`parse_pure` and the access check on the envelope's facility, in this process."""
    own = cred.scope if cred.role == "facility" else None
    claims, findings, facility = parse_pure(body, ctype, own, max_bytes, limits)
    if facility:
        access.require(cred, facility, "submit for")
    return claims, findings


def _xml(body: bytes, max_bytes: int, limits: Limits, budget: Budget) -> Parsed:
    envelope = parse_envelope(body, max_bytes=max_bytes, limits=limits, budget=budget)
    if not _FACILITY(envelope.facility):
        # Not an authorisation question: the envelope does not say whose claims these are.
        said = "is missing" if not envelope.facility else (
            f"{envelope.facility[:20]!r} is not a 5-character facility code")
        raise Refused(400, "invalid_envelope", f"THONGTINDONVI/MACSKCB {said}: the envelope "
                      "must name the facility that sends it", field="MACSKCB")
    return envelope.claims, envelope.findings, envelope.facility


def _json(body: bytes, own: str | None, limits: Limits, budget: Budget) -> list[ClaimResult]:
    # Counted before decoding (bytes.count is C-fast, and decoding holds the GIL): an upper
    # bound on keys and items, so 10^6 keys are refused before a dict of them is built.
    values = body.count(b":") + body.count(b",")
    if values > limits.values:
        raise OverLimit(413, "too_many_values", "$", limits.values,
                        f"up to {values} keys and items")
    try:
        data = orjson.loads(body)  # about 3x json's speed; NaN, Infinity, 1e400 are refused
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc):  # orjson's own nesting guard (1,024 levels)
            raise Refused(422, "too_deep", f"body: JSON nested deeper than {limits.depth} "
                          "levels; a claim needs 4", field="$", limit=limits.depth) from None
        raise Refused(400, "malformed_json", f"body is not JSON: {exc}") from None
    items: list[Any] = data if isinstance(data, list) else [data]
    if len(items) > limits.claims:
        raise OverLimit(413, "too_many_claims", "$", limits.claims, f"{len(items)} claims "
                        "(as an XML envelope's SOLUONGHOSO)")
    check_json(data, limits)
    claims = []
    for index, item in enumerate(items, 1):
        budget.check(f"$[{index - 1}]")
        claims.append(parse_json_claim(item, facility=own))
    first: dict[tuple[str, str], int] = {}
    for index, claim in enumerate(claims, 1):
        claim.index = index
        if claim.claim_key[1] and claim.claim_key in first:  # as P010 does for HOSO
            claim.add_finding(finding("P010", value=claim.claim_key[1],
                                      detail=first[claim.claim_key]))
        first.setdefault(claim.claim_key, index)
    return claims


async def read_claims(request: Request, cred: Credential, access: Access,
                      max_bytes: int, limits: Limits | None = None,
                      gate: asyncio.Semaphore | None = None, pool: ParsePool | None = None
                      ) -> tuple[list[ClaimResult], list[Finding]]:
    """The request's claims, every facility they name checked against ``cred``. ``gate``
    bounds how many requests parse at once (the others wait, not the event loop); ``pool``
    parses in processes (streams/portal/parsepool.py), else a thread of this one does."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in XML_TYPES and ctype != "application/json":
        raise Refused(415, "unsupported_media_type",
                      f"content type {ctype!r}: send application/xml or application/json")
    body = await read_limited(request, max_bytes)
    try:
        async with gate or _NO_GATE:
            if pool is not None:
                own = cred.scope if cred.role == "facility" else None
                claims, envelope_findings, facility = await pool.parse(
                    body, ctype, own, max_bytes, limits or Limits())
                if facility:
                    access.require(cred, facility, "submit for")
            else:
                claims, envelope_findings = await run_in_threadpool(
                    parse_body, body, ctype, cred, access, max_bytes, limits)
    except Refused:
        if len(body) > _BIG:
            del body
            await run_in_threadpool(release_memory)
        raise
    for claim in claims:
        if claim.claim_key[0]:
            access.require(cred, claim.claim_key[0], "submit for")
    return claims, envelope_findings
