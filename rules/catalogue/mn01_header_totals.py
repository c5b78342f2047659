"""MN01: the header asks the fund for more than its lines support.

Why:
    XML1 totals are defined as sums over the XML2/XML3 lines (QĐ 130/QĐ-BYT as amended by
    QĐ 4750/QĐ-BYT). The fund pays the header's T_BHTT; when it is larger than the lines' T_BHTT
    add up to, the difference is claimed without any line behind it (VSS blocking errors 4 and
    34). Real exporters also write headers that differ from their lines only in a category
    (T_THUOC equal to the HI-covered amounts instead of the hospital's) or only in how the
    patient's share is split between T_BNCCT and T_BNTT, while the fund's amount and the grand
    total agree: nothing of the fund is at stake there, and MN07 reports those with the figures.

Anti-pattern:
    Rejecting the whole claim for any header difference (a split-only difference then costs the
    facility every line it rightly claimed), paying the header amount without adding the lines
    up, or demanding exact float equality on money that was rounded line by line.

Best practice:
    Recompute the fund's amount T_BHTT from the lines (±``tolerance_vnd`` for rounding). When the
    header claims more, reject exactly the excess, header − lines, against the claim (a PARTIAL
    hit without a line). The inputs give the fund's amount and both grand totals (T_TONGCHI_BV,
    T_TONGCHI_BH) on the header and on the lines, so the appraiser sees whether the grand total
    is off too. A header that claims less than its lines costs the fund nothing: MN07 warns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._money import MONEY_EPS
from rules.catalogue._totals import line_sums
from rules.context import Context

META = RuleMeta(
    code="MN01",
    name="money.header_totals_mismatch",
    title="Header T_BHTT exceeds the sum of the lines' T_BHTT (±1 VND): the excess is rejected",
    family="money",
    severity=Severity.PARTIAL,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML1 fields T_TONGCHI_BV, T_TONGCHI_BH, "
        "T_BHTT; VSS blocking errors 4, 34"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("tolerance_vnd",),
)

SHOWN = ("t_bhtt", "t_tongchi_bh", "t_tongchi_bv")  # the fund's amount, then the grand totals


class HeaderTotals(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        sums = line_sums(ctx.claim)
        excess = header["t_bhtt"] - sums["t_bhtt"]
        if excess <= p.values["tolerance_vnd"] + MONEY_EPS:
            return NO_HITS
        tolerance = f"{p.values['tolerance_vnd']:g}"
        inputs = {"tolerance_vnd": tolerance}
        for name in SHOWN:
            inputs[name] = (f"header={money(header[name])} lines={money(sums[name])} "
                            f"diff={money(header[name] - sums[name])}")
        claimed, lines = money(header["t_bhtt"]), money(sums["t_bhtt"])
        message = (f"The header claims T_BHTT {claimed} from the fund, the lines add up to "
                   f"{lines}: the excess {money(excess)} has no line behind it.")
        message_vi = (f"XML1 đề nghị quỹ thanh toán T_BHTT {claimed}, tổng các dòng chi tiết là "
                      f"{lines}: phần chênh {money(excess)} không có dòng chi tiết nào.")
        return (META.hit(p, message, amount=excess, inputs=inputs, message_vi=message_vi,
                         threshold=f"±{tolerance} VND"),)
