"""The simulator's counting cross-claim injections (XC04, XC05, CB09) and the guard that keeps
clean persons clear of them. That the rules agree is test_simulate_vs_rules' job."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest

from rules.params import in_force, read_params
from streams.sim import cross
from streams.sim.cross import Seen, VisitLog
from streams.sim.generate import DEFAULT_START, Simulation, generate

DAY = date(2026, 5, 10)


def seen(day: date, facility: str = "79001", outpatient: bool = True,
         frequent: bool = False) -> Seen:
    return Seen(day, facility, outpatient, frequent, 0.0)


def values(code: str) -> dict[str, Any]:
    p = in_force(read_params()[code], DEFAULT_START.date())
    assert p is not None
    return dict(p.values)


def test_constants_follow_the_published_parameters() -> None:
    xc04, xc05, cb09 = values("XC04"), values("XC05"), values("CB09")
    assert set(xc04["outpatient_types"]) <= cross.OUTPATIENT_TYPES
    assert set(xc05["outpatient_types"]) == cross.OUTPATIENT_TYPES
    assert set(xc04["exempt_routes"]) == cross.XC04_EXEMPT_ROUTES
    assert xc04["min_facilities"] == 2  # the guard refuses any second facility on a day
    assert xc05["max_visits"] == cross.XC05_MAX_VISITS
    assert xc05["window_days"] == cross.XC05_WINDOW_DAYS
    assert cross.XC05_SPREAD_DAYS < cross.XC05_WINDOW_DAYS
    assert cb09["ceiling_months"] * cb09["base_salary_vnd"] == cross.CB09_CEILING_VND


# --- the guard --------------------------------------------------------------------------------
def test_second_facility_on_the_same_day_is_refused() -> None:
    log = VisitLog()
    log.add("p", [seen(DAY, "79001")])
    assert not log.fits("p", [seen(DAY, "79002")])
    assert log.fits("p", [seen(DAY, "79001")])  # same facility: not XC04
    assert log.fits("p", [seen(DAY + timedelta(days=1), "79002")])
    assert log.fits("p", [seen(DAY, "79002", outpatient=False)])  # a stay: XC02's business
    assert log.fits("q", [seen(DAY, "79002")])  # another person


def test_a_pair_within_the_new_visits_needs_pair_ok() -> None:
    pair = [seen(DAY, "79001"), seen(DAY, "79002")]
    assert not VisitLog().fits("p", pair)
    assert VisitLog().fits("p", pair, pair_ok=True)


def test_visits_over_the_frequency_limit_are_refused() -> None:
    log = VisitLog()
    limit = cross.XC05_MAX_VISITS
    log.add("p", [seen(DAY + timedelta(days=i)) for i in range(limit)])
    assert not log.fits("p", [seen(DAY + timedelta(days=limit))])
    # Outside the window of every logged visit.
    assert log.fits("p", [seen(DAY + timedelta(days=limit + cross.XC05_WINDOW_DAYS))])
    # Dated before the others it still pushes their windows over the limit.
    assert not log.fits("p", [seen(DAY - timedelta(days=1))])
    # The labelled visit of an XC05 job may be over the limit.
    assert log.fits("p", [seen(DAY + timedelta(days=limit), frequent=True)])


def test_yearly_copay_is_summed_per_calendar_year() -> None:
    log = VisitLog()
    log.add("p", [Seen(DAY, "79001", False, False, 1000.0),
                  Seen(date(2025, 12, 30), "79001", True, False, 50.0),
                  Seen(DAY, "79002", True, False, 20.0)])
    assert log.copay("p", 2026) == 1020.0
    assert log.copay("p", 2025) == 50.0
    assert log.copay("other", 2026) == 0.0


# --- the injections in a simulation ------------------------------------------------------------
@pytest.fixture(scope="module")
def sim() -> Simulation:
    return generate(3000, seed=57, violations=0.6)


def by_person(sim: Simulation) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in sim.claims:
        out[c.claim["person_key"]].append(c.claim)
    return out


def labelled(sim: Simulation, code: str) -> list[dict[str, Any]]:
    found = [c.claim for c in sim.claims if code in c.labels]
    assert len(found) >= 10, code
    return found


def test_xc04_pairs_an_earlier_sent_visit_elsewhere_the_same_day(sim: Simulation) -> None:
    persons = by_person(sim)
    for claim in labelled(sim, "XC04"):
        h = claim["header"]
        assert h["ma_loai_kcb"] == "01" and h["ma_doituong_kcb"] != "2"
        others = [o for o in persons[claim["person_key"]]
                  if o["header"]["ngay_vao"].date() == h["ngay_vao"].date()
                  and o["facility"] != claim["facility"]]
        assert len(others) == 1
        other = others[0]
        assert other["submitted_at"] < claim["submitted_at"]
        assert other["facility"] != h["ma_noi_di"]


def test_xc05_is_the_last_of_more_visits_than_the_limit(sim: Simulation) -> None:
    persons = by_person(sim)
    span = timedelta(days=cross.XC05_WINDOW_DAYS - 1)
    for claim in labelled(sim, "XC05"):
        day = claim["header"]["ngay_vao"].date()
        window = [o for o in persons[claim["person_key"]]
                  if o["header"]["ma_loai_kcb"] in cross.OUTPATIENT_TYPES
                  and day - span <= o["header"]["ngay_vao"].date() <= day]
        assert len(window) == cross.XC05_MAX_VISITS + 1
        assert max(o["submitted_at"] for o in window) == claim["submitted_at"]
        assert len({o["header"]["ngay_vao"].date() for o in window}) == len(window)


def test_cb09_crosses_the_ceiling_that_the_earlier_stay_stayed_under(sim: Simulation) -> None:
    persons = by_person(sim)
    for claim in labelled(sim, "CB09"):
        h = claim["header"]
        earlier = [o["header"]["t_bncct"] for o in persons[claim["person_key"]]
                   if o["header"]["ngay_ra"] <= h["ngay_vao"]]
        later = [o for o in persons[claim["person_key"]]
                 if o["header"]["ngay_vao"] > h["ngay_vao"]]
        assert not later  # the person is retired after a CB09 job
        assert sum(earlier) < cross.CB09_CEILING_VND < sum(earlier) + h["t_bncct"]
        assert not h["ma_doituong_kcb"].startswith("3.")
