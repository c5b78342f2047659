"""XC02: inpatient stays of the same person overlap at two facilities.

Why:
    A person cannot lie in two hospital beds at once. Overlapping inpatient stays at different
    facilities point to a borrowed card, a stay billed after the patient left, or a transfer
    recorded with the wrong times; the interval between visits is part of automatic appraisal
    (TT 12/2026/TT-BTC Art. 10(1)(h)) and the portal shows the card's visit history for it.

Anti-pattern:
    Checking each claim alone (the overlap is only visible across claims), flagging only the
    claim that arrived second (the earlier one is just as doubtful), or comparing days instead
    of times (a transfer discharges at 09:00 and admits at 10:00 the same day: no overlap).

Best practice:
    Keep the person's recent visits in streaming state; intervals overlap when each starts
    before the other ends (touching ends do not overlap). Warn on the new claim and amend the
    earlier claim's decision with the mirror hit, both for the claim's full amount, each hit
    naming the other claim. Only the latest version of an earlier claim is compared.

The amendment of the earlier claim is this rule's partner hit (``rules.cross_claim``); the
history's ``inpatient`` flag is stored with this rule's ``inpatient_types``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from rules.base import NO_HITS, Hit, Params, Record, RuleMeta, Severity, money
from rules.context import Context
from rules.cross_claim import InpatientTypes, PartnerRule

CODE = "XC02"
META = RuleMeta(
    code=CODE,
    name="cross_claim.overlapping_inpatient_stays",
    title="Inpatient stays of the same person overlap at two facilities",
    family="cross_claim",
    severity=Severity.WARNING,
    legal_basis=(
        "TT 12/2026/TT-BTC Art. 10(1)(h); Law on HI 25/2008/QH12 as amended by 46/2014/QH13 "
        "Art. 22; card visit history (CV 1923/BHXH-CNTT)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("inpatient_types",),
)


def overlap_partners(
    claim: Record, history: Sequence[Record], params: Mapping[str, Any]
) -> list[Record]:
    """Earlier inpatient visits at other facilities overlapping ``claim`` (latest version each)."""
    header = claim["header"]
    if not history or header["ma_loai_kcb"] not in params["inpatient_types"]:
        return []
    facility, start, end = claim["facility"], header["ngay_vao"], header["ngay_ra"]
    latest: dict[tuple[str, str], Record] = {}
    for v in history:
        if v["inpatient"] and v["facility"] != facility:
            key = (v["facility"], v["claim_id"])
            if key not in latest or latest[key]["version"] < v["version"]:
                latest[key] = v
    return [v for v in latest.values() if v["admitted"] < end and start < v["discharged"]]


def _pair(
    start: datetime, end: datetime, other: Record, other_start: datetime, other_end: datetime
) -> tuple[dict[str, str], str, str]:
    """Inputs and messages (English, Vietnamese) of a hit on one stay (``start``–``end``)
    naming the other claim."""
    inputs = {
        "admitted": start.isoformat(sep=" "),
        "discharged": end.isoformat(sep=" "),
        "other_facility": other["facility"],
        "other_claim_id": other["claim_id"],
        "other_version": str(other["version"]),
        "other_admitted": other_start.isoformat(sep=" "),
        "other_discharged": other_end.isoformat(sep=" "),
    }
    mine = f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M}"
    theirs = f"{other_start:%Y-%m-%d %H:%M} → {other_end:%Y-%m-%d %H:%M}"
    message = (
        f"Inpatient stay {mine} overlaps the stay at {other['facility']} "
        f"(claim {other['claim_id']}) {theirs}."
    )
    message_vi = (
        f"Đợt điều trị nội trú {mine} trùng thời gian với đợt điều trị nội trú tại cơ sở "
        f"{other['facility']} (hồ sơ {other['claim_id']}) {theirs}."
    )
    return inputs, message, message_vi


class OverlappingStays(PartnerRule, InpatientTypes):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        partners = overlap_partners(ctx.claim, ctx.history, p.values)
        if not partners:
            return NO_HITS
        header = ctx.claim["header"]
        hits = []
        for v in partners:
            inputs, message, message_vi = _pair(
                header["ngay_vao"], header["ngay_ra"], v, v["admitted"], v["discharged"]
            )
            inputs["t_bhtt"] = money(header["t_bhtt"])
            hits.append(META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                                 message_vi=message_vi))
        return hits

    def partner_hits(
        self, claim: Record, hit: Hit, history: Sequence[Record], p: Params
    ) -> list[tuple[Record, Hit]]:
        return [(visit, hit_for_partner(visit, claim, hit.rule_version))
                for visit in overlap_partners(claim, history, p.values)]

    def inpatient_types(self, p: Params) -> Collection[str]:
        types: Collection[str] = p.values["inpatient_types"]
        return types


def hit_for_partner(partner_visit: Record, claim: Record, rule_version: str) -> Hit:
    """The mirror hit for the earlier claim, naming ``claim``; its amount is the earlier
    claim's requested amount (from its last decision)."""
    header = claim["header"]
    decision = partner_visit.get("decision") or {}
    requested = float(decision.get("requested", 0.0))
    inputs, message, message_vi = _pair(
        partner_visit["admitted"], partner_visit["discharged"], claim,
        header["ngay_vao"], header["ngay_ra"],
    )
    inputs["t_bhtt"] = money(requested)
    p = Params(rule_version, META.effective_from, None)
    return META.hit(p, message, amount=requested, inputs=inputs, message_vi=message_vi)
