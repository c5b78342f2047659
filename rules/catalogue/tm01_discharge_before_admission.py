"""TM01: the discharge time is before the admission time.

Why:
    NGAY_VAO and NGAY_RA bound the episode (QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML1);
    every other time on the claim, treatment days and bed days are judged against them. A claim
    that ends before it starts is malformed and the portal's date checks block it.

Anti-pattern:
    Comparing only the dates (a same-day visit 10:00 → 09:00 passes), or "repairing" the claim
    by swapping the two times instead of sending it back to the facility.

Best practice:
    Compare the full timestamps in facility local time and reject the claim; equal times are
    allowed (a visit recorded at one instant).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.context import Context

META = RuleMeta(
    code="TM01",
    name="time.discharge_before_admission",
    title="Discharge before admission",
    family="time",
    severity=Severity.REJECT,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML1 NGAY_VAO and NGAY_RA; "
        "VSS blocking-error list (date checks)"
    ),
    effective_from=date(2024, 7, 1),
)


class DischargeBeforeAdmission(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        admitted, discharged = header["ngay_vao"], header["ngay_ra"]
        if discharged >= admitted:
            return NO_HITS
        inputs = {
            "ngay_vao": admitted.isoformat(sep=" "),
            "ngay_ra": discharged.isoformat(sep=" "),
            "t_bhtt": money(header["t_bhtt"]),
        }
        out, into = f"{discharged:%Y-%m-%d %H:%M}", f"{admitted:%Y-%m-%d %H:%M}"
        message = f"Discharge {out} is before admission {into}."
        message_vi = f"Thời điểm ra viện {out} trước thời điểm vào viện {into}."
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi),)
