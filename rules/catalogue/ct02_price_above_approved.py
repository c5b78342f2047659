"""CT02: the unit price billed is above the approved price.

Why:
    The fund pays at most the approved price: the won tender price for drugs and supplies, the
    price set for the facility for services (Law on HI Art. 30 and 31; TT 12/2026/TT-BTC
    Art. 10(1)(d)). Anything above it is not the fund's to pay.

Anti-pattern:
    Rejecting the whole line, or the whole claim, for a price a few đồng too high; or comparing
    the hospital price (DON_GIA_BV) instead of the price the fund is asked to pay on.

Best practice:
    Compare the price the fund is billed on (DON_GIA for drugs, DON_GIA_BH for services and
    supplies) with the catalog entry valid on the order date, and reject only the excess the fund
    would pay: (price − approved) × quantity × TYLE_TT_BH/100 × MUC_HUONG/100, rounded to 2
    decimals. Excesses within the tolerance are rounding. Lines that are not in the catalog at
    all are CT01's, not this rule's.
"""

from __future__ import annotations

from datetime import date

from rules.base import (
    DRUG,
    KIND_VI,
    TABLE_OF_KIND,
    Hit,
    LineRule,
    Params,
    Record,
    RuleMeta,
    Severity,
    money,
)
from rules.context import Context

META = RuleMeta(
    code="CT02",
    name="catalog.price_above_approved",
    title="Unit price above the approved price",
    family="catalog",
    severity=Severity.PARTIAL,
    legal_basis="TT 12/2026/TT-BTC Art. 10(1)(d); Law on HI 25/2008/QH12 Art. 30 and Art. 31",
    effective_from=date(2024, 7, 1),
    param_names=("tolerance_vnd",),
)


class PriceAboveApproved(LineRule):
    meta = META

    def check(
        self, ctx: Context, p: Params, line: Record, kind: str, entry: Record | None
    ) -> Hit | None:
        if entry is None:
            return None
        price_field = "don_gia" if kind == DRUG else "don_gia_bh"
        price = line[price_field]
        approved = entry["price"]
        if price <= approved:
            return None
        excess = round(
            (price - approved) * line["so_luong"] * line["tyle_tt_bh"] / 100
            * line["muc_huong"] / 100,
            2,
        )
        tolerance = p.values["tolerance_vnd"]
        if excess <= tolerance:
            return None
        billed, limit, over = money(price), money(approved), money(excess)
        inputs = {
            "kind": kind,
            "code": entry["code"],
            price_field: billed,
            "approved_price": limit,
            "approved_from": str(entry["valid_from"]),
            "approved_by": entry["facility"] or "national",
            "so_luong": f"{line['so_luong']:g}",
            "tyle_tt_bh": f"{line['tyle_tt_bh']:g}",
            "muc_huong": f"{line['muc_huong']:g}",
            "tolerance_vnd": f"{tolerance:g}",
        }
        message = (
            f"{kind.lower()} {entry['code']} billed at {billed} per unit, approved price "
            f"{limit}: the fund's share of the excess is {over} VND."
        )
        message_vi = (
            f"{KIND_VI[kind]} {entry['code']} có đơn giá {billed} VND, cao hơn giá thanh toán "
            f"được phê duyệt {limit} VND: phần quỹ BHYT chi trả cho chênh lệch là {over} VND."
        )
        return META.hit(
            p, message, amount=excess, inputs=inputs, table=TABLE_OF_KIND[kind],
            line=line["stt"], message_vi=message_vi, threshold=f"{limit} VND",
        )
