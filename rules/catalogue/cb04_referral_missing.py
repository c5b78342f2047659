"""CB04: a referred visit (MA_DOITUONG_KCB 1.3) has no referral paper or referring facility.

Why:
    A visit away from the registered facility is on route only when the patient was referred
    (TT 01/2025/TT-BYT, replacing TT 40/2015); without the referral it is self-referred off-route
    care, paid at a lower rate or not at all (Law on HI Art. 22(3)). The referral is recorded as
    GIAY_CHUYEN_TUYEN (paper number) and MA_NOI_DI (referring facility), and XML13 carries it.

Anti-pattern:
    Accepting the route code alone, or checking only one of the two fields: a paper number without
    the facility it came from cannot be verified, a facility without a paper is no referral.

Best practice:
    For the referral route codes, require both GIAY_CHUYEN_TUYEN and MA_NOI_DI. The benefit
    without referral depends on the facility's level, which the claim does not carry, so the claim
    goes to an appraiser (warning for its T_BHTT) instead of being repriced automatically.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.context import Context

META = RuleMeta(
    code="CB04",
    name="card.referral_missing",
    title="Referred visit without referral paper or referring facility",
    family="card",
    severity=Severity.WARNING,
    legal_basis=(
        "Law on HI 25/2008/QH12 as amended by 46/2014/QH13, Art. 22(3) and Art. 28; "
        "TT 01/2025/TT-BYT (referral); QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML1 "
        "GIAY_CHUYEN_TUYEN and MA_NOI_DI"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("referral_routes",),
)


class ReferralMissing(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        route = header["ma_doituong_kcb"]
        if route not in p.values["referral_routes"]:
            return NO_HITS
        paper, origin = header["giay_chuyen_tuyen"], header["ma_noi_di"]
        missing = [name for name, value in (("GIAY_CHUYEN_TUYEN", paper), ("MA_NOI_DI", origin))
                   if not (value and value.strip())]
        if not missing:
            return NO_HITS
        inputs = {
            "ma_doituong_kcb": route,
            "giay_chuyen_tuyen": paper or "",
            "ma_noi_di": origin or "",
            "missing": ",".join(missing),
            "t_bhtt": money(header["t_bhtt"]),
        }
        message = f"Route {route} (referred) but {' and '.join(missing)} is empty."
        message_vi = (f"Mã đối tượng {route} (chuyển tuyến) nhưng thiếu thông tin chuyển tuyến: "
                      f"{' và '.join(missing)} để trống.")
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi),)
