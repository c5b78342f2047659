"""Notice composition: which metrics, one per metric, ranking, follow-up of the last notice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from streams.fund.notices import texts
from streams.fund.notices.compose import (
    METRICS,
    NoticeInputError,
    Previous,
    compose,
    follow_ups,
    month_bounds,
    notice_id,
    overall,
    parse_month,
    previous_month,
)
from streams.fund.notices.render import gauge, render_html
from tests.fund_contract import anomaly

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def _previous(*metrics: str) -> Previous:
    return Previous("p" * 24, 202603, tuple(anomaly(metric=m, start=MARCH[0], end=MARCH[1])
                                            for m in metrics))


def test_only_notice_level_anomalies_of_the_facility_and_month_are_findings() -> None:
    rows = [anomaly(), anomaly(metric="visits", level="watch"),
            anomaly(facility="79002"),  # another facility
            anomaly(metric="drug_share", start=date(2026, 2, 1), end=date(2026, 2, 28)),
            anomaly(metric="admissions", start=date(2026, 3, 20), end=date(2026, 4, 2))]
    notice = compose("79001", 202604, rows)
    assert notice is not None
    # equal excess: by metric name; the watch, the other facility and February are left out
    assert [a.metric for a in notice.findings] == ["admissions", "cost_per_visit"]
    assert notice.notice_id == notice_id("79001", 202604)
    assert notice.province == "79"


def test_no_notice_when_only_watch_level() -> None:
    assert compose("79001", 202604, [anomaly(level="watch")]) is None
    assert compose("79001", 202604, []) is None


def test_findings_ranked_by_excess_cost_and_one_per_metric() -> None:
    rows = [anomaly(metric="drug_share", excess=5e6),
            anomaly(metric="cost_per_visit", excess=9e7),
            anomaly(metric="cost_per_visit", start=date(2026, 4, 15), excess=1e7),
            anomaly(metric="hi_cost", excess=3e7)]
    notice = compose("79001", 202604, rows)
    assert notice is not None
    assert [a.metric for a in notice.findings] == ["hi_cost", "cost_per_visit", "drug_share"]
    # the later period of the same metric is the one quoted
    assert notice.findings[1].period_start == date(2026, 4, 15)
    assert notice.excess_cost == pytest.approx(3e7 + 1e7 + 5e6)


def test_rise_and_band() -> None:
    a = anomaly(observed=390_000, expected=300_000, band=(250_000, 340_000))
    assert a.rise == pytest.approx(0.30)
    assert a.above_band == pytest.approx(390 / 340 - 1)


@pytest.mark.parametrize(("now", "status"), [
    ([], "adjusted"),
    ([anomaly(level="watch")], "partly_adjusted"),
    ([anomaly(level="notice")], "not_adjusted"),
])
def test_follow_up_of_one_metric(now: list, status: str) -> None:  # type: ignore[type-arg]
    ups = follow_ups(_previous("cost_per_visit"), now)
    assert [(u.metric, u.status) for u in ups] == [("cost_per_visit", status)]


def test_overall_follow_up() -> None:
    assert overall([]) == ""
    assert overall(["adjusted", "adjusted"]) == "adjusted"
    assert overall(["not_adjusted", "not_adjusted"]) == "not_adjusted"
    assert overall(["adjusted", "not_adjusted"]) == "partly_adjusted"


def test_notice_says_what_happened_since_the_previous_one() -> None:
    prev = _previous("cost_per_visit", "referrals_out")
    rows = [anomaly(), anomaly(metric="drug_share")]  # cost still high, referrals back
    notice = compose("79001", 202604, rows, prev)
    assert notice is not None
    got = {u.metric: u.status for u in notice.followups}
    assert got == {"cost_per_visit": "not_adjusted", "referrals_out": "adjusted"}
    assert notice.followup == "partly_adjusted"
    html = render_html(notice, "en", datetime(2026, 5, 3, tzinfo=UTC))
    assert "What happened since the notice of 03/2026" in html
    assert "Not adjusted" in html and "Adjusted" in html and "Partly adjusted" in html


def test_first_notice_says_so_in_both_languages() -> None:
    notice = compose("79001", 202604, [anomaly()])
    assert notice is not None and notice.followup == ""
    vi = render_html(notice, "vi", datetime(2026, 5, 3, tzinfo=UTC))
    en = render_html(notice, "en", datetime(2026, 5, 3, tzinfo=UTC))
    assert "Đây là thông báo đầu tiên" in vi and "first notice" in en
    assert "Chi phí bình quân một lượt KCB" in vi and "Cost per visit" in en
    assert "390.000 ₫" in vi and "390,000 ₫" in en
    assert "+30,0 %" in vi and "+30.0 %" in en


def test_month_parsing_names_the_field() -> None:
    assert parse_month("202604") == 202604
    for bad in ("2026-04", "202613", "26", "abc", "202600"):
        with pytest.raises(NoticeInputError, match="month"):
            parse_month(bad)
    assert month_bounds(202602) == (date(2026, 2, 1), date(2026, 2, 28))
    assert month_bounds(202612) == (date(2026, 12, 1), date(2026, 12, 31))
    assert previous_month(202601) == 202512


def test_every_metric_has_both_names_and_a_unit() -> None:
    for m in METRICS:
        vi, en, unit = texts.METRIC_NAMES[m]
        assert vi and en and unit in ("money", "count", "days", "share")
    assert texts.amount("drug_share", 0.4712, "vi") == "47,1 %"
    assert texts.amount("length_of_stay", 6.04, "en") == "6.0 days"


def test_gauge_puts_observed_right_of_the_band() -> None:
    svg = gauge(anomaly(observed=400, expected=300, band=(250, 340)), width=150)
    assert svg.startswith("<svg") and "circle" in svg
    cx = float(svg.split('cx="')[1].split('"')[0])
    assert cx > 140 - 10  # the highest value sits near the right end
