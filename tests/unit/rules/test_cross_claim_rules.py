"""Cross-claim rules (XC..) and what they declare through rules.cross_claim: partners in the
history, shifts for the practitioner stage, the visit types stored as inpatient. The engine
answers from the declarations, never from rule codes."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

import pytest

from rules.base import NO_HITS, ClaimRule, Hit, Params, Record, RuleMeta, Severity
from rules.cases import base_case, cases_for
from rules.context import Context
from rules.cross_claim import DEFAULT_INPATIENT_TYPES, InpatientTypes, PartnerRule, ShiftRule
from rules.engine import Engine
from rules.params import ParamTable

ON = date(2024, 7, 1)
SERVICE_DAY = date(2025, 3, 1)  # the base claim's


def _meta(code: str, start: date, *param_names: str) -> RuleMeta:
    return RuleMeta(code, f"test.{code.lower()}", code, "test", Severity.WARNING, "basis", start,
                    param_names=param_names)


class Mirror(PartnerRule):
    """Hits every claim and amends every earlier visit with a hit naming this claim."""

    def __init__(self, code: str = "ZZ01", start: date = ON) -> None:
        self.meta = _meta(code, start)

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        return (self.meta.hit(p, "mine", amount=0, inputs={}),)

    def partner_hits(
        self, claim: Record, hit: Hit, history: Sequence[Record], p: Params
    ) -> list[tuple[Record, Hit]]:
        return [(v, self.meta.hit(p, "theirs", amount=0, inputs={
            "other": claim["claim_id"], "version": hit.rule_version})) for v in history]


class Shifts(ShiftRule):
    """One shift per claim, carrying a parameter to show which version made it."""

    def __init__(self, code: str = "ZZ02", start: date = ON) -> None:
        self.meta = _meta(code, start, "x")

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        return NO_HITS

    def shifts(self, claim: Record, p: Params) -> list[Record]:
        return [{"practitioner": "P1", "claim_id": claim["claim_id"], "x": p.values["x"]}]

    def overlaps(
        self, shift: Record, schedule: Sequence[Record], p: Params
    ) -> list[tuple[Record, Hit, Hit]]:
        return []

    def keep_days(self, p: Params) -> float:
        return 3.0


class Inpatient(ClaimRule, InpatientTypes):
    def __init__(self, code: str = "ZZ03", start: date = ON) -> None:
        self.meta = _meta(code, start, "types")

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        return NO_HITS

    def inpatient_types(self, p: Params) -> Collection[str]:
        return frozenset(p.values["types"])


def _params(**values: Mapping[str, object]) -> ParamTable:
    return {code: (Params(f"{code}@1", ON, None, v),) for code, v in values.items()}


def _toy(start: date = ON) -> tuple[Engine, Mirror, Shifts]:
    mirror, shifts = Mirror(start=start), Shifts(start=start)
    engine = Engine.build([mirror, shifts, Inpatient(start=start)],
                          _params(ZZ01={}, ZZ02={"x": 5}, ZZ03={"types": ["07"]}))
    return engine, mirror, shifts


def test_the_engine_answers_from_what_the_rules_declare() -> None:
    engine, _, shifts = _toy()
    case = base_case()
    ctx = case.context()
    hits = engine.evaluate(ctx)
    assert [h.code for h in hits] == ["ZZ01"]
    assert engine.partner_codes == {"ZZ01", "ZZ02"}  # hits that may land on other claims
    earlier = {"claim_id": "B1"}
    ((visit, hit),) = engine.partner_hits(case.claim, hits, [earlier])
    assert visit is earlier and hit.inputs == {"other": case.claim["claim_id"], "version": "ZZ01@1"}
    assert engine.partner_hits(case.claim, [], [earlier]) == []  # no hit, nothing to amend
    assert engine.shift_rule(SERVICE_DAY) == (shifts, engine.params["ZZ02"][0])
    assert engine.shifts(case.claim) == [
        {"practitioner": "P1", "claim_id": case.claim["claim_id"], "x": 5}]
    assert engine.inpatient_types(SERVICE_DAY) == {"07"}


def test_rules_out_of_force_need_nothing() -> None:
    engine, _, _ = _toy(start=date(2025, 3, 2))
    case = base_case()  # service date 2025-03-01
    assert engine.partner_hits(case.claim, [], [{"claim_id": "B1"}]) == []
    assert engine.shift_rule(SERVICE_DAY) is None and engine.shifts(case.claim) == []
    assert engine.inpatient_types(SERVICE_DAY) == DEFAULT_INPATIENT_TYPES
    assert engine.inpatient_types(date(2025, 3, 2)) == {"07"}
    assert engine.shift_rule(date(2025, 3, 2)) is not None


@pytest.mark.parametrize(("twins", "name"), [
    ([Shifts("ZZ02"), Shifts("ZZ04")], "ShiftRule"),
    ([Inpatient("ZZ03"), Inpatient("ZZ05")], "InpatientTypes"),
])
def test_one_owner_per_piece_of_stored_state(twins: list[ClaimRule], name: str) -> None:
    params = _params(**{r.meta.code: {n: 1 for n in r.meta.param_names} for r in twins})
    with pytest.raises(ValueError, match=name):
        Engine.build(twins, params)


def test_the_published_catalogue_declares_its_needs() -> None:
    engine = Engine.load()
    assert engine.partner_codes == {"XC02", "XC03"}
    found = engine.shift_rule(SERVICE_DAY)
    assert found is not None and found[0].meta.code == "XC03"
    assert set(engine.inpatient_types(SERVICE_DAY)) == {"03", "04", "09"}
    assert engine.inpatient_types(date(2024, 6, 30)) == DEFAULT_INPATIENT_TYPES  # before XC02
    narrower = Engine.load(overrides={"XC02": {"inpatient_types": ["03"]}})
    assert set(narrower.inpatient_types(SERVICE_DAY)) == {"03"}


def test_partner_hits_mirror_the_overlap() -> None:
    (case,) = [c for c in cases_for("XC02") if c.name == "stays_overlap"]
    history = [{**case.history[0], "decision": {"requested": 250000.0}}]
    engine = Engine.load()
    ctx = case.context()
    hits = engine.evaluate(Context(case.claim, ctx.catalog, ctx.cards, history))
    (mine,) = [h for h in hits if h.code == "XC02"]
    assert mine.inputs["other_facility"] == "79002" and mine.inputs["other_claim_id"] == "B1"

    (pair,) = engine.partner_hits(case.claim, hits, history)
    visit, mirror = pair
    assert visit is history[0]
    assert mirror.code == "XC02" and mirror.severity is Severity.WARNING
    assert mirror.amount == 250000.0 and mirror.rule_version == mine.rule_version
    assert mirror.inputs["other_facility"] == "79001"
    assert mirror.inputs["other_claim_id"] == case.claim["claim_id"]
    assert mirror.inputs["admitted"] == "2025-03-03 08:00:00"
    # Deterministic: the worker recognises a mirror hit it has already applied.
    assert engine.partner_hits(case.claim, hits, history)[0][1].inputs == mirror.inputs
    assert engine.partner_hits(case.claim, [], history) == []


def test_overlap_uses_latest_version_of_the_other_claim() -> None:
    (case,) = [c for c in cases_for("XC02") if c.name == "stays_overlap"]
    moved = {**case.history[0], "version": 2, "admitted": datetime(2025, 3, 6, 8, 0)}
    ctx = case.context()
    hits = Engine.load().evaluate(Context(case.claim, ctx.catalog, ctx.cards,
                                          [case.history[0], moved]))
    assert [h.code for h in hits] == []  # v2 of the other claim no longer overlaps
