"""Counting cross-claim rules in the simulator: XC04, XC05, CB09 injections and the guard that
keeps every other person's visits clear of them.

XC04 (same-day outpatient visits at two facilities), XC05 (more than ``XC05_MAX_VISITS``
outpatient visits in ``XC05_WINDOW_DAYS`` days) and CB09 (co-payment charged above the yearly
ceiling) look at a person's earlier visits, so a clean person must never drift into them by
chance: :class:`VisitLog` remembers each person's visit days and refuses a job whose visits would
trip XC04 or XC05 for a claim not labelled so. A CB09 person carries a year's co-payment near the
ceiling; the scheduler retires that person from later jobs.

The constants mirror ``rules/params.yaml`` (XC04, XC05, CB09 versions in force on the simulated
dates); tests/unit/sim/test_simulate_cross.py keeps them in step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from streams.sim.catalog import Catalog
from streams.sim.claims import Draft, Visit, build_claim, choose_visit
from streams.sim.violations import shift
from streams.sim.world import World

OUTPATIENT_TYPES = frozenset({"01", "02", "05", "07", "08"})  # XC05's (a superset of XC04's)
XC04_EXEMPT_ROUTES = frozenset({"2"})
XC05_MAX_VISITS = 6
XC05_WINDOW_DAYS = 30
XC05_SPREAD_DAYS = 14  # the injected visits fall on distinct days within this many days
CB09_CEILING_VND = 6 * 2_340_000.0  # 6 months' base salary from 2024-07-01
CB09_STAY_GAP = timedelta(hours=2)  # the labelled stay starts this long after the first ends
# Days after the job's settlement that the later claims of a job may use (plan_jobs keeps the
# job's first settlement early enough in the window).
LEAD_DAYS = {"XC05": XC05_SPREAD_DAYS, "CB09": 16}
# Codes made here: the job's first claim is clean, its last claim carries the label.
LABELLED_LAST = frozenset({"XC04", "XC05", "CB09"})


@dataclass(frozen=True)
class Seen:
    """One visit of a person as the guard sees it."""

    day: date  # NGAY_VAO's calendar day
    facility: str
    outpatient: bool
    frequent: bool  # labelled XC05: allowed (meant) to be over the limit
    copay: float  # T_BNCCT, for CB09's yearly total


def seen_of(draft: Draft, frequent: bool = False) -> Seen:
    h = draft.header
    return Seen(h["ngay_vao"].date(), draft.claim["facility"],
                h["ma_loai_kcb"] in OUTPATIENT_TYPES, frequent, h["t_bncct"])


class VisitLog:
    """Each person's visits so far; :meth:`fits` says whether new ones keep XC04/XC05 quiet."""

    def __init__(self) -> None:
        self._seen: dict[str, list[Seen]] = {}

    def fits(self, person_key: str, new: list[Seen], pair_ok: bool = False) -> bool:
        """False when ``new`` would make an unlabelled visit trip XC04 or XC05.

        ``pair_ok``: the new visits are an XC04 pair and may share a day among themselves.
        """
        old = self._seen.get(person_key, [])
        for v in new:
            if v.outpatient and any(o.outpatient and o.day == v.day and o.facility != v.facility
                                    for o in old):
                return False
        if not pair_ok:
            for i, v in enumerate(new):
                if v.outpatient and any(o.outpatient and o.day == v.day
                                        and o.facility != v.facility for o in new[i + 1:]):
                    return False
        visits = [v for v in (*old, *new) if v.outpatient]
        span = timedelta(days=XC05_WINDOW_DAYS - 1)
        for v in visits:
            if v.frequent:
                continue
            count = sum(1 for o in visits if v.day - span <= o.day <= v.day)
            if count > XC05_MAX_VISITS:
                return False
        return True

    def copay(self, person_key: str, year: int) -> float:
        """Co-payments of the person's visits starting in ``year`` so far."""
        return sum(v.copay for v in self._seen.get(person_key, []) if v.day.year == year)

    def add(self, person_key: str, new: list[Seen]) -> None:
        self._seen.setdefault(person_key, []).extend(new)

    def remove(self, person_key: str, seen: Seen) -> None:
        """Forget a visit added for a job that was given up."""
        self._seen[person_key].remove(seen)


