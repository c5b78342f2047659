"""XC03 streaming pieces: shifts from claims, the practitioner schedule, amendments by person."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from rules.cases import base_case
from rules.engine import Engine
from streams import practice
from streams.processor import Enrichment, amend_visit, appraise

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


def test_overlap_across_facilities_amends_both_claims_once(engine: Engine) -> None:
    a = claim_at("79001", "A1", "P1", datetime(2025, 3, 1, 8, 30))
    b = claim_at("79002", "B1", "P2", datetime(2025, 3, 1, 8, 45))  # KTV01 09:05-09:45 there
    schedule: list[dict[str, Any]] = []
    for s in practice.shifts_of(a, engine):
        if s["practitioner"] == "KTV01":
            schedule, found = practice.on_shift(schedule, s, engine, T0)
            assert found == []
    mine = next(s for s in practice.shifts_of(b, engine) if s["practitioner"] == "KTV01")
    wire = practice.load_shift(practice.dump_shift(mine))
    assert wire == mine
    schedule, found = practice.on_shift(schedule, wire, engine, T0)
    assert {(x.person_key, x.claim_id) for x in found} == {("P2", "B1"), ("P1", "A1")}
    assert all(x.hit.code == "XC03" and x.hit.message_vi for x in found)
    on_a = next(x for x in found if x.claim_id == "A1")
    assert on_a.hit.inputs["other_facility"] == "79002"
    assert on_a.hit.inputs["overlap_from"] == "2025-03-01 09:05:00"
    assert practice.Amendment.loads(on_a.dumps()) == on_a
    again, repeat = practice.on_shift(schedule, wire, engine, T0)  # redelivered shift
    assert repeat == [] and again == schedule
    back = practice.load_schedule(practice.dump_schedule(schedule))
    assert back == schedule


def test_same_facility_or_far_apart_is_not_an_overlap(engine: Engine) -> None:
    a = claim_at("79001", "A1", "P1", datetime(2025, 3, 1, 8, 30))
    same = claim_at("79001", "A2", "P2", datetime(2025, 3, 1, 8, 45))
    later = claim_at("79002", "B1", "P3", datetime(2025, 3, 1, 11, 0))
    schedule: list[dict[str, Any]] = []
    for c in (a, same, later):
        for s in practice.shifts_of(c, engine):
            schedule, found = practice.on_shift(
                [x for x in schedule if x["practitioner"] == s["practitioner"]] +
                [x for x in schedule if x["practitioner"] != s["practitioner"]], s, engine, T0)
            assert found == []


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
    schedule, _ = practice.on_shift([], practice.shifts_of(a, engine)[1], engine, T0)
    _, found = practice.on_shift(schedule, practice.shifts_of(b, engine)[1], engine, T0)
    on_a = next(x for x in found if x.claim_id == "A1")
    visits, amended = amend_visit(out.visits, ("79001", "A1", 1), on_a.hit, NOW)
    assert amended is not None
    assert amended["revision"] == 2 and amended["outcome"] == "WARN"
    assert [h["code"] for h in amended["hits"]] == ["XC03"]
    assert visits[0]["decision"] == amended
    same, none = amend_visit(visits, ("79001", "A1", 1), on_a.hit, NOW)
    assert none is None and same is visits
    _, missing = amend_visit(visits, ("79001", "ZZ", 1), on_a.hit, NOW)
    assert missing is None


def test_shifts_are_kept_by_arrival_not_by_their_own_times(engine: Engine) -> None:
    """Claims of other persons arrive out of time order: a shift a month older than the
    newest still meets its partner; one that arrived keep_days (7) ago is gone."""
    late_may = claim_at("79003", "C1", "P3", datetime(2025, 3, 30, 8, 30))
    a = claim_at("79001", "A1", "P1", datetime(2025, 3, 1, 8, 30))
    b = claim_at("79002", "B1", "P2", datetime(2025, 3, 1, 8, 45))
    ktv = [next(s for s in practice.shifts_of(c, engine) if s["practitioner"] == "KTV01")
           for c in (late_may, a, b)]
    schedule: list[dict[str, Any]] = []
    for s in ktv[:2]:
        schedule, _ = practice.on_shift(schedule, s, engine, T0)
    _, found = practice.on_shift(schedule, ktv[2], engine, T0 + 60)
    assert {x.claim_id for x in found} == {"A1", "B1"}
    _, found = practice.on_shift(schedule, ktv[2], engine, T0 + 8 * 86400)
    assert found == []
