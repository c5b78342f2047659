"""The simulator's ground truth against the real rules: every label fires, nothing else does.

Claims go, in send order, through the worker's pure pipeline (``streams.worker.processor.appraise``)
with catalogs and cards built from the simulation and a per-person history kept the way the
worker keeps it (serialised between claims), and the practitioner stage of XC03 run the way the
practitioner and amendment agents run it. XC02 and XC03 label earlier claims through amended
decisions, so the last decision per claim version is what is compared. The simulator injects a
violation of every registered rule.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from rules.base import Severity
from rules.engine import Engine
from rules.registry import all_rules
from streams.sim.generate import CODES, Simulation, generate
from streams.worker import history as hist
from streams.worker import practice
from streams.worker.processor import Enrichment, amend_visit, appraise

NOW = datetime(2026, 6, 3, tzinfo=UTC)
OUTCOME_OF = {Severity.REJECT: "REJECT", Severity.PARTIAL: "PARTIAL_REJECT",
              Severity.WARNING: "WARN"}
Key = tuple[str, str, int]


def run_rules(sim: Simulation) -> dict[Key, dict[str, object]]:
    """The last decision of every claim version."""
    catalog, cards = sim.indexes()
    ref = Enrichment(Engine.load(), catalog, cards)
    stored: dict[str, bytes] = {}
    schedules: dict[bytes, bytes] = {}  # the practitioner agent's table
    decisions: dict[Key, dict[str, object]] = {}
    for sc in sim.claims:
        person = sc.claim["person_key"]
        out = appraise(sc.claim, hist.loads(stored.get(person)), ref, now=lambda: NOW)
        stored[person] = hist.dumps(out.visits)
        for decision in (out.decision, *out.amendments):
            decisions[hist.identity(decision)] = decision
        for shift in practice.shifts_of(sc.claim, ref.engine):
            # The amendment agent, on the person's partition:
            for a in practice.on_shift(schedules, shift, ref.engine, NOW.timestamp()):
                target = (a.facility, a.claim_id, a.version)
                visits, amended, result = amend_visit(hist.loads(stored[a.person_key]), target,
                                                      a.hit, NOW)
                if result == "applied":
                    assert amended is not None
                    stored[a.person_key] = hist.dumps(visits)
                    decisions[target] = amended
    return decisions


def mismatches(sim: Simulation, decisions: dict[Key, dict[str, object]]) -> list[str]:
    wrong = []
    for sc in sim.claims:
        key = hist.identity(sc.claim)
        codes = frozenset(h["code"] for h in decisions[key]["hits"])  # type: ignore[attr-defined]
        if codes != sc.labels:
            wrong.append(f"{key}: labelled {sorted(sc.labels)}, hits {sorted(codes)}")
    return wrong


def test_the_simulator_knows_every_registered_rule() -> None:
    assert sorted(CODES) == sorted(rule.meta.code for rule in all_rules())
    assert len(set(CODES)) == len(CODES)


@pytest.mark.parametrize(("seed", "violations"), [(31, 0.4), (32, 0.1)])
def test_rule_hits_equal_the_labels_of_every_claim(seed: int, violations: float) -> None:
    sim = generate(2000, seed=seed, violations=violations)
    decisions = run_rules(sim)
    assert len(decisions) == len(sim.claims)
    wrong = mismatches(sim, decisions)
    assert not wrong, f"{len(wrong)} claims disagree, e.g. {wrong[:5]}"
    labelled = Counter(code for sc in sim.claims for code in sc.labels)
    assert set(labelled) == set(CODES)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_code_is_injected_and_only_its_rule_fires(seed: int) -> None:
    sim = generate(4000, seed=seed, violations=0.5)
    decisions = run_rules(sim)
    assert len(decisions) == len(sim.claims) == 4000
    wrong = mismatches(sim, decisions)
    assert not wrong, f"{len(wrong)} claims disagree, e.g. {wrong[:5]}"
    assert all(len(sc.labels) <= 1 for sc in sim.claims)
    labelled = Counter(code for sc in sim.claims for code in sc.labels)
    short = {code: labelled[code] for code in CODES if labelled[code] < 10}
    assert not short, f"codes injected fewer than 10 times: {short}"
    hit = Counter(h["code"] for d in decisions.values()
                  for h in d["hits"])  # type: ignore[attr-defined]
    assert set(hit) == set(CODES)


def test_outcomes_follow_the_labels() -> None:
    severity = {rule.meta.code: rule.meta.severity for rule in all_rules()}
    sim = generate(1200, seed=33, violations=0.5)
    decisions = run_rules(sim)
    for sc in sim.claims:
        decision = decisions[hist.identity(sc.claim)]
        want = OUTCOME_OF[severity[next(iter(sc.labels))]] if sc.labels else "ACCEPT"
        assert decision["outcome"] == want, (hist.identity(sc.claim), sc.labels)
        assert decision["requested"] == sc.claim["header"]["t_bhtt"]
