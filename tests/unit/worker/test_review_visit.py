"""The worker's review step: applied once, re-emitted when redelivered, stale or unknown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streams.worker.processor import review_visit

DECISION = Path(__file__).parents[3] / "avro/examples/decision/warn-overlapping-stay.json"
NOW = datetime(2025, 3, 6, tzinfo=UTC)


def _visits() -> list[dict[str, Any]]:
    d = {**json.loads(DECISION.read_text(encoding="utf-8")), "settled": [], "cleared": []}
    return [{"facility": d["facility"], "claim_id": d["claim_id"], "version": d["version"],
             "decision": d}]


def _review(visits: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    d = visits[0]["decision"]
    return {"review_id": "c" * 32, "facility": d["facility"], "claim_id": d["claim_id"],
            "version": d["version"], "person_key": d["person_key"],
            "base_revision": d["revision"], "action": "CONFIRM", "actor": "lan",
            "actor_role": "province", "note": "ok", "at": NOW, "request_id": None,
            "due": None, "proposal": None, "lines": [], "attachments": [],
            "hits": [{"key": "XC02|XML1|0|0", "code": "XC02", "amount": 1.0,
                      "verdict": "CONFIRMED"}], **more}


def test_applied_then_a_redelivery_re_emits_the_same_revision() -> None:
    visits = _visits()
    review = _review(visits)
    after, decision, result = review_visit(visits, review, NOW)
    assert result == "applied" and decision is not None and decision["revision"] == 2
    again, same, result = review_visit(after, review, NOW)
    assert result == "replayed" and same == decision and again == after


def test_stale_and_unknown_reviews_change_nothing() -> None:
    visits = _visits()
    stale = _review(visits, review_id="d" * 32, base_revision=9)
    assert review_visit(visits, stale, NOW) == (visits, None, "stale")
    unknown = _review(visits, claim_id="nope")
    assert review_visit(visits, unknown, NOW) == (visits, None, "unknown_claim")
