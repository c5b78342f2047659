"""The metrics the detector watches, as data: how each is computed from facility_day columns,
how its daily value is transformed, and how its excess is turned into money.

Three kinds:
- ``rate``: a ratio of two sums (cost per visit, length of stay, cost shares); peers are
  compared on the level itself, its volume is the denominator.
- ``count``: a daily count (visits, admissions, referrals out); sizes differ between
  facilities, so peers are compared on the change against each one's own baseline (O/E).
- ``money``: a daily amount (total cost, HI cost); compared like counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# facility_day columns the detector reads, in this order in the arrays of a FacilitySeries.
SERIES_COLUMNS = (
    "visits", "outpatient", "inpatient", "admissions", "bed_days", "referrals_in",
    "referrals_out", "total_cost", "hi_cost", "approved", "rejected", "drug_cost",
    "supply_cost", "service_cost", "inpatient_cost",
)

Kind = Literal["rate", "count", "money"]


@dataclass(frozen=True)
class Measure:
    name: str  # as in anomalies.metric
    kind: Kind
    num: str  # facility_day column summed on top
    den: str = ""  # rate: the column below; its sum is the volume
    cost: bool = False  # observed/expected are VND (excess is then exact, else estimated)
    unit_vi: str = ""
    unit_en: str = ""


MEASURES: tuple[Measure, ...] = (
    Measure("cost_per_visit", "rate", "total_cost", "visits", cost=True,
            unit_vi="đ/lượt", unit_en="VND/visit"),
    Measure("visits", "count", "visits", unit_vi="lượt", unit_en="visits"),
    Measure("admissions", "count", "admissions", unit_vi="ca nhập viện", unit_en="admissions"),
    Measure("length_of_stay", "rate", "bed_days", "inpatient", unit_vi="ngày/đợt",
            unit_en="days/stay"),
    Measure("drug_share", "rate", "drug_cost", "total_cost", unit_vi="%", unit_en="%"),
    Measure("supply_share", "rate", "supply_cost", "total_cost", unit_vi="%", unit_en="%"),
    Measure("service_share", "rate", "service_cost", "total_cost", unit_vi="%", unit_en="%"),
    Measure("total_cost", "money", "total_cost", cost=True, unit_vi="đ", unit_en="VND"),
    Measure("hi_cost", "money", "hi_cost", cost=True, unit_vi="đ", unit_en="VND"),
    Measure("referrals_out", "count", "referrals_out", unit_vi="ca chuyển tuyến",
            unit_en="referrals"),
)
BY_NAME = {m.name: m for m in MEASURES}
SHARES = frozenset({"drug_share", "supply_share", "service_share"})
