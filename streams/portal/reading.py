"""A request's claims, read the same way for submission (``POST /api/v1/claims``) and for the
pre-submission check (``POST /api/v1/precheck``): the content type, the size limit, the XML
envelope or the JSON form, and the access check on every facility named.

``read_claims`` answers ``(claims, envelope findings)`` or raises ``Refused`` (4xx, the
portal's error shape); a facility credential may only send its own claims (403).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from streams.portal.access import Access, Refused, read_limited
from streams.portal.auth import Credential
from streams.portal.errors import Finding, finding
from streams.portal.intake import ClaimResult, PortalInputError, parse_envelope, parse_json_claim

XML_TYPES = ("application/xml", "text/xml")
MAX_JSON_CLAIMS = 1000  # claims in one JSON request: each is parsed and answered in full
# The body as the OpenAPI document declares it (FastAPI cannot see a body read by hand).
CLAIMS_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/xml": {"schema": {"type": "string", "description": "a GIAMDINHHS envelope "
                                   "(docs/claim-standard.md, Envelope)"}},
    "application/json": {"schema": {"oneOf": [
        {"type": "object", "description": "one claim in the JSON form"},
        {"type": "array", "items": {"type": "object"}, "maxItems": MAX_JSON_CLAIMS}]}}}}}


def parse_body(body: bytes, ctype: str, cred: Credential, access: Access,
               max_bytes: int) -> tuple[list[ClaimResult], list[Finding]]:
    """The claims of ``body`` (``ctype`` already checked) and the envelope's own findings."""
    if ctype in XML_TYPES:
        try:
            envelope = parse_envelope(body, max_bytes=max_bytes)
        except PortalInputError as exc:
            status = 413 if exc.reason == "too_large" else 400
            raise Refused(status, exc.reason, str(exc)) from None
        access.require(cred, envelope.facility, "submit for")
        return envelope.claims, envelope.findings
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Refused(400, "malformed_json", f"body is not JSON: {exc}") from None
    except RecursionError:  # json's recursion guard: 10,000 nested arrays was a 500
        raise Refused(400, "malformed_json", "body: JSON nested deeper than the parser's "
                      "limit (about 1,000 levels); a claim needs 3") from None
    items: list[Any] = data if isinstance(data, list) else [data]
    if len(items) > MAX_JSON_CLAIMS:
        raise Refused(413, "too_many_claims", f"body: {len(items)} claims; at most "
                      f"{MAX_JSON_CLAIMS} per request (as an XML envelope's SOLUONGHOSO)")
    own = cred.scope if cred.role == "facility" else None
    claims = [parse_json_claim(item, facility=own) for item in items]
    first: dict[tuple[str, str], int] = {}
    for index, claim in enumerate(claims, 1):
        claim.index = index
        if claim.claim_key[1] and claim.claim_key in first:  # as P010 does for HOSO
            claim.add_finding(finding("P010", value=claim.claim_key[1],
                                      detail=first[claim.claim_key]))
        first.setdefault(claim.claim_key, index)
    return claims, []


async def read_claims(request: Request, cred: Credential, access: Access,
                      max_bytes: int) -> tuple[list[ClaimResult], list[Finding]]:
    """The request's claims, every facility they name checked against ``cred``."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in XML_TYPES and ctype != "application/json":
        raise Refused(415, "unsupported_media_type",
                      f"content type {ctype!r}: send application/xml or application/json")
    body = await read_limited(request, max_bytes)
    claims, envelope_findings = await run_in_threadpool(parse_body, body, ctype, cred, access,
                                                        max_bytes)
    for claim in claims:
        if claim.claim_key[0]:
            access.require(cred, claim.claim_key[0], "submit for")
    return claims, envelope_findings
