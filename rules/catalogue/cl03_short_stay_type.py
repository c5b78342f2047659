"""CL03: the episode type does not match the length of the inpatient stay (MA_LOAI_KCB 09).

Why:
    Since CV 3788/BYT-BH an inpatient episode shorter than 4 hours is its own type,
    MA_LOAI_KCB 09, paid without a bed day; SO_NGAY_DTRI is 0 for it (QĐ 130 XML1). A stay under
    4 h sent as 03/04, or a 09 episode that lasted longer, makes the episode's payment rules and
    the facility's statistics wrong (inpatient counts feed the cost-growth warnings of
    TT 12/2026/TT-BTC Art. 13).

Anti-pattern:
    Rejecting money for the code alone: the bed days themselves are CL02's. Or measuring from
    the arrival time when the patient waited at the emergency desk before admission.

Best practice:
    Measure from NGAY_VAO_NOI_TRU (NGAY_VAO when empty) to NGAY_RA; warn when a 03/04 episode is
    shorter than ``max_hours`` or a 09 episode is ``max_hours`` or longer. The warning moves no
    money (amount 0): an appraiser corrects the type. An inverted stay is TM01's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity
from rules.catalogue._clinical import hours_between, qty
from rules.context import Context

META = RuleMeta(
    code="CL03",
    name="clinical.short_stay_type_mismatch",
    title="Inpatient stay length does not match MA_LOAI_KCB 09 (under 4 h)",
    family="clinical",
    severity=Severity.WARNING,
    legal_basis=(
        "CV 3788/BYT-BH (MA_LOAI_KCB 09, inpatient under 4 h); QĐ 824/QĐ-BYT PL1; QĐ 130/QĐ-BYT "
        "as amended by QĐ 4750/QĐ-BYT, XML1 MA_LOAI_KCB and SO_NGAY_DTRI"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("short_type", "long_types", "max_hours"),
)


class ShortStayType(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        kind = header["ma_loai_kcb"]
        short_type = p.values["short_type"]
        if kind != short_type and kind not in p.values["long_types"]:
            return NO_HITS
        start = header["ngay_vao_noi_tru"] or header["ngay_vao"]
        hours = hours_between(start, header["ngay_ra"])
        limit = p.values["max_hours"]
        if hours < 0 or (hours < limit) == (kind == short_type):
            return NO_HITS
        stay, max_hours = f"{hours:.1f}", qty(limit)
        if kind == short_type:
            message = (
                f"Episode coded {kind} (inpatient under {max_hours} h) lasted {stay} h; "
                "it should be an inpatient or day-inpatient episode."
            )
            message_vi = (
                f"Đợt điều trị mã {kind} (nội trú dưới {max_hours} giờ) kéo dài {stay} giờ; "
                "phải khai là điều trị nội trú hoặc nội trú ban ngày."
            )
        else:
            message = (
                f"Inpatient episode coded {kind} lasted only {stay} h; stays under "
                f"{max_hours} h are MA_LOAI_KCB {short_type}."
            )
            message_vi = (
                f"Đợt điều trị nội trú mã {kind} chỉ kéo dài {stay} giờ; điều trị dưới "
                f"{max_hours} giờ phải khai MA_LOAI_KCB {short_type}."
            )
        inputs = {
            "ma_loai_kcb": kind,
            "stay_from": start.isoformat(sep=" "),
            "ngay_ra": header["ngay_ra"].isoformat(sep=" "),
            "stay_hours": f"{hours:.2f}",
            "max_hours": max_hours,
        }
        return (META.hit(p, message, amount=0, inputs=inputs, message_vi=message_vi,
                         threshold=f"{max_hours} h"),)
