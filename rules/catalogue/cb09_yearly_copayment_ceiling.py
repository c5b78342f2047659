"""CB09: co-payment charged after the year's co-payments passed 6 months' base salary.

Why:
    A person insured 5 continuous years whose co-payments in one calendar year exceed 6 months'
    base salary pays no further co-payment that year: the fund pays 100 % from the day both
    conditions are met to 31 December (Law on HI Art. 22(1); NĐ 188/2025 Art. 18, which has the
    portal publish the accumulated co-payment). The facility records the exemption in
    NGAY_MIEN_CCT, but only when the patient or the portal tells it; the stream sees every
    co-payment of the person and can tell when the ceiling was passed without it.

Anti-pattern:
    A fixed ceiling (the base salary changes: 1,800,000 VND from 01/07/2023, 2,340,000 VND from
    01/07/2024; the claim is judged by the salary in force on its visit date), counting the
    versions of a resubmitted claim twice, carrying the total into the next year, counting a
    visit that had not ended when this one began, flagging only claims after a whole visit passed
    the ceiling (the visit that crosses it charges the excess too), repeating CB05 (the facility
    wrote NGAY_MIEN_CCT and charged anyway), or rejecting fund money: the fund is not
    overcharged, the patient is.

Best practice:
    Ceiling = ``ceiling_months`` × ``base_salary_vnd`` of the version in force on the visit date.
    Prior = T_BNCCT of the person's earlier visits (latest version each, this claim's own
    versions left out) that started in the same calendar year and ended by this visit's NGAY_VAO.
    When the five-year date (the registry card's ``five_year_date``, else NAM_NAM_LIEN_TUC) is on
    or before the visit and prior + this claim's T_BNCCT exceeds the ceiling, the excess
    min(T_BNCCT, prior + T_BNCCT − ceiling) was charged to an exempt patient. Not checked:
    off-route self-referrals (not covered by the exemption), and claims whose NGAY_MIEN_CCT falls
    in the visit's year (CB05 judges those lines).

    Severity WARNING, not PARTIAL: the excess is the patient's money to be refunded (the fund owes
    more, not less), and the stream's total is a lower bound of the real one built from the
    history it kept; the history keeps no route, so off-route co-payments of earlier visits are
    counted. A person confirms with the portal's accumulated figure before acting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, Record, RuleMeta, Severity, money
from rules.catalogue._history import latest_visits
from rules.context import Context

CODE = "CB09"
META = RuleMeta(
    code=CODE,
    name="card.copayment_after_yearly_ceiling",
    title="Co-payment charged after the year's co-payments exceeded 6 months' base salary",
    family="card",
    severity=Severity.WARNING,
    legal_basis=(
        "Law on HI 25/2008/QH12 as amended by 46/2014/QH13, Art. 22(1); NĐ 188/2025/NĐ-CP "
        "Art. 18 (accumulated co-payment, exemption); NĐ 24/2023/NĐ-CP and NĐ 73/2024/NĐ-CP "
        "(base salary)"
    ),
    effective_from=date(2023, 7, 1),
    param_names=("base_salary_vnd", "ceiling_months", "off_route_prefixes", "tolerance_vnd",
                 "use_registry"),
)


def five_year_date(ctx: Context, use_registry: bool) -> date | None:
    """The day 5 continuous years of coverage were reached: registry card first, else XML1."""
    header = ctx.claim["header"]
    cards = header["ma_the_bhyt"]
    if use_registry and cards:
        card = ctx.cards.find(cards.split(";", 1)[0].strip())
        if card is not None:
            found: date | None = card.get("five_year_date")
            return found
    from_claim: date | None = header["nam_nam_lien_tuc"]
    return from_claim


def prior_visits(claim: Record, history: Sequence[Record]) -> list[Record]:
    """Earlier visits of the claim's calendar year that ended by the time this one began."""
    start = claim["header"]["ngay_vao"]
    return [v for v in latest_visits(claim, history)
            if v["admitted"].year == start.year and v["discharged"] <= start]


class CopaymentAfterCeiling(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        values = p.values
        copay = header["t_bncct"]
        tolerance = values["tolerance_vnd"]
        if copay <= tolerance or header["ma_doituong_kcb"].startswith(
                tuple(values["off_route_prefixes"])):
            return NO_HITS
        day = header["ngay_vao"].date()
        exempt: date | None = header["ngay_mien_cct"]
        if exempt is not None and exempt.year == day.year:
            return NO_HITS  # CB05's case
        reached = five_year_date(ctx, values["use_registry"])
        if reached is None or reached > day:
            return NO_HITS
        earlier = prior_visits(ctx.claim, ctx.history)
        prior = sum(v["copay"] for v in earlier)
        ceiling = values["ceiling_months"] * values["base_salary_vnd"]
        excess = min(copay, prior + copay - ceiling)
        if excess <= tolerance:
            return NO_HITS
        inputs = {
            "five_year_date": reached.isoformat(),
            "year": str(day.year),
            "earlier_copay": money(prior),
            "earlier_visits": str(len(earlier)),
            "t_bncct": money(copay),
            "ceiling": money(ceiling),
            "base_salary_vnd": f"{values['base_salary_vnd']:g}",
            "excess": money(excess),
        }
        message = (
            f"Co-payments of {day.year} reach {money(prior + copay)} VND ({money(prior)} on "
            f"{len(earlier)} earlier visit(s) + {money(copay)} on this one), above the ceiling "
            f"of {money(ceiling)} VND for a person insured 5 continuous years since {reached}: "
            f"{money(excess)} VND of this claim's co-payment should not be charged."
        )
        message_vi = (
            f"Tổng chi phí cùng chi trả năm {day.year} là {money(prior + copay)} đồng "
            f"({money(prior)} đồng của {len(earlier)} lần khám trước + {money(copay)} đồng lần "
            f"này), vượt {values['ceiling_months']} tháng lương cơ sở ({money(ceiling)} đồng) "
            f"của người tham gia BHYT 5 năm liên tục từ {reached}: {money(excess)} đồng cùng "
            f"chi trả của hồ sơ này không được thu."
        )
        return (META.hit(p, message, amount=excess, inputs=inputs, message_vi=message_vi,
                         threshold=f"{money(ceiling)} VND co-payment per calendar year"),)
