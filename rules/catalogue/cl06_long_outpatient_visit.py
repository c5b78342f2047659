"""CL06: an outpatient consultation visit (MA_LOAI_KCB 01) lasting more than one day.

Why:
    Type 01 is a single consultation visit: arrival, examination, tests, prescription, all on one
    occasion. A 01 visit stretching over more than a day is either several visits merged into one
    claim (fees and tests of different days billed as one visit) or an outpatient-treatment /
    inpatient episode sent under the wrong type, which changes how it is paid (QĐ 824/QĐ-BYT PL1;
    the portal-mirroring checks flag "01 spanning more than 1 day").

Anti-pattern:
    Comparing calendar dates: a visit from 23:00 to 00:40 crosses midnight but lasted under two
    hours. Or rejecting the money outright when the care itself may be payable under the right
    type.

Best practice:
    Warn when NGAY_RA − NGAY_VAO is strictly longer than ``max_hours`` (24 h) for the types in
    ``types``; an appraiser decides whether the claim must be split or re-typed, so the amount at
    stake is the claim's T_BHTT. An inverted visit (discharge before arrival) is TM01's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._clinical import qty
from rules.context import Context

META = RuleMeta(
    code="CL06",
    name="clinical.outpatient_visit_over_one_day",
    title="Outpatient consultation visit (MA_LOAI_KCB 01) lasting more than 1 day",
    family="clinical",
    severity=Severity.WARNING,
    legal_basis=(
        "QĐ 824/QĐ-BYT PL1 (MA_LOAI_KCB); QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, "
        "XML1 NGAY_VAO, NGAY_RA, SO_NGAY_DTRI"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("types", "max_hours"),
)


class LongOutpatientVisit(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        if header["ma_loai_kcb"] not in p.values["types"]:
            return NO_HITS
        limit = p.values["max_hours"]
        hours = (header["ngay_ra"] - header["ngay_vao"]).total_seconds() / 3600
        if hours <= limit:
            return NO_HITS
        kind, max_hours = header["ma_loai_kcb"], qty(limit)
        inputs = {
            "ma_loai_kcb": kind,
            "ngay_vao": header["ngay_vao"].isoformat(sep=" "),
            "ngay_ra": header["ngay_ra"].isoformat(sep=" "),
            "visit_hours": f"{hours:.2f}",
            "max_hours": max_hours,
            "t_bhtt": money(header["t_bhtt"]),
        }
        stay = f"{hours:.1f}"
        span = f"{header['ngay_vao']:%Y-%m-%d %H:%M} → {header['ngay_ra']:%Y-%m-%d %H:%M}"
        message = (
            f"Visit of type {kind} lasted {stay} h ({span}), more than {max_hours} h for a "
            "single consultation visit."
        )
        message_vi = (
            f"Lượt khám loại {kind} kéo dài {stay} giờ ({span}), quá {max_hours} giờ của một "
            "lượt khám bệnh."
        )
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi, threshold=f"{max_hours} h"),)
