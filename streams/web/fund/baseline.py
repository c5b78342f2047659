"""A facility's metric day by day, smoothed, for the baseline chart beside each anomaly.

Ratios (cost per visit, shares, length of stay) are the 7-day sum of the numerator over the
7-day sum of the denominator, so a quiet Sunday does not swing them; counts and amounts are
the 7-day mean per day. The detector reports a month's figures: a ratio's expected value and
peers' band are drawn as they are, a count's or amount's (month totals) divided by the days of
the period, to sit on the per-day line (docs/fund-pages.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from streams.fund.notices.compose import Anomaly
from streams.fund.notices.texts import amount
from streams.web.fund.charts import Series, line_chart
from streams.web.fund.queries import FundQueries

# metric -> (numerator column, denominator column or None for a per-day mean)
PARTS: dict[str, tuple[str, str | None]] = {
    "cost_per_visit": ("total_cost", "visits"), "visits": ("visits", None),
    "admissions": ("admissions", None), "length_of_stay": ("bed_days", "inpatient"),
    "drug_share": ("drug_cost", "total_cost"), "supply_share": ("supply_cost", "total_cost"),
    "service_share": ("service_cost", "total_cost"), "total_cost": ("total_cost", None),
    "hi_cost": ("hi_cost", None), "referrals_out": ("referrals_out", None),
}
WINDOW = 7
BEFORE_DAYS = 120


def smoothed(days: list[tuple[date, dict[str, float]]], metric: str
             ) -> list[tuple[date, float | None]]:
    num, den = PARTS.get(metric, ("visits", None))
    out: list[tuple[date, float | None]] = []
    for i, (day, _) in enumerate(days):
        window = [row for _, row in days[max(0, i - WINDOW + 1):i + 1]]
        top = sum(r[num] for r in window)
        if den is None:
            out.append((day, top / len(window)))
        else:
            bottom = sum(r[den] for r in window)
            out.append((day, top / bottom if bottom else None))
    return out


def reference_lines(a: Anomaly) -> tuple[float, float, float]:
    """(expected, peers' low, peers' high) on the chart's scale: per day for a count or an
    amount, whose detector figures are the period's totals; as they are for a ratio."""
    per = 1.0
    if PARTS.get(a.metric, ("visits", None))[1] is None:
        per = float((a.period_end - a.period_start).days + 1)
    return a.expected / per, a.peer_low / per, a.peer_high / per


def baseline_chart(queries: FundQueries, a: Anomaly, lang: str, width: int = 680,
                   height: int = 220, labels: bool = True) -> str:
    first = a.period_start - timedelta(days=BEFORE_DAYS)
    days = queries.days(a.facility, first, a.period_end)
    points = smoothed(days, a.metric)
    if not points:
        return ""
    xs = [d for d, _ in points]
    values = [v for _, v in points]
    start = next((i for i, d in enumerate(xs) if d >= a.period_start), len(xs) - 1)
    fmt: Callable[[float], str] = lambda v: amount(a.metric, v, lang)  # noqa: E731
    level, low, high = reference_lines(a)
    expected = [level] * len(xs)
    en = lang == "en"
    # The metric's name is the card's heading: the legend only says how it is smoothed.
    series = [Series("7-day average" if en else "trung bình 7 ngày", "#0b5cad", values),
              Series("expected" if en else "mức dự kiến", "#2e7d4f", expected, dashed=True,
                     width=1.5)]
    band = ([low] * len(xs), [high] * len(xs))
    return line_chart(series, [f"{d:%d/%m}" for d in xs], fmt, band=band,
                      band_label=("peers' band" if en else "ngưỡng nhóm") if labels else "",
                      mark=(start, len(xs) - 1), width=width, height=height,
                      name=f"baseline-{a.metric}")
