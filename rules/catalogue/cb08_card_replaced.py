"""CB08: the claim uses a card the registry knows was replaced by another card.

Why:
    A card that was reissued (new group, new benefit level, lost card) is replaced by a new number;
    the old number should no longer be presented. The portal's card check reports such cards
    (result codes for a changed or withdrawn card), and a claim on the old number may carry an
    outdated benefit level or registered facility (Law on HI Art. 16 and 20).

Anti-pattern:
    Rejecting outright: a card replaced a few days earlier is often still in the patient's hand,
    and the replacement usually keeps the benefit; or ignoring it, which lets an old card with a
    higher benefit level be used after the group changed.

Best practice:
    Look the first card up in the registry; when it has ``replaced_by`` and the replacement is
    not also listed on the claim, send the claim to an appraiser (warning for its T_BHTT) naming
    the new card, who checks that level and registered facility still hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._card import first_card
from rules.context import Context

META = RuleMeta(
    code="CB08",
    name="card.replaced_card_used",
    title="Card replaced by another card (registry)",
    family="card",
    severity=Severity.WARNING,
    legal_basis=(
        "Law on HI 25/2008/QH12 as amended by 46/2014/QH13, Art. 16 and Art. 20; "
        "card check on the VSS portal (changed or withdrawn card)"
    ),
    effective_from=date(2024, 7, 1),
)


class CardReplaced(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        cards = header["ma_the_bhyt"]
        card_no = first_card(cards)
        if not card_no:
            return NO_HITS
        card = ctx.cards.find(card_no)
        if card is None or not card["replaced_by"]:
            return NO_HITS
        new = card["replaced_by"]
        if new in [c.strip() for c in cards.split(";")]:
            return NO_HITS
        inputs = {
            "card_no": card_no,
            "replaced_by": new,
            "registry_benefit_level": str(card["benefit_level"]),
            "registry_registered_facility": card["registered_facility"],
            "t_bhtt": money(header["t_bhtt"]),
        }
        message = f"Card {card_no} was replaced by card {new}; the claim uses the old card."
        message_vi = f"Thẻ BHYT {card_no} đã được thay bằng thẻ {new}; hồ sơ vẫn dùng thẻ cũ."
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi),)
