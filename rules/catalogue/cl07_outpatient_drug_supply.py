"""CL07: outpatient drugs supplied for more than 30 days.

Why:
    An outpatient prescription covers at most 30 days of treatment (TT 26/2025/TT-BYT, which
    replaced TT 52/2017); longer supplies are allowed only for listed chronic conditions. Drugs
    dispensed for months at once are a known leak (vendor rules XML_08, THUOC_404/418) and
    cannot be checked later against the patient's follow-up visits.

Anti-pattern:
    Comparing SO_LUONG with 30 as if every unit were a day, or trusting SO_NGAY_DTRI on visit
    types where it counts something else (08: days with a technical service; 01/07: always 0).

Best practice:
    Where SO_NGAY_DTRI *is* the days of drugs supplied (``declared_days_types``: 05) compare it
    with ``max_days``. Elsewhere (``estimate_types``: 01, 07, 08) the claim has no dose, so
    estimate: a drug line whose SO_LUONG exceeds ``max_days`` × the most units a day that a
    patient plausibly takes (``daily_max_by_drug`` by MA_THUOC, else ``daily_max_by_unit`` by
    DON_VI_TINH, case-insensitive; unknown units are not checked) is over the limit. Because it
    is an estimate, and chronic-disease exceptions exist, this is a warning for an appraiser, not
    an automatic rejection; the amount at stake is the line's T_BHTT share above the limit.
    Lines not in the catalog at all are CT01's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from rules.base import DRUG, NO_HITS, ClaimRule, Hit, Params, Record, RuleMeta, Severity, money
from rules.catalogue._clinical import QUANTITY, QUANTITY_EPS, derived, qty, unit_share
from rules.context import Context

META = RuleMeta(
    code="CL07",
    name="clinical.outpatient_drug_supply_too_long",
    title="Outpatient drugs supplied for more than 30 days",
    family="clinical",
    severity=Severity.WARNING,
    legal_basis=(
        "TT 26/2025/TT-BYT (outpatient prescriptions, replacing TT 52/2017/TT-BYT); "
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML1 SO_NGAY_DTRI for MA_LOAI_KCB 05"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("max_days", "declared_days_types", "estimate_types", "daily_max_by_unit",
                 "daily_max_by_drug"),
)


def _floor(v: Mapping[str, Any]) -> float | None:
    """The lowest daily maximum of any unit or drug."""
    limits = [*v["daily_max_by_unit"].values(), *v["daily_max_by_drug"].values()]
    return float(min(limits)) if limits else None


class OutpatientDrugSupply(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        claim = ctx.claim
        drugs = claim["drugs"]
        kind = claim["header"]["ma_loai_kcb"]
        v = p.values
        max_days = v["max_days"]
        over: list[tuple[Record, float, str, str]] = []  # line, allowed units, basis (en, vi)
        if kind in v["declared_days_types"]:
            days = claim["header"]["so_ngay_dtri"]
            if days <= max_days or not drugs:
                return NO_HITS
            basis, basis_vi = f"SO_NGAY_DTRI {days} days", f"SO_NGAY_DTRI {days} ngày"
            over = [(d, d["so_luong"] * max_days / days, basis, basis_vi) for d in drugs]
        elif kind in v["estimate_types"] and drugs:
            by_unit, by_drug = v["daily_max_by_unit"], v["daily_max_by_drug"]
            floor = derived(p, "CL07.floor", _floor)
            if floor is None or max(map(QUANTITY, drugs)) <= floor * max_days + QUANTITY_EPS:
                return NO_HITS  # no line above the lowest daily maximum: nothing to look up
            for d in drugs:
                quantity = d["so_luong"]
                if quantity <= floor * max_days + QUANTITY_EPS:
                    continue
                daily = by_drug.get(d["ma_thuoc"]) or by_unit.get(d["don_vi_tinh"].strip().lower())
                if daily is not None and quantity > daily * max_days + QUANTITY_EPS:
                    rate = f"{qty(daily)} {d['don_vi_tinh']}"
                    over.append((d, daily * max_days, f"{rate}/day", f"{rate}/ngày"))
        if not over:
            return NO_HITS
        facility, find = claim["facility"], ctx.catalog.find
        hits: list[Hit] = []
        for d, allowed, basis, basis_vi in over:
            if find(DRUG, facility, d["ma_thuoc"], d["ngay_yl"].date()) is None:
                continue  # not payable at all: CT01's
            excess = d["so_luong"] - allowed
            dispensed, most = qty(d["so_luong"]), qty(round(allowed, 3))
            inputs = {
                "ma_loai_kcb": kind,
                "ma_thuoc": d["ma_thuoc"],
                "don_vi_tinh": d["don_vi_tinh"],
                "so_luong": dispensed,
                "max_days": str(max_days),
                "basis": basis,
                "allowed_units": most,
                "line_t_bhtt": money(d["t_bhtt"]),
            }
            drug, unit = f"{d['ma_thuoc']} ({d['ten_thuoc']})", d["don_vi_tinh"]
            message = (
                f"Drug {drug}: {dispensed} {unit} dispensed on an outpatient visit, more than "
                f"{max_days} days of treatment ({basis}, at most {most})."
            )
            message_vi = (
                f"Thuốc {drug}: cấp {dispensed} {unit} trong lượt khám ngoại trú, quá "
                f"{max_days} ngày điều trị ({basis_vi}, tối đa {most})."
            )
            hits.append(META.hit(p, message, amount=unit_share(d, excess), inputs=inputs,
                                 table="XML2", line=d["stt"], message_vi=message_vi,
                                 threshold=f"{max_days} days"))
        return hits
