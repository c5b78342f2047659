"""The detector: for every facility, metric and month, its own-baseline lens (robust daily
residuals, confirmed by a one-sided CUSUM) and its peer lens (a volume-aware funnel).

- sustained rise: the CUSUM of the daily residuals (a day's z capped) crossed ``h`` in the
  month, the month's median day is above the allowance and its score is ``watch_sd`` or more;
- ``watch``: a sustained rise, and the month above the peers' ``watch_sd`` limit or a score of
  ``notice_sd`` on its own (one lens alone never makes more than a watch);
- ``notice``: a sustained rise beyond the peers' ``notice_sd`` limit, with ``min_volume``
  visits, ``min_rise`` above expectation, and still so without the month's highest day.
Notices are ranked by their excess cost (excess × volume, in VND). The cycle is a calendar
month, matching the monthly notice. docs/fund-monitoring.md explains each choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

import numpy as np
import numpy.typing as npt

from streams.fund.anomaly import Anomaly
from streams.fund.baseline import Daily, daily, weekday_profile
from streams.fund.explain import explain
from streams.fund.lenses import month_values, own_lens
from streams.fund.measures import MEASURES, SHARES, Measure
from streams.fund.params import DEFAULTS
from streams.fund.params import Params as Params  # re-exported: callers import it here
from streams.fund.peers import Groups, compare, peer_groups
from streams.fund.series import FacilitySeries

Array = npt.NDArray[np.float64]


def months(series: FacilitySeries, first: date, last: date) -> list[tuple[int, int]]:
    """Column ranges [start, end) of the calendar months overlapping first..last that lie in
    the series (a month cut by the series' end is evaluated on the days there are)."""
    out: list[tuple[int, int]] = []
    y, m = first.year, first.month
    while date(y, m, 1) <= last:
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        a = max(series.index(date(y, m, 1)), 0)
        b = min(series.index(date(ny, nm, 1)), series.days)
        if b > a:
            out.append((a, b))
        y, m = ny, nm
    return out


def evaluated(series: FacilitySeries, first: date, last: date, params: Params = DEFAULTS
              ) -> list[tuple[int, int]]:
    """The month column ranges a run over first..last evaluates (enough history before)."""
    return [s for s in months(series, first, last) if s[0] >= params.min_history]


def planned_rows(series: FacilitySeries, first: date, last: date, params: Params = DEFAULTS
                 ) -> int:
    """What ``detect`` will report to its progress callback in all: facility-days × metrics."""
    days = sum(b - a for a, b in evaluated(series, first, last, params))
    return days * len(series.facilities) * len(MEASURES)


def detect(series: FacilitySeries, first: date, last: date, params: Params = DEFAULTS,
           progress: Callable[[int], None] | None = None) -> list[Anomaly]:
    """Anomalies of every month overlapping first..last, notices ranked. ``progress`` gets
    facility-days done (per metric and month)."""
    spans = evaluated(series, first, last, params)
    groups = peer_groups(series.facilities, params.min_peers)
    weekdays = series.weekdays()
    found: list[Anomaly] = []
    for m in MEASURES:
        d = daily(series, m)
        profile = weekday_profile(d.log[:, : spans[-1][1]] if spans else d.log,
                                  weekdays[: spans[-1][1]] if spans else weekdays)
        for a, b in spans:
            lead = _previous_month_start(series, a)
            found.extend(_month(series, m, d, profile, weekdays, groups, (lead, a, b),
                                params))
            if progress:
                progress(len(series.facilities) * (b - a))
    return rank(found)


def rank(found: list[Anomaly]) -> list[Anomaly]:
    notices = sorted((x for x in found if x.level == "notice"), key=lambda x: -x.excess_cost)
    order = {id(x): i + 1 for i, x in enumerate(notices)}
    return [replace(x, rank=order.get(id(x), 0)) for x in found]


def _previous_month_start(series: FacilitySeries, a: int) -> int:
    first = series.day(a)
    prev = date(first.year - 1, 12, 1) if first.month == 1 else date(first.year,
                                                                      first.month - 1, 1)
    return max(0, series.index(prev))


def _month(series: FacilitySeries, m: Measure, d: Daily, profile: Array,
           weekdays: npt.NDArray[np.int64], groups: Groups, span: tuple[int, int, int],
           p: Params) -> list[Anomaly]:
    """One metric, one month [a, b): both lenses, then the levels."""
    lead, a, b = span
    lens = own_lens(d, profile, weekdays, groups, span, m.kind, p)
    val = month_values(series, m, d, lens, a, b)
    peer = compare(val.y, val.v, groups)
    with np.errstate(all="ignore"):  # without its top day, against the same funnel
        z_loo = (val.y_loo - peer.target) / peer.sd
    # Sustained: the CUSUM crossed h, the median day is above the allowance (one extreme
    # day, capped in the CUSUM but still in the month's total, cannot make it) and the
    # month's score is at least watch_sd.
    rising = (lens.first_alarm >= 0) & (lens.typical >= p.cusum_k) & (lens.score >= p.watch_sd)
    history = (series.data["visits"][:, max(0, lead - p.baseline_days):lead] > 0).sum(axis=1)
    flagged = rising & ((peer.z >= p.watch_sd) | (lens.score >= p.notice_sd)) & (
        history >= p.min_active_days)
    visits = series.data["visits"][:, a:b].sum(axis=1)
    out: list[Anomaly] = []
    for i in (int(x) for x in np.flatnonzero(flagged)):
        observed, expected = float(val.observed[i]), float(val.expected[i])
        notice = (peer.z[i] >= p.notice_sd and visits[i] >= p.min_volume
                  and observed >= expected * (1 + p.min_rise)
                  and z_loo[i] >= p.notice_sd and lens.score_loo[i] >= p.watch_sd)

        def band(k: float, i: int = i) -> float:
            return float(np.exp(peer.target[i] + k * peer.sd[i]) * val.unit[i])

        info = series.facilities[i]
        anomaly = Anomaly(
            facility=info.facility, province=info.province, metric=m.name,
            period_start=series.day(a), period_end=series.day(b - 1),
            level="notice" if notice else "watch", observed=observed, expected=expected,
            peer_low=band(-p.watch_sd), peer_high=band(p.watch_sd),
            peer_low3=band(-p.notice_sd), peer_high3=band(p.notice_sd), peer_target=band(0),
            peer_percentile=float(np.nan_to_num(peer.percentile[i])),
            peer_z=float(peer.z[i]), peers=int(peer.peers[i]),
            peer_scope=groups.scope[int(groups.of[i])], score=float(lens.score[i]),
            cusum=float(lens.cusum[i].max()),
            alarm_day=series.day(a + int(lens.first_alarm[i])), volume=int(visits[i]),
            excess_cost=_excess(series, m, i, a, b, observed, expected))
        vi, en = explain(anomaly)
        out.append(replace(anomaly, explanation_vi=vi, explanation_en=en))
    return out


def _excess(series: FacilitySeries, m: Measure, i: int, a: int, b: int, observed: float,
            expected: float) -> float:
    """The month's excess in VND: exact for cost metrics, estimated from the facility's own
    unit costs this month for the others (docs/fund-monitoring.md)."""
    col = {c: float(series.data[c][i, a:b].sum()) for c in (
        "visits", "total_cost", "inpatient", "inpatient_cost", "bed_days")}
    diff = observed - expected

    def per(num: str, den: str) -> float:
        return col[num] / col[den] if col[den] > 0 else 0.0

    if m.name == "cost_per_visit":
        return diff * col["visits"]
    if m.kind == "money":
        return diff
    if m.name in SHARES:
        return diff * col["total_cost"]
    if m.name == "length_of_stay":
        return diff * col["inpatient"] * per("inpatient_cost", "bed_days")
    if m.name == "admissions":
        return diff * per("inpatient_cost", "inpatient")
    return diff * per("total_cost", "visits")  # visits, referrals out
