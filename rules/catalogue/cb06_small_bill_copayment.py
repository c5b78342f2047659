"""CB06: a visit costing less than 15 % of the base salary is charged a co-payment.

Why:
    When one visit costs the fund's scope less than 15 % of the base salary, the fund pays it in
    full, whatever the card's level (Law on HI Art. 22(1)); with the base salary of 2,340,000 VND
    (from 01/07/2024) the threshold is 351,000 VND. A co-payment on such a visit is charged to the
    patient although the fund owes it.

Anti-pattern:
    A fixed 351,000 VND threshold (the base salary changes, and a claim is judged by the salary in
    force on its visit date), comparing the hospital total T_TONGCHI_BV instead of the HI total
    T_TONGCHI_BH, or applying the rule to off-route rates that are fixed shares of the benefit.

Best practice:
    Threshold = small_bill_share × base_salary_vnd of the parameter version in force on the visit
    date; when T_TONGCHI_BH is below it, every line must have T_BNCCT within the tolerance of 0.
    Routes whose off-route rate CB07 prices (3.1, 3.2) are left out. The patient, not the fund, is
    overcharged: one warning per claim for the co-payment charged. This version is in force for
    visits from 01/07/2025 (Law 51/2024/QH15 and NĐ 188/2025/NĐ-CP); the base salary is kept as
    versioned data from 2023 so earlier rule versions can be added without new parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.context import Context

META = RuleMeta(
    code="CB06",
    name="card.small_bill_copayment",
    title="Co-payment charged on a visit below 15 % of the base salary",
    family="card",
    severity=Severity.WARNING,
    legal_basis=(
        "Law on HI 25/2008/QH12 as amended by 46/2014/QH13 and 51/2024/QH15, Art. 22(1); "
        "NĐ 188/2025/NĐ-CP; NĐ 73/2024/NĐ-CP (base salary 2,340,000 VND from 01/07/2024)"
    ),
    effective_from=date(2025, 7, 1),
    param_names=("base_salary_vnd", "small_bill_share", "excluded_routes", "tolerance_vnd"),
)


class SmallBillCopayment(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        values = p.values
        threshold = values["base_salary_vnd"] * values["small_bill_share"]
        total_bh = header["t_tongchi_bh"]
        if total_bh >= threshold or header["ma_doituong_kcb"] in values["excluded_routes"]:
            return NO_HITS
        tolerance = values["tolerance_vnd"]
        charged: list[str] = []
        total = 0.0
        for table, lines in (("XML2", ctx.claim["drugs"]), ("XML3", ctx.claim["services"])):
            for line in lines:
                if line["t_bncct"] > tolerance:
                    charged.append(f"{table}:{line['stt']}")
                    total += line["t_bncct"]
        if not charged:
            return NO_HITS
        bill, limit, copay = money(total_bh), money(threshold), money(total)
        share = f"{values['small_bill_share']:.0%}"
        inputs = {
            "t_tongchi_bh": bill,
            "base_salary_vnd": money(values["base_salary_vnd"]),
            "small_bill_share": f"{values['small_bill_share']:g}",
            "threshold": limit,
            "ma_doituong_kcb": header["ma_doituong_kcb"],
            "lines": ",".join(charged),
            "t_bncct_charged": copay,
        }
        message = (
            f"The visit's HI total {bill} VND is below {limit} VND ({share} of the base salary), "
            f"so it is paid at 100 %, yet {len(charged)} line(s) charge {copay} VND co-payment."
        )
        message_vi = (
            f"Tổng chi phí trong phạm vi BHYT của lượt khám {bill} VND thấp hơn {limit} VND "
            f"({share} mức lương cơ sở) nên quỹ BHYT thanh toán 100 %, nhưng {len(charged)} "
            f"dòng vẫn thu {copay} VND tiền cùng chi trả."
        )
        return (META.hit(p, message, amount=total, inputs=inputs, message_vi=message_vi,
                         threshold=f"{limit} VND"),)
