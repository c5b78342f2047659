"""rules/review.py: an appraiser's action as the next decision revision."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rules.decision import amend, hit_keys, needs_review
from rules.review import apply_review

EXAMPLES = Path(__file__).parents[3] / "avro" / "examples" / "decision"
NOW = datetime(2025, 3, 6, 9, 0, tzinfo=UTC)


def _decision(name: str) -> dict[str, Any]:
    d: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return {**d, "settled": [], "cleared": [], "reviewed_by": "", "review_id": ""}


def _review(decision: dict[str, Any], action: str, **more: Any) -> dict[str, Any]:
    keys = hit_keys(decision["hits"])
    verdict = {"CONFIRM": "CONFIRMED", "CLEAR_HITS": "CLEARED"}.get(action, "CHANGED")
    return {"review_id": "r" * 32, "facility": decision["facility"],
            "claim_id": decision["claim_id"], "version": decision["version"],
            "person_key": decision["person_key"], "base_revision": decision["revision"],
            "action": action, "actor": "lan", "actor_role": "province", "note": "checked",
            "at": NOW, "request_id": None, "due": None, "proposal": None, "lines": [],
            "hits": [{"key": k, "code": h["code"], "amount": h["amount"], "verdict": verdict}
                     for k, h in zip(keys, decision["hits"], strict=True)],
            "attachments": [], **more}


def _balanced(d: dict[str, Any]) -> None:
    assert round(d["approved"] * 100) + round(d["rejected"] * 100) == round(d["requested"] * 100)


def test_confirm_settles_the_warning_and_keeps_the_money() -> None:
    warned = _decision("warn-overlapping-stay")
    assert needs_review(warned)
    new = apply_review(warned, _review(warned, "CONFIRM"), NOW)
    assert new is not None
    assert (new["outcome"], new["revision"], new["reviewed_by"]) == ("ACCEPT", 2, "lan")
    assert new["approved"] == warned["approved"] and not needs_review(new)
    _balanced(new)


def test_a_review_of_another_revision_is_stale() -> None:
    warned = _decision("warn-overlapping-stay")
    review = _review(warned, "CONFIRM", base_revision=warned["revision"] - 1 or 7)
    assert apply_review(warned, review, NOW) is None


def test_reject_lines_rejects_exactly_the_amounts() -> None:
    warned = _decision("warn-overlapping-stay")
    lines = [{"table": "XML2", "line": 2, "amount": 35000.5}]
    new = apply_review(warned, _review(warned, "REJECT_LINES", lines=lines), NOW)
    assert new is not None
    assert new["outcome"] == "PARTIAL_REJECT" and new["rejected"] == 35000.5
    assert [(a["table"], a["line"], a["code"]) for a in new["adjustments"]] == [
        ("XML2", 2, "REVIEW")]
    assert not needs_review(new)
    _balanced(new)


def test_reject_claim_pays_nothing() -> None:
    warned = _decision("warn-overlapping-stay")
    new = apply_review(warned, _review(warned, "REJECT_CLAIM"), NOW)
    assert new is not None and (new["outcome"], new["approved"]) == ("REJECT", 0.0)
    _balanced(new)


def test_clearing_an_automatic_partial_pays_it_back() -> None:
    partial = _decision("partial-reject-price")
    assert partial["rejected"] == 28000.0
    new = apply_review(partial, _review(partial, "CLEAR_HITS"), NOW)
    assert new is not None
    assert (new["outcome"], new["rejected"], new["approved"]) == ("ACCEPT", 0.0,
                                                                  partial["requested"])
    assert new["cleared"] == ["CT02|XML2|1|0"]


def test_expiry_applies_the_proposal() -> None:
    warned = _decision("warn-overlapping-stay")
    review = _review(warned, "EXPIRE", proposal="REJECT_CLAIM", actor="system",
                     actor_role="system")
    new = apply_review(warned, review, NOW)
    assert new is not None and new["outcome"] == "REJECT" and new["reviewed_by"] == "system"


def test_an_automatic_amendment_keeps_the_review_and_queues_a_new_warning() -> None:
    from rules.base import Hit, Severity

    warned = _decision("warn-overlapping-stay")
    lines = [{"table": "XML2", "line": 2, "amount": 1000.0}]
    reviewed = apply_review(warned, _review(warned, "REJECT_LINES", lines=lines), NOW)
    assert reviewed is not None
    later = amend(reviewed, [Hit(code="XC03", rule_version="1", severity=Severity.WARNING,
                                 title="t", message="m", legal_basis="b")], NOW)
    assert later["rejected"] == 1000.0 and later["reviewed_by"] == ""
    assert later["outcome"] == "PARTIAL_REJECT" and needs_review(later)


@pytest.mark.parametrize("action", ["REQUEST_EXPLANATION", "EXPLAIN", "UNLOCK"])
def test_recorded_actions_change_no_decision(action: str) -> None:
    warned = _decision("warn-overlapping-stay")
    with pytest.raises(ValueError, match="action"):
        apply_review(warned, _review(warned, action), NOW)
