"""MN05: the header's T_TONGCHI_BV differs from T_BNTT + T_BNCCT + T_BHTT + T_NGUONKHAC.

Why:
    The claim's total cost must be fully split between the patient (outside scope and
    co-payment), the fund and other funding (QĐ 130/QĐ-BYT as amended by QĐ 4750, XML1;
    docs/claim-standard.md). A header that does not add up asks the payers for a different
    amount than the care cost; the portal blocks it (VSS blocking error 5, ±1 VND).

Anti-pattern:
    Reporting the same defect twice. A header total that differs from its lines (MN01, MN07) almost
    always also unbalances this identity, and a line whose own split is off (MN02/MN03/MN04)
    carries its imbalance into the header totals; one defect, one finding.

Best practice:
    Check the header identity (±tolerance). When it fails, stay silent if any of the five header
    totals differs from the sum of its line field (MN01 rejects the excess, MN07 warns) or any
    line's split is off (the line rules name the line). What is left is an imbalance no single
    line shows, e.g. rounding drift accumulated over many lines: reject the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._money import MONEY_EPS
from rules.context import Context

META = RuleMeta(
    code="MN05",
    name="money.header_split_mismatch",
    title="Header T_TONGCHI_BV differs from T_BNTT + T_BNCCT + T_BHTT + T_NGUONKHAC (±1 VND)",
    family="money",
    severity=Severity.REJECT,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML1 T_TONGCHI_BV, T_BNTT, T_BNCCT, T_BHTT, "
        "T_NGUONKHAC; VSS blocking error 5"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("tolerance_vnd",),
)

_PARTS = ("t_bntt", "t_bncct", "t_bhtt", "t_nguonkhac")


class HeaderSplit(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        tol = p.values["tolerance_vnd"] + MONEY_EPS
        parts = header["t_bntt"] + header["t_bncct"] + header["t_bhtt"] + header["t_nguonkhac"]
        total = header["t_tongchi_bv"]
        if abs(parts - total) <= tol:
            return NO_HITS
        sums = dict.fromkeys(("t_tongchi_bv", *_PARTS), 0.0)
        for line in (*ctx.claim["drugs"], *ctx.claim["services"]):
            line_parts = line["t_bntt"] + line["t_bncct"] + line["t_bhtt"] + line["t_nguonkhac"]
            if abs(line_parts - line["thanh_tien_bv"]) > tol:
                return NO_HITS  # a line's split is off: the line rules report it
            sums["t_tongchi_bv"] += line["thanh_tien_bv"]
            for name in _PARTS:
                sums[name] += line[name]
        if any(abs(header[name] - value) > tol for name, value in sums.items()):
            return NO_HITS  # the header does not match its lines: MN01's or MN07's
        inputs = {name: money(header[name]) for name in ("t_tongchi_bv", *_PARTS)}
        inputs["parts"] = money(parts)
        inputs["imbalance"] = money(parts - total)
        inputs["tolerance_vnd"] = f"{p.values['tolerance_vnd']:g}"
        split, bv = inputs["parts"], inputs["t_tongchi_bv"]
        message = (
            f"Header T_BNTT + T_BNCCT + T_BHTT + T_NGUONKHAC = {split} VND but "
            f"T_TONGCHI_BV = {bv} VND; every line balances within the tolerance, the "
            f"claim as a whole does not."
        )
        message_vi = (
            f"Tổng T_BNTT + T_BNCCT + T_BHTT + T_NGUONKHAC ở XML1 = {split} VND nhưng "
            f"T_TONGCHI_BV = {bv} VND; từng dòng đều cân đối trong mức sai số cho phép nhưng "
            f"toàn hồ sơ thì không."
        )
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi, threshold=f"±{inputs['tolerance_vnd']} VND"),)
