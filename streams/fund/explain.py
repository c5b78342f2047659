"""Plain explanations of an anomaly, in Vietnamese and English: what rose, by how much against
the facility's own history, and where it sits among its peers."""

from __future__ import annotations

from streams.fund.anomaly import Anomaly
from streams.fund.measures import BY_NAME, SHARES

_NAME_VI = {
    "cost_per_visit": "Chi phí bình quân một lượt khám chữa bệnh",
    "visits": "Số lượt khám chữa bệnh",
    "admissions": "Số ca nhập viện nội trú",
    "length_of_stay": "Số ngày điều trị bình quân một đợt nội trú",
    "drug_share": "Tỷ trọng chi phí thuốc",
    "supply_share": "Tỷ trọng chi phí vật tư y tế",
    "service_share": "Tỷ trọng chi phí dịch vụ kỹ thuật",
    "total_cost": "Tổng chi phí khám chữa bệnh",
    "hi_cost": "Chi phí đề nghị quỹ BHYT thanh toán",
    "referrals_out": "Số ca chuyển tuyến đi",
}
_NAME_EN = {
    "cost_per_visit": "Cost per visit",
    "visits": "Visits",
    "admissions": "Inpatient admissions",
    "length_of_stay": "Average length of stay",
    "drug_share": "Drug share of cost",
    "supply_share": "Medical-supply share of cost",
    "service_share": "Service share of cost",
    "total_cost": "Total cost",
    "hi_cost": "Cost claimed from the HI fund",
    "referrals_out": "Referrals out",
}
_SCOPE_VI = {"tier_province_kind": "cùng hạng, cùng loại trong tỉnh",
             "tier_kind": "cùng hạng, cùng loại trên cả nước",
             "kind": "cùng loại trên cả nước", "all": "trên cả nước"}
_SCOPE_EN = {"tier_province_kind": "of the same tier and kind in the province",
             "tier_kind": "of the same tier and kind nationwide",
             "kind": "of the same kind nationwide", "all": "nationwide"}


def number(value: float, lang: str, metric: str) -> str:
    """A figure as people read it: shares in %, money and counts grouped by thousands
    (1.234.567 in Vietnamese, 1,234,567 in English), stays with one decimal."""
    if metric in SHARES:
        text = f"{value * 100:.1f}"
        return (text.replace(".", ",") if lang == "vi" else text) + " %"
    if metric == "length_of_stay":
        text = f"{value:.1f}"
        return text.replace(".", ",") if lang == "vi" else text
    text = f"{round(value):,}"
    return text.replace(",", ".") if lang == "vi" else text


def _with_unit(value: float, lang: str, metric: str) -> str:
    m = BY_NAME[metric]
    unit = m.unit_vi if lang == "vi" else m.unit_en
    return number(value, lang, metric) + ("" if metric in SHARES else f" {unit}")


def explain(a: Anomaly) -> tuple[str, str]:
    rise = (a.observed / a.expected - 1.0) * 100 if a.expected > 0 else 0.0
    month = f"{a.period_start:%m/%Y}"
    obs_vi, exp_vi = (_with_unit(x, "vi", a.metric) for x in (a.observed, a.expected))
    obs_en, exp_en = (_with_unit(x, "en", a.metric) for x in (a.observed, a.expected))
    band_vi = f"{number(a.peer_low, 'vi', a.metric)}–{_with_unit(a.peer_high, 'vi', a.metric)}"
    band_en = f"{number(a.peer_low, 'en', a.metric)}–{_with_unit(a.peer_high, 'en', a.metric)}"
    pct = round(a.peer_percentile)
    if pct >= 100:
        rank_vi, rank_en = "cơ sở ở mức cao nhất nhóm", "the facility is the highest of them"
    else:
        rank_vi = f"cơ sở cao hơn {pct} % số cơ sở cùng nhóm"
        rank_en = f"the facility is above {pct}% of them"
    excess_vi = number(a.excess_cost, "vi", "total_cost")
    excess_en = number(a.excess_cost, "en", "total_cost")
    vi = (f"{_NAME_VI[a.metric]} tháng {month}: {obs_vi}, cao hơn {rise:.0f} % so với mức "
          f"dự kiến theo số liệu của chính cơ sở ({exp_vi}). Các cơ sở {_SCOPE_VI[a.peer_scope]}"
          f" có quy mô tương tự thường ở mức {band_vi}; {rank_vi}. "
          f"Chi phí vượt ước tính: {excess_vi} đ.")
    en = (f"{_NAME_EN[a.metric]}, {month}: {obs_en}, {rise:.0f}% above what the "
          f"facility's own history predicts ({exp_en}). Peers {_SCOPE_EN[a.peer_scope]} of a "
          f"similar volume usually show {band_en}; {rank_en}. "
          f"Estimated excess cost: {excess_en} VND.")
    return vi, en
