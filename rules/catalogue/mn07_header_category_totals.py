"""MN07: header totals differ from their lines where the fund's amount is not at stake.

Why:
    Every XML1 total is the sum of a line field (QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT).
    Exporters often fill T_THUOC with the HI-covered drug amounts instead of the hospital's, or
    split the patient's share between T_BNCCT (co-payment) and T_BNTT (outside scope) otherwise
    than their lines, while the fund's amount T_BHTT agrees with the lines. The claim then
    contradicts itself in figures the fund does not pay from; the statistics built on those
    totals are wrong, so the facility must correct them, but no money is rejected for it.

Anti-pattern:
    Rejecting the whole claim for a category or split difference (what MN01 used to do), or
    saying nothing, so the facility never learns its exporter fills a total wrong.

Best practice:
    Recompute every total from the lines; when T_BHTT is within ±``tolerance_vnd`` of its lines or
    below them (a header below its lines claims less than it could: no money at stake), warn
    once for the claim with every total that is off, each with header value, line sum and
    difference. An excess T_BHTT is MN01's, which rejects that excess.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._money import MONEY_EPS
from rules.catalogue._totals import TOTALS, line_sums, off_totals
from rules.context import Context

META = RuleMeta(
    code="MN07",
    name="money.header_category_totals_mismatch",
    title="Header category or split totals differ from the sum of lines (±1 VND)",
    family="money",
    severity=Severity.WARNING,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML1 fields T_THUOC, T_VTYT, T_TONGCHI_BV, "
        "T_TONGCHI_BH, T_BHTT, T_BNCCT, T_BNTT, T_NGUONKHAC"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("tolerance_vnd",),
)


class HeaderCategoryTotals(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        sums = line_sums(ctx.claim)
        limit = p.values["tolerance_vnd"] + MONEY_EPS
        if header["t_bhtt"] - sums["t_bhtt"] > limit:
            return NO_HITS  # the fund is asked too much: MN01 rejects the excess
        off = off_totals(header, sums, TOTALS, limit)
        if not off:
            return NO_HITS
        tolerance = f"{p.values['tolerance_vnd']:g}"
        inputs = {"tolerance_vnd": tolerance}
        listed, listed_vi = [], []
        for name, claimed, total in off:
            on_header, on_lines = money(claimed), money(total)
            inputs[name] = f"header={on_header} lines={on_lines} diff={money(claimed - total)}"
            listed.append(f"{name.upper()} {on_header} vs {on_lines}")
            listed_vi.append(f"{name.upper()} {on_header}, tổng các dòng {on_lines}")
        message = (f"Header totals do not match the lines (the fund's amount is not at stake): "
                   f"{', '.join(listed)}.")
        message_vi = ("Tổng tiền ở XML1 không khớp với tổng các dòng chi tiết (không ảnh hưởng "
                      f"số tiền quỹ thanh toán): {', '.join(listed_vi)}.")
        return (META.hit(p, message, amount=0.0, inputs=inputs, message_vi=message_vi,
                         threshold=f"±{tolerance} VND"),)
