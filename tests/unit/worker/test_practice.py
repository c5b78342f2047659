"""The practitioner stage: shifts from claims, the schedule, amendments by person; with the
published shift rule (XC03) and with a stand-in that shows the stage follows whatever shift
rule the engine has."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from rules.base import NO_HITS, Hit, Params, Record, RuleMeta, Severity
from rules.cases import base_case
from rules.context import Context
from rules.cross_claim import ShiftRule
from rules.engine import Engine
from streams.worker import practice
from streams.worker.processor import Enrichment, amend_visit, appraise

NOW = datetime(2025, 3, 6, tzinfo=UTC)
T0 = NOW.timestamp()  # arrival time of the shifts


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def claim_at(facility: str, claim_id: str, person: str, start: datetime) -> dict[str, Any]:
    """The base claim moved to ``facility``/``start``; its blood count is done by KTV01."""
    c = copy.deepcopy(base_case().claim)
    c.update(facility=facility, claim_id=claim_id, person_key=person,
             content_hash=f"h-{claim_id}")
    shift_by = start - c["header"]["ngay_vao"]
    for name in ("ngay_vao", "ngay_ra", "ngay_ttoan"):
        c["header"][name] += shift_by
    for line in c["drugs"] + c["services"]:
        for name in ("ngay_yl", "ngay_th_yl", "ngay_kq"):
            if line.get(name) is not None:
                line[name] += shift_by
    return c


def test_shifts_merge_a_practitioners_lines_and_skip_supplies(engine: Engine) -> None:
    c = claim_at("79001", "A1", "P1", datetime(2025, 3, 1, 8, 30))
    shifts = {s["practitioner"]: s for s in practice.shifts_of(c, engine)}
    assert set(shifts) == {"BS001", "KTV01"}  # DD01 only handed out a supply
    assert shifts["KTV01"]["intervals"] == [(datetime(2025, 3, 1, 8, 50),
                                             datetime(2025, 3, 1, 9, 30))]
    # No result time: the examination counts min_minutes (15).
    assert shifts["BS001"]["intervals"] == [(datetime(2025, 3, 1, 8, 40),
                                             datetime(2025, 3, 1, 8, 55))]
    assert shifts["KTV01"]["amount"] == 36960.0 and shifts["KTV01"]["lines"] == [2]


def ktv01(c: dict[str, Any], engine: Engine) -> dict[str, Any]:
    return next(s for s in practice.shifts_of(c, engine) if s["practitioner"] == "KTV01")


def test_overlap_across_facilities_amends_both_claims_once(engine: Engine) -> None:
    a = claim_at("79001", "A1", "P1", datetime(2025, 3, 1, 8, 30))
    b = claim_at("79002", "B1", "P2", datetime(2025, 3, 1, 8, 45))  # KTV01 09:05-09:45 there
    store: dict[bytes, bytes] = {}
    assert practice.on_shift(store, ktv01(a, engine), engine, T0) == []
    mine = ktv01(b, engine)
    wire = practice.load_shift(practice.dump_shift(mine))
    assert wire == mine
    found = practice.on_shift(store, wire, engine, T0)
    assert {(x.person_key, x.claim_id) for x in found} == {("P2", "B1"), ("P1", "A1")}
    assert all(x.hit.code == "XC03" and x.hit.message_vi for x in found)
    on_a = next(x for x in found if x.claim_id == "A1")
    assert on_a.hit.inputs["other_facility"] == "79002"
    assert on_a.hit.inputs["overlap_from"] == "2025-03-01 09:05:00"
    assert practice.Amendment.loads(on_a.dumps()) == on_a
    before = dict(store)
    # Redelivered (a crash after the bucket's write, before the amendments were acknowledged):
    # the same amendments again, the buckets unchanged.
    assert practice.on_shift(store, wire, engine, T0 + 5) == found
    assert store == before
    # A's redelivery is compared with what was filed before it: nothing, as the first time.
    assert practice.on_shift(store, ktv01(a, engine), engine, T0 + 6) == []
    assert store == before
    assert set(store) == {b"KTV01|2025-03-01", b"KTV01|days"}  # one day bucket, its index


def test_same_facility_or_far_apart_is_not_an_overlap(engine: Engine) -> None:
    a = claim_at("79001", "A1", "P1", datetime(2025, 3, 1, 8, 30))
    same = claim_at("79001", "A2", "P2", datetime(2025, 3, 1, 8, 45))
    later = claim_at("79002", "B1", "P3", datetime(2025, 3, 1, 11, 0))
    next_day = claim_at("79002", "B2", "P4", datetime(2025, 3, 2, 8, 30))
    store: dict[bytes, bytes] = {}
    for c in (a, same, later, next_day):
        for s in practice.shifts_of(c, engine):
            assert practice.on_shift(store, s, engine, T0) == []
    assert b"KTV01|2025-03-02" in store


def test_a_shift_over_midnight_meets_work_of_both_days(engine: Engine) -> None:
    night = claim_at("79001", "N1", "P1", datetime(2025, 3, 1, 23, 0))
    shift = ktv01(night, engine)
    shift["intervals"] = [(datetime(2025, 3, 1, 23, 50), datetime(2025, 3, 2, 0, 40))]
    store: dict[bytes, bytes] = {}
    assert practice.on_shift(store, shift, engine, T0) == []
    early = ktv01(claim_at("79002", "E1", "P2", datetime(2025, 3, 2, 0, 0)), engine)
    early["intervals"] = [(datetime(2025, 3, 2, 0, 10), datetime(2025, 3, 2, 0, 50))]
    found = practice.on_shift(store, early, engine, T0)
    assert {x.claim_id for x in found} == {"N1", "E1"}


def test_amendment_reaches_the_claims_decision_once() -> None:
    case = base_case()
    ctx = case.context()
    ref = Enrichment(Engine.load(), ctx.catalog, ctx.cards)  # type: ignore[arg-type]
    out = appraise(claim_at("79001", "A1", "P1", datetime(2025, 3, 1, 8, 30)), [], ref,
                   now=lambda: NOW)
    assert out.decision["outcome"] == "ACCEPT"
    a = claim_at("79001", "A1", "P1", datetime(2025, 3, 1, 8, 30))
    b = claim_at("79002", "B1", "P2", datetime(2025, 3, 1, 8, 45))
    engine = ref.engine
    store: dict[bytes, bytes] = {}
    practice.on_shift(store, ktv01(a, engine), engine, T0)
    found = practice.on_shift(store, ktv01(b, engine), engine, T0)
    on_a = next(x for x in found if x.claim_id == "A1")
    visits, amended, result = amend_visit(out.visits, ("79001", "A1", 1), on_a.hit, NOW)
    assert result == "applied" and amended is not None
    assert amended["revision"] == 2 and amended["outcome"] == "WARN"
    assert [h["code"] for h in amended["hits"]] == ["XC03"]
    assert visits[0]["decision"] == amended
    # Redelivered: no new revision, but the decision again (its emit may be what was lost).
    same, again, result = amend_visit(visits, ("79001", "A1", 1), on_a.hit, NOW)
    assert result == "replayed" and same is visits and again == amended
    _, missing, result = amend_visit(visits, ("79001", "ZZ", 1), on_a.hit, NOW)
    assert missing is None and result == "unknown_claim"


def test_shifts_are_kept_by_arrival_not_by_their_own_times(engine: Engine) -> None:
    """Claims of other persons arrive out of time order: a day's work a month older than the
    newest still meets its partner; a day untouched for keep_days (7) is deleted."""
    late = ktv01(claim_at("79003", "C1", "P3", datetime(2025, 3, 30, 8, 30)), engine)
    a = ktv01(claim_at("79001", "A1", "P1", datetime(2025, 3, 1, 8, 30)), engine)
    b = ktv01(claim_at("79002", "B1", "P2", datetime(2025, 3, 1, 8, 45)), engine)
    store: dict[bytes, bytes] = {}
    practice.on_shift(store, a, engine, T0)
    practice.on_shift(store, late, engine, T0 + 60)
    assert {x.claim_id for x in practice.on_shift(store, b, engine, T0 + 120)} == {"A1", "B1"}
    other = ktv01(claim_at("79004", "D1", "P4", datetime(2025, 4, 20, 8, 30)), engine)
    practice.on_shift(store, other, engine, T0 + 8 * 86400)
    assert b"KTV01|2025-03-01" not in store and b"KTV01|2025-03-30" not in store
    assert b"KTV01|2025-04-20" in store
    again = ktv01(claim_at("79005", "F1", "P5", datetime(2025, 3, 1, 8, 45)), engine)
    assert practice.on_shift(store, again, engine, T0 + 8 * 86400) == []


class _SameDay(ShiftRule):
    """A stand-in shift rule: one shift per claim for practitioner P9, any two at different
    facilities overlap; a day is kept for one day."""

    meta = RuleMeta("ZZ01", "test.same_day", "t", "test", Severity.WARNING, "basis",
                    date(2024, 7, 1))

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        return NO_HITS

    def shifts(self, claim: Record, p: Params) -> list[Record]:
        header = claim["header"]
        return [{"practitioner": "P9", "facility": claim["facility"],
                 "claim_id": claim["claim_id"], "version": claim["version"],
                 "person_key": claim["person_key"], "service_date": header["ngay_vao"].date(),
                 "intervals": [(header["ngay_vao"], header["ngay_ra"])]}]

    def overlaps(
        self, shift: Record, schedule: Sequence[Record], p: Params
    ) -> list[tuple[Record, Hit, Hit]]:
        def hit(on: Record, other: Record) -> Hit:
            return self.meta.hit(p, f"{on['claim_id']} with {other['claim_id']}", amount=0,
                                 inputs={"other": other["claim_id"]})

        return [(o, hit(shift, o), hit(o, shift)) for o in schedule
                if o["facility"] != shift["facility"]]

    def keep_days(self, p: Params) -> float:
        return 1.0


def test_the_stage_follows_the_engines_shift_rule() -> None:
    engine = Engine.build([_SameDay()], {"ZZ01": (Params("ZZ01@1", date(2024, 7, 1), None),)})
    a = claim_at("79001", "A1", "P1", datetime(2025, 3, 1, 8, 30))
    b = claim_at("79002", "B1", "P2", datetime(2025, 3, 1, 14, 0))
    (shift_a,), (shift_b,) = practice.shifts_of(a, engine), practice.shifts_of(b, engine)
    store: dict[bytes, bytes] = {}
    assert practice.on_shift(store, shift_a, engine, T0) == []
    found = practice.on_shift(store, practice.load_shift(practice.dump_shift(shift_b)), engine,
                              T0)
    assert {(x.claim_id, x.hit.code, x.hit.inputs["other"]) for x in found} == {
        ("A1", "ZZ01", "B1"), ("B1", "ZZ01", "A1")}
    later = practice.shifts_of(claim_at("79003", "C1", "P3", datetime(2025, 3, 5, 8, 0)), engine)
    practice.on_shift(store, later[0], engine, T0 + 2 * 86400)  # the rule keeps a day 1 day
    assert b"P9|2025-03-01" not in store and b"P9|2025-03-05" in store
    later_rule = _SameDay()
    later_rule.meta = replace(later_rule.meta, effective_from=date(2025, 4, 1))
    early = Engine.build([later_rule], {"ZZ01": (Params("ZZ01@1", date(2025, 4, 1), None),)})
    assert practice.shifts_of(a, early) == [] and practice.on_shift({}, shift_a, early, T0) == []
