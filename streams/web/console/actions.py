"""An appraiser's action on a claim → one hi.reviews event (avro/schemas/review.avsc).

Pure: checks the request against the claim and its current decision, and says for each warning
it settles how (CONFIRMED, CLEARED, CHANGED) — the evidence of the rule-quality page. The worker
applies the event to the decision (a new revision attributed to the appraiser). Each problem is
an :class:`ActionError` naming the field.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from rules.decision import hit_keys, line_caps
from streams.web.console.queue import pending_hits

Record = dict[str, Any]
APPRAISER_ACTIONS = ("CONFIRM", "REJECT_LINES", "REJECT_CLAIM", "CLEAR_HITS",
                     "REQUEST_EXPLANATION", "UNLOCK")
PROPOSALS = ("CONFIRM", "REJECT_LINES", "REJECT_CLAIM")
MAX_NOTE = 4000


class ActionError(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


def _lines(raw: Any, claim: Record | None) -> list[Record]:
    if not isinstance(raw, list) or not raw:
        raise ActionError("lines", "choose at least one line to reject")
    # The same caps the worker applies (rules.decision.line_caps): a line loses at most its T_BHTT.
    amounts = {k: float(v) for k, v in line_caps(claim).items()} if claim else {}
    if not amounts:
        raise ActionError("lines", "the claim's lines are not stored yet; try again shortly")
    out, seen = [], set()
    for i, item in enumerate(raw):
        where = f"lines[{i}]"
        if not isinstance(item, dict):
            raise ActionError(where, "expected {table, line, amount}")
        table, line, amount = item.get("table"), item.get("line"), item.get("amount")
        if not isinstance(table, str) or not isinstance(line, int) \
                or (table, line) not in amounts:
            raise ActionError(where, f"{table} line {line} is not a line of this claim")
        if (table, line) in seen:
            raise ActionError(where, f"{table} line {line} is given twice")
        seen.add((table, line))
        cap = amounts[(table, line)]
        if not isinstance(amount, int | float) or not 0 < amount <= cap:
            raise ActionError(f"{where}.amount", f"must be more than 0 and at most the line's "
                              f"HI amount {cap:,.0f} VND")
        out.append({"table": table, "line": line, "amount": round(float(amount), 2)})
    return out


def verdicts(decision: Record, action: str, lines: list[Record], clear: list[str]) -> list[Record]:
    """How the action settles the decision's hits (see the module docstring)."""
    pending = pending_hits(decision)
    if action == "CLEAR_HITS":
        by_key = dict(zip(hit_keys(decision["hits"]), decision["hits"], strict=True))
        chosen = [(k, by_key[k]) for k in clear]
        return [_verdict(k, h, "CLEARED") for k, h in chosen]
    if action == "CONFIRM":
        return [_verdict(k, h, "CONFIRMED") for k, h in pending]
    if action == "REJECT_CLAIM":
        return [_verdict(k, h, "CHANGED") for k, h in pending]
    if action == "REJECT_LINES":
        # A warning about the whole claim, or about a line the appraiser cut, was acted on;
        # a warning about another line was let stand.
        hit_lines = {(x["table"], x["line"]) for x in lines}
        return [_verdict(k, h, "CHANGED" if h.get("line") is None
                         or (h.get("table"), h.get("line")) in hit_lines else "CONFIRMED")
                for k, h in pending]
    return []


def _verdict(key: str, hit: Record, verdict: str) -> Record:
    return {"key": key, "code": hit["code"], "amount": float(hit.get("amount") or 0.0),
            "verdict": verdict}


def build_review(body: Record, decision: Record, claim: Record | None, request: Record | None,
                 actor: str, role: str, now: datetime, explanation_days: int) -> Record:
    """The hi.reviews event for ``body`` (the page's JSON) on ``decision``."""
    action = body.get("action")
    if action not in APPRAISER_ACTIONS:
        raise ActionError("action", f"must be one of {', '.join(APPRAISER_ACTIONS)}")
    note = body.get("note")
    if not isinstance(note, str) or not note.strip():
        raise ActionError("note", "write why (a note is required for every action)")
    if len(note) > MAX_NOTE:
        raise ActionError("note", f"at most {MAX_NOTE} characters")
    lines: list[Record] = []
    clear: list[str] = []
    due = proposal = None
    if action == "REJECT_LINES":
        lines = _lines(body.get("lines"), claim)
    elif action == "CLEAR_HITS":
        raw = body.get("clear")
        keys = set(hit_keys(decision["hits"])) - set(decision.get("cleared") or ())
        if not isinstance(raw, list) or not raw or any(k not in keys for k in raw):
            raise ActionError("clear", "choose one or more of this decision's findings")
        clear = list(dict.fromkeys(raw))
    elif action == "REQUEST_EXPLANATION":
        if request is not None:
            raise ActionError("action", "an explanation is already requested for this claim")
        days = body.get("due_days", explanation_days)
        if not isinstance(days, int) or not 1 <= days <= 60:
            raise ActionError("due_days", "a whole number of days from 1 to 60")
        due = now + timedelta(days=days)
        proposal = body.get("proposal", "CONFIRM")
        if proposal not in PROPOSALS:
            raise ActionError("proposal", f"must be one of {', '.join(PROPOSALS)}")
        if proposal == "REJECT_LINES":
            lines = _lines(body.get("lines"), claim)
    decisive = action in ("CONFIRM", "REJECT_LINES", "REJECT_CLAIM", "CLEAR_HITS")
    return {
        "review_id": uuid.uuid4().hex,
        "facility": decision["facility"], "claim_id": decision["claim_id"],
        "version": decision["version"], "person_key": decision["person_key"],
        "base_revision": decision["revision"], "action": action,
        "actor": actor, "actor_role": role, "note": note.strip(), "at": now.astimezone(UTC),
        "request_id": request["review_id"] if request is not None and decisive else None,
        "due": due, "proposal": proposal, "lines": lines,
        "hits": verdicts(decision, action, lines, clear) if decisive else [],
        "attachments": [],
    }


def expiry(request: Record, decision: Record, now: datetime) -> Record:
    """The EXPIRE event of an unanswered request past due: its proposal stands."""
    proposal = request.get("proposal") or "CONFIRM"
    lines = list(request.get("lines") or [])
    return {
        "review_id": uuid.uuid4().hex,
        "facility": decision["facility"], "claim_id": decision["claim_id"],
        "version": decision["version"], "person_key": decision["person_key"],
        "base_revision": decision["revision"], "action": "EXPIRE",
        "actor": "system", "actor_role": "system",
        "note": f"no explanation by the due date; {proposal} stands",
        "at": now.astimezone(UTC), "request_id": request["review_id"], "due": None,
        "proposal": proposal, "lines": lines,
        "hits": verdicts(decision, proposal, lines, []), "attachments": [],
    }
