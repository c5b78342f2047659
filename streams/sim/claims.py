"""Clean claims: where a person goes, what is done, the claim dict (claim.avsc) with its money.

A clean claim breaks none of the rules: every code is in the catalog valid on its line date at
or below the approved price, the money identities hold, NGAY_VAO ≤ NGAY_YL ≤ NGAY_RA, the card
covers the visit. Times are naive facility-local datetimes rounded to the minute.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from streams.sim.catalog import DRUG, Catalog, Item
from streams.sim.data import INPATIENT, OUTPATIENT, Inpatient, Outpatient
from streams.sim.lines import LineMaker
from streams.sim.money import finalize
from streams.sim.world import Facility, Person, World

_CHRONIC = frozenset({"I10", "I11.9", "E11.9", "E11.8", "M10.9", "M17.9"})
_CHILD_INPATIENT = (0, 3, 8)  # INPATIENT profiles that also happen to children
_ONCE_PER_STAY = frozenset({"hba1c"})  # tests with a minimum interval: never repeated (CL08)


@dataclass
class Visit:
    """Who goes where, by which route (MA_DOITUONG_KCB), as outpatient or inpatient."""

    person: Person
    facility: Facility
    route: str
    referred_from: str | None
    inpatient: bool


@dataclass
class Draft:
    """A claim being built, with what its money depends on."""

    claim: dict[str, Any]
    visit: Visit

    def refinalize(self) -> None:
        v = self.visit
        finalize(self.claim, v.person.benefit_level, v.facility.tier, v.route)

    def name(self, number: int, run: str = "") -> None:
        """MA_LK: facility, month of arrival, the simulation's run tag and the facility's
        running number."""
        c = self.claim
        c["claim_id"] = f"{c['facility']}_{c['header']['ngay_vao']:%Y%m}_{run}{number:06d}"

    @property
    def header(self) -> dict[str, Any]:
        h: dict[str, Any] = self.claim["header"]
        return h


def choose_visit(rng: random.Random, world: World, person: Person, inpatient: bool,
                 exclude: str | None = None) -> Visit:
    """A facility and route for ``person``; ``exclude`` is a facility code to avoid."""
    prov = person.province
    registered = world.by_code[person.card["registered_facility"]]
    r = rng.random()
    referred: str | None = None
    if not inpatient:
        if r < 0.5 and registered.code != exclude:
            fac, route = registered, "1.1"
        elif r < 0.78:
            fac, route = _pick(rng, world.in_province(prov, "district", "commune"), exclude,
                               registered.code), "1.2"
        elif r < 0.93:
            fac, route = _pick(rng, world.in_province(prov, "provincial", "central"),
                               exclude), "1.3"
            referred = registered.code
        elif r < 0.97:
            other = [f for f in world.facilities if f.tier == "district" and f.province != prov]
            fac, route = _pick(rng, other, exclude), "3.3"
        else:
            fac, route = _pick(rng, world.in_province(prov, "district", "provincial"),
                               exclude), "2"
        return Visit(person, fac, route, referred, False)
    if r < 0.15:
        fac, route = _pick(rng, world.in_province(prov, "district", "provincial", "central"),
                           exclude), "2"
    elif r < 0.55:
        fac = _pick(rng, world.in_province(prov, "district"), exclude)
        route = "1.1" if fac.code == registered.code else "1.2"
    elif r < 0.85:
        fac, route = _pick(rng, world.in_province(prov, "provincial", "central"), exclude), "1.3"
        referred = registered.code
    elif r < 0.93:
        other = [f for f in world.facilities if f.tier == "provincial" and f.province != prov]
        fac, route = _pick(rng, other, exclude), "3.2"
    else:
        central = [f for f in world.facilities if f.tier == "central" and f.province != prov]
        fac, route = _pick(rng, central, exclude), "3.1"
    return Visit(person, fac, route, referred, True)


def _pick(rng: random.Random, options: list[Facility], *avoid: str | None) -> Facility:
    usable = [f for f in options if f.code not in avoid] or options
    return rng.choice(usable)


def build_claim(rng: random.Random, catalog: Catalog, visit: Visit, paid: datetime) -> Draft:
    """A clean claim for ``visit`` settled (NGAY_TTOAN) at ``paid``; no claim_id yet."""
    lines = LineMaker(rng, catalog, visit.facility)
    age = (paid.date() - visit.person.birth).days // 365
    if visit.inpatient:
        times, icd, extra, dept = _inpatient(rng, catalog, lines, visit, paid, age)
    else:
        times, icd, extra, dept = _outpatient(rng, lines, paid, age)
    admitted, inpatient_from, discharged = times
    person, fac = visit.person, visit.facility
    card = person.card
    days = (discharged.date() - admitted.date()).days + 1 if visit.inpatient else 0
    header = {
        "ma_bn": f"SIM{person.person_key}",
        "ho_ten": person.name,
        "so_cccd": person.citizen_id,
        "ngay_sinh": datetime(person.birth.year, person.birth.month, person.birth.day),
        "gioi_tinh": person.sex,
        "ma_the_bhyt": card["card_no"],
        "ma_dkbd": card["registered_facility"],
        "gt_the_tu": card["valid_from"],
        "gt_the_den": card["valid_to"],
        "ngay_mien_cct": None,
        "nam_nam_lien_tuc": card["five_year_date"],
        "ma_benh_chinh": icd,
        "ma_benh_kt": extra,
        "ma_doituong_kcb": visit.route,
        "ma_loai_kcb": "03" if visit.inpatient else "01",
        "ma_noi_di": visit.referred_from,
        "giay_chuyen_tuyen": f"{rng.randint(1, 9999)}/{paid.year}/GCT"
        if visit.referred_from else None,
        "ngay_vao": admitted,
        "ngay_vao_noi_tru": inpatient_from,
        "ngay_ra": discharged,
        "ngay_ttoan": paid,
        "so_ngay_dtri": days,
        "ket_qua_dtri": rng.choices((1, 2, 3), (3, 6, 1))[0],
        "ma_loai_rv": 2 if visit.inpatient and rng.random() < 0.03 else 1,
        "ma_khoa": dept,
        "can_nang": _weight(rng, age),
        "t_thuoc": 0.0, "t_vtyt": 0.0, "t_tongchi_bv": 0.0, "t_tongchi_bh": 0.0, "t_bntt": 0.0,
        "t_bncct": 0.0, "t_bhtt": 0.0, "t_nguonkhac": 0.0, "t_bhtt_gdv": 0.0,
        "nam_qt": paid.year,
        "thang_qt": paid.month,
    }
    claim = {
        "facility": fac.code,
        "claim_id": "",  # see Draft.name
        "version": 1,
        "submitted_at": None,  # set by the scheduler
        "sent_at": None,  # received live (set only for a backfilled claim)
        "source_standard": "SIMULATED",
        "person_key": person.person_key,
        "content_hash": "",
        "header": header,
        "drugs": lines.drugs,
        "services": lines.services,
        "lab_results": lines.results,
        "clinical_notes": days + rng.randint(0, days) if visit.inpatient else 0,
    }
    draft = Draft(claim, visit)
    draft.refinalize()
    return draft


def _weight(rng: random.Random, age: int) -> float | None:
    if rng.random() < 0.2:
        return None
    if age < 16:
        return round(3.5 + age * 2.8 + rng.uniform(-1.5, 3), 1)
    return round(rng.uniform(42, 82), 1)


def _outpatient(rng: random.Random, lines: LineMaker, paid: datetime, age: int
                ) -> tuple[tuple[datetime, datetime | None, datetime], str, str, str]:
    p: Outpatient = rng.choice(OUTPATIENT)
    icd = rng.choice(p.icd)
    consult = "kham_nhi" if age < 16 and p.consult == "kham_noi" else p.consult
    # Times as minutes after arrival, shifted once the end is known.
    t = rng.randint(5, 25)
    plan: list[tuple[str, str, int]] = [("svc", consult, t)]
    done = t + rng.randint(5, 15)
    n_labs = min(len(p.labs), rng.choice((0, 1, 1, 2, 3)))
    for key in rng.sample(p.labs, n_labs):
        plan.append(("lab", key, t + rng.randint(3, 10)))
        done = max(done, t + rng.randint(70, 120))
    if p.imaging and rng.random() < 0.35:
        plan.append(("lab", rng.choice(p.imaging), t + rng.randint(3, 10)))
        done = max(done, t + rng.randint(66, 90))
    # 3-8 lines in all: the consultation, tests, 1-4 drugs (every profile lists >= 3 drugs).
    n_drugs = min(max(rng.randint(1, 4), 3 - len(plan)), 8 - len(plan), len(p.drugs))
    days = 30 if icd in _CHRONIC else rng.choice((3, 5, 5, 7, 10))
    drug_at = done + rng.randint(3, 15)
    for key in rng.sample(p.drugs, n_drugs):
        plan.append(("rx", key, drug_at))
    end = drug_at + rng.randint(5, 25)
    discharged = paid - timedelta(minutes=rng.randint(0, 20))
    admitted = discharged - timedelta(minutes=end)
    for what, key, minute in plan:
        at = admitted + timedelta(minutes=minute)
        if what == "rx":
            lines.drug(key, days * rng.choice((1, 2, 2, 3)), "K01", at, None)
        elif what == "svc":
            lines.service(key, 1, "K01", at, at, None)
        else:
            lines.service(key, 1, "K01", at, at + timedelta(minutes=rng.randint(3, 20)),
                          at + timedelta(minutes=rng.randint(25, 55)))
    extra = ";".join(p.extra_icd) if p.extra_icd and rng.random() < 0.5 else ""
    return (admitted, None, discharged), icd, extra, "K01"


def _inpatient(rng: random.Random, catalog: Catalog, lines: LineMaker, visit: Visit,
               paid: datetime, age: int
               ) -> tuple[tuple[datetime, datetime | None, datetime], str, str, str]:
    idx = rng.choice(_CHILD_INPATIENT) if age < 16 else rng.randrange(len(INPATIENT) - 1)
    p: Inpatient = INPATIENT[idx]
    dept, bed = ("K26", "bed_pediatric") if age < 16 else (p.department, p.bed)
    nights = rng.choices(range(1, 13), (6, 10, 12, 12, 10, 8, 7, 5, 4, 3, 2, 2))[0]
    discharged = paid - timedelta(minutes=rng.randint(10, 120))
    day0 = datetime.combine(discharged.date() - timedelta(days=nights), datetime.min.time())
    admitted = day0 + timedelta(minutes=rng.randint(0, 20 * 60))
    ward_from = admitted + timedelta(minutes=rng.randint(20, 180))
    budget = rng.randint(10, 40)

    entry_dept = "K02" if visit.route == "2" else "K01"
    consult = "kham_nhi" if age < 16 else ("kham_ngoai" if p.surgery else "kham_noi")
    at = admitted + timedelta(minutes=rng.randint(5, 20))
    lines.service(consult, 1, entry_dept, at, at, None)
    bed_code = f"H{rng.randint(1, 120):03d}"
    for d in range(nights):
        at = ward_from + timedelta(minutes=10) if d == 0 else day0 + timedelta(days=d, hours=7)
        lines.bed(bed, dept, at, bed_code)
    first = ward_from + timedelta(minutes=rng.randint(15, 60))
    for key in p.labs:
        lines.service(key, 1, dept, first, first + timedelta(minutes=15),
                      first + timedelta(minutes=rng.randint(45, 120)))
    for key in p.imaging:
        lines.service(key, 1, dept, first, first + timedelta(minutes=30),
                      first + timedelta(minutes=rng.randint(40, 90)))
    if p.surgery:
        op = first + timedelta(minutes=rng.randint(90, 240))
        lines.service(p.surgery, 1, dept, op, op + timedelta(minutes=20),
                      op + timedelta(minutes=80), anaesthesia=1)
        for key in ("gloves", "gauze", "suture"):
            lines.supply(key, rng.randint(1, 4), dept, op)
    lines.supply("cannula", 1, dept, first)
    if nights >= 3 and rng.random() < 0.6:  # control tests mid-stay
        again = day0 + timedelta(days=nights // 2, hours=6, minutes=30)
        for key in [k for k in p.labs if k not in _ONCE_PER_STAY][:2]:
            lines.service(key, 1, dept, again, again + timedelta(minutes=10),
                          again + timedelta(minutes=70))
    iv_days = min(nights, rng.randint(2, 6))
    for d in range(nights):
        day_at = first + timedelta(minutes=30) if d == 0 else \
            day0 + timedelta(days=d, hours=8, minutes=rng.randint(0, 59))
        given = 0
        for key in p.iv_drugs if d < iv_days else ():
            if lines.count() >= budget:
                break
            lines.drug(key, _daily(rng, catalog.items[key]), dept, day_at,
                       day_at + timedelta(minutes=rng.randint(5, 40)))
            given += 1
        if given and lines.count() < budget:
            lines.supply(p.supplies[0], 2 * given, dept, day_at)
        for key in p.oral_drugs if d >= 1 else ():
            if lines.count() >= budget:
                break
            lines.drug(key, _daily(rng, catalog.items[key]), dept, day_at,
                       day_at + timedelta(minutes=rng.randint(5, 40)))
    # At least one drug and 10 lines: short stays get their first-day drugs itemised.
    more = (*p.oral_drugs, *p.iv_drugs)
    k = 0
    while not lines.drugs or lines.count() < 10:
        at = first + timedelta(minutes=40 + 5 * k)
        lines.drug(more[k % len(more)], _daily(rng, catalog.items[more[k % len(more)]]), dept,
                   at, at + timedelta(minutes=10))
        k += 1
    extra = ";".join(p.extra_icd) if p.extra_icd and rng.random() < 0.6 else ""
    return (admitted, ward_from, discharged), rng.choice(p.icd), extra, dept


def _daily(rng: random.Random, item: Item) -> float:
    """Quantity of one drug given in a day, by unit."""
    if item.kind != DRUG:
        return 1
    unit = item.unit
    if unit == "Lít":
        return rng.choice((480, 720, 1440))
    if unit in ("Viên", "Gói"):
        return rng.choice((2, 2, 3, 4))
    return rng.choice((1, 1, 2, 2, 3))
