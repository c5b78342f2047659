"""CL01: more bed days billed than the length of the stay allows.

Why:
    A bed day (MA_NHOM 14 day-treatment, 15 inpatient, 16 observation) is paid for a day the
    patient actually spent in the ward. The days of an inpatient episode are fixed by its dates:
    SO_NGAY_DTRI = (NGAY_RA − NGAY_VAO) + 1 for MA_LOAI_KCB 03/04/06 (QĐ 130 XML1), and bed days
    are counted by the rules of TT 22/2023/TT-BYT Art. 6 and TT 39/2024/TT-BYT Art. 4(c). Bed
    days above that count are days the patient was not there (social-security rejection code
    S.015.478).

Anti-pattern:
    Trusting SO_NGAY_DTRI alone (the facility can inflate it together with the bed lines), or
    counting bed lines instead of their quantities (one line may bill several days), or rejecting
    the whole claim for one extra day.

Best practice:
    Allow at most min(SO_NGAY_DTRI, calendar days of the stay); the calendar days are
    NGAY_RA.date − NGAY_VAO.date + 1, the most the counting rules can ever give (the finer
    "+1 only when…" conditions are not visible in the claim). Sum SO_LUONG over the bed lines
    and reject the extra days from the latest bed lines back: per line its share of T_BHTT.
    Stays under 24 h are CL02's and outpatient visits CL04's; an inverted stay is TM01's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._clinical import QUANTITY_EPS, billing_order, excess_from_end, qty, unit_share
from rules.context import Context

META = RuleMeta(
    code="CL01",
    name="clinical.bed_days_exceed_stay",
    title="More bed days billed than the length of stay allows",
    family="clinical",
    severity=Severity.PARTIAL,
    legal_basis=(
        "TT 22/2023/TT-BYT Art. 6; TT 39/2024/TT-BYT Art. 4(c); QĐ 130/QĐ-BYT as amended by "
        "QĐ 4750/QĐ-BYT, XML1 SO_NGAY_DTRI; CV 266 rejection code S.015.478"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("types", "bed_groups", "calendar_days_plus"),
)


class BedDaysExceedStay(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        if header["ma_loai_kcb"] not in p.values["types"]:
            return NO_HITS
        groups = p.values["bed_groups"]
        beds = [line for line in ctx.claim["services"] if line["ma_nhom"] in groups]
        admitted, discharged = header["ngay_vao"], header["ngay_ra"]
        if not beds or discharged < admitted:
            return NO_HITS
        billed = sum(line["so_luong"] for line in beds)
        calendar = (discharged.date() - admitted.date()).days + p.values["calendar_days_plus"]
        declared = header["so_ngay_dtri"]
        allowed = min(declared, calendar)
        if billed <= allowed + QUANTITY_EPS:
            return NO_HITS
        n_billed, n_allowed, n_extra = qty(billed), qty(allowed), qty(billed - allowed)
        threshold = f"{n_allowed} bed days"
        hits = []
        for line, units in excess_from_end(billing_order(beds), allowed):
            amount = unit_share(line, units)
            n_units = qty(units)
            inputs = {
                "ma_loai_kcb": header["ma_loai_kcb"],
                "ngay_vao": admitted.isoformat(sep=" "),
                "ngay_ra": discharged.isoformat(sep=" "),
                "so_ngay_dtri": str(declared),
                "calendar_days": str(calendar),
                "allowed_bed_days": n_allowed,
                "billed_bed_days": n_billed,
                "ma_dich_vu": line["ma_dich_vu"],
                "so_luong": qty(line["so_luong"]),
                "excess_on_line": n_units,
                "line_t_bhtt": money(line["t_bhtt"]),
            }
            message = (
                f"{n_billed} bed days billed for a stay that allows {n_allowed} "
                f"(SO_NGAY_DTRI {declared}, {calendar} calendar days); {n_units} of the "
                f"{n_extra} extra days are on this line."
            )
            message_vi = (
                f"Đề nghị thanh toán {n_billed} ngày giường trong khi thời gian điều trị chỉ cho "
                f"phép {n_allowed} ngày (SO_NGAY_DTRI {declared}, {calendar} ngày theo lịch); "
                f"dòng này có {n_units} trong số {n_extra} ngày giường vượt."
            )
            hits.append(META.hit(p, message, amount=amount, inputs=inputs, table="XML3",
                                 line=line["stt"], message_vi=message_vi, threshold=threshold))
        return hits
