"""An appraiser's review applied to a decision: the next revision, attributed to the appraiser.

Pure, on the decision and the hi.reviews record (avro/schemas/review.avsc). The appraiser's own
money decisions are hits of code ``REVIEW`` (PARTIAL on a line for rejected lines, REJECT for the
claim), so every later automatic revision — an amendment, a re-judgement — recomputes the
outcome with them and cannot undo them; the findings an action settles go to the decision's
``settled`` keys (and ``cleared`` for false positives), which those revisions carry too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rules.decision import resettle

Record = dict[str, Any]
DECISIVE = ("CONFIRM", "REJECT_LINES", "REJECT_CLAIM", "CLEAR_HITS", "EXPIRE")
REVIEW_CODE = "REVIEW"
LEGAL_BASIS = ("Luật Bảo hiểm y tế, Điều 28 (giám định bảo hiểm y tế): kết quả giám định của "
               "giám định viên")


def applies(review: Record) -> bool:
    """Does this action change the decision (the others are only recorded)?"""
    return bool(review["action"] in DECISIVE)


def apply_review(decision: Record, review: Record, now: datetime) -> Record | None:
    """The new revision, or None when the review is stale: it was made on another revision than
    the current one (the appraiser did not see what changed since)."""
    if not applies(review):
        raise ValueError(f"action: {review['action']} does not change a decision")
    if review["base_revision"] != decision["revision"]:
        return None
    action = review["proposal"] if review["action"] == "EXPIRE" else review["action"]
    hits = [*decision["hits"], *_review_hits(decision, review, action)]
    keys = [h["key"] for h in review["hits"]]
    cleared = [h["key"] for h in review["hits"] if h["verdict"] == "CLEARED"]
    settled = list(dict.fromkeys([*decision.get("settled", []), *keys]))
    cleared = list(dict.fromkeys([*decision.get("cleared", []), *cleared]))
    return {**decision, "revision": decision["revision"] + 1, "decided_at": now,
            "reviewed_by": review["actor"], "review_id": review["review_id"],
            **resettle(decision, hits, settled, cleared)}


def _review_hits(decision: Record, review: Record, action: str | None) -> list[Record]:
    def hit(severity: str, table: str, line: int | None, amount: float) -> Record:
        return {"code": REVIEW_CODE, "rule_version": review["review_id"], "severity": severity,
                "title": "Appraiser decision", "message": review["note"],
                "message_vi": review["note"], "legal_basis": LEGAL_BASIS, "table": table,
                "line": line, "amount": round(float(amount), 2), "threshold": None,
                "inputs": {"review_id": review["review_id"], "appraiser": review["actor"],
                           "role": review["actor_role"], "action": str(review["action"])}}

    if action == "REJECT_LINES":
        return [hit("PARTIAL", x["table"], x["line"], x["amount"]) for x in review["lines"]]
    if action == "REJECT_CLAIM":
        return [hit("REJECT", "XML1", None, float(decision["requested"]))]
    return []
