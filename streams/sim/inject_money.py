"""Injectors for the card/benefit (CB02-CB08), money (MN02-MN06) and catalog (CT03-CT07) rules.

Each returns False, before changing anything that matters, when the draft cannot carry the
violation (wrong card level, route, visit type...): the scheduler then draws another visit.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from streams.sim.catalog import DRUG, SUPPLY, Catalog
from streams.sim.claims import Draft
from streams.sim.edit import code_of, lines, maker, other_bid
from streams.sim.money import LOW_COST_VND, finalize, header_totals, set_share

_SHARE = {3: 95.0, 4: 80.0}  # card levels paid below 100 % (money.py)
_OWN_RATE_ROUTES = ("3.1", "3.2")  # priced by CB07, not CB02/CB06


def benefit_above_level(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CB02: one line claimed between the card's share and 100 %."""
    share = _SHARE.get(draft.visit.person.benefit_level)
    if share is None or draft.header["ma_doituong_kcb"] in _OWN_RATE_ROUTES:
        return False
    rows = [r for _, r in lines(draft) if r["muc_huong"] == share and r["thanh_tien_bh"] >= 1000]
    if not rows:
        return False
    set_share(rng.choice(rows), rng.choice([s for s in (85.0, 90.0, 97.0, 98.0) if s > share]))
    header_totals(draft.claim)
    return True


def route_at_registered(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CB03: route 1.1 claimed at a facility that is not the card's registered one."""
    h = draft.header
    if h["ma_doituong_kcb"] != "1.2" or h["ma_noi_di"] or h["giay_chuyen_tuyen"] \
            or draft.claim["facility"] == draft.visit.person.card["registered_facility"]:
        return False
    h["ma_doituong_kcb"] = "1.1"
    return True


def referral_missing(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CB04: a referred visit without its referral paper."""
    if draft.header["ma_doituong_kcb"] != "1.3":
        return False
    draft.header["giay_chuyen_tuyen"] = None
    return True


def copay_while_exempt(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CB05: an exemption date before the visit, while the lines still carry a co-payment."""
    h = draft.header
    if h["ma_doituong_kcb"].startswith("3.") or not any(r["t_bncct"] > 5 for _, r in lines(draft)):
        return False
    day = h["ngay_vao"].date()
    h["ngay_mien_cct"] = max(date(day.year, 1, 1), day - timedelta(days=rng.randint(0, 90)))
    return True


def small_bill_copay(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CB06: a visit below 15 % of the base salary priced at the card's share, not 100 %."""
    v, h = draft.visit, draft.header
    share = _SHARE.get(v.person.benefit_level)
    if share is None or h["ma_doituong_kcb"] in _OWN_RATE_ROUTES \
            or h["t_tongchi_bh"] >= LOW_COST_VND - 1000 or h["t_tongchi_bh"] < 1000:
        return False
    finalize(draft.claim, v.person.benefit_level, v.facility.tier, v.route, share=share)
    return True


def off_route_rate(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CB07: one line of an off-route inpatient stay claimed at 100 %."""
    if draft.header["ma_doituong_kcb"] not in _OWN_RATE_ROUTES:
        return False
    rows = [r for _, r in lines(draft) if r["muc_huong"] < 100 and r["thanh_tien_bh"] >= 1000]
    if not rows:
        return False
    set_share(rng.choice(rows), 100.0)
    header_totals(draft.claim)
    return True


def card_replaced(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CB08: the claim names the card the registry knows was replaced."""
    old = draft.visit.person.old_card
    if old is None:
        return False
    draft.header["ma_the_bhyt"] = old["card_no"]
    return True


def fund_share_above(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """MN02: one line's T_BHTT above its share; the header follows the lines (MN01 silent)."""
    rows = [r for _, r in lines(draft) if r["t_bhtt"] > 0]
    rng.choice(rows)["t_bhtt"] += rng.choice((10.0, 100.0, 1000.0, 5000.0))
    header_totals(draft.claim)
    return True


def amount_formula(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """MN03: one line's THANH_TIEN_BV above the formula, the patient's part carrying it."""
    _, row = rng.choice(list(lines(draft)))
    extra = rng.choice((10.0, 100.0, 1000.0, 5000.0))
    row["thanh_tien_bv"] += extra
    row["t_bntt"] += extra
    header_totals(draft.claim)
    return True


def line_split(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """MN04: one line's patient part too large, so its split exceeds THANH_TIEN_BV."""
    _, row = rng.choice(list(lines(draft)))
    row["t_bntt"] += rng.choice((10.0, 100.0, 1000.0, 5000.0))
    header_totals(draft.claim)
    return True


def header_split(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """MN05: three header parts each off by less than the tolerance, together by more."""
    h = draft.header
    for name in ("t_bntt", "t_bncct", "t_nguonkhac"):
        h[name] = round(h[name] + 0.6, 2)
    return True


def fee_for_service_total(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """MN06: T_BHTT_GDV no longer the sum of the fee-for-service lines."""
    h = draft.header
    if h["t_bhtt_gdv"] <= 0:
        return False
    h["t_bhtt_gdv"] = round(h["t_bhtt_gdv"] + rng.choice((10.0, 100.0, 1000.0, 5000.0)), 2)
    return True


def _with_bid(rng: random.Random, draft: Draft, catalog: Catalog, facility_row: bool) -> bool:
    fac = draft.claim["facility"]
    rows = [(kind, r) for kind, r in lines(draft) if kind in (DRUG, SUPPLY) and r["tt_thau"]
            and ((fac, kind, code_of(kind, r)) in catalog.by_facility) == facility_row]
    if not rows:
        return False
    _, row = rng.choice(rows)
    bid = other_bid(rng, row["tt_thau"])
    if bid is None:
        return False
    row["tt_thau"] = bid
    return True


def not_approved(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CT03: a nationally listed item bought under another bid than the centralised one."""
    return _with_bid(rng, draft, catalog, False)


def tender_malformed(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CT04: a drug's TT_THAU without package, group and year."""
    row = rng.choice(draft.claim["drugs"])
    row["tt_thau"] = f"{rng.randint(100, 2999)}/QĐ-BV"
    return True


def tender_mismatch(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CT05: an item with a facility row billed under another bid than the approved one."""
    return _with_bid(rng, draft, catalog, True)


def supply_ceiling(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CT06: a supply line with a payment ceiling below its T_BHTT."""
    rows = [r for kind, r in lines(draft) if kind == SUPPLY and r["t_bhtt"] >= 100]
    if not rows:
        return False
    row = rng.choice(rows)
    row["t_trantt"] = round(row["t_bhtt"] * rng.uniform(0.3, 0.8), 2)
    return True


def included_item(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CT07: ventilation (whose price includes oxygen) and oxygen billed on the same day."""
    h = draft.header
    if h["ngay_vao_noi_tru"] is None:
        return False
    at = h["ngay_vao_noi_tru"] + timedelta(minutes=30)
    lm = maker(rng, catalog, draft)
    lm.service("ventilation", 1, h["ma_khoa"], at, at + timedelta(minutes=10), None)
    lm.drug("oxy", rng.choice((240, 480, 720)), h["ma_khoa"], at + timedelta(minutes=5),
            at + timedelta(minutes=15))
    draft.refinalize()
    return True
