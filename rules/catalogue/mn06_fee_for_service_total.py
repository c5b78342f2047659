"""MN06: the header's T_BHTT_GDV differs from the fund amount of fee-for-service lines.

Why:
    T_BHTT_GDV is the fund's amount for lines paid fee-for-service (MA_PTTT = 1), kept apart from
    lines paid by capitation or DRG (QĐ 130/QĐ-BYT as amended by QĐ 4750, XML1;
    docs/claim-standard.md).
    The fund's budgets per payment method are settled from it, so a wrong value moves money
    between budgets even when T_BHTT itself is right.

Anti-pattern:
    Summing every line's T_BHTT (capitation and DRG lines are not fee-for-service), or reporting
    it again when T_BHTT itself differs from its lines, which MN01 already rejects.

Best practice:
    T_BHTT_GDV = Σ T_BHTT of the lines with MA_PTTT = 1 (±tolerance), checked only when the
    header T_BHTT matches its lines. A value of 0 is read as "not filled" while the parameter
    ``zero_means_not_filled`` is true: facilities not paid by several methods often leave it 0,
    and the field matters only where budgets are split. Reject the claim, as MN01 does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._money import MONEY_EPS
from rules.context import Context

META = RuleMeta(
    code="MN06",
    name="money.fee_for_service_total_mismatch",
    title="Header T_BHTT_GDV differs from Σ T_BHTT of MA_PTTT = 1 lines (±1 VND)",
    family="money",
    severity=Severity.REJECT,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML1 T_BHTT_GDV and XML2/XML3 MA_PTTT"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("tolerance_vnd", "fee_for_service_codes", "zero_means_not_filled"),
)


class FeeForServiceTotal(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        values = p.values
        gdv = header["t_bhtt_gdv"]
        if gdv == 0 and values["zero_means_not_filled"]:
            return NO_HITS
        methods = values["fee_for_service_codes"]
        fund = fee_for_service = 0.0
        for lines in (ctx.claim["drugs"], ctx.claim["services"]):
            for line in lines:
                fund += line["t_bhtt"]
                if line["ma_pttt"] in methods:
                    fee_for_service += line["t_bhtt"]
        tol = values["tolerance_vnd"] + MONEY_EPS
        if abs(gdv - fee_for_service) <= tol or abs(header["t_bhtt"] - fund) > tol:
            return NO_HITS  # balanced, or T_BHTT itself is off (MN01's)
        inputs = {
            "t_bhtt_gdv": money(gdv),
            "lines_fee_for_service": money(fee_for_service),
            "difference": money(gdv - fee_for_service),
            "t_bhtt": money(header["t_bhtt"]),
            "tolerance_vnd": f"{values['tolerance_vnd']:g}",
        }
        declared, on_lines = inputs["t_bhtt_gdv"], inputs["lines_fee_for_service"]
        codes = ",".join(str(m) for m in methods)
        message = (
            f"T_BHTT_GDV {declared} VND but the fee-for-service lines (MA_PTTT in {codes}) "
            f"claim {on_lines} VND."
        )
        message_vi = (
            f"T_BHTT_GDV {declared} VND nhưng các dòng thanh toán theo giá dịch vụ (MA_PTTT "
            f"thuộc {codes}) đề nghị {on_lines} VND."
        )
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi, threshold=f"±{inputs['tolerance_vnd']} VND"),)