# --- injections -----------------------------------------------------------------------------
def same_day_elsewhere(rng: random.Random, catalog: Catalog, first: Draft, visit: Visit
                       ) -> Draft | None:
    """XC04: an outpatient visit of ``first``'s person at another facility the same day, not
    an emergency and not referred by ``first``'s facility (both excuse it)."""
    if visit.facility.code == first.claim["facility"] or visit.route in XC04_EXEMPT_ROUTES \
            or visit.referred_from == first.claim["facility"]:
        return None
    a = first.header
    # After the first visit when the day leaves room, else before it.
    after = a["ngay_ra"] + timedelta(minutes=rng.randint(150, 240))
    if after.date() == a["ngay_vao"].date() and after.hour < 21:
        paid = after
    else:
        paid = a["ngay_vao"] - timedelta(minutes=rng.randint(70, 120))
    second = build_claim(rng, catalog, visit, paid)
    b = second.header
    if b["ngay_vao"].date() != a["ngay_vao"].date() or b["ngay_vao"].hour < 6:
        return None
    if not (b["ngay_ra"] < a["ngay_vao"] or a["ngay_ra"] < b["ngay_vao"]):
        return None
    return second


def frequent_visits(rng: random.Random, world: World, catalog: Catalog, first: Draft
                    ) -> list[Draft]:
    """XC05: ``XC05_MAX_VISITS`` more outpatient visits of ``first``'s person on distinct later
    days within ``XC05_SPREAD_DAYS`` (the last one is the labelled visit)."""
    person = first.visit.person
    start = first.header["ngay_ttoan"]
    offsets = sorted(rng.sample(range(1, XC05_SPREAD_DAYS), XC05_MAX_VISITS))
    out = []
    for days in offsets:
        paid = datetime.combine(start.date() + timedelta(days=days), datetime.min.time()) + \
            timedelta(minutes=rng.randint(9 * 60, 17 * 60 + 30))
        out.append(build_claim(rng, catalog, choose_visit(rng, world, person, False), paid))
    return out


def over_ceiling(rng: random.Random, world: World, catalog: Catalog, first: Draft,
                 prior: float) -> Draft | None:
    """CB09: ``first`` (an inpatient stay) is made to co-pay just under what the yearly ceiling
    leaves after ``prior`` (the person's earlier co-payments that year); the returned later stay
    of the same person then crosses it. None when the person or the drafts cannot carry it (no
    co-payment, no five-year date, off-route, no fine enough drug line)."""
    person = first.visit.person
    five = person.card["five_year_date"]
    a = first.header
    if five is None or five > a["ngay_vao"].date() or person.benefit_level not in (3, 4) \
            or first.visit.route.startswith("3."):
        return None
    visit = choose_visit(rng, world, person, True)
    if visit.route.startswith("3."):
        return None
    second = build_claim(rng, catalog, visit, a["ngay_ttoan"] + timedelta(days=1))
    b = second.header
    if b["ngay_vao"] < a["ngay_ra"] + CB09_STAY_GAP:
        shift(second, a["ngay_ra"] + CB09_STAY_GAP - b["ngay_vao"]
              + timedelta(minutes=rng.randint(0, 24 * 60)))
    copay_b = b["t_bncct"]
    # Half of copay_b is the margin on each side: keep it well above rounding (and above the
    # few VND an XC01 second version of an earlier claim may add to the prior total).
    if copay_b < 20_000 or b["ngay_vao"].year != a["ngay_vao"].year:
        return None
    # Raise one drug quantity of the first stay so its co-payment lands half of copay_b under
    # the ceiling: the first stay stays under it, the second goes over by about copay_b / 2.
    room = CB09_CEILING_VND - prior
    target = room - copay_b / 2
    rows = [r for r in first.claim["drugs"] if r["t_bncct"] > 0 and r["so_luong"] > 0]
    fine = [r for r in rows if r["t_bncct"] / r["so_luong"] <= copay_b / 8]
    if not fine:
        return None
    row = max(fine, key=lambda r: r["t_bncct"] / r["so_luong"])
    unit = row["t_bncct"] / row["so_luong"]
    row["so_luong"] = row["so_luong"] + round((target - a["t_bncct"]) / unit)
    first.refinalize()
    if not room - copay_b + 2 < a["t_bncct"] < room - 2:
        return None
    return second
