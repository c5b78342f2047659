"""A person's visit history, as kept in the worker's RocksDB table (key: person_key).

Pure functions over a list of visit dicts (see docs/contracts.md). Stored as orjson bytes; the
few datetime fields are restored on load so rules see the same types as in a decoded claim.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from streams.appraisal import prior as prior  # re-exported: shared with the portal's pre-check
from streams.claim import identity as identity  # re-exported: visits are claims

Visit = dict[str, Any]


def visit_of(
    claim: dict[str, Any], decision: dict[str, Any], inpatient_types: Collection[str]
) -> Visit:
    """The visit kept for ``claim``; ``inpatient_types`` (MA_LOAI_KCB codes) come from the
    engine (``Engine.inpatient_types``), so the stored flag and the rule judging it never
    drift."""
    header = claim["header"]
    return {
        "facility": claim["facility"],
        "claim_id": claim["claim_id"],
        "version": claim["version"],
        "content_hash": claim["content_hash"],
        "admitted": header["ngay_vao"],
        "discharged": header["ngay_ra"],
        "inpatient": header["ma_loai_kcb"] in inpatient_types,
        "kind": header["ma_loai_kcb"],
        "diagnosis": header["ma_benh_chinh"],
        "outcome": header["ket_qua_dtri"],
        "copay": header["t_bncct"],  # the person's co-payment: the yearly total drives exemption
        "status": "under_appraisal",
        "decision": decision,
    }


def find(visits: list[Visit], key: tuple[str, str, int]) -> Visit | None:
    for v in visits:
        if identity(v) == key:
            return v
    return None


def record(visits: list[Visit], visit: Visit, keep_days: int, min_visits: int) -> list[Visit]:
    """Add or replace ``visit``; drop visits older than ``keep_days`` beyond the last N."""
    me = identity(visit)
    out = [v for v in visits if identity(v) != me]
    out.append(visit)
    out.sort(key=lambda v: (v["admitted"], v["claim_id"], v["version"]))
    newest = max(v["discharged"] for v in out)
    horizon = newest - timedelta(days=keep_days)
    cut = len(out) - min_visits
    return [v for i, v in enumerate(out) if i >= cut or v["discharged"] >= horizon]


def replace_decision(visits: list[Visit], decision: dict[str, Any]) -> list[Visit]:
    me = identity(decision)
    return [({**v, "decision": decision} if identity(v) == me else v) for v in visits]


# --- storage --------------------------------------------------------------------------------------
# orjson writes datetimes as ISO text (naive stays naive, UTC keeps its offset) and dates as
# ISO dates; loads restores exactly the typed fields below, so no per-value walk is needed.
_VISIT_TIMES = ("admitted", "discharged")
_DECISION_TIMES = ("submitted_at", "decided_at")


def dumps(visits: list[Visit]) -> bytes:
    return orjson.dumps(visits)


def loads(data: bytes | None) -> list[Visit]:
    if not data:
        return []
    visits: list[Visit] = orjson.loads(data)
    for v in visits:
        if "copay" not in v:  # stored before these fields existed
            v.update(kind="", diagnosis="", outcome=0, copay=0.0)
        for name in _VISIT_TIMES:
            v[name] = datetime.fromisoformat(v[name])
        d = v["decision"]
        for name in _DECISION_TIMES:
            d[name] = datetime.fromisoformat(d[name])
        d["service_date"] = date.fromisoformat(d["service_date"])
    return visits
