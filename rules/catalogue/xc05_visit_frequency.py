"""XC05: a person has more outpatient visits within a few weeks than is plausible.

Why:
    A card presented for outpatient care many times in a short period, at one facility or
    several, points to drugs collected early and stockpiled, chronic prescriptions renewed before
    the last one runs out, visits split to bill more consultations, or a card used by others.
    The interval between visits is an item of automatic appraisal (TT 12/2026/TT-BTC Art.
    10(1)(h)); a prescription supplies up to 30 days (TT 26/2025/TT-BYT), so a patient rarely
    needs more than a few visits a month.

Anti-pattern:
    A fixed calendar month (six visits from the 25th to the 5th are missed), counting the
    versions of one resubmitted claim as several visits, counting inpatient stays (one admission
    with its transfers is one episode), or rejecting: many visits may be justified (several
    chronic diseases, a course of outpatient treatment), so a person must look.

Best practice:
    Keep the person's recent visits in streaming state. For an outpatient claim (MA_LOAI_KCB in
    ``outpatient_types``) count the outpatient visits starting in the ``window_days`` calendar
    days ending on this claim's NGAY_VAO day, this one included, the latest version of each
    earlier claim only; warn above ``max_visits``. The hit is on the visit that goes over the
    limit and names the others; visits sent later but dated earlier are counted by the claims
    that follow them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from rules.base import NO_HITS, ClaimRule, Hit, Params, Record, RuleMeta, Severity, money
from rules.catalogue._history import latest_visits
from rules.context import Context

CODE = "XC05"
META = RuleMeta(
    code=CODE,
    name="cross_claim.outpatient_visit_frequency",
    title="More outpatient visits of the same person within the window than the limit",
    family="cross_claim",
    severity=Severity.WARNING,
    legal_basis=(
        "TT 12/2026/TT-BTC Art. 10(1)(h) (interval between visits); TT 26/2025/TT-BYT "
        "(outpatient prescription of up to 30 days); card visit history (CV 1923/BHXH-CNTT)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("outpatient_types", "max_visits", "window_days"),
)


def visits_in_window(claim: Record, history: Sequence[Record],
                     values: Mapping[str, Any]) -> list[Record]:
    """Earlier outpatient visits starting in the window that ends on ``claim``'s day."""
    header = claim["header"]
    types = values["outpatient_types"]
    if header["ma_loai_kcb"] not in types:
        return []
    last: date = header["ngay_vao"].date()
    first = last - timedelta(days=values["window_days"] - 1)
    return [v for v in latest_visits(claim, history)
            if v["kind"] in types and first <= v["admitted"].date() <= last]


class VisitFrequency(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        if not ctx.history:
            return NO_HITS
        earlier = visits_in_window(ctx.claim, ctx.history, p.values)
        most, days = p.values["max_visits"], p.values["window_days"]
        count = len(earlier) + 1
        if count <= most:
            return NO_HITS
        header = ctx.claim["header"]
        last = header["ngay_vao"].date()
        first = last - timedelta(days=days - 1)
        earlier.sort(key=lambda v: v["admitted"])
        facilities = sorted({v["facility"] for v in earlier} | {ctx.claim["facility"]})
        inputs = {
            "window_from": first.isoformat(),
            "window_to": last.isoformat(),
            "visits": str(count),
            "facilities": ",".join(facilities),
            "earlier_visits": ",".join(
                f"{v['admitted']:%Y-%m-%d}@{v['facility']}/{v['claim_id']}" for v in earlier),
            "t_bhtt": money(header["t_bhtt"]),
        }
        message = (
            f"{count} outpatient visits from {first} to {last} ({days} days) at "
            f"{len(facilities)} facility(ies); more than {most} needs review."
        )
        message_vi = (
            f"Người bệnh có {count} lần khám ngoại trú từ {first} đến {last} ({days} ngày) tại "
            f"{len(facilities)} cơ sở, vượt quá {most} lần cần giám định."
        )
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi,
                         threshold=f"<= {most} outpatient visits in {days} days"),)
