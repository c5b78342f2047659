"""MN04: a line's split T_BNTT + T_BNCCT + T_BHTT + T_NGUONKHAC differs from THANH_TIEN_BV.

Why:
    Every đồng of a line's hospital amount is paid by someone: the patient outside the HI scope
    (T_BNTT), the patient's co-payment (T_BNCCT), the fund (T_BHTT) or other funding
    (T_NGUONKHAC), and the four add up to THANH_TIEN_BV (QĐ 130/QĐ-BYT as amended by QĐ 4750,
    XML2/XML3; VSS blocking errors 5, 41, 45). A split that does not add up bills someone for
    money that is not part of the care, or leaves part of it unaccounted.

Anti-pattern:
    Reporting one defect under several codes: a T_BHTT raised without lowering another part also
    breaks the split, but the fund's excess is MN02's; a wrong THANH_TIEN_BV next to a correct
    split is MN03's. Or rejecting fund money when the fund's part is right.

Best practice:
    Check each line with a tolerance for rounding. Leave to MN02 a line whose imbalance is its
    T_BHTT above the recomputed fund share, and to MN03 a line whose parts add up to the
    THANH_TIEN_BV the formula gives. What remains is a patient-side or other-funding error:
    warn, one hit per line, amount = the imbalance. The header form of the identity is MN05.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, Record, RuleMeta, Severity, money
from rules.catalogue._money import MONEY_EPS, fund_share
from rules.context import Context

META = RuleMeta(
    code="MN04",
    name="money.line_split_mismatch",
    title="Line T_BNTT + T_BNCCT + T_BHTT + T_NGUONKHAC differ from THANH_TIEN_BV (±1 VND)",
    family="money",
    severity=Severity.WARNING,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML2/XML3 T_BNTT, T_BNCCT, T_BHTT, "
        "T_NGUONKHAC; VSS blocking errors 5, 41, 45"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("tolerance_vnd",),
)


def split_sum(line: Record) -> float:
    total: float = line["t_bntt"] + line["t_bncct"] + line["t_bhtt"] + line["t_nguonkhac"]
    return total


class LineSplit(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        tol = p.values["tolerance_vnd"] + MONEY_EPS
        low = -tol  # d > tol or d < low: cheaper than abs(d) > tol in this hot loop
        hits: list[Hit] = []
        for table, lines in (("XML2", ctx.claim["drugs"]), ("XML3", ctx.claim["services"])):
            for line in lines:  # split_sum inlined: this loop runs for every line of every claim
                d = (line["t_bntt"] + line["t_bncct"] + line["t_bhtt"] + line["t_nguonkhac"]
                     - line["thanh_tien_bv"])
                if d > tol or d < low:
                    hit = _hit(p, table, line)
                    if hit is not None:
                        hits.append(hit)
        return hits or NO_HITS


def _hit(p: Params, table: str, line: Record) -> Hit | None:
    tol = p.values["tolerance_vnd"] + MONEY_EPS
    parts = split_sum(line)
    imbalance = parts - line["thanh_tien_bv"]
    if table == "XML2":
        price, bv = line["don_gia"], line["so_luong"] * line["don_gia"]
    else:
        price = line["don_gia_bh"]
        bv = line["so_luong"] * line["don_gia_bv"] * line["tyle_tt_dv"] * 0.01
    fund_excess = line["t_bhtt"] - fund_share(line, price)
    if fund_excess > tol and abs(imbalance - fund_excess) <= tol:
        return None  # the fund's excess explains it: MN02's
    if abs(parts - bv) <= tol:
        return None  # the split fits the formula, THANH_TIEN_BV does not: MN03's
    inputs = {
        "thanh_tien_bv": money(line["thanh_tien_bv"]),
        "t_bntt": money(line["t_bntt"]),
        "t_bncct": money(line["t_bncct"]),
        "t_bhtt": money(line["t_bhtt"]),
        "t_nguonkhac": money(line["t_nguonkhac"]),
        "parts": money(parts),
        "imbalance": money(imbalance),
        "tolerance_vnd": f"{p.values['tolerance_vnd']:g}",
    }
    total, bv_text, off = inputs["parts"], inputs["thanh_tien_bv"], inputs["imbalance"]
    message = (
        f"Line split T_BNTT + T_BNCCT + T_BHTT + T_NGUONKHAC = {total} VND but "
        f"THANH_TIEN_BV = {bv_text} VND ({off} VND off)."
    )
    message_vi = (
        f"Tổng T_BNTT + T_BNCCT + T_BHTT + T_NGUONKHAC của dòng = {total} VND nhưng "
        f"THANH_TIEN_BV = {bv_text} VND (lệch {off} VND)."
    )
    return META.hit(p, message, amount=abs(imbalance), inputs=inputs, table=table,
                    line=line["stt"], message_vi=message_vi,
                    threshold=f"±{inputs['tolerance_vnd']} VND")
