"""Money of a claim: line amounts, benefit level (MUC_HUONG) and header totals.

Identities (docs/claim-standard.md, "Money identities"; rule MN01), every value rounded to 2
decimals on the line and header totals summed from the rounded line values:
  drugs:    THANH_TIEN_BV = SO_LUONG × DON_GIA;
            THANH_TIEN_BH = SO_LUONG × DON_GIA × TYLE_TT_BH/100
  services: THANH_TIEN_BV = SO_LUONG × DON_GIA_BV × TYLE_TT_DV/100;
            THANH_TIEN_BH = SO_LUONG × DON_GIA_BH × TYLE_TT_BH/100
  T_BHTT = THANH_TIEN_BH × MUC_HUONG/100; T_BNCCT = THANH_TIEN_BH − T_BHTT;
  T_BNTT = THANH_TIEN_BV − THANH_TIEN_BH; T_NGUONKHAC = 0.
"""

from __future__ import annotations

from typing import Any

# 15 % of the 2,340,000 VND base salary (07/2024): cheaper visits are paid at 100 % (Art. 22).
LOW_COST_VND = 351_000.0
SUPPLY_GROUPS = frozenset({10, 11})
_BENEFIT = {1: 100.0, 2: 100.0, 3: 95.0, 4: 80.0, 5: 100.0}


def benefit_percent(level: int, tier: str, route: str, total_bh: float) -> float:
    """MUC_HUONG for a visit: benefit digit × route factor, with the 100 % exceptions."""
    if route == "3.1":  # off route at a central hospital, inpatient: 40 % of the benefit
        return float(round(_BENEFIT[level] * 0.4))
    if tier == "commune" or total_bh < LOW_COST_VND:
        return 100.0
    return _BENEFIT[level]


def finalize(claim: dict[str, Any], level: int, tier: str, route: str,
             share: float | None = None) -> None:
    """Fill every line amount and header total of ``claim`` from quantities and prices.
    ``share`` forces MUC_HUONG (injectors use it to break a benefit rule on purpose)."""
    drugs, services = claim["drugs"], claim["services"]
    total_bh = 0.0
    for d in drugs:
        q, price = d["so_luong"], d["don_gia"]
        d["thanh_tien_bv"] = round(q * price, 2)
        d["thanh_tien_bh"] = bh = round(q * price * d["tyle_tt_bh"] / 100, 2)
        total_bh += bh
    for s in services:
        q = s["so_luong"]
        s["thanh_tien_bv"] = round(q * s["don_gia_bv"] * s["tyle_tt_dv"] / 100, 2)
        s["thanh_tien_bh"] = bh = round(q * s["don_gia_bh"] * s["tyle_tt_bh"] / 100, 2)
        total_bh += bh
    muc = benefit_percent(level, tier, route, total_bh) if share is None else share
    for rows in (drugs, services):
        for r in rows:
            set_share(r, muc)
    header_totals(claim)


def set_share(r: dict[str, Any], muc: float) -> None:
    """MUC_HUONG of one line and the split that follows from it."""
    bv, bh = r["thanh_tien_bv"], r["thanh_tien_bh"]
    bhtt = round(bh * muc / 100, 2)
    r["muc_huong"] = muc
    r["t_bhtt"] = bhtt
    r["t_bncct"] = round(bh - bhtt, 2)
    r["t_bntt"] = round(bv - bh, 2)
    r["t_nguonkhac"] = 0.0


def header_totals(claim: dict[str, Any]) -> None:
    """Header totals summed from the line values as they stand."""
    drugs, services = claim["drugs"], claim["services"]
    t_thuoc = t_vtyt = t_bv = t_bh = t_bntt = t_bncct = t_bhtt = t_gdv = t_other = 0.0
    for rows, is_drug in ((drugs, True), (services, False)):
        for r in rows:
            bv, bh, bhtt = r["thanh_tien_bv"], r["thanh_tien_bh"], r["t_bhtt"]
            bncct, bntt = r["t_bncct"], r["t_bntt"]
            if is_drug:
                t_thuoc += bv
            elif r["ma_nhom"] in SUPPLY_GROUPS:
                t_vtyt += bv
            t_bv += bv
            t_bh += bh
            t_bntt += bntt
            t_bncct += bncct
            t_bhtt += bhtt
            t_other += r["t_nguonkhac"]
            if r["ma_pttt"] == 1:
                t_gdv += bhtt
    h = claim["header"]
    h["t_thuoc"] = round(t_thuoc, 2)
    h["t_vtyt"] = round(t_vtyt, 2)
    h["t_tongchi_bv"] = round(t_bv, 2)
    h["t_tongchi_bh"] = round(t_bh, 2)
    h["t_bntt"] = round(t_bntt, 2)
    h["t_bncct"] = round(t_bncct, 2)
    h["t_bhtt"] = round(t_bhtt, 2)
    h["t_nguonkhac"] = round(t_other, 2)
    h["t_bhtt_gdv"] = round(t_gdv, 2)
