"""The review queue's state: entries, the change log for resuming streams, explanations."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.jurisdiction import Jurisdiction
from streams.web.console.actions import build_review, expiry
from streams.web.console.queue import Queue

CENTRAL = Jurisdiction("central", "*")


def _decision(claim_id: str, facility: str = "79001", revision: int = 1) -> dict[str, Any]:
    now = datetime(2025, 3, 3, tzinfo=UTC)
    return {"facility": facility, "claim_id": claim_id, "version": 1, "revision": revision,
            "person_key": "7912345678", "outcome": "WARN", "requested": 1000.0,
            "approved": 1000.0, "rejected": 0.0, "submitted_at": now, "decided_at": now,
            "settled": [], "cleared": [],
            "hits": [{"code": "XC02", "severity": "WARNING", "table": "XML1", "line": None,
                      "amount": 1000.0}]}


def test_changes_after_a_sequence_resume_a_stream_exactly() -> None:
    queue = Queue()
    queue.on_warning(_decision("A"))
    seen = queue.seq
    queue.on_warning(_decision("B"))
    queue.on_warning(_decision("C", facility="01001"))
    changed = queue.changes(seen, CENTRAL, 0.0)
    assert changed is not None and sorted(r["claim_id"] for r in changed) == ["B", "C"]
    province = queue.changes(seen, Jurisdiction("province", "79"), 0.0)
    assert province is not None and [r["claim_id"] for r in province] == ["B"]
    assert queue.changes(queue.seq, CENTRAL, 0.0) == []


def test_a_log_that_no_longer_reaches_back_asks_for_a_snapshot() -> None:
    queue = Queue(log_size=2)
    for name in "ABCD":
        queue.on_warning(_decision(name))
    assert queue.changes(0, CENTRAL, 0.0) is None
    assert queue.changes(queue.seq + 5, CENTRAL, 0.0) is None  # an id from the future


def test_an_older_revision_never_replaces_a_newer_one() -> None:
    queue = Queue()
    settled = {**_decision("A", revision=2), "settled": ["XC02|XML1|0|0"], "outcome": "ACCEPT"}
    queue.on_warning(_decision("A"))
    queue.on_decision(settled)
    queue.on_warning(_decision("A"))  # revision 1 read again
    (row,) = queue.rows(CENTRAL, 0.0)
    assert (row["revision"], row["status"], row["at_stake"]) == (2, "resolved", 0.0)


def test_an_unanswered_request_past_due_expires_with_its_proposal() -> None:
    queue = Queue()
    decision = _decision("A")
    queue.on_warning(decision)
    now = datetime(2025, 3, 4, tzinfo=UTC)
    request = build_review({"action": "REQUEST_EXPLANATION", "note": "why twice?",
                            "due_days": 2, "proposal": "REJECT_CLAIM"}, decision, None, None,
                           "lan", "province", now, 10)
    queue.on_review(request)
    queue.on_review(copy.deepcopy(request))  # read twice: counted once
    key = "79001|A|1"
    entry = queue.get(key)
    assert entry is not None and len(entry.reviews) == 1
    assert queue.rows(CENTRAL, now.timestamp())[0]["status"] == "requested"
    later = (now + timedelta(days=3)).timestamp()
    (overdue,) = queue.overdue(later)
    assert queue.rows(CENTRAL, later)[0]["status"] == "overdue"
    event = expiry(overdue.request or {}, overdue.decision, now + timedelta(days=3))
    assert (event["action"], event["proposal"], event["request_id"]) == (
        "EXPIRE", "REJECT_CLAIM", request["review_id"])
    assert [h["verdict"] for h in event["hits"]] == ["CHANGED"]
    queue.on_review(event)
    assert queue.overdue(later) == []


def test_an_answer_shows_as_explained() -> None:
    queue = Queue()
    decision = _decision("A")
    queue.on_warning(decision)
    now = datetime(2025, 3, 4, tzinfo=UTC)
    request = build_review({"action": "REQUEST_EXPLANATION", "note": "why?"}, decision, None,
                           None, "lan", "province", now, 10)
    queue.on_review(request)
    queue.on_review({**request, "review_id": "b" * 32, "action": "EXPLAIN",
                     "request_id": request["review_id"], "note": "transfer"})
    assert queue.rows(CENTRAL, now.timestamp())[0]["status"] == "answered"


def test_takes_expire() -> None:
    queue = Queue()
    queue.on_warning(_decision("A"))
    assert queue.take("79001|A|1", "lan", 0.0, 60.0) == "lan"
    assert queue.take("79001|A|1", "hung", 30.0, 60.0) == "lan"
    queue.expire_takes(61.0)
    assert queue.rows(CENTRAL, 61.0)[0]["taken_by"] is None
    assert queue.take("79001|A|1", "hung", 61.0, 60.0) == "hung"
