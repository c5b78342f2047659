"""An appraiser's review applied to a decision: the next revision, attributed to the appraiser.

Pure, on the decision and the hi.reviews record (avro/schemas/review.avsc). The appraiser's own
money decisions are hits of code ``REVIEW`` (PARTIAL on a line for rejected lines, REJECT for the
claim), so every later automatic revision — an amendment, a re-judgement — recomputes the
outcome with them and cannot undo them; the findings an action settles go to the decision's
``settled`` keys (and ``cleared`` for false positives), which those revisions carry too.

``problems`` is what the worker checks before it applies anything: an event that breaks the
contract (docs/reviews.md) goes to the dead-letter topic instead of half applying, or stopping
the worker on a value no decision can hold (a NaN amount).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rules.decision import resettle

Record = dict[str, Any]
LineCaps = Mapping[tuple[str, int], float]
ACTIONS = ("CONFIRM", "REJECT_LINES", "REJECT_CLAIM", "CLEAR_HITS", "REQUEST_EXPLANATION",
           "EXPLAIN", "EXPIRE", "UNLOCK")
DECISIVE = ("CONFIRM", "REJECT_LINES", "REJECT_CLAIM", "CLEAR_HITS", "EXPIRE")
PROPOSALS = ("CONFIRM", "REJECT_LINES", "REJECT_CLAIM")  # what may stand if unanswered
ROLES = ("district", "province", "central", "facility", "system")
REVIEW_CODE = "REVIEW"
LEGAL_BASIS = ("Luật Bảo hiểm y tế, Điều 28 (giám định bảo hiểm y tế): kết quả giám định của "
               "giám định viên")
_ID = re.compile(r"[0-9a-f]{32}")
_HIT_KEY = re.compile(r"[^|]+\|XML[0-9]\|[0-9]+\|[0-9]+")


def applies(review: Record) -> bool:
    """Does this action change the decision (the others are only recorded)?"""
    return bool(review["action"] in DECISIVE)


def effective(review: Record) -> str:
    """The action as applied: an EXPIRE applies the request's proposal."""
    return str(review["proposal"] if review["action"] == "EXPIRE" else review["action"])


def problems(review: Record) -> list[str]:
    """Why ``review`` breaks the hi.reviews contract, field by field (empty: it is sound)."""
    found: list[str] = []
    action = review["action"]
    if action not in ACTIONS:
        found.append(f"action: {action!r} is not one of {', '.join(ACTIONS)}")
    if not _ID.fullmatch(review["review_id"]):
        found.append(f"review_id: {review['review_id']!r} is not 32 lowercase hex digits")
    for name in ("version", "base_revision"):
        if review[name] < 1:
            found.append(f"{name}: {review[name]} is below 1")
    if not review["actor"].strip():
        found.append("actor: empty")
    if review["actor_role"] not in ROLES:
        found.append(f"actor_role: {review['actor_role']!r} is not one of {', '.join(ROLES)}")
    if action != "EXPIRE" and not review["note"].strip():
        found.append("note: empty (every action needs one; EXPLAIN: the facility's text)")
    request = review["request_id"]
    if request is not None and not _ID.fullmatch(request):
        found.append(f"request_id: {request!r} is not 32 lowercase hex digits")
    if action in ("EXPLAIN", "EXPIRE") and request is None:
        found.append(f"request_id: an {action} answers a request; none given")
    if action in ("REQUEST_EXPLANATION", "EXPIRE") and review["proposal"] not in PROPOSALS:
        found.append(f"proposal: {review['proposal']!r} is not one of {', '.join(PROPOSALS)}")
    if action == "REQUEST_EXPLANATION" and review["due"] is None:
        found.append("due: a request for explanation needs a due date")
    wants_lines = action == "REJECT_LINES" or (
        action in ("REQUEST_EXPLANATION", "EXPIRE") and review["proposal"] == "REJECT_LINES")
    if wants_lines and not review["lines"]:
        found.append("lines: a line rejection names at least one line")
    for i, x in enumerate(review["lines"]):
        if x["table"] not in ("XML2", "XML3") or x["line"] < 1:
            found.append(f"lines[{i}]: {x['table']} line {x['line']} is not a drug (XML2) or "
                         "service (XML3) line")
        if not math.isfinite(x["amount"]) or x["amount"] < 0:
            found.append(f"lines[{i}].amount: {x['amount']!r} is not an amount >= 0")
    for i, h in enumerate(review["hits"]):
        if not _HIT_KEY.fullmatch(h["key"]):
            found.append(f"hits[{i}].key: {h['key']!r} is not code|table|line|occurrence")
        if not math.isfinite(h["amount"]):
            found.append(f"hits[{i}].amount: {h['amount']!r} is not a number")
    return found


def line_problems(review: Record, caps: LineCaps) -> list[str]:
    """Lines a rejection names that the claim (its ``line_caps``) does not have."""
    if effective(review) != "REJECT_LINES":
        return []
    return [f"lines[{i}]: the claim has no {x['table']} line {x['line']}"
            for i, x in enumerate(review["lines"]) if (x["table"], x["line"]) not in caps]


def apply_review(decision: Record, review: Record, now: datetime,
                 caps: LineCaps | None = None) -> Record | None:
    """The new revision, or None when the review is stale: it was made on another revision than
    the current one (the appraiser did not see what changed since).

    ``caps``: the claim's line amounts (``rules.decision.line_caps``), when the worker still
    holds the claim. A rejected line is capped at its amount, together with what the rules
    already reject on it, so no line loses more than it claimed; without them only the lines
    the decision already cut, and the claim total, cap it (as for any amendment)."""
    if not applies(review):
        raise ValueError(f"action: {review['action']} does not change a decision")
    if review["base_revision"] != decision["revision"]:
        return None
    hits = [*decision["hits"], *_review_hits(decision, review, effective(review), caps)]
    keys = [h["key"] for h in review["hits"]]
    cleared = [h["key"] for h in review["hits"] if h["verdict"] == "CLEARED"]
    settled = list(dict.fromkeys([*decision.get("settled", []), *keys]))
    cleared = list(dict.fromkeys([*decision.get("cleared", []), *cleared]))
    return {**decision, "revision": decision["revision"] + 1, "decided_at": now,
            "reviewed_by": review["actor"], "review_id": review["review_id"],
            **resettle(decision, hits, settled, cleared, caps)}


def _review_hits(decision: Record, review: Record, action: str,
                 caps: LineCaps | None) -> list[Record]:
    def hit(severity: str, table: str, line: int | None, amount: float) -> Record:
        return {"code": REVIEW_CODE, "rule_version": review["review_id"], "severity": severity,
                "title": "Appraiser decision", "message": review["note"],
                "message_vi": review["note"], "legal_basis": LEGAL_BASIS, "table": table,
                "line": line, "amount": round(float(amount), 2), "threshold": None,
                "inputs": {"review_id": review["review_id"], "appraiser": review["actor"],
                           "role": review["actor_role"], "action": str(review["action"])}}

    def capped(x: Record) -> float:
        amount = float(x["amount"])
        return amount if caps is None else min(amount, caps.get((x["table"], x["line"]), 0.0))

    if action == "REJECT_LINES":
        return [hit("PARTIAL", x["table"], x["line"], capped(x)) for x in review["lines"]]
    if action == "REJECT_CLAIM":
        return [hit("REJECT", "XML1", None, float(decision["requested"]))]
    return []
