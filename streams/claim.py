"""A claim's identity, as every process names it; each notion is defined here once.

- identity: ``(facility, claim_id, version)`` — facility is MA_CSKCB, claim_id is MA_LK, and the
  version counts the facility's resubmissions of that MA_LK.
- claim key: ``facility|claim_id``, the version-less name of a claim (receipts, unlocks).
- ``claim`` header: ``facility|claim_id|version|revision`` on every decision event, so
  consumers can route and deduplicate without decoding.
- content hash: what the facility sent (header, lines, XML4/XML5), not envelope fields such as
  version or submission time, so equal content has an equal hash.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

CLAIM_HEADER = "claim"
_CONTENT = ("header", "drugs", "services", "lab_results", "clinical_notes")


def identity(record: dict[str, Any]) -> tuple[str, str, int]:
    return (record["facility"], record["claim_id"], record["version"])


def claim_key(facility: str, claim_id: str) -> str:
    return f"{facility}|{claim_id}"


def claim_header(decision: dict[str, Any]) -> bytes:
    d = decision
    return f"{d['facility']}|{d['claim_id']}|{d['version']}|{d['revision']}".encode()


def content_hash(claim: dict[str, Any]) -> str:
    body = {k: claim[k] for k in _CONTENT}
    data = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=16).hexdigest()
