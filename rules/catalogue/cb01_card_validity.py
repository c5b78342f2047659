"""CB01: the health-insurance card is not valid on the visit date.

Why:
    The fund pays only for care received while the card is valid (Law on HI Art. 16). A claim
    whose admission date falls outside the card's validity is not payable at all.

Anti-pattern:
    Trusting the validity dates the facility copied into XML1 (GT_THE_TU/GT_THE_DEN) without
    comparing them with the visit date, or checking the discharge date instead of the admission
    date, which wrongly rejects inpatients whose card expired during the stay.

Best practice:
    Compare the admission date (NGAY_VAO) with the validity written on the claim and, when the
    card registry knows the card, with the registered validity too. An inpatient admitted while
    the card was valid stays covered after it expires (NĐ 188/2025 Art. 50(4), the 15-day
    exception), so only the admission date is checked. Claims without a card (MA_THE_BHYT empty)
    are not HI claims for this rule. The first card of a ``;``-separated list is the one checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._card import first_card
from rules.context import Context

META = RuleMeta(
    code="CB01",
    name="card.not_valid_on_visit_date",
    title="Card not valid on the visit date",
    family="card",
    severity=Severity.REJECT,
    legal_basis=(
        "Law on HI 25/2008/QH12 as amended by 46/2014/QH13, Art. 16 and Art. 22; "
        "NĐ 188/2025/NĐ-CP Art. 50(4)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("use_registry",),
)


_SOURCE_VI = {"claim": "dữ liệu hồ sơ", "registry": "danh sách thẻ"}


def _outside(day: date, start: date | None, end: date | None) -> bool:
    return (start is not None and day < start) or (end is not None and day > end)


class CardValidity(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        cards = header["ma_the_bhyt"]
        if not cards:
            return NO_HITS
        card_no = first_card(cards)
        admitted = header["ngay_vao"].date()
        start, end = header["gt_the_tu"], header["gt_the_den"]
        on_claim = _outside(admitted, start, end)
        registered = ctx.cards.find(card_no) if p.values["use_registry"] else None
        in_registry = registered is not None and _outside(
            admitted, registered["valid_from"], registered["valid_to"]
        )
        if not (on_claim or in_registry):
            return NO_HITS
        sources = [s for s, bad in (("claim", on_claim), ("registry", in_registry)) if bad]
        inputs = {
            "card_no": card_no,
            "admitted": admitted.isoformat(),
            "claim_valid_from": str(start),
            "claim_valid_to": str(end),
            "registry_valid_from": str(registered["valid_from"]) if registered else "unknown",
            "registry_valid_to": str(registered["valid_to"]) if registered else "unknown",
            "outside": ",".join(sources),
            "t_bhtt": money(header["t_bhtt"]),
        }
        if in_registry and registered is not None:
            start, end = registered["valid_from"], registered["valid_to"]
        state = "hết hạn" if end is not None and admitted > end else "chưa có giá trị sử dụng"
        message = (
            f"Card {card_no} is valid {start} to {end} ({' and '.join(sources)}), "
            f"but the visit began on {admitted}."
        )
        message_vi = (
            f"Thẻ BHYT {card_no} {state} vào ngày khám {admitted}: thẻ có giá trị từ {start} "
            f"đến {end} (theo {' và '.join(_SOURCE_VI[s] for s in sources)})."
        )
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi, threshold=f"{start} to {end}"),)
