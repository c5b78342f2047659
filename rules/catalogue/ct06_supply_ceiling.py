"""CT06: a supply line claims more from the fund than its payment ceiling (T_TRANTT).

Why:
    Some medical supplies are paid only up to a ceiling (TT 04/2017/TT-BYT, replaced by TT
    24/2025/TT-BYT: e.g. at most 45 months' base salary for high-cost items); XML3 carries it as
    T_TRANTT. The part of the fund's amount above the ceiling is not the fund's to pay.

Anti-pattern:
    Rejecting the whole supply line, or comparing the hospital amount THANH_TIEN_BV (the patient
    pays the part above the ceiling, which is legitimate).

Best practice:
    When T_TRANTT is given (> 0), reject the excess T_BHTT − T_TRANTT beyond the tolerance on
    that line only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from operator import itemgetter

from rules.base import NO_HITS, SUPPLY_GROUPS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.context import Context

META = RuleMeta(
    code="CT06",
    name="catalog.supply_ceiling_exceeded",
    title="Supply T_BHTT above its payment ceiling (T_TRANTT)",
    family="catalog",
    severity=Severity.PARTIAL,
    legal_basis=(
        "TT 04/2017/TT-BYT → TT 24/2025/TT-BYT (supply payment ceilings); QĐ 130/QĐ-BYT as "
        "amended by QĐ 4750/QĐ-BYT, XML3 T_TRANTT"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("tolerance_vnd",),
)

_T_TRANTT = itemgetter("t_trantt")


class SupplyCeiling(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        services = ctx.claim["services"]
        if not any(map(_T_TRANTT, services)):
            return NO_HITS  # no ceiling on any line (C-speed scan: the usual case)
        tolerance = p.values["tolerance_vnd"]
        hits = []
        for line in services:
            ceiling = line["t_trantt"]
            if not ceiling or ceiling <= 0 or line["ma_nhom"] not in SUPPLY_GROUPS:
                continue
            excess = line["t_bhtt"] - ceiling
            if excess <= tolerance:
                continue
            code = line["ma_vat_tu"] or ""
            limit, claimed, over = money(ceiling), money(line["t_bhtt"]), money(excess)
            inputs = {"code": code, "t_trantt": limit, "t_bhtt": claimed, "excess": over}
            message = (f"supply {code} claims {claimed} VND from the fund, above its ceiling "
                       f"T_TRANTT {limit} VND by {over} VND.")
            message_vi = (f"Vật tư y tế {code} đề nghị quỹ BHYT thanh toán {claimed} VND, vượt "
                          f"mức trần thanh toán T_TRANTT {limit} VND là {over} VND.")
            hits.append(META.hit(p, message, amount=excess, inputs=inputs, table="XML3",
                                 line=line["stt"], message_vi=message_vi,
                                 threshold=f"{limit} VND"))
        return hits or NO_HITS
