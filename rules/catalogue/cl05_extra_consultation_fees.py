"""CL05: consultation fees beyond those payable for one visit or one inpatient episode.

Why:
    One visit pays one consultation fee (MA_NHOM 13) in full. When the patient is sent on to
    further specialties in the same visit, the further consultations are paid at a reduced rate
    (30 %) up to a limit; an inpatient episode pays only the consultation that led to the
    admission (TT 39/2024/TT-BYT Art. 4(b); social-security rejection code S.013.458). Repeated
    full-rate consultation fees are among the most frequent rejections in the agency's thematic
    reviews (CV 266).

Anti-pattern:
    Counting consultation lines instead of their quantities (one line with SO_LUONG 3 is three
    fees), or deciding which consultation is "the first" by time order, so that a correctly
    billed 30 % consultation entered before the 100 % one is rejected.

Best practice:
    Rank the consultation units by the rate claimed (TYLE_TT_DV, highest first), then by order
    time. For an outpatient visit the first ``outpatient_full`` units may be at 100 %, the next
    ones up to ``outpatient_max`` at ``additional_rate_pct``, none after; for the inpatient types
    the first ``inpatient_max`` units only. A unit claimed above its allowed rate is rejected for
    the excess share of its T_BHTT: t_bhtt/unit × (claimed − allowed)/claimed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._clinical import QUANTITY_EPS, derived, groups_of, qty
from rules.context import Context

META = RuleMeta(
    code="CL05",
    name="clinical.extra_consultation_fees",
    title="Consultation fees beyond one per visit (reduced rate) or per inpatient episode",
    family="clinical",
    severity=Severity.PARTIAL,
    legal_basis="TT 39/2024/TT-BYT Art. 4(b); CV 266 rejection code S.013.458",
    effective_from=date(2024, 7, 1),
    param_names=("groups", "inpatient_types", "outpatient_full", "additional_rate_pct",
                 "outpatient_max", "inpatient_max"),
)

_FULL = 100.0
_CONSULTS = groups_of("groups")


def _allowed(index: int, inpatient: bool, v: Mapping[str, Any]) -> float:
    """Highest payable rate (%) of the consultation at 0-based position ``index``."""
    if inpatient:
        return _FULL if index < v["inpatient_max"] else 0.0
    if index < v["outpatient_full"]:
        return _FULL
    return float(v["additional_rate_pct"]) if index < v["outpatient_max"] else 0.0


class ExtraConsultationFees(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        groups = derived(p, "CL05.groups", _CONSULTS)
        consults = [line for line in ctx.claim["services"] if line["ma_nhom"] in groups]
        if not consults or (len(consults) == 1 and consults[0]["so_luong"] <= 1 + QUANTITY_EPS):
            return NO_HITS
        kind = ctx.claim["header"]["ma_loai_kcb"]
        inpatient = kind in p.values["inpatient_types"]
        ranked = sorted(consults, key=lambda c: (-c["tyle_tt_dv"], c["ngay_yl"], c["stt"]))
        total = sum(max(1, round(c["so_luong"])) for c in ranked)
        hits: list[Hit] = []
        index = 0
        for line in ranked:
            units = max(1, round(line["so_luong"]))
            claimed = line["tyle_tt_dv"]
            per_unit = line["t_bhtt"] / units
            excess, allowed_rates = 0.0, []
            for _ in range(units):
                allowed = _allowed(index, inpatient, p.values)
                allowed_rates.append(allowed)
                if claimed > allowed + QUANTITY_EPS:
                    excess += per_unit * (claimed - allowed) / claimed
                index += 1
            if excess < 0.005:
                continue
            first = index - units + 1
            inputs = {
                "ma_loai_kcb": kind,
                "episode": "inpatient" if inpatient else "outpatient",
                "consultations_in_claim": str(total),
                "positions": f"{first}-{index}" if units > 1 else str(first),
                "tyle_tt_dv": qty(claimed),
                "allowed_rates": ",".join(qty(r) for r in allowed_rates),
                "ma_dich_vu": line["ma_dich_vu"],
                "line_t_bhtt": money(line["t_bhtt"]),
            }
            code, positions = line["ma_dich_vu"], inputs["positions"]
            rates, rate, over = inputs["allowed_rates"], inputs["tyle_tt_dv"], money(excess)
            where = "inpatient episode" if inpatient else "outpatient visit"
            where_vi = "đợt điều trị nội trú" if inpatient else "lượt khám ngoại trú"
            message = (
                f"Consultation {code} is no. {positions} of {total} in this {where}, billed at "
                f"{rate} % where at most {rates} % is payable: {over} VND over."
            )
            message_vi = (
                f"Lần khám {code} là lần thứ {positions} trong {total} lần khám của {where_vi} "
                f"này, đề nghị thanh toán {rate} % trong khi chỉ được thanh toán tối đa "
                f"{rates} %: vượt {over} VND."
            )
            hits.append(META.hit(p, message, amount=excess, inputs=inputs, table="XML3",
                                 line=line["stt"], message_vi=message_vi,
                                 threshold=f"{rates} %"))
        return hits
