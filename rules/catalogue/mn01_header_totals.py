"""MN01: the header totals of XML1 differ from the sums of the lines.

Why:
    XML1 totals are defined as sums over the XML2/XML3 lines (QĐ 130/QĐ-BYT as amended by
    QĐ 4750/QĐ-BYT). When they disagree the claim contradicts itself and the fund cannot know
    which amount is being claimed; the social-security portal blocks such files (VSS blocking
    errors 4, 5, 31 and 34).

Anti-pattern:
    Paying the header amount without adding the lines up, or demanding exact float equality on
    money that was rounded line by line.

Best practice:
    Recompute every total from the lines in one pass and allow ±1 VND per total for rounding:
    T_THUOC = Σ drugs THANH_TIEN_BV; T_VTYT = Σ supply lines (MA_NHOM 10/11) THANH_TIEN_BV;
    T_TONGCHI_BV = Σ THANH_TIEN_BV and T_TONGCHI_BH = Σ THANH_TIEN_BH over drugs and services;
    T_BHTT, T_BNCCT, T_BNTT, T_NGUONKHAC = Σ of the same line field. One hit lists every total
    that is off (the claim is rejected once, not once per total); its inputs give header value,
    line sum and difference per total.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, SUPPLY_GROUPS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._money import MONEY_EPS
from rules.context import Context

META = RuleMeta(
    code="MN01",
    name="money.header_totals_mismatch",
    title="Header totals differ from the sum of lines (±1 VND)",
    family="money",
    severity=Severity.REJECT,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML1 fields T_THUOC…T_NGUONKHAC; "
        "VSS blocking errors 4, 5, 31, 34"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("tolerance_vnd",),
)

TOTALS = (
    "t_thuoc", "t_vtyt", "t_tongchi_bv", "t_tongchi_bh", "t_bhtt", "t_bncct", "t_bntt",
    "t_nguonkhac",
)


class HeaderTotals(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        claim = ctx.claim
        drugs_bv = bv = bh = bhtt = bncct = bntt = other = 0.0
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
        bv = drugs_bv + supplies_bv + services_bv
        sums = (drugs_bv, supplies_bv, bv, bh, bhtt, bncct, bntt, other)
        header = claim["header"]
        limit = p.values["tolerance_vnd"] + MONEY_EPS
        off = [
            (name, header[name], total)
            for name, total in zip(TOTALS, sums, strict=True)
            if abs(header[name] - total) > limit
        ]
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
        message = f"Header totals do not match the lines: {', '.join(listed)}."
        message_vi = ("Tổng tiền ở XML1 không khớp với tổng các dòng chi tiết: "
                      f"{', '.join(listed_vi)}.")
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi, threshold=f"±{tolerance} VND"),)
