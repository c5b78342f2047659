"""The header totals of XML1 next to the sums of their lines, shared by MN01 (the fund's money
at stake) and MN07 (the other totals: categories and the patient's split).

Not a rule: the leading underscore keeps it out of the case files and the registry.
"""

from __future__ import annotations

from rules.base import SUPPLY_GROUPS, Record

TOTALS = (
    "t_thuoc", "t_vtyt", "t_tongchi_bv", "t_tongchi_bh", "t_bhtt", "t_bncct", "t_bntt",
    "t_nguonkhac",
)


def line_sums(claim: Record) -> dict[str, float]:
    """Each header total recomputed from the lines in one pass (QĐ 130 as amended by 4750):
    T_THUOC = Σ drugs THANH_TIEN_BV, T_VTYT = Σ supply lines (MA_NHOM 10/11) THANH_TIEN_BV,
    T_TONGCHI_BV/BH = Σ THANH_TIEN_BV/BH, the split fields Σ of the same line field."""
    drugs_bv = bh = bhtt = bncct = bntt = other = 0.0
    for line in claim["drugs"]:
        drugs_bv += line["thanh_tien_bv"]
        bh += line["thanh_tien_bh"]
        bhtt += line["t_bhtt"]
        bncct += line["t_bncct"]
        bntt += line["t_bntt"]
        other += line["t_nguonkhac"]
    supplies_bv = services_bv = 0.0
    for line in claim["services"]:
        if line["ma_nhom"] in SUPPLY_GROUPS:
            supplies_bv += line["thanh_tien_bv"]
        else:
            services_bv += line["thanh_tien_bv"]
        bh += line["thanh_tien_bh"]
        bhtt += line["t_bhtt"]
        bncct += line["t_bncct"]
        bntt += line["t_bntt"]
        other += line["t_nguonkhac"]
    return {"t_thuoc": drugs_bv, "t_vtyt": supplies_bv,
            "t_tongchi_bv": drugs_bv + supplies_bv + services_bv, "t_tongchi_bh": bh,
            "t_bhtt": bhtt, "t_bncct": bncct, "t_bntt": bntt, "t_nguonkhac": other}


def off_totals(header: Record, sums: dict[str, float], names: tuple[str, ...], limit: float
               ) -> list[tuple[str, float, float]]:
    """(total, header value, line sum) of the ``names`` that differ by more than ``limit``."""
    return [(n, header[n], sums[n]) for n in names if abs(header[n] - sums[n]) > limit]
