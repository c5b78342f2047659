"""CB07: a self-referred off-route visit is claimed above its off-route rate.

Why:
    Off-route care is paid at a share of the benefit that depends on the facility's level and on
    inpatient vs outpatient (Law on HI Art. 22(3) as amended in 2014): central hospitals 40 % of
    inpatient costs, provincial hospitals 100 % of inpatient costs since 01/01/2021, and nothing
    for off-route outpatient care at either (VSS blocking error 101). MUC_HUONG on the line is
    the product, e.g. 80 × 40 % = 32.

Anti-pattern:
    Guessing the facility's level from its name or code: the claim does not carry it. The route
    code does: 3.1 is off route at central level, 3.2 off route at provincial level (QĐ 824/QĐ-BYT
    PL2), so the rates are keyed by route code and visit type, as versioned data.

Best practice:
    allowed = round(benefit × rate / 100), where benefit is the card level's share, or 100 when the
    visit costs less than 15 % of the base salary (that exception is part of the benefit the rate
    applies to), and rate comes from the table for the route and inpatient (MA_LOAI_KCB 03/04/09)
    or outpatient. A line above it is rejected for THANH_TIEN_BH × (MUC_HUONG − allowed)/100;
    off-route outpatient lines at rate 0 lose their whole fund share. Other routes are CB02's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._card import card_level
from rules.context import Context

META = RuleMeta(
    code="CB07",
    name="card.off_route_rate_exceeded",
    title="Off-route visit claimed above its off-route rate",
    family="card",
    severity=Severity.PARTIAL,
    legal_basis=(
        "Law on HI 25/2008/QH12 as amended by 46/2014/QH13, Art. 22(3); QĐ 824/QĐ-BYT PL2 "
        "(MA_DOITUONG_KCB 3.x); VSS blocking errors 47-56 and 101"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("rates", "levels", "inpatient_types", "base_salary_vnd", "small_bill_share",
                 "tolerance_vnd"),
)


class OffRouteRate(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        values = p.values
        route = header["ma_doituong_kcb"]
        rates = values["rates"].get(route)
        if rates is None:
            return NO_HITS
        level = card_level(header["ma_the_bhyt"])
        share = values["levels"].get(level)
        if share is None:
            return NO_HITS
        inpatient = header["ma_loai_kcb"] in values["inpatient_types"]
        rate = rates["inpatient" if inpatient else "outpatient"]
        threshold = values["base_salary_vnd"] * values["small_bill_share"]
        small_bill = header["t_tongchi_bh"] < threshold
        benefit = 100.0 if small_bill else float(share)
        allowed = float(round(benefit * rate / 100))
        tolerance = values["tolerance_vnd"]
        hits: list[Hit] = []
        for table, lines in (("XML2", ctx.claim["drugs"]), ("XML3", ctx.claim["services"])):
            for line in lines:
                muc = line["muc_huong"]
                if muc <= allowed:
                    continue
                excess = round(line["thanh_tien_bh"] * (muc - allowed) / 100, 2)
                if excess <= tolerance:
                    continue
                inputs = {
                    "ma_doituong_kcb": route,
                    "visit": "inpatient" if inpatient else "outpatient",
                    "route_rate": f"{rate:g}",
                    "benefit_level": str(level),
                    "benefit_share": f"{benefit:g}",
                    "small_bill": str(small_bill).lower(),
                    "allowed_share": f"{allowed:g}",
                    "muc_huong": f"{muc:g}",
                    "thanh_tien_bh": money(line["thanh_tien_bh"]),
                }
                over = money(excess)
                message = (
                    f"Off-route ({route}) {inputs['visit']} line claimed at {muc:g} %; the rate "
                    f"is {rate:g} % of a {benefit:g} % benefit = {allowed:g} %. The fund is "
                    f"asked {over} VND too much."
                )
                message_vi = (
                    f"Dòng {'nội trú' if inpatient else 'ngoại trú'} trái tuyến ({route}) đề "
                    f"nghị mức hưởng {muc:g} %; tỷ lệ hưởng trái tuyến là {rate:g} % của mức "
                    f"hưởng {benefit:g} % = {allowed:g} %. Đề nghị quỹ BHYT thanh toán vượt "
                    f"{over} VND."
                )
                hits.append(META.hit(p, message, amount=excess, inputs=inputs, table=table,
                                     line=line["stt"], message_vi=message_vi,
                                     threshold=f"{allowed:g} %"))
        return hits
