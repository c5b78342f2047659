"""Clinical rules (CL..) beyond their YAML cases: the shared helpers, line-level amounts and
parameters as data."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rules.base import Params, Severity
from rules.cases import Case, base_case, cases_for
from rules.catalogue._clinical import derived, excess_from_end, initials, split_codes
from rules.decision import decide
from rules.engine import Engine


def _case(code: str, name: str) -> Case:
    (case,) = [c for c in cases_for(code) if c.name == name]
    return case


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def test_excess_is_taken_from_the_latest_lines() -> None:
    lines = [{"so_luong": 2.0, "stt": 1}, {"so_luong": 1.0, "stt": 2}, {"so_luong": 3.0, "stt": 3}]
    assert [(x["stt"], u) for x, u in excess_from_end(lines, 2)] == [(2, 1.0), (3, 3.0)]
    assert excess_from_end(lines, 6) == []
    assert [(x["stt"], u) for x, u in excess_from_end(lines, 5.5)] == [(3, 0.5)]


def test_derived_values_follow_the_parameter_version() -> None:
    one = Params("ZZ@1", date(2024, 1, 1), None, {"groups": [1, 2]})
    two = Params("ZZ@2", date(2025, 1, 1), None, {"groups": [3]})
    calls: list[str] = []

    def build(values: Any) -> frozenset[int]:
        calls.append("built")
        return frozenset(values["groups"])

    assert derived(one, "test.groups", build) == {1, 2}
    assert derived(one, "test.groups", build) == {1, 2} and len(calls) == 1
    assert derived(two, "test.groups", build) == {3} and len(calls) == 2


def test_small_parsers() -> None:
    assert split_codes(" BS001 ; ;BS002") == ["BS001", "BS002"]
    assert split_codes("") == [] and split_codes(None) == [] and split_codes(" X ") == ["X"]
    assert initials([("O00", "O9A"), ("N40", "P51")]) == frozenset("OoNnOoPp")


def test_declared_drug_days_reject_each_line_share(engine: Engine) -> None:
    case = _case("CL07", "declared_31_days")
    hits = [h for h in engine.evaluate(case.context()) if h.code == "CL07"]
    assert [(h.table, h.line) for h in hits] == [("XML2", 1), ("XML2", 2)]
    assert [h.amount for h in hits] == [pytest.approx(12000 / 31, abs=0.005),
                                        pytest.approx(24640 / 31, abs=0.005)]
    assert all(h.severity is Severity.WARNING for h in hits)
    decision = decide(case.claim, hits, engine.version, case.claim["submitted_at"])
    assert decision["outcome"] == "WARN" and decision["rejected"] == 0


def test_partial_hits_become_line_adjustments(engine: Engine) -> None:
    case = _case("CL01", "excess_taken_from_latest_bed_line")
    hits = engine.evaluate(case.context())
    decision = decide(case.claim, hits, engine.version, case.claim["submitted_at"])
    assert decision["outcome"] == "PARTIAL_REJECT"
    assert decision["adjustments"] == [
        {"table": "XML3", "line": 1, "code": "CL01", "requested": 30960.0, "rejected": 30960.0}]
    assert decision["approved"] == pytest.approx(106480 - 30960)


def test_parameters_are_data(engine: Engine) -> None:
    two_full = Engine.load(overrides={"CL05": {"outpatient_full": 2}})
    case = _case("CL05", "quantity_two_at_full_rate")
    assert [h.code for h in engine.evaluate(case.context())] == ["CL05"]
    assert two_full.evaluate(case.context()) == []
    strict = Engine.load(overrides={"CL08": {"max_per_claim": {"22.0121.1370": 0}}})
    (hit,) = strict.evaluate(base_case().context())
    assert hit.code == "CL08" and hit.rule_version == "CL08@2024-07-01+local"
