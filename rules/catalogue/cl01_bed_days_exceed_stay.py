"""CL01: more bed days billed than the counting of the stay allows.

Why:
    A bed day (MA_NHOM 14 day-treatment, 15 inpatient, 16 observation) is paid for a day the
    patient actually spent in the ward (CV 266 rejection code S.015.478). TT 22/2023/TT-BYT
    Art. 6 (which keeps the counting of TT 39/2018/TT-BYT Art. 6) counts the days of an
    inpatient stay from its dates: the discharge date minus the admission date, plus one only
    when the patient is transferred to another facility, dies, or is taken home by the family
    with a fatal prognosis; a stay from 4 h up to 24 h is one day and a stay under 4 h none
    (those short stays are CL02's). A transfer between departments of the same facility does
    not add a day: the transfer day is one day, billed at the department the patient slept in.
    Hospital software bills exactly that (NGAY_RA − NGAY_VAO for an ordinary discharge).

Anti-pattern:
    Capping at SO_NGAY_DTRI: the standard defines it as NGAY_RA − NGAY_VAO + 1 for every
    inpatient stay (QĐ 130 XML1), one more than the payable days of an ordinary discharge, and
    exporters fill it inconsistently; the cap then disagrees with hospitals on most claims.
    Also: counting bed lines instead of their quantities (one line may bill several days), or
    rejecting the whole claim for one extra day.

Best practice:
    Start the stay at NGAY_VAO_NOI_TRU (admission to the ward; NGAY_VAO when empty). Allowed days
    = NGAY_RA.date − start.date, plus one when MA_LOAI_RV is a transfer (``plus_one_discharges``)
    or KET_QUA_DTRI a death or a fatal prognosis (``plus_one_results``); at least one for a
    stay of ``min_hours`` or more. Sum SO_LUONG over the bed lines and reject the extra days from
    the latest bed lines back: per line its share of T_BHTT. SO_NGAY_DTRI is shown, not used.
    Stays under 24 h of CL02's types are CL02's (the same counting, judged there once);
    outpatient visits are CL04's; an inverted stay is TM01's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from rules.base import NO_HITS, ClaimRule, Hit, Params, Record, RuleMeta, Severity, money
from rules.catalogue._clinical import QUANTITY_EPS, billing_order, excess_from_end, qty, unit_share
from rules.context import Context

META = RuleMeta(
    code="CL01",
    name="clinical.bed_days_exceed_stay",
    title="More bed days billed than the counting of the stay allows",
    family="clinical",
    severity=Severity.PARTIAL,
    legal_basis=(
        "TT 22/2023/TT-BYT Art. 6 (counting of TT 39/2018/TT-BYT Art. 6); TT 39/2024/TT-BYT "
        "Art. 4(c); QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML1 NGAY_VAO_NOI_TRU, NGAY_RA, "
        "MA_LOAI_RV, KET_QUA_DTRI; CV 266 rejection code S.015.478"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("types", "bed_groups", "plus_one_discharges", "plus_one_results", "min_hours",
                 "short_stay_hours", "short_stay_types"),
)


class BedDaysExceedStay(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        if header["ma_loai_kcb"] not in p.values["types"]:
            return NO_HITS
        groups = p.values["bed_groups"]
        beds = [line for line in ctx.claim["services"] if line["ma_nhom"] in groups]
        admitted = header.get("ngay_vao_noi_tru") or header["ngay_vao"]
        discharged = header["ngay_ra"]
        if not beds or discharged < admitted:
            return NO_HITS
        hours = (discharged - admitted).total_seconds() / 3600
        if hours < p.values["short_stay_hours"] and header["ma_loai_kcb"] in p.values[
                "short_stay_types"]:
            return NO_HITS  # CL02's: none under 4 h, one up to 24 h
        allowed, reason = payable_days(header, admitted, discharged, p)
        billed = sum(line["so_luong"] for line in beds)
        declared = header["so_ngay_dtri"]
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
                "ngay_vao_noi_tru": admitted.isoformat(sep=" "),
                "ma_loai_rv": str(header["ma_loai_rv"]),
                "ket_qua_dtri": str(header["ket_qua_dtri"]),
                "so_ngay_dtri": str(declared),
                "counting": reason,
                "allowed_bed_days": n_allowed,
                "billed_bed_days": n_billed,
                "ma_dich_vu": line["ma_dich_vu"],
                "so_luong": qty(line["so_luong"]),
                "excess_on_line": n_units,
                "line_t_bhtt": money(line["t_bhtt"]),
            }
            message = (
                f"{n_billed} bed days billed for a stay that allows {n_allowed} ({reason}); "
                f"{n_units} of the {n_extra} extra days are on this line."
            )
            message_vi = (
                f"Đề nghị thanh toán {n_billed} ngày giường trong khi cách tính ngày điều trị chỉ "
                f"cho phép {n_allowed} ngày ({_REASON_VI[reason]}); dòng này có {n_units} trong "
                f"số {n_extra} ngày giường vượt."
            )
            hits.append(META.hit(p, message, amount=amount, inputs=inputs, table="XML3",
                                 line=line["stt"], message_vi=message_vi, threshold=threshold))
        return hits


_REASON_VI = {
    "discharge date - admission date": "ngày ra viện trừ ngày vào viện",
    "discharge date - admission date + 1 (transfer)": "ngày ra viện trừ ngày vào viện cộng 1 "
                                                      "(chuyển tuyến)",
    "discharge date - admission date + 1 (death or fatal prognosis)": (
        "ngày ra viện trừ ngày vào viện cộng 1 (tử vong hoặc tiên lượng tử vong xin về)"),
    "one day for a stay of 4 h or more": "điều trị từ 4 giờ trở lên tính 1 ngày",
}


def payable_days(header: Record, admitted: datetime, discharged: datetime, p: Params
                 ) -> tuple[int, str]:
    """The bed days TT 22/2023 Art. 6 allows for the stay, and which counting gave them."""
    days = (discharged.date() - admitted.date()).days
    if header["ma_loai_rv"] in p.values["plus_one_discharges"]:
        days, reason = days + 1, "discharge date - admission date + 1 (transfer)"
    elif header["ket_qua_dtri"] in p.values["plus_one_results"]:
        days, reason = days + 1, "discharge date - admission date + 1 (death or fatal prognosis)"
    else:
        reason = "discharge date - admission date"
    hours = (discharged - admitted).total_seconds() / 3600
    if days < 1 and hours >= p.values["min_hours"]:
        return 1, "one day for a stay of 4 h or more"
    return days, reason
