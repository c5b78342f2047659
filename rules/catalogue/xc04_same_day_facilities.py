"""XC04: the same person has outpatient visits at several facilities on one calendar day.

Why:
    One card used for outpatient visits at two or more facilities on the same day is a classic
    sign of a lent card or of visits billed that did not happen; the card's visit history and the
    interval between visits are part of automatic appraisal (TT 12/2026/TT-BTC Art. 10(1)(h)),
    and "thẻ đi khám nhiều nơi trong ngày" is a standing item of the social-security control
    centre's warning lists.

Anti-pattern:
    Counting visits instead of facilities (two desks of one hospital on one day are one visit
    place and CL05's concern), counting inpatient stays (XC02 handles those), flagging the
    patient's legitimate path: a commune station that refers the patient on to the district
    hospital the same day, a transfer for medical reasons, or an emergency.

Best practice:
    Keep the person's recent visits in streaming state. For an outpatient claim (MA_LOAI_KCB in
    ``outpatient_types``) count the distinct facilities with an outpatient visit starting on the
    same calendar day as this one's NGAY_VAO, this facility included; warn at ``min_facilities``.
    Only the latest version of each earlier claim counts, and never an earlier version of this
    claim. Exceptions real appraisers accept, judged from this claim:
    - an emergency visit (MA_DOITUONG_KCB in ``exempt_routes``, "2"; 4210's MA_LYDO_VVIEN 2) is
      never flagged: it cannot wait for another facility's visit to be over;
    - the facility this claim names as referring it (MA_NOI_DI, a referral under route 1.3) is
      not counted: referred on the same day is the normal referral path;
    - when this visit ended in a transfer (MA_LOAI_RV in ``transfer_discharge_types``, 2 =
      transferred for medical reasons) visits elsewhere starting after it ended are not counted.
    Limits: the history keeps no route or referral of the earlier visits, so an earlier emergency
    visit, or an earlier visit that referred this patient without this claim naming it, still
    counts; the warning goes to a person, who sees both claims. The hit is on the claim that
    arrives second (the earlier claims are named in the inputs; their decisions are not amended).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from rules.base import NO_HITS, Hit, Params, Record, RuleMeta, Severity, money
from rules.catalogue._history import latest_visits
from rules.context import Context
from rules.cross_claim import PairRule

CODE = "XC04"
META = RuleMeta(
    code=CODE,
    name="cross_claim.same_day_outpatient_facilities",
    title="Outpatient visits of the same person at several facilities on the same day",
    family="cross_claim",
    severity=Severity.WARNING,
    legal_basis=(
        "TT 12/2026/TT-BTC Art. 10(1)(h) (interval between visits); Law on HI 25/2008/QH12 as "
        "amended by 46/2014/QH13 Art. 22 and 28 (routes, emergency, referral); card visit "
        "history (CV 1923/BHXH-CNTT)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("outpatient_types", "min_facilities", "exempt_routes",
                 "transfer_discharge_types"),
)


def same_day_visits(claim: Record, history: Sequence[Record],
                    values: Mapping[str, Any]) -> list[Record]:
    """Earlier outpatient visits at other facilities on ``claim``'s day that are not excused."""
    header = claim["header"]
    types = values["outpatient_types"]
    if header["ma_loai_kcb"] not in types or header["ma_doituong_kcb"] in values["exempt_routes"]:
        return []
    day: date = header["ngay_vao"].date()
    facility, referred_from = claim["facility"], header["ma_noi_di"]
    transferred = header["ma_loai_rv"] in values["transfer_discharge_types"]
    return [
        v for v in latest_visits(claim, history)
        if v["kind"] in types and v["admitted"].date() == day
        and v["facility"] not in (facility, referred_from)
        and not (transferred and v["admitted"] >= header["ngay_ra"])
    ]


class SameDayFacilities(PairRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        if not ctx.history:
            return NO_HITS
        others = same_day_visits(ctx.claim, ctx.history, p.values)
        facilities = sorted({v["facility"] for v in others})
        needed = p.values["min_facilities"]
        if len(facilities) + 1 < needed:
            return NO_HITS
        claim, header = ctx.claim, ctx.claim["header"]
        day = header["ngay_vao"].date()
        count = len(facilities) + 1
        others.sort(key=lambda v: v["admitted"])
        named = ", ".join(f"{v['facility']} ({v['claim_id']}, {v['admitted']:%H:%M})"
                          for v in others)
        inputs = {
            "day": day.isoformat(),
            "facility": claim["facility"],
            "admitted": header["ngay_vao"].isoformat(sep=" "),
            "ma_doituong_kcb": header["ma_doituong_kcb"],
            "ma_noi_di": header["ma_noi_di"] or "",
            "facilities": ",".join([claim["facility"], *facilities]),
            "other_claims": ",".join(f"{v['facility']}/{v['claim_id']}/v{v['version']}"
                                     for v in others),
            "t_bhtt": money(header["t_bhtt"]),
        }
        message = (
            f"Outpatient visits at {count} facilities on {day}: this visit at "
            f"{claim['facility']} ({header['ngay_vao']:%H:%M}) and {named}."
        )
        message_vi = (
            f"Người bệnh đi khám ngoại trú tại {count} cơ sở trong cùng ngày {day}: lần khám này "
            f"tại {claim['facility']} ({header['ngay_vao']:%H:%M}) và {named}."
        )
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi,
                         threshold=f">= {needed} facilities on one day"),)
