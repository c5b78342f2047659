"""CB05: a patient exempt from co-payment (NGAY_MIEN_CCT) is charged a co-payment.

Why:
    After 5 continuous years of coverage, once the co-payments of a calendar year exceed 6 months'
    base salary, the fund pays 100 % from that day to 31 December (Law on HI Art. 22(1); NĐ
    188/2025 Art. 18). The exemption date is written in NGAY_MIEN_CCT; from that date the lines of
    the year must carry no co-payment (T_BNCCT = 0). Charging it anyway makes the patient pay
    what the fund owes.

Anti-pattern:
    Comparing the exemption date with the admission date only (a stay that crosses the date has
    lines before it that are rightly co-paid), carrying an exemption over into the next year, or
    applying it to self-referred off-route care, which it does not cover.

Best practice:
    Compare each line's order date (NGAY_YL) with NGAY_MIEN_CCT: lines on or after it, in the same
    calendar year, must have T_BNCCT within the tolerance of 0. Off-route codes are not checked.
    The fund is not overcharged, the patient is: one warning per claim for the co-payment charged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.context import Context

META = RuleMeta(
    code="CB05",
    name="card.copayment_charged_while_exempt",
    title="Co-payment charged after the co-payment exemption date (NGAY_MIEN_CCT)",
    family="card",
    severity=Severity.WARNING,
    legal_basis=(
        "Law on HI 25/2008/QH12 as amended by 46/2014/QH13, Art. 22(1); "
        "NĐ 188/2025/NĐ-CP Art. 18 (co-payment exemption)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("off_route_prefixes", "tolerance_vnd"),
)


class CopaymentWhileExempt(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        exempt: date | None = header["ngay_mien_cct"]
        if exempt is None:
            return NO_HITS
        route = header["ma_doituong_kcb"]
        values = p.values
        if route.startswith(tuple(values["off_route_prefixes"])):
            return NO_HITS
        tolerance = values["tolerance_vnd"]
        charged: list[str] = []
        total = 0.0
        for table, lines in (("XML2", ctx.claim["drugs"]), ("XML3", ctx.claim["services"])):
            for line in lines:
                copay = line["t_bncct"]
                if copay <= tolerance:
                    continue
                day = line["ngay_yl"].date()
                if day >= exempt and day.year == exempt.year:
                    charged.append(f"{table}:{line['stt']}")
                    total += copay
        if not charged:
            return NO_HITS
        charged_vnd = money(total)
        inputs = {
            "ngay_mien_cct": exempt.isoformat(),
            "ma_doituong_kcb": route,
            "lines": ",".join(charged),
            "t_bncct_charged": charged_vnd,
            "tolerance_vnd": f"{tolerance:g}",
        }
        message = (
            f"Exempt from co-payment since {exempt}, yet {len(charged)} line(s) ordered on or "
            f"after that date charge {charged_vnd} VND co-payment."
        )
        message_vi = (
            f"Người bệnh được miễn cùng chi trả từ ngày {exempt}, nhưng {len(charged)} dòng chỉ "
            f"định từ ngày đó vẫn thu {charged_vnd} VND tiền cùng chi trả."
        )
        return (META.hit(p, message, amount=total, inputs=inputs, message_vi=message_vi,
                         threshold=f"T_BNCCT ≤ {tolerance:g} VND"),)
