"""Every YAML case of every rule, run through the full engine (one parametrised test)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastavro
import pytest

from rules.base import Severity
from rules.cases import Case, all_cases, base_case
from rules.decision import decide
from rules.engine import Engine

SCHEMAS = Path(__file__).resolve().parents[3] / "avro" / "schemas"
CASES = all_cases()
DECIDED_AT = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
OUTCOME_OF = {Severity.REJECT: "REJECT", Severity.PARTIAL: "PARTIAL_REJECT",
              Severity.WARNING: "WARN"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def _schema(name: str) -> Any:
    return fastavro.parse_schema(json.loads((SCHEMAS / f"{name}.avsc").read_text()))


@pytest.fixture(scope="module")
def claim_schema() -> Any:
    return _schema("claim")


@pytest.fixture(scope="module")
def decision_schema() -> Any:
    return _schema("decision")


def test_base_claim_is_clean(engine: Engine, claim_schema: Any) -> None:
    case = base_case()
    assert fastavro.validation.validate(case.claim, claim_schema)
    assert engine.evaluate(case.context()) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(engine: Engine, case: Case, claim_schema: Any, decision_schema: Any) -> None:
    # The case must be a well-formed claim, or it tests the loader, not the rule.
    assert fastavro.validation.validate(case.claim, claim_schema)
    hits = engine.evaluate(case.context())
    mine = [h for h in hits if h.code == case.code]
    if case.expect == "fail":
        assert mine, f"{case.id}: expected a {case.code} hit, got {[h.code for h in hits]}"
        if case.expect_amount is not None:
            assert [h.amount for h in mine] == [pytest.approx(case.expect_amount, abs=0.005)]
        for hit in mine:  # explanation as data
            assert hit.message and hit.inputs and hit.legal_basis
            assert all(isinstance(v, str) for v in hit.inputs.values())
            assert hit.rule_version.startswith(f"{case.code}@")
    else:
        assert not mine, f"{case.id}: unexpected {case.code} hit: {mine[0].message}"
    assert {h.code for h in hits} - {case.code} == case.other_hits

    decision = decide(case.claim, hits, engine.version, DECIDED_AT)
    assert fastavro.validation.validate(decision, decision_schema)
    assert round((decision["approved"] + decision["rejected"]) * 100) == round(
        decision["requested"] * 100
    )
    if case.expect == "fail" and not case.other_hits:
        assert decision["outcome"] == OUTCOME_OF[mine[0].severity]
