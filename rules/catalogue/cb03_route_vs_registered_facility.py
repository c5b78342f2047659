"""CB03: the route code (MA_DOITUONG_KCB) contradicts the card's registered primary facility.

Why:
    The route decides the benefit: a visit at the facility where the card is registered (MA_DKBD)
    is on route (code 1.1), a visit elsewhere needs a referral, thông tuyến or an emergency to be,
    and self-referred off-route care is paid at a reduced rate or not at all (Law on HI Art. 22(3)).
    Code 1.1 claimed at a facility that is not the registered one, with no referral, hides an
    off-route visit; the portal also rejects the reverse, an off-route code (3.x) at the registered
    facility (VSS blocking error 1).

Anti-pattern:
    Taking the route code on trust, or comparing it with MA_DKBD as copied onto the claim while
    the card registry knows another registered facility.

Best practice:
    Use the registry's registered facility when the registry knows the card, else MA_DKBD. Flag
    1.1 when the treating facility is not the registered one and neither a referral paper
    (GIAY_CHUYEN_TUYEN) nor a referring facility (MA_NOI_DI) is given, and flag an off-route code
    at the registered facility. The right benefit then depends on the facility's level, which the
    claim does not carry, so an appraiser reviews the claim (warning for the claim's T_BHTT).
    Claims without a card number are not HI card claims and are not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._card import first_card
from rules.context import Context

META = RuleMeta(
    code="CB03",
    name="card.route_contradicts_registered_facility",
    title="Route code contradicts the card's registered primary facility",
    family="card",
    severity=Severity.WARNING,
    legal_basis=(
        "Law on HI 25/2008/QH12 as amended by 46/2014/QH13, Art. 22(3) and Art. 26-28; "
        "QĐ 824/QĐ-BYT PL2 (MA_DOITUONG_KCB); VSS blocking error 1"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("at_registered_routes", "off_route_prefixes", "use_registry"),
)


class RouteVsRegisteredFacility(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        route = header["ma_doituong_kcb"]
        values = p.values
        at_registered = route in values["at_registered_routes"]
        off_route = route.startswith(tuple(values["off_route_prefixes"]))
        if not (at_registered or off_route):
            return NO_HITS
        card_no = first_card(header["ma_the_bhyt"])
        if not card_no:
            return NO_HITS  # not an HI card claim (as CB01)
        facility = ctx.claim["facility"]
        on_claim = header["ma_dkbd"] or ""
        registered, source = on_claim, "claim"
        if values["use_registry"]:
            card = ctx.cards.find(card_no)
            if card is not None:
                registered, source = card["registered_facility"], "registry"
        referred = bool(header["giay_chuyen_tuyen"] or header["ma_noi_di"])
        if at_registered:
            if registered == facility or referred:
                return NO_HITS
            problem = (f"route {route} means care at the registered facility, but the card is "
                       f"registered at {registered or '(none)'} and no referral is given")
            problem_vi = (f"mã đối tượng {route} là khám chữa bệnh tại nơi đăng ký KCB ban đầu, "
                          f"nhưng thẻ đăng ký KCB ban đầu tại {registered or '(không có)'} và "
                          f"không có giấy chuyển tuyến")
        elif registered != facility:
            return NO_HITS
        else:
            problem = f"off-route code {route} at the card's own registered facility"
            problem_vi = f"mã trái tuyến {route} tại chính nơi đăng ký KCB ban đầu của thẻ"
        inputs = {
            "ma_doituong_kcb": route,
            "facility": facility,
            "card_no": card_no,
            "ma_dkbd_claim": on_claim,
            "registered_facility": registered,
            "registered_from": source,
            "giay_chuyen_tuyen": header["giay_chuyen_tuyen"] or "",
            "ma_noi_di": header["ma_noi_di"] or "",
            "t_bhtt": money(header["t_bhtt"]),
        }
        message = f"Visit at {facility}: {problem}."
        message_vi = f"Lượt khám tại cơ sở {facility}: {problem_vi}."
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi),)
