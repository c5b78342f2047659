"""CL13: a second or further surgery on the same day billed above the reduced rate.

Why:
    When several operations are done on a patient in one session, the main one is paid in full
    and every further one at 50 % of its price, or at 80 % when a different surgical team
    performs it (TT 39/2024/TT-BYT Art. 4(d)); the rate is written in XML3 TYLE_TT_DV. Billing
    each at 100 % is a frequent over-payment the social-security agency reviews (rejection code
    T.008.667).

Anti-pattern:
    Picking "the first" surgery by time, so that a claim which correctly puts the full rate on the
    main operation done second is rejected; counting lines instead of quantities (one line with
    SO_LUONG 2 is two operations); or granting 80 % without any sign of a second team.

Best practice:
    Group the surgery units (``surgery_groups``) by day (execution date, else order date). In a
    day with more than one unit, the unit claimed at the highest rate (then the highest price)
    is the main one; every other unit may be claimed at ``same_team_pct``, or
    ``other_team_pct`` when its line lists performers (NGUOI_THUC_HIEN) none of whom performed the
    main one. Reject the excess share of T_BHTT: t_bhtt/unit × (claimed − allowed)/claimed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, Record, RuleMeta, Severity, money
from rules.catalogue._clinical import (
    GROUP,
    QUANTITY_EPS,
    derived,
    groups_of,
    line_day,
    qty,
    split_codes,
)
from rules.context import Context

META = RuleMeta(
    code="CL13",
    name="clinical.further_surgery_full_rate",
    title="Second or further surgery on the same day not at the reduced rate (50 % / 80 %)",
    family="clinical",
    severity=Severity.PARTIAL,
    legal_basis=(
        "TT 39/2024/TT-BYT Art. 4(d); QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML3 "
        "TYLE_TT_DV; CV 266 rejection code T.008.667"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("surgery_groups", "same_team_pct", "other_team_pct"),
)


_SURGERY = groups_of("surgery_groups")


def _units(line: Record) -> int:
    quantity: float = line["so_luong"]
    return max(1, round(quantity))


class FurtherSurgeryFullRate(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        groups = derived(p, "CL13.surgery_groups", _SURGERY)
        services = ctx.claim["services"]
        if groups.isdisjoint(map(GROUP, services)):
            return NO_HITS
        ops = [line for line in services if line["ma_nhom"] in groups]
        if not ops or (len(ops) == 1 and ops[0]["so_luong"] <= 1 + QUANTITY_EPS):
            return NO_HITS
        by_day: dict[date, list[Record]] = {}
        for line in ops:
            by_day.setdefault(line_day(line), []).append(line)
        hits: list[Hit] = []
        for day, lines in sorted(by_day.items()):
            if sum(_units(line) for line in lines) > 1:
                hits.extend(self._day(p, day, lines))
        return hits

    def _day(self, p: Params, day: date, lines: list[Record]) -> list[Hit]:
        ranked = sorted(lines, key=lambda s: (-s["tyle_tt_dv"], -s["don_gia_bh"], s["ngay_yl"],
                                              s["stt"]))
        main = ranked[0]
        main_team = set(split_codes(main["nguoi_thuc_hien"]))
        same, other = p.values["same_team_pct"], p.values["other_team_pct"]
        total = sum(_units(line) for line in lines)
        hits = []
        for position, line in enumerate(ranked):
            units = _units(line)
            further = units - 1 if position == 0 else units
            team = set(split_codes(line["nguoi_thuc_hien"]))
            own_team = position > 0 and bool(team) and bool(main_team) and not team & main_team
            allowed = other if own_team else same
            claimed = line["tyle_tt_dv"]
            if further == 0 or claimed <= allowed + QUANTITY_EPS:
                continue
            excess = line["t_bhtt"] / units * further * (claimed - allowed) / claimed
            inputs = {
                "day": day.isoformat(),
                "surgeries_that_day": str(total),
                "main_surgery": f"XML3 line {main['stt']} ({main['ma_dich_vu']})",
                "ma_dich_vu": line["ma_dich_vu"],
                "further_units_on_line": str(further),
                "tyle_tt_dv": qty(claimed),
                "allowed_pct": qty(allowed),
                "team": "different" if own_team else "same or unknown",
                "line_t_bhtt": money(line["t_bhtt"]),
            }
            rate, most, over = inputs["tyle_tt_dv"], inputs["allowed_pct"], money(excess)
            team_vi = "kíp khác" if own_team else "cùng kíp hoặc không rõ kíp"
            message = (
                f"Surgery {line['ma_dich_vu']} on {day} is a further operation after "
                f"{main['ma_dich_vu']} ({inputs['team']} team) billed at {rate} %, at "
                f"most {most} % payable: {over} VND over."
            )
            message_vi = (
                f"Phẫu thuật {line['ma_dich_vu']} ngày {day} là ca phẫu thuật thứ hai trở đi sau "
                f"{main['ma_dich_vu']} ({team_vi}) được đề nghị thanh toán {rate} %, chỉ được "
                f"thanh toán tối đa {most} %: vượt {over} VND."
            )
            hits.append(META.hit(p, message, amount=excess, inputs=inputs, table="XML3",
                                 line=line["stt"], message_vi=message_vi,
                                 threshold=f"{most} %"))
        return hits
