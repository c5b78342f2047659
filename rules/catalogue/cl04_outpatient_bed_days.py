"""CL04: bed days billed on an outpatient visit (MA_LOAI_KCB 01 or 02).

Why:
    An outpatient consultation (01) or outpatient treatment (02) has no ward stay, so it has no
    bed day to pay; SO_NGAY_DTRI of a 01 visit is 0 (QĐ 130 XML1). Bed days on such visits are
    either an inpatient episode sent under the wrong type or days that did not happen. The
    portal-mirroring checks reject them ("no bed days for 01/02").

Anti-pattern:
    Letting the bed lines through because the stay dates look plausible, or rejecting the whole
    visit when only the bed lines are unpayable.

Best practice:
    For the visit types in ``types`` reject every line whose MA_NHOM is a bed-day group (14, 15,
    16) for its full T_BHTT; the consultation, tests and drugs of the visit stay payable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._clinical import GROUP, derived, groups_of, qty
from rules.context import Context

META = RuleMeta(
    code="CL04",
    name="clinical.outpatient_bed_days",
    title="Bed days billed on an outpatient visit (MA_LOAI_KCB 01/02)",
    family="clinical",
    severity=Severity.PARTIAL,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML1 SO_NGAY_DTRI and XML3 MA_NHOM 14/15/16; "
        "QĐ 824/QĐ-BYT PL1 (visit types); TT 22/2023/TT-BYT Art. 6"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("types", "bed_groups"),
)


_BEDS = groups_of("bed_groups")


class OutpatientBedDays(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        kind = ctx.claim["header"]["ma_loai_kcb"]
        if kind not in p.values["types"]:
            return NO_HITS
        groups = derived(p, "CL04.bed_groups", _BEDS)
        services = ctx.claim["services"]
        if groups.isdisjoint(map(GROUP, services)):
            return NO_HITS
        hits: list[Hit] = []
        for line in services:
            if line["ma_nhom"] not in groups:
                continue
            inputs = {
                "ma_loai_kcb": kind,
                "ma_dich_vu": line["ma_dich_vu"],
                "ma_nhom": str(line["ma_nhom"]),
                "so_luong": qty(line["so_luong"]),
                "line_t_bhtt": money(line["t_bhtt"]),
            }
            code, group, days = line["ma_dich_vu"], line["ma_nhom"], inputs["so_luong"]
            message = (
                f"Bed day {code} (MA_NHOM {group}, {days} day(s)) billed on an outpatient visit "
                f"of type {kind}."
            )
            message_vi = (
                f"Ngày giường {code} (MA_NHOM {group}, {days} ngày) được đề nghị thanh toán "
                f"trong lượt khám ngoại trú loại {kind}."
            )
            hits.append(META.hit(p, message, amount=line["t_bhtt"], inputs=inputs,
                                 table="XML3", line=line["stt"], message_vi=message_vi,
                                 threshold="0 bed days"))
        return hits
