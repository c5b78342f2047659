"""MN03: a line's THANH_TIEN_BV or THANH_TIEN_BH is not quantity × price × ratio (±1 VND).

Why:
    The two line amounts are defined by formulas (QĐ 130/QĐ-BYT as amended by QĐ 4750):
    drugs THANH_TIEN_BV = SO_LUONG × DON_GIA; services and supplies THANH_TIEN_BV = SO_LUONG ×
    DON_GIA_BV × TYLE_TT_DV/100; both THANH_TIEN_BH = SO_LUONG × price × TYLE_TT_BH/100 (price
    DON_GIA, resp. DON_GIA_BH). A line whose amounts break them cannot be settled as sent; the
    portal blocks it (VSS blocking errors 3 and 41/45).

Anti-pattern:
    Rejecting fund money for an amount that does not reach the fund: THANH_TIEN_BV is the
    hospital bill, and the fund pays on quantity and price (MN02). Or reporting one defect twice:
    a THANH_TIEN_BH inflated together with the T_BHTT built on it is fund money, and MN02 rejects
    it; this rule stays silent on that line.

Best practice:
    Check both formulas in both directions with a tolerance for rounding; leave lines whose T_BHTT
    already exceeds the recomputed fund share to MN02. What remains (hospital bill wrong, or an
    amount below the formula) moves no fund money and the patient's bill is wrong: warn, one hit
    per line, amount = the larger of the two differences.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, Record, RuleMeta, Severity, money
from rules.catalogue._money import MONEY_EPS, fund_share
from rules.context import Context

META = RuleMeta(
    code="MN03",
    name="money.line_amount_formula",
    title="Line THANH_TIEN_BV / THANH_TIEN_BH differ from quantity × price × ratio (±1 VND)",
    family="money",
    severity=Severity.WARNING,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML2/XML3 THANH_TIEN_BV and THANH_TIEN_BH; "
        "VSS blocking errors 3, 41, 45"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("tolerance_vnd",),
)


class LineAmountFormula(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        tol = p.values["tolerance_vnd"] + MONEY_EPS
        low = -tol  # d > tol or d < low: cheaper than abs(d) > tol in these hot loops
        hits: list[Hit] = []
        for line in ctx.claim["drugs"]:
            gross = line["so_luong"] * line["don_gia"]
            bv = gross - line["thanh_tien_bv"]
            bh = gross * line["tyle_tt_bh"] * 0.01 - line["thanh_tien_bh"]
            if bv > tol or bv < low or bh > tol or bh < low:
                hit = _hit(p, "XML2", line, gross, line["don_gia"])
                if hit is not None:
                    hits.append(hit)
        for line in ctx.claim["services"]:
            q = line["so_luong"]
            gross = q * line["don_gia_bv"] * line["tyle_tt_dv"] * 0.01
            bv = gross - line["thanh_tien_bv"]
            bh = q * line["don_gia_bh"] * line["tyle_tt_bh"] * 0.01 - line["thanh_tien_bh"]
            if bv > tol or bv < low or bh > tol or bh < low:
                hit = _hit(p, "XML3", line, gross, line["don_gia_bh"])
                if hit is not None:
                    hits.append(hit)
        return hits or NO_HITS


def _hit(p: Params, table: str, line: Record, bv: float, price: float) -> Hit | None:
    tol = p.values["tolerance_vnd"] + MONEY_EPS
    if line["t_bhtt"] - fund_share(line, price) > tol:
        return None  # fund money: MN02's
    bh = line["so_luong"] * price * line["tyle_tt_bh"] * 0.01
    off_bv = line["thanh_tien_bv"] - bv
    off_bh = line["thanh_tien_bh"] - bh
    wrong = [name for name, off in (("THANH_TIEN_BV", off_bv), ("THANH_TIEN_BH", off_bh))
             if abs(off) > tol]
    inputs = {
        "so_luong": f"{line['so_luong']:g}",
        "thanh_tien_bv": money(line["thanh_tien_bv"]),
        "expected_bv": money(bv),
        "thanh_tien_bh": money(line["thanh_tien_bh"]),
        "expected_bh": money(bh),
        "wrong": ",".join(wrong),
        "tolerance_vnd": f"{p.values['tolerance_vnd']:g}",
    }
    shown = [(name, money(line[name.lower()]), money(expected))
             for name, expected in (("THANH_TIEN_BV", bv), ("THANH_TIEN_BH", bh)) if name in wrong]
    diffs = "; ".join(f"{name} {actual} vs {expected}" for name, actual, expected in shown)
    diffs_vi = "; ".join(f"{name} {actual}, theo công thức là {expected}"
                         for name, actual, expected in shown)
    message = f"Line amounts do not follow quantity × price × ratio: {diffs}."
    message_vi = f"Thành tiền của dòng không đúng công thức số lượng × đơn giá × tỷ lệ: {diffs_vi}."
    amount = max(abs(off_bv), abs(off_bh))
    return META.hit(p, message, amount=amount, inputs=inputs, table=table, line=line["stt"],
                    message_vi=message_vi, threshold=f"±{inputs['tolerance_vnd']} VND")
