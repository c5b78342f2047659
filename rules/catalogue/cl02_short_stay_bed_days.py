"""CL02: bed days billed beyond the short-stay limits (none under 4 h, one for 4–24 h).

Why:
    An inpatient treated for less than 4 hours is not paid a bed day at all; this is the episode
    type MA_LOAI_KCB 09 (CV 3788/BYT-BH). From 4 hours to under 24 hours one bed day is paid
    (TT 22/2023/TT-BYT Art. 6, TT 39/2024/TT-BYT Art. 4(c)). Short stays billed as if they
    lasted a day or more are a classic over-billing pattern.

Anti-pattern:
    Counting calendar days: a patient admitted at 22:00 and sent home at 06:00 spans two dates
    but stayed 8 hours, so at most one bed day; or measuring from arrival at the emergency desk
    when the inpatient episode started later.

Best practice:
    Measure the inpatient time from NGAY_VAO_NOI_TRU (admission to the ward; NGAY_VAO when it is
    empty) to NGAY_RA. Under ``no_bed_hours`` no bed day is payable; from ``no_bed_hours`` up to
    (not including) ``one_bed_hours`` at most one. Reject the excess bed days from the latest
    bed lines back, each line for its share of T_BHTT. Whether the episode should have been coded
    09 is CL03's warning; longer stays are CL01's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._clinical import (
    QUANTITY_EPS,
    billing_order,
    excess_from_end,
    hours_between,
    qty,
    unit_share,
)
from rules.context import Context

META = RuleMeta(
    code="CL02",
    name="clinical.short_stay_bed_days",
    title="Bed days billed for an inpatient stay under 4 h, or more than one for 4–24 h",
    family="clinical",
    severity=Severity.PARTIAL,
    legal_basis=(
        "CV 3788/BYT-BH (stays under 4 h, MA_LOAI_KCB 09); TT 22/2023/TT-BYT Art. 6; "
        "TT 39/2024/TT-BYT Art. 4(c)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("types", "bed_groups", "no_bed_hours", "one_bed_hours"),
)


class ShortStayBedDays(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        if header["ma_loai_kcb"] not in p.values["types"]:
            return NO_HITS
        start = header["ngay_vao_noi_tru"] or header["ngay_vao"]
        hours = hours_between(start, header["ngay_ra"])
        if hours < 0 or hours >= p.values["one_bed_hours"]:
            return NO_HITS
        groups = p.values["bed_groups"]
        beds = [line for line in ctx.claim["services"] if line["ma_nhom"] in groups]
        if not beds:
            return NO_HITS
        allowed = 0 if hours < p.values["no_bed_hours"] else 1
        billed = sum(line["so_luong"] for line in beds)
        if billed <= allowed + QUANTITY_EPS:
            return NO_HITS
        limit = p.values["no_bed_hours"] if allowed == 0 else p.values["one_bed_hours"]
        threshold = f"{allowed} bed days for a stay under {qty(limit)} h"
        stay, n_billed = f"{hours:.1f}", qty(billed)
        hits = []
        for line, units in excess_from_end(billing_order(beds), allowed):
            inputs = {
                "ma_loai_kcb": header["ma_loai_kcb"],
                "stay_from": start.isoformat(sep=" "),
                "ngay_ra": header["ngay_ra"].isoformat(sep=" "),
                "stay_hours": f"{hours:.2f}",
                "no_bed_hours": qty(p.values["no_bed_hours"]),
                "one_bed_hours": qty(p.values["one_bed_hours"]),
                "allowed_bed_days": str(allowed),
                "billed_bed_days": n_billed,
                "ma_dich_vu": line["ma_dich_vu"],
                "excess_on_line": qty(units),
                "line_t_bhtt": money(line["t_bhtt"]),
            }
            n_units = inputs["excess_on_line"]
            message = (
                f"Inpatient stay of {stay} h allows {allowed} bed day(s) but "
                f"{n_billed} are billed; {n_units} of the excess on this line."
            )
            message_vi = (
                f"Đợt điều trị nội trú kéo dài {stay} giờ chỉ được tính {allowed} ngày giường "
                f"nhưng đề nghị thanh toán {n_billed} ngày; dòng này có {n_units} ngày vượt."
            )
            hits.append(META.hit(p, message, amount=unit_share(line, units), inputs=inputs,
                                 table="XML3", line=line["stt"], message_vi=message_vi,
                                 threshold=threshold))
        return hits
