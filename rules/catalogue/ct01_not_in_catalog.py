"""CT01: a drug, service or supply is not in the catalog valid on the day it was given.

Why:
    The fund pays only for items on the facility's catalog approved by the social-security
    agency (forms 01–06/DM), each row valid from TU_NGAY to DEN_NGAY. Automatic appraisal must
    check each billed item against that catalog (TT 12/2026/TT-BTC Art. 10(1)(c)).

Anti-pattern:
    Looking the code up in today's catalog, or in any version of it. A code that was approved
    last year, or only from next month, is still a code the fund does not pay for on the day the
    item was ordered.

Best practice:
    Look each line up once, by kind (drug / service / supply), facility and code, on the line's
    own order date (NGAY_YL); fall back to the national list; reject only that line's HI amount
    (T_BHTT), not the whole claim. The lists themselves: TT 20/2022/TT-BYT (drugs), TT 04/2017 →
    TT 24/2025/TT-BYT (supplies), TT 23/2024 and TT 39/2024/TT-BYT (services).
"""

from __future__ import annotations

from datetime import date

from rules.base import (
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
    code="CT01",
    name="catalog.item_not_in_catalog",
    title="Drug/service/supply not in the catalog valid on the service date",
    family="catalog",
    severity=Severity.PARTIAL,
    legal_basis=(
        "TT 12/2026/TT-BTC Art. 10(1)(c); TT 20/2022/TT-BYT (drugs); "
        "TT 04/2017/TT-BYT → TT 24/2025/TT-BYT (supplies); TT 23/2024 and TT 39/2024/TT-BYT "
        "(services)"
    ),
    effective_from=date(2024, 7, 1),
)

_CODE_FIELD = {"DRUG": "ma_thuoc", "SERVICE": "ma_dich_vu", "SUPPLY": "ma_vat_tu"}


class NotInCatalog(LineRule):
    meta = META

    def check(
        self, ctx: Context, p: Params, line: Record, kind: str, entry: Record | None
    ) -> Hit | None:
        if entry is not None:
            return None
        code = line[_CODE_FIELD[kind]] or ""
        on = line["ngay_yl"].date()
        facility = ctx.claim["facility"]
        inputs = {
            "kind": kind,
            "code": code,
            "facility": facility,
            "ordered_on": on.isoformat(),
            "line_t_bhtt": money(line["t_bhtt"]),
        }
        field = _CODE_FIELD[kind].upper()
        message = (
            f"{kind.lower()} {code or f'(no {field})'} is in neither facility {facility}'s "
            f"approved catalog nor the national list on {on}."
        )
        message_vi = (
            f"{KIND_VI[kind]} {code or f'(không có {field})'} không có trong danh mục được phê "
            f"duyệt của cơ sở {facility} và cũng không có trong danh mục toàn quốc vào ngày {on}."
        )
        return META.hit(
            p, message, amount=line["t_bhtt"], inputs=inputs,
            table=TABLE_OF_KIND[kind], line=line["stt"], message_vi=message_vi,
        )
