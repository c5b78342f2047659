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
    return {"review_id": "0f" * 16, "facility": decision["facility"],
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


# --- every action, money to the cent, the contract's checks -----------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rules.base import Hit, Severity  # noqa: E402
from rules.cases import base_case  # noqa: E402
from rules.decision import decide, line_caps  # noqa: E402
from rules.review import ACTIONS, DECISIVE, PROPOSALS, problems  # noqa: E402

REVIEWS = Path(__file__).parents[3] / "avro" / "examples" / "review"
# The base claim: T_BHTT 106,480; XML2 lines 1/2 = 12,000 / 24,640; XML3 1/2/3 = 30,960 /
# 36,960 / 1,920.
CLAIM = base_case().claim
CAPS = line_caps(CLAIM)


def _hit(severity: Severity, amount: float = 0.0, table: str = "XML1",
         line: int | None = None, code: str = "ZZ01") -> Hit:
    return Hit(code, f"{code}@1", severity, "title", "message", "basis", table, line, amount,
               {"n": str(amount)})


def _decided(*hits: Hit) -> dict[str, Any]:
    return decide(CLAIM, hits, "rules-x", NOW)


def test_every_action_either_revises_or_is_only_recorded() -> None:
    warned = _decided(_hit(Severity.WARNING, 500.0, "XML3", 1))
    more: dict[str, dict[str, Any]] = {
        "REJECT_LINES": {"lines": [{"table": "XML3", "line": 1, "amount": 500.0}]},
        "EXPIRE": {"proposal": "CONFIRM", "request_id": "a" * 32}}
    for action in ACTIONS:
        review = _review(warned, action, **more.get(action, {}))
        if action in DECISIVE:
            new = apply_review(warned, review, NOW, CAPS)
            assert new is not None and new["revision"] == 2 and new["review_id"] == "0f" * 16
            assert not needs_review(new), action
            _balanced(new)
        else:
            with pytest.raises(ValueError, match="action"):
                apply_review(warned, review, NOW, CAPS)


def test_clearing_a_reject_hit_pays_the_claim_but_what_else_the_rules_cut() -> None:
    rejected = _decided(_hit(Severity.REJECT, 106480.0, code="CB01"),
                        _hit(Severity.PARTIAL, 2000.0, "XML2", 1, code="CT02"))
    assert (rejected["outcome"], rejected["approved"]) == ("REJECT", 0.0)
    only_reject = _review(rejected, "CLEAR_HITS")
    only_reject["hits"] = only_reject["hits"][:1]
    new = apply_review(rejected, only_reject, NOW, CAPS)
    assert new is not None and new["cleared"] == ["CB01|XML1|0|0"]
    assert (new["outcome"], new["rejected"], new["approved"]) == ("PARTIAL_REJECT", 2000.0,
                                                                  104480.0)
    assert [(a["line"], a["code"]) for a in new["adjustments"]] == [(1, "CT02")]
    _balanced(new)


def test_a_line_rejection_and_the_rules_cut_together_stop_at_the_line_amount() -> None:
    cut = _decided(_hit(Severity.PARTIAL, 10000.0, "XML2", 1, code="CT02"))
    lines = [{"table": "XML2", "line": 1, "amount": 5000.0},
             {"table": "XML3", "line": 3, "amount": 99999.0}]
    new = apply_review(cut, _review(cut, "REJECT_LINES", lines=lines), NOW, CAPS)
    assert new is not None
    by_line = {(a["table"], a["line"]): a["rejected"] for a in new["adjustments"]}
    assert by_line == {("XML2", 1): 12000.0, ("XML3", 3): 1920.0}  # the lines' T_BHTT
    assert new["rejected"] == 13920.0 and new["outcome"] == "PARTIAL_REJECT"
    review_hits = [h for h in new["hits"] if h["code"] == "REVIEW"]
    assert [h["amount"] for h in review_hits] == [5000.0, 1920.0]
    assert review_hits[0]["inputs"]["appraiser"] == "lan"
    _balanced(new)


@pytest.mark.parametrize(("proposal", "outcome", "rejected"), [
    ("CONFIRM", "ACCEPT", 0.0), ("REJECT_LINES", "PARTIAL_REJECT", 700.0),
    ("REJECT_CLAIM", "REJECT", 106480.0)])
def test_an_expiry_applies_the_requests_proposal(proposal: str, outcome: str,
                                                 rejected: float) -> None:
    warned = _decided(_hit(Severity.WARNING, 700.0, "XML3", 2))
    expire = _review(warned, "EXPIRE", proposal=proposal, request_id="a" * 32,
                     actor="system", actor_role="system", note="",
                     lines=[{"table": "XML3", "line": 2, "amount": 700.0}])
    assert problems(expire) == []
    new = apply_review(warned, expire, NOW, CAPS)
    assert new is not None and (new["outcome"], new["rejected"]) == (outcome, rejected)
    assert new["reviewed_by"] == "system" and new["settled"] == ["ZZ01|XML3|2|0"]
    _balanced(new)


_severity = st.sampled_from([Severity.PARTIAL, Severity.WARNING, Severity.REJECT])
_line = st.sampled_from(sorted(CAPS))
_amount = st.floats(0, 200_000, allow_nan=False).map(lambda x: round(x, 2))


@settings(max_examples=200, deadline=None, database=None)
@given(hits=st.lists(st.tuples(_severity, _line, _amount), max_size=6),
       action=st.sampled_from(["CONFIRM", "REJECT_LINES", "REJECT_CLAIM", "CLEAR_HITS"]),
       lines=st.lists(st.tuples(_line, _amount), min_size=1, max_size=4),
       keep=st.integers(0, 6))
def test_any_review_balances_to_the_cent_and_no_line_loses_more_than_it_claims(
        hits: list[tuple[Severity, tuple[str, int], float]], action: str,
        lines: list[tuple[tuple[str, int], float]], keep: int) -> None:
    before = _decided(*(_hit(s, a, t, n) for s, (t, n), a in hits))
    review = _review(before, action, lines=[{"table": t, "line": n, "amount": a}
                                            for (t, n), a in lines])
    review["hits"] = review["hits"][:keep]
    new = apply_review(before, review, NOW, CAPS)
    assert new is not None
    _balanced(new)
    assert 0 <= new["rejected"] <= new["requested"]
    for a in new["adjustments"]:
        assert a["rejected"] <= CAPS[(a["table"], a["line"])]


def test_the_examples_keep_the_contract_and_breaches_are_named() -> None:
    examples = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in REVIEWS.glob("*.json")}
    assert {e["action"] for e in examples.values()} == set(ACTIONS)  # one per action at least
    warned = _decision("warn-overlapping-stay")
    base = _review(warned, "CONFIRM")
    assert problems(base) == []
    for changes, words in (
            ({"review_id": "X" * 32}, "review_id"), ({"note": " "}, "note: empty"),
            ({"actor_role": "boss"}, "actor_role"), ({"base_revision": 0}, "base_revision"),
            ({"action": "REQUEST_EXPLANATION", "proposal": "CONFIRM"}, "due"),
            ({"action": "REQUEST_EXPLANATION", "due": NOW, "proposal": "UNLOCK"}, "proposal"),
            ({"action": "EXPLAIN"}, "request_id: an EXPLAIN"),
            ({"action": "EXPIRE", "request_id": "a" * 32, "proposal": "REJECT_LINES"},
             "lines: a line rejection"),
            ({"lines": [{"table": "XML1", "line": 0, "amount": 1.0}]}, "lines[0]"),
            ({"lines": [{"table": "XML2", "line": 1, "amount": -1.0}]}, "lines[0].amount"),
            ({"hits": [{"key": "XC02", "code": "XC02", "amount": 1.0, "verdict": "CLEARED"}]},
             "hits[0].key")):
        found = problems({**base, **changes})
        assert any(words in p for p in found), (changes, found)
    assert PROPOSALS == ("CONFIRM", "REJECT_LINES", "REJECT_CLAIM")
