"""CL08: a lab test repeated within one claim more often than its interval allows.

Why:
    Some tests measure something that cannot change within an episode: HbA1c reflects the last
    2–3 months of glucose, so a repeat within 87 days is not paid (TT 35/2016/TT-BYT payment
    notes; social-security rejection code S.005.651). Within one claim the interval is always
    shorter than that, so such a test may appear at most a fixed number of times.

Anti-pattern:
    Counting lines instead of quantities, or hard-coding the test list in the rule: the list and
    the limits change with the regulations and differ between test codes.

Best practice:
    Keep the limits as versioned data (``max_per_claim``: MA_DICH_VU → most units per claim), sum
    SO_LUONG per listed code over the claim's services (not the supply lines, whose MA_DICH_VU
    names the service they were used in), and reject the units beyond the limit
    from the latest lines back, each line for its share of T_BHTT. Repeats across claims need the
    person's history of lines and belong to a cross-claim rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

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
from rules.catalogue._clinical import (
    QUANTITY_EPS,
    SERVICE_CODE,
    billing_order,
    excess_from_end,
    qty,
    unit_share,
)
from rules.context import Context

META = RuleMeta(
    code="CL08",
    name="clinical.lab_test_repeated_in_claim",
    title="Lab test repeated within the claim beyond its limit (e.g. HbA1c once)",
    family="clinical",
    severity=Severity.PARTIAL,
    legal_basis=(
        "TT 35/2016/TT-BYT payment notes (amended by TT 13/2020 and TT 39/2024/TT-BYT); "
        "CV 266 PL1 rejection code S.005.651 (HbA1c within 87 days)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("max_per_claim",),
)


class RepeatedLabTest(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        limits = p.values["max_per_claim"]
        services = ctx.claim["services"]
        if limits.keys().isdisjoint(map(SERVICE_CODE, services)):
            return NO_HITS
        found: dict[str, list[Record]] = {}
        for line in services:
            code = line["ma_dich_vu"]
            # A supply line names the service it was used in: it is not that service again.
            if code in limits and line["ma_nhom"] not in SUPPLY_GROUPS:
                found.setdefault(code, []).append(line)
        hits: list[Hit] = []
        for code, lines in found.items():
            limit = limits[code]
            billed = sum(line["so_luong"] for line in lines)
            if billed <= limit + QUANTITY_EPS:
                continue
            n_limit, n_billed = qty(limit), qty(billed)
            for line, units in excess_from_end(billing_order(lines), limit):
                n_units = qty(units)
                inputs = {
                    "ma_dich_vu": code,
                    "max_per_claim": n_limit,
                    "billed_in_claim": n_billed,
                    "excess_on_line": n_units,
                    "ngay_yl": line["ngay_yl"].isoformat(sep=" "),
                    "line_t_bhtt": money(line["t_bhtt"]),
                }
                message = (
                    f"Test {code} ({line['ten']}) billed {n_billed} times in one claim, at "
                    f"most {n_limit} payable; {n_units} of the repeats on this line."
                )
                message_vi = (
                    f"Xét nghiệm {code} ({line['ten']}) được đề nghị thanh toán {n_billed} lần "
                    f"trong một hồ sơ, chỉ được thanh toán tối đa {n_limit} lần; dòng này có "
                    f"{n_units} lần lặp lại vượt mức."
                )
                hits.append(META.hit(p, message, amount=unit_share(line, units), inputs=inputs,
                                     table="XML3", line=line["stt"], message_vi=message_vi,
                                     threshold=f"{n_limit} per claim"))
        return hits
