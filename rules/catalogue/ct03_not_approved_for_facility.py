"""CT03: a drug or supply found only in the national list was not approved for this facility.

Why:
    The national lists say what the fund may pay for; a facility is paid for an item only once
    it is on the facility's own approved list (forms 01–06/DM, TT 12/2026/TT-BTC Art. 7–8 and
    Art. 10(1)(c)), bought under a bid it won or under a centralised tender it may buy from.
    CT01 accepts a national row when the facility has none, because facility lists reach hireview
    incompletely; this rule catches what the claim itself shows about that gap.

Anti-pattern:
    Flagging every line that falls back to the national list while the facility catalogs are
    known to be incomplete (every such claim would go to review), or never looking at the bid the
    line names: a line bought under the facility's own tender, for an item with no approved row
    at the facility, is an approval the fund has never seen.

Best practice:
    For a line whose only catalog row is national: when the national row names a centralised
    bid (TT_THAU) and the line names another one, the item was bought outside the centralised
    tender without a facility approval: warn for the line's T_BHTT. Kinds listed in the versioned
    parameter ``require_facility_row`` need a facility row outright; it stays empty until the
    facility lists are complete, then a new version turns the strict check on. Services are priced
    by the national price list per hospital class (TT 39/2024/TT-BYT) and are not checked here.
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
    code="CT03",
    name="catalog.item_not_approved_for_facility",
    title="Item only in the national list, not approved for the facility",
    family="catalog",
    severity=Severity.WARNING,
    legal_basis=(
        "TT 12/2026/TT-BTC Art. 7-8 (facility lists, forms 01-06/DM) and Art. 10(1)(c); "
        "TT 20/2022/TT-BYT (drugs); TT 04/2017/TT-BYT → TT 24/2025/TT-BYT (supplies)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("require_facility_row",),
)

_NO_ROW_VI = "cơ sở chưa được phê duyệt danh mục cho mặt hàng này"


class NotApprovedForFacility(LineRule):
    meta = META
    scope = (DRUG, SUPPLY)

    def check(
        self, ctx: Context, p: Params, line: Record, kind: str, entry: Record | None
    ) -> Hit | None:
        if entry is None or entry["facility"]:
            return None  # not in any list (CT01's) or approved for the facility
        if kind in p.values["require_facility_row"]:
            reason, reason_vi = "the facility has no approved row for it", _NO_ROW_VI
        else:
            national, billed = entry["tt_thau"], line["tt_thau"]
            if not national or not billed or national == billed:
                return None
            a, b = parse_tender(billed), parse_tender(national)
            if a is None or b is None or same_bid(a, b):
                return None  # unreadable bids are CT04's
            reason = (f"it was bought under bid {billed!r}, not the centralised bid {national!r}, "
                      f"and the facility has no approved row for it")
            reason_vi = (f"mua theo gói thầu {billed!r}, không phải kết quả đấu thầu tập trung "
                         f"{national!r}, và {_NO_ROW_VI}")
        facility = ctx.claim["facility"]
        inputs = {
            "kind": kind,
            "code": entry["code"],
            "facility": facility,
            "line_tt_thau": line["tt_thau"] or "",
            "national_tt_thau": entry["tt_thau"] or "",
            "national_from": str(entry["valid_from"]),
            "line_t_bhtt": money(line["t_bhtt"]),
        }
        message = (f"{kind.lower()} {entry['code']} is only in the national list at {facility}: "
                   f"{reason}.")
        message_vi = (f"{KIND_VI[kind]} {entry['code']} chỉ có trong danh mục toàn quốc, không có "
                      f"trong danh mục của cơ sở {facility}: {reason_vi}.")
        return META.hit(p, message, amount=line["t_bhtt"], inputs=inputs,
                        table=TABLE_OF_KIND[kind], line=line["stt"], message_vi=message_vi)
