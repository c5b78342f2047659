"""decide(), amend() and needs_review(): outcome order, amounts, caps, revisions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import fastavro
import pytest

from rules.base import Hit, Record, Severity
from rules.cases import base_case, deep_merge
from rules.decision import amend, decide, needs_review

AT = datetime(2025, 3, 2, 1, 0, tzinfo=UTC)
LATER = datetime(2025, 3, 9, 1, 0, tzinfo=UTC)
SCHEMA = fastavro.parse_schema(json.loads(
    (Path(__file__).resolve().parents[3] / "avro" / "schemas" / "decision.avsc").read_text()))
# Base claim: T_BHTT 106,480; XML2 lines 1/2 = 12,000 / 24,640; XML3 lines 1/2/3 = 30,960 /
# 36,960 / 1,920.
REQUESTED = 106480.0


def hit(severity: Severity, amount: float = 0.0, table: str = "XML1", line: int | None = None,
        code: str = "ZZ01", **inputs: str) -> Hit:
    return Hit(code, f"{code}@1", severity, "title", "message", "basis", table, line, amount,
               dict(inputs))


def claim() -> Record:
    return base_case().claim


def balanced(d: Record) -> bool:
    cents: int = round((d["approved"] + d["rejected"]) * 100)
    requested: int = round(d["requested"] * 100)
    return cents == requested


def test_clean_claim_is_accepted() -> None:
    d = decide(claim(), [], "rules-x", AT)
    assert fastavro.validation.validate(d, SCHEMA)
    assert (d["outcome"], d["requested"], d["approved"], d["rejected"]) == (
        "ACCEPT", REQUESTED, REQUESTED, 0.0)
    assert d["revision"] == 1 and d["service_date"] == date(2025, 3, 1)
    assert d["rules_version"] == "rules-x" and d["decided_at"] == AT
    assert d["submitted_at"] == claim()["submitted_at"] and d["adjustments"] == []
    assert not needs_review(d)


@pytest.mark.parametrize(
    ("severities", "outcome"),
    [
        ([Severity.REJECT, Severity.PARTIAL, Severity.WARNING], "REJECT"),
        ([Severity.WARNING, Severity.REJECT], "REJECT"),
        ([Severity.PARTIAL, Severity.WARNING], "PARTIAL_REJECT"),
        ([Severity.WARNING, Severity.PARTIAL], "PARTIAL_REJECT"),
        ([Severity.WARNING], "WARN"),
        ([], "ACCEPT"),
    ],
)
def test_outcome_order(severities: list[Severity], outcome: str) -> None:
    hits = [hit(s, 1000.0, "XML2", 1) if s is Severity.PARTIAL else hit(s, REQUESTED)
            for s in severities]
    d = decide(claim(), hits, "r", AT)
    assert d["outcome"] == outcome and balanced(d)
    assert fastavro.validation.validate(d, SCHEMA)
    assert needs_review(d) == (Severity.WARNING in severities)


def test_reject_takes_everything_and_lists_no_lines() -> None:
    d = decide(claim(), [hit(Severity.REJECT, REQUESTED), hit(Severity.PARTIAL, 500, "XML2", 1)],
               "r", AT)
    assert (d["approved"], d["rejected"], d["adjustments"]) == (0.0, REQUESTED, [])


def test_partial_amounts_per_line_are_summed_and_capped() -> None:
    hits = [
        hit(Severity.PARTIAL, 9000.0, "XML2", 1, "CT02"),
        hit(Severity.PARTIAL, 5000.0, "XML2", 1, "CT01"),  # line 1 asks 14,000 > its 12,000
        hit(Severity.PARTIAL, 100.25, "XML3", 3, "CT02"),
    ]
    d = decide(claim(), hits, "r", AT)
    assert d["outcome"] == "PARTIAL_REJECT"
    assert d["adjustments"] == [
        {"table": "XML2", "line": 1, "code": "CT02", "requested": 12000.0, "rejected": 12000.0},
        {"table": "XML3", "line": 3, "code": "CT02", "requested": 1920.0, "rejected": 100.25},
    ]
    assert d["rejected"] == 12100.25 and d["approved"] == 94379.75 and balanced(d)
    assert d["rejected"] == sum(a["rejected"] for a in d["adjustments"])


def test_same_stt_in_two_tables_are_two_lines() -> None:
    hits = [hit(Severity.PARTIAL, 100, "XML2", 1), hit(Severity.PARTIAL, 200, "XML3", 1)]
    d = decide(claim(), hits, "r", AT)
    assert [(a["table"], a["line"], a["rejected"]) for a in d["adjustments"]] == [
        ("XML2", 1, 100.0), ("XML3", 1, 200.0)]


def test_rejected_never_exceeds_requested() -> None:
    small = deep_merge(claim(), {"header": {"t_bhtt": 5000.0}})
    d = decide(small, [hit(Severity.PARTIAL, 12000, "XML2", 1)], "r", AT)
    assert (d["rejected"], d["approved"]) == (5000.0, 0.0)


def test_partial_without_money_does_not_reject() -> None:
    hits = [hit(Severity.PARTIAL, 0.0, "XML2", 1)]
    assert decide(claim(), hits, "r", AT)["outcome"] == "ACCEPT"
    d = decide(claim(), [*hits, hit(Severity.WARNING, REQUESTED)], "r", AT)
    assert d["outcome"] == "WARN" and d["adjustments"] == [] and d["rejected"] == 0.0


def test_identity_holds_to_the_cent() -> None:
    tiny = deep_merge(claim(), {"header": {"t_bhtt": 0.3}, "drugs": {0: {"t_bhtt": 0.3}}})
    d = decide(tiny, [hit(Severity.PARTIAL, 0.1, "XML2", 1)], "r", AT)
    assert (d["approved"], d["rejected"]) == (0.2, 0.1) and balanced(d)


def test_amend_adds_a_revision() -> None:
    first = decide(claim(), [hit(Severity.PARTIAL, 800, "XML2", 1, "CT02")], "r", AT)
    snapshot = json.dumps(first, default=str)
    warning = hit(Severity.WARNING, REQUESTED, code="XC02", other_claim_id="B1")
    second = amend(first, [warning], LATER)
    assert json.dumps(first, default=str) == snapshot  # the earlier decision is not modified
    assert second["revision"] == 2 and second["decided_at"] == LATER
    assert second["outcome"] == "PARTIAL_REJECT" and needs_review(second)
    assert (second["rejected"], second["adjustments"]) == (first["rejected"], first["adjustments"])
    assert second["hits"] == [*first["hits"], warning.to_record()]
    assert fastavro.validation.validate(second, SCHEMA)
    third = amend(second, [hit(Severity.REJECT, REQUESTED)], LATER)
    assert (third["revision"], third["outcome"], third["approved"]) == (3, "REJECT", 0.0)


def test_amend_accepted_claim_becomes_warn() -> None:
    d = amend(decide(claim(), [], "r", AT), [hit(Severity.WARNING, REQUESTED)], LATER)
    assert (d["outcome"], d["approved"], d["rejected"]) == ("WARN", REQUESTED, 0.0)


def test_amend_caps_known_lines() -> None:
    first = decide(claim(), [hit(Severity.PARTIAL, 11000, "XML2", 1)], "r", AT)
    d = amend(first, [hit(Severity.PARTIAL, 5000, "XML2", 1, "ZZ02")], LATER)
    assert d["rejected"] == 12000.0 and d["adjustments"][0]["requested"] == 12000.0


def test_decision_of_every_outcome_fits_the_schema() -> None:
    for hits in ([], [hit(Severity.WARNING)], [hit(Severity.PARTIAL, 1.0, "XML3", 2)],
                 [hit(Severity.REJECT, REQUESTED)]):
        d: dict[str, Any] = decide(claim(), hits, "r", AT, revision=4)
        assert fastavro.validation.validate(d, SCHEMA) and d["revision"] == 4


def test_hit_keys_number_the_hits_sharing_code_table_and_line() -> None:
    from rules.decision import hit_keys

    hits = [hit(Severity.WARNING, code="XC02"), hit(Severity.PARTIAL, 10, "XML2", 1, "CT02"),
            hit(Severity.WARNING, code="XC02"), hit(Severity.PARTIAL, 5, "XML2", 2, "CT02")]
    assert hit_keys([h.to_record() for h in hits]) == [
        "XC02|XML1|0|0", "CT02|XML2|1|0", "XC02|XML1|0|1", "CT02|XML2|2|0"]


def test_settled_and_cleared_follow_their_finding_into_a_later_revision() -> None:
    from rules.decision import carried_marks

    a = hit(Severity.WARNING, code="XC02", other="A")
    b = hit(Severity.WARNING, code="XC02", other="B")
    cut = hit(Severity.PARTIAL, 2000.0, "XML2", 1, "CT02")
    before = decide(claim(), [a, b, cut], "r", AT)
    before.update(settled=["XC02|XML1|0|1", "CT02|XML2|1|0"], cleared=["CT02|XML2|1|0"])
    before.update(decide(claim(), [a, b, cut], "r", AT, reviewed=before))
    assert before["outcome"] == "WARN" and needs_review(before)  # A is pending, the cut cleared
    # Finding A disappears: B is now XC02's first hit and keeps its settled mark under that key;
    # the cleared line cut stays cleared (paid).
    later = decide(claim(), [b, cut], "r", LATER, revision=2, reviewed=before)
    assert (later["settled"], later["cleared"]) == (["XC02|XML1|0|0", "CT02|XML2|1|0"],
                                                    ["CT02|XML2|1|0"])
    assert later["outcome"] == "ACCEPT" and not needs_review(later) and balanced(later)
    # B's inputs change: a new finding, which needs the appraiser again.
    b2 = hit(Severity.WARNING, code="XC02", other="B", visits="8")
    again = decide(claim(), [b2, cut], "r", LATER, revision=3, reviewed=later)
    assert again["settled"] == ["CT02|XML2|1|0"] and needs_review(again)
    assert carried_marks(None, [cut.to_record()]) == ([], [])
