"""CT05: the bid a line names (TT_THAU) is not the bid approved for the facility.

Why:
    A facility's approved row for a drug or supply records the bid it won (TT_THAU) and the price
    of that bid; the fund pays that price for goods bought under that bid (Law on HI Art. 30-31;
    TT 12/2026/TT-BTC Art. 10(1)(d) and (l-m)). A line naming another bid was bought outside the
    approved tender, so neither its price nor its quantity is covered by the approval.

Anti-pattern:
    Comparing the raw strings (spacing and letter case differ between systems; a short form
    without the decision number names the same bid), or rejecting lines whose TT_THAU cannot be
    read at all, which CT04 reports.

Best practice:
    For lines whose catalog row is the facility's own and names a bid: parse both, compare
    package, group and year, and the decision when both give one. A different bid rejects the
    line's T_BHTT. National rows are CT03's, missing or unreadable TT_THAU CT04's.
"""

from __future__ import annotations

from datetime import date

from rules.base import (
    DRUG,
    KIND_VI,
    SUPPLY,
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
from rules.tender import parse_tender, same_bid

META = RuleMeta(
    code="CT05",
    name="catalog.tender_not_approved_bid",
    title="TT_THAU does not match the facility's approved bid",
    family="catalog",
    severity=Severity.PARTIAL,
    legal_basis=(
        "TT 12/2026/TT-BTC Art. 10(1)(d) and (l-m); Law on HI 25/2008/QH12 Art. 30 and Art. 31; "
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, TT_THAU"
    ),
    effective_from=date(2024, 7, 1),
)


class TenderMismatch(LineRule):
    meta = META
    scope = (DRUG, SUPPLY)

    def check(
        self, ctx: Context, p: Params, line: Record, kind: str, entry: Record | None
    ) -> Hit | None:
        if entry is None or not entry["facility"]:
            return None
        approved, billed = entry["tt_thau"], line["tt_thau"]
        if not approved or not billed or approved == billed:
            return None
        a, b = parse_tender(billed), parse_tender(approved)
        if a is None or b is None or same_bid(a, b):
            return None
        inputs = {
            "kind": kind,
            "code": entry["code"],
            "facility": entry["facility"],
            "line_tt_thau": billed,
            "approved_tt_thau": approved,
            "approved_from": str(entry["valid_from"]),
            "line_t_bhtt": money(line["t_bhtt"]),
        }
        message = (f"{kind.lower()} {entry['code']} names bid {billed!r}; the bid approved for "
                   f"{entry['facility']} is {approved!r}.")
        message_vi = (f"{KIND_VI[kind]} {entry['code']} ghi gói thầu {billed!r}; gói thầu được "
                      f"phê duyệt cho cơ sở {entry['facility']} là {approved!r}.")
        return META.hit(p, message, amount=line["t_bhtt"], inputs=inputs,
                        table=TABLE_OF_KIND[kind], line=line["stt"], message_vi=message_vi)
