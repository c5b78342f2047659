"""Injectors: turn a clean draft into one that breaks exactly one rule and nothing else.

Each injector keeps the rest of the claim consistent (money recomputed, times in order), so
the labelled code is the only one a correct rule engine reports. SB01 (a late ``submitted_at``),
XC01 (a second version) and XC02 (an overlapping stay elsewhere) involve submission times or a
second claim and are made by the scheduler with :func:`resubmission` and :func:`shift`; XC04,
XC05 and CB09 need other visits of the person and are made by ``streams.sim.cross``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from streams.sim import inject_care as care
from streams.sim import inject_money as cash
from streams.sim.catalog import DRUG, SERVICE, SUPPLY, Catalog
from streams.sim.claims import Draft
from streams.sim.money import SUPPLY_GROUPS

# Every rule code of the catalogue (tests keep this in step with rules.registry.all_rules()).
CODES = (
    "CB01", "CT01", "CT02", "MN01", "TM01", "XC01", "XC02", "SB01",
    "CL01", "CL02", "CL03", "CL04", "CL05", "CL06", "CL07", "CL08", "CL09", "CL10", "CL11",
    "CL12", "CL13", "ST01", "ST02",
    "CB02", "CB03", "CB04", "CB05", "CB06", "CB07", "CB08",
    "CT03", "CT04", "CT05", "CT06", "CT07",
    "MN02", "MN03", "MN04", "MN05", "MN06", "MN07",
    "XC04", "XC05", "CB09", "XC03",
)
# Codes needing an inpatient stay, or an outpatient visit (MA_LOAI_KCB 01), to be injected.
INPATIENT_ONLY = frozenset({"CB02", "CB05", "CB07", "CL01", "CL02", "CL03", "CL12", "CL13",
                            "CT06", "CT07", "CB09"})
OUTPATIENT_ONLY = frozenset({"TM01", "CB06", "CL04", "CL05", "CL06", "CL07", "XC04", "XC05",
                             "XC03"})
# Codes whose job makes two labelled claims (two stays of a person; two patients of one
# practitioner).
PAIRED = ("XC02", "XC03")
# Clean claims a job makes besides its labelled one(s) (XC05: the visits it goes over).
PARTNERS = {"XC01": 1, "XC04": 1, "XC05": 6, "CB09": 1}
Injector = Callable[[random.Random, Draft, Catalog], bool]


_HEADER_TIMES = ("ngay_vao", "ngay_vao_noi_tru", "ngay_ra", "ngay_ttoan")
_LINE_TIMES = ("ngay_yl", "ngay_th_yl", "ngay_kq")


def _card_expired(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """The card written on the claim ended before the visit (the registry card is unchanged)."""
    h = draft.header
    h["gt_the_den"] = h["ngay_vao"].date() - timedelta(days=rng.randint(1, 60))
    if h["gt_the_tu"] is None or h["gt_the_tu"] > h["gt_the_den"]:
        h["gt_the_tu"] = h["gt_the_den"] - timedelta(days=364)
    return True


def _row(rng: random.Random, draft: Draft) -> tuple[str, dict[str, Any]]:
    """A random line and its kind."""
    drugs, services = draft.claim["drugs"], draft.claim["services"]
    i = rng.randrange(len(drugs) + len(services))
    if i < len(drugs):
        return DRUG, drugs[i]
    row = services[i - len(drugs)]
    return (SUPPLY if row["ma_nhom"] in SUPPLY_GROUPS else SERVICE), row


def _not_in_catalog(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """One line billed with a code removed from the list before the period, or never listed."""
    kind, row = _row(rng, draft)
    item = rng.choice(catalog.expired[kind] + catalog.unlisted[kind])
    if kind == DRUG:
        row.update(ma_thuoc=item.code, ten_thuoc=item.name, don_gia=item.price,
                   tt_thau=item.tt_thau)
    elif kind == SUPPLY:
        row.update(ma_vat_tu=item.code, don_gia_bv=item.price, don_gia_bh=item.price,
                   tt_thau=item.tt_thau)
    else:
        row.update(ma_dich_vu=item.code, ma_nhom=item.ma_nhom, don_gia_bv=item.price,
                   don_gia_bh=item.price, ma_giuong=None)
    if kind != DRUG:
        row["ten"] = item.name
    row["don_vi_tinh"] = item.unit
    draft.refinalize()
    return True


def _price_above_approved(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """One line billed above the approved price valid on its date (facility's, else national)."""
    kind, row = _row(rng, draft)
    code = row["ma_thuoc"] if kind == DRUG else row["ma_vat_tu"] if kind == SUPPLY \
        else row["ma_dich_vu"]
    approved, _ = catalog.approved(draft.claim["facility"], catalog.item(kind, code))
    price = approved + max(500.0, round(approved * rng.uniform(0.05, 0.4), -2))
    if kind == DRUG:
        row["don_gia"] = price
    else:
        row["don_gia_bh"] = price
        row["don_gia_bv"] = max(row["don_gia_bv"], price)
    draft.refinalize()
    return True


def _header_off(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """The header asks the fund for more than its lines (by ≥ 10 VND): an amount counted in
    every header total with no line behind it, so the header's own split still adds up."""
    h = draft.header
    delta = rng.choice((10.0, 100.0, 1000.0, 2000.0, 5000.0, 50000.0))
    for name in ("t_tongchi_bv", "t_tongchi_bh", "t_bhtt"):
        h[name] = round(h[name] + delta, 2)
    return True


def _category_off(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """A header that differs from its lines only where the fund is not at stake, as real
    exporters write: T_THUOC with the HI-covered drug amounts, or the patient's share split
    otherwise between T_BNCCT and T_BNTT."""
    h, claim = draft.header, draft.claim
    covered = round(sum(r["thanh_tien_bh"] for r in claim["drugs"]), 2)
    if covered != h["t_thuoc"] and rng.random() < 0.5:
        h["t_thuoc"] = covered
        return True
    moved = min(h["t_bncct"], rng.choice((10.0, 100.0, 1000.0, 5000.0)))
    if moved < 10.0:
        return False
    h["t_bncct"], h["t_bntt"] = round(h["t_bncct"] - moved, 2), round(h["t_bntt"] + moved, 2)
    return True


def _discharge_before_admission(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """NGAY_RA typed before NGAY_VAO; orders stay after admission. Outpatient drafts only, and
    by less than the scheduler's 1 h gap, so the inverted interval touches no other visit."""
    h = draft.header
    if h["ma_loai_kcb"] != "01":
        return False
    h["ngay_ra"] = h["ngay_vao"] - timedelta(minutes=rng.randint(5, 50))
    return True


def resubmission(rng: random.Random, draft: Draft) -> Draft:
    """Version 2 of ``draft``: one quantity changed, money recomputed, everything else equal."""
    claim = draft.claim
    copy = {**claim, "header": dict(claim["header"]), "drugs": [dict(r) for r in claim["drugs"]],
            "services": [dict(r) for r in claim["services"]], "version": claim["version"] + 1}
    second = Draft(copy, draft.visit)
    # A drug quantity: more consultations, bed days or operations would break CL05/CL01/CL13.
    row = rng.choice(second.claim["drugs"])
    row["so_luong"] = row["so_luong"] + rng.randint(1, 5)
    second.refinalize()
    return second


def shift(draft: Draft, delta: timedelta) -> None:
    """Move every visit time of the claim by ``delta`` (settlement month follows)."""
    h = draft.header
    for name in _HEADER_TIMES:
        if h[name] is not None:
            h[name] = h[name] + delta
    for row in (*draft.claim["drugs"], *draft.claim["services"]):
        for name in _LINE_TIMES:
            if row.get(name) is not None:
                row[name] = row[name] + delta
    h["nam_qt"], h["thang_qt"] = h["ngay_ttoan"].year, h["ngay_ttoan"].month
    care.fit_bed_days(draft)


_INJECTORS: dict[str, Injector] = {
    "CB01": _card_expired, "CT01": _not_in_catalog, "CT02": _price_above_approved,
    "MN01": _header_off, "MN07": _category_off, "TM01": _discharge_before_admission,
    "CB02": cash.benefit_above_level, "CB03": cash.route_at_registered,
    "CB04": cash.referral_missing, "CB05": cash.copay_while_exempt,
    "CB06": cash.small_bill_copay, "CB07": cash.off_route_rate, "CB08": cash.card_replaced,
    "MN02": cash.fund_share_above, "MN03": cash.amount_formula, "MN04": cash.line_split,
    "MN05": cash.header_split, "MN06": cash.fee_for_service_total,
    "CT03": cash.not_approved, "CT04": cash.tender_malformed, "CT05": cash.tender_mismatch,
    "CT06": cash.supply_ceiling, "CT07": cash.included_item,
    "CL01": care.bed_days_exceed_stay, "CL02": care.short_stay_beds,
    "CL03": care.short_stay_type, "CL04": care.outpatient_bed,
    "CL05": care.extra_consultation, "CL06": care.long_outpatient, "CL07": care.long_supply,
    "CL08": care.repeated_test, "CL09": care.sex_mismatch, "CL10": care.age_mismatch,
    "CL11": care.times_out_of_order, "CL12": care.no_anaesthesia,
    "CL13": care.further_surgery, "ST01": care.practitioner_not_listed,
    "ST02": care.machine_missing,
}
# Codes an injector can produce on a single claim (see module docstring for the others).
SINGLE = tuple(code for code in CODES if code in _INJECTORS)


def inject(code: str, rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """Break rule ``code`` in ``draft``; False (draft unusable) when it cannot carry it."""
    injector = _INJECTORS.get(code)
    if injector is None:
        raise ValueError(f"code: {code!r} is not a single-claim injection; use one of {SINGLE}")
    return injector(rng, draft, catalog)
