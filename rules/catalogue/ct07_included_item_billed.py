"""CT07: a drug or supply already included in a service's price is billed separately.

Why:
    The price of a technical service covers the drugs and supplies its price structure lists
    (TT 22/2023/TT-BYT price components; TT 39/2024/TT-BYT prices): medical oxygen is part of
    mechanical ventilation, the contrast agent part of an imaging service priced "with contrast".
    Billing such an item on its own line makes the fund pay for it twice (VSS thematic rule
    S.004.602).

Anti-pattern:
    Flagging the item whenever the service appears anywhere in a long stay (oxygen on a day
    without ventilation is billable), or hard-coding the pairs in the rule instead of keeping them
    as versioned data that follows the price lists.

Best practice:
    Keep a parameter table item code → technique codes (the ``CC.KKKK`` start of MA_DICH_VU) whose
    price includes it. A drug or supply line is included when a service line of one of those
    techniques runs on the line's order day (from the service's NGAY_YL to its NGAY_KQ, else its
    NGAY_TH_YL, else that day), or when the drug names that service in MA_DICH_VU. Reject the
    line's T_BHTT.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from rules.base import (
    NO_HITS,
    SUPPLY_GROUPS,
    ClaimRule,
    Hit,
    Params,
    Record,
    RuleMeta,
    Severity,
    money,
)
from rules.context import Context

META = RuleMeta(
    code="CT07",
    name="catalog.included_item_billed_separately",
    title="Drug or supply included in a service's price billed separately",
    family="catalog",
    severity=Severity.PARTIAL,
    legal_basis=(
        "TT 22/2023/TT-BYT (price components of technical services); TT 39/2024/TT-BYT; "
        "VSS thematic rule S.004.602 (CV 266)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("included",),
)

_MA_THUOC = itemgetter("ma_thuoc")
_MA_VAT_TU = itemgetter("ma_vat_tu")


class IncludedItemBilled(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        table: dict[str, Any] = p.values["included"]
        claim = ctx.claim
        # C-speed prefilter: does any drug or supply code appear in the table at all?
        keys = table.keys()
        in_drugs = not keys.isdisjoint(map(_MA_THUOC, claim["drugs"]))
        in_supplies = not keys.isdisjoint(map(_MA_VAT_TU, claim["services"]))
        if not (in_drugs or in_supplies):
            return NO_HITS
        found: list[tuple[str, str, Record]] = []
        if in_drugs:
            found.extend(("XML2", line["ma_thuoc"], line) for line in claim["drugs"]
                         if line["ma_thuoc"] in table)
        if in_supplies:
            found.extend(("XML3", line["ma_vat_tu"], line) for line in claim["services"]
                         if line["ma_vat_tu"] in table and line["ma_nhom"] in SUPPLY_GROUPS)
        if not found:
            return NO_HITS
        running = _including_services(claim["services"], table, found)
        if not running:
            return NO_HITS
        hits = []
        for where, code, line in found:
            row = table[code]
            service = _service_for(running, set(row["techniques"]), line)
            if service is None:
                continue
            inputs = {
                "code": code,
                "item": row["name"],
                "ordered_on": line["ngay_yl"].date().isoformat(),
                "service": service["ma_dich_vu"],
                "service_ordered": service["ngay_yl"].isoformat(sep=" "),
                "line_t_bhtt": money(line["t_bhtt"]),
            }
            item, within = f"{row['name']} ({code})", service["ma_dich_vu"]
            message = (f"{item} is part of the price of service {within} performed the same day "
                       "and is billed again.")
            message_vi = (f"{item} đã được tính trong giá dịch vụ kỹ thuật {within} thực hiện "
                          "cùng ngày nhưng vẫn được đề nghị thanh toán riêng.")
            hits.append(META.hit(p, message, amount=line["t_bhtt"], inputs=inputs, table=where,
                                 line=line["stt"], message_vi=message_vi))
        return hits or NO_HITS


def _technique(code: str) -> str:
    """The ``CC.KKKK`` technique part of a ``CC.KKKK.GGGG`` service code."""
    return code[:7]


def _including_services(
    services: list[Record], table: dict[str, Any], found: list[tuple[str, str, Record]]
) -> list[Record]:
    """Service lines (not supplies) of any technique that includes one of the found items."""
    codes = {code for _, code, _ in found}
    wanted: set[str] = set().union(*(table[code]["techniques"] for code in codes))
    return [s for s in services
            if s["ma_dich_vu"] and _technique(s["ma_dich_vu"]) in wanted
            and s["ma_nhom"] not in SUPPLY_GROUPS]


def _service_for(running: list[Record], techniques: set[str], item: Record) -> Record | None:
    """The first of ``running`` of ``techniques`` on the item's day (or named by the item)."""
    day = item["ngay_yl"].date()
    linked = item.get("ma_dich_vu")
    for s in running:
        code = s["ma_dich_vu"]
        if _technique(code) not in techniques:
            continue
        if linked and linked == code:
            return s
        end = s["ngay_kq"] or s["ngay_th_yl"] or s["ngay_yl"]
        if s["ngay_yl"].date() <= day <= end.date():
            return s
    return None
