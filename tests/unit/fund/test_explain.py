"""Explanations read as people write figures, in both languages."""

from __future__ import annotations

from datetime import date

from streams.fund.anomaly import Anomaly
from streams.fund.explain import explain, number


def _anomaly(**kw: object) -> Anomaly:
    base: dict[str, object] = dict(
        facility="79001", province="79", metric="cost_per_visit",
        period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), level="notice",
        observed=520_000.0, expected=400_000.0, peer_low=350_000.0, peer_high=430_000.0,
        peer_low3=330_000.0, peer_high3=450_000.0, peer_target=390_000.0,
        peer_percentile=96.4, peer_z=4.2, peers=12, peer_scope="tier_province_kind",
        score=5.0, cusum=9.0, alarm_day=date(2026, 3, 9), volume=3000,
        excess_cost=360_000_000.0)
    base.update(kw)
    return Anomaly(**base)  # type: ignore[arg-type]


def test_numbers_are_grouped_the_way_each_language_writes_them() -> None:
    assert number(1234567.4, "vi", "total_cost") == "1.234.567"
    assert number(1234567.4, "en", "total_cost") == "1,234,567"
    assert number(0.3512, "vi", "drug_share") == "35,1 %"
    assert number(0.3512, "en", "drug_share") == "35.1 %"
    assert number(5.56, "vi", "length_of_stay") == "5,6"


def test_explanation_names_metric_month_rise_band_and_peers() -> None:
    vi, en = explain(_anomaly())
    assert vi == ("Chi phí bình quân một lượt khám chữa bệnh tháng 03/2026: 520.000 đ/lượt, "
                  "cao hơn 30 % so với mức dự kiến theo số liệu của chính cơ sở (400.000 "
                  "đ/lượt). Các cơ sở cùng hạng, cùng loại trong tỉnh có quy mô tương tự "
                  "thường ở mức 350.000–430.000 đ/lượt; cơ sở cao hơn 96 % số cơ sở cùng "
                  "nhóm. Chi phí vượt ước tính: 360.000.000 đ.")
    assert en == ("Cost per visit, 03/2026: 520,000 VND/visit, 30% above what the facility's "
                  "own history predicts (400,000 VND/visit). Peers of the same tier and kind "
                  "in the province of a similar volume usually show 350,000–430,000 "
                  "VND/visit; the facility is above 96% of them. Estimated excess cost: "
                  "360,000,000 VND.")


def test_the_top_of_the_group_is_said_plainly() -> None:
    vi, en = explain(_anomaly(peer_percentile=100.0, metric="admissions", observed=80.0,
                              expected=40.0, peer_low=30.0, peer_high=50.0))
    assert "cao nhất nhóm" in vi and "the highest of them" in en
    assert "80 ca nhập viện" in vi and "30–50 admissions" in en
