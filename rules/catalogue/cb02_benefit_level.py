"""CB02: a line is claimed at a higher benefit share (MUC_HUONG) than the card gives.

Why:
    The fund pays each line at the share fixed by the card's benefit level, the digit after the
    group code (MA_THE_BHYT[2]): levels 1, 2 and 5 → 100 %, level 3 → 95 %, level 4 → 80 % (Law on
    HI Art. 22(1)). A line claimed at a higher share makes the fund pay the patient's co-payment.

Anti-pattern:
    Trusting MUC_HUONG as sent; or flagging every 100 % line of a level-3/4 card, although a visit
    is paid at 100 % when it costs less than 15 % of the base salary, at commune level, or after
    the co-payment exemption date, and the facility's level is not in the claim.

Best practice:
    Take the level from the card number (the first card of a ``;`` list) and accept on each line
    that level's share or 100 % (the exceptions above; CB05 and CB06 check the ones the claim lets
    us verify). A share that is neither, e.g. 95 % on a level-4 card, or above 100 %, is rejected
    for the excess THANH_TIEN_BH × (MUC_HUONG − allowed)/100, where allowed is the card's share
    (100 when the claimed share is above 100). Routes with their own off-route rate (3.1, 3.2) are
    CB07's. A share below the card's costs the patient, not the fund, and is not flagged here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from operator import itemgetter

from rules.base import NO_HITS, ClaimRule, Hit, Params, Record, RuleMeta, Severity, money
from rules.catalogue._card import card_level, first_card
from rules.context import Context

META = RuleMeta(
    code="CB02",
    name="card.benefit_above_card_level",
    title="Benefit share (MUC_HUONG) above the card's benefit level",
    family="card",
    severity=Severity.PARTIAL,
    legal_basis=(
        "Law on HI 25/2008/QH12 as amended by 46/2014/QH13, Art. 22(1); "
        "QĐ 1351/QĐ-BHXH (benefit digit of the card number); TT 12/2026/TT-BTC Art. 10(1)(b)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("levels", "excluded_routes", "tolerance_vnd"),
)


_MUC = itemgetter("muc_huong")


class BenefitLevel(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        level = card_level(header["ma_the_bhyt"])
        values = p.values
        share = values["levels"].get(level)
        if share is None or header["ma_doituong_kcb"] in values["excluded_routes"]:
            return NO_HITS
        # Fast path: the distinct shares of the claim, collected at C speed (usually one).
        shares = set(map(_MUC, ctx.claim["drugs"]))
        shares.update(map(_MUC, ctx.claim["services"]))
        shares.discard(100.0)
        if not shares or max(shares) <= share:
            return NO_HITS
        hits: list[Hit] = []
        for table, lines in (("XML2", ctx.claim["drugs"]), ("XML3", ctx.claim["services"])):
            for line in lines:
                muc = line["muc_huong"]
                if muc <= share or muc == 100.0:
                    continue
                hit = self._hit(p, header, level, share, table, line)
                if hit is not None:
                    hits.append(hit)
        return hits

    def _hit(
        self, p: Params, header: Record, level: int | None, share: float, table: str,
        line: Record,
    ) -> Hit | None:
        muc, bh = line["muc_huong"], line["thanh_tien_bh"]
        allowed = 100.0 if muc > 100.0 else float(share)
        excess = round(bh * (muc - allowed) / 100, 2)
        if excess <= p.values["tolerance_vnd"]:
            return None
        card = first_card(header["ma_the_bhyt"])
        inputs = {
            "card_no": card,
            "benefit_level": str(level),
            "level_share": f"{share:g}",
            "ma_doituong_kcb": header["ma_doituong_kcb"],
            "muc_huong": f"{muc:g}",
            "allowed_share": f"{allowed:g}",
            "thanh_tien_bh": money(bh),
        }
        over = money(excess)
        message = (
            f"Line claimed at {muc:g} % but card {card} (level {level}) gives {share:g} % "
            f"(or 100 % under an exception); the fund is asked {over} VND too much."
        )
        message_vi = (
            f"Dòng đề nghị mức hưởng {muc:g} % nhưng thẻ BHYT {card} (mức {level}) chỉ được "
            f"hưởng {share:g} % (hoặc 100 % nếu thuộc trường hợp ngoại lệ); đề nghị quỹ BHYT "
            f"thanh toán vượt {over} VND."
        )
        return META.hit(p, message, amount=excess, inputs=inputs, table=table, line=line["stt"],
                        message_vi=message_vi, threshold=f"{allowed:g} %")
