"""``GET /history/{person_key}`` on the worker's web server: a person's visits, for the portal.

The history lives in the worker's ``history`` table (``streams/worker/history.py`` owns its format),
partitioned like ``hi.claims`` by person_key. With several workers only the owner of the key's
partition holds it, so the page is a faust ``table_route``: a worker that does not own the key
forwards the request to the one that does (its ``canonical_url``), and answers 503 while no
assignment is known (during a rebalance). The portal treats any non-200 as "history
unavailable" and still answers the card lookup.

Answer: ``{"person_key", "visits": [...]}``, oldest first as stored, each visit
``{facility, claim_id, version, admitted, discharged, inpatient, kind, diagnosis, outcome,
status, content_hash, copay, decision: {outcome, revision, requested, approved, rejected,
decided_at}}`` (``kind`` =
MA_LOAI_KCB, ``diagnosis`` = MA_BENH_CHINH, ``outcome`` = KET_QUA_DTRI, as in the history); times
are ISO text; unknown values (visits stored before the history kept them) are null. The hits of
each decision are left out: the portal's results endpoints have them.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import faust
from faust.web import Request, Response, View

from streams.internal import HEADER, allowed
from streams.worker import history as hist

PERSON_KEY = re.compile(r"[0-9A-Za-z]{1,32}")
_DECISION_FIELDS = ("outcome", "revision", "requested", "approved", "rejected", "decided_at")


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def visit_summary(visit: hist.Visit) -> dict[str, Any]:
    """The JSON-friendly part of a stored visit that the card lookup shows."""
    decision = visit.get("decision") or {}
    return {
        "facility": visit["facility"],
        "claim_id": visit["claim_id"],
        "version": visit["version"],
        "admitted": _text(visit["admitted"]),
        "discharged": _text(visit["discharged"]),
        "inpatient": visit["inpatient"],
        "kind": visit.get("kind") or None,
        "diagnosis": visit.get("diagnosis") or None,
        "outcome": visit.get("outcome") or None,  # 0: stored before the history kept it
        "status": visit["status"],
        # What the portal's pre-check needs to judge as the worker does (XC01, CB09).
        "content_hash": visit.get("content_hash"),
        "copay": visit.get("copay", 0.0),
        "decision": {k: _text(decision.get(k)) for k in _DECISION_FIELDS},
    }


def history_payload(person_key: str, stored: bytes | None) -> dict[str, Any]:
    """The answer for ``person_key`` from its stored table value (``None``: no visits)."""
    return {"person_key": person_key,
            "visits": [visit_summary(v) for v in hist.loads(stored)]}


def add_history_page(app: faust.App, table: Any, secret: str) -> None:
    """Serve ``GET /history/{person_key}`` from ``table`` (the worker's ``history`` table,
    bytes keys) on ``app``'s web server, routed to the partition's owner (faust forwards the
    headers), only to a request carrying ``secret`` (streams/internal.py)."""

    @app.page("/history/{person_key}")
    @app.table_route(table=table, match_info="person_key")
    async def person_history(view: View, request: Request, person_key: str) -> Response:
        if not allowed(request.headers.get(HEADER), secret):
            return view.json({"error": "unauthorized",
                              "detail": f"the history page needs the {HEADER} header "
                                        "(streams/internal.py)"}, status=401)
        if not PERSON_KEY.fullmatch(person_key):
            return view.json({"error": "bad_person_key",
                              "detail": f"person_key: {person_key!r} is not 1-32 letters or "
                                        "digits"}, status=400)
        # Reads the local store: table_route has already sent other keys to their owner.
        return view.json(history_payload(person_key, table.get(person_key.encode())))
