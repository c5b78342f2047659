"""MN02: a line's T_BHTT is above the fund's share recomputed from quantity, price and benefit.

Why:
    The fund's amount on a line is fixed by the line itself (QĐ 130/QĐ-BYT as amended by QĐ 4750,
    XML2/XML3 T_BHTT): T_BHTT = SO_LUONG × price × TYLE_TT_BH/100 × MUC_HUONG/100, where price is
    DON_GIA for drugs and DON_GIA_BH for services and supplies. Other funding (T_NGUONKHAC) is
    taken from the patient's parts first and from the fund's last, so it can only lower T_BHTT.
    Anything above the recomputed share is money the fund does not owe (VSS blocking error 12).

Anti-pattern:
    Recomputing from THANH_TIEN_BH as sent (an inflated THANH_TIEN_BH then passes with the T_BHTT
    built on it), demanding equality (other funding and supply ceilings legitimately lower T_BHTT),
    or rejecting the whole line for an excess of a few đồng.

Best practice:
    Recompute the share from quantity and unit price, allow ±tolerance for rounding, and reject
    only the excess T_BHTT − share on that line. MUC_HUONG is taken as claimed here; whether the
    share itself is right is CB02/CB07's, so their excess and this one add up without overlap.
    The line identities that do not move fund money are MN03 (amount formulas) and MN04 (split).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, Record, RuleMeta, Severity, money
from rules.catalogue._money import MONEY_EPS, fund_share
from rules.context import Context

META = RuleMeta(
    code="MN02",
    name="money.line_fund_share_exceeded",
    title="Line T_BHTT above quantity × price × TYLE_TT_BH × MUC_HUONG (±1 VND)",
    family="money",
    severity=Severity.PARTIAL,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML2/XML3 T_BHTT and T_NGUONKHAC; "
        "VSS blocking error 12; TT 12/2026/TT-BTC Art. 10(1)(d)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("tolerance_vnd",),
)


class LineFundShare(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        tolerance = p.values["tolerance_vnd"] + MONEY_EPS
        hits: list[Hit] = []
        # fund_share inlined (x 1e-4 = /100 /100): these loops run for every line of every claim.
        for line in ctx.claim["drugs"]:
            if line["t_bhtt"] - line["so_luong"] * line["don_gia"] * line["tyle_tt_bh"] \
                    * line["muc_huong"] * 1e-4 > tolerance:
                hits.append(_hit(p, "XML2", line, line["don_gia"]))
        for line in ctx.claim["services"]:
            if line["t_bhtt"] - line["so_luong"] * line["don_gia_bh"] * line["tyle_tt_bh"] \
                    * line["muc_huong"] * 1e-4 > tolerance:
                hits.append(_hit(p, "XML3", line, line["don_gia_bh"]))
        return hits or NO_HITS


def _hit(p: Params, table: str, line: Record, price: float) -> Hit:
    share = round(fund_share(line, price), 2)
    excess = line["t_bhtt"] - share
    inputs = {
        "so_luong": f"{line['so_luong']:g}",
        "price": money(price),
        "tyle_tt_bh": f"{line['tyle_tt_bh']:g}",
        "muc_huong": f"{line['muc_huong']:g}",
        "fund_share": money(share),
        "t_bhtt": money(line["t_bhtt"]),
        "t_nguonkhac": money(line["t_nguonkhac"]),
        "tolerance_vnd": f"{p.values['tolerance_vnd']:g}",
    }
    claimed, allowed, over = inputs["t_bhtt"], inputs["fund_share"], money(excess)
    formula = (f"{inputs['so_luong']} × {inputs['price']} × {inputs['tyle_tt_bh']} % × "
               f"{inputs['muc_huong']} %")
    message = (
        f"Line T_BHTT {claimed} VND is above the fund's share {allowed} VND ({formula}) by "
        f"{over} VND."
    )
    message_vi = (
        f"T_BHTT của dòng {claimed} VND cao hơn phần quỹ BHYT chi trả {allowed} VND ({formula}) "
        f"là {over} VND."
    )
    return META.hit(p, message, amount=excess, inputs=inputs, table=table, line=line["stt"],
                    message_vi=message_vi, threshold=f"±{inputs['tolerance_vnd']} VND")
