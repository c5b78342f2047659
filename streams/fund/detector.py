"""The detector: for every facility, metric and month, its own-baseline lens (robust daily
residuals, confirmed by a one-sided CUSUM) and its peer lens (a volume-aware funnel).

- ``watch``: the CUSUM of the month's daily residuals crossed ``h`` (a sustained rise, not a
  single day: a day's z is capped) and the month sits above the peers' ``watch_sd`` limit.
- ``notice``: the same, beyond the ``notice_sd`` limit, with at least ``min_volume`` visits in
  the month, and at least ``min_rise`` above what the facility's own history predicts.
Notices are ranked by their excess cost (excess × volume, in VND). The cycle is a calendar
month: one run per month, matching the monthly notice.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import numpy.typing as npt

from streams.fund import charts
from streams.fund.anomaly import Anomaly
from streams.fund.baseline import Daily, daily, month_base, weekday_profile
from streams.fund.explain import explain
from streams.fund.measures import MEASURES, SHARES, Measure
from streams.fund.peers import Groups, compare, peer_groups
from streams.fund.series import FacilitySeries

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Params:
    baseline_days: int = 91  # history a month's scale is measured on
    level_days: int = 56  # history its level is taken from
    min_history: int = 87  # a month with less history before it is not evaluated
    cusum_k: float = 0.5  # allowance, in robust SDs of a day
    cusum_h: float = 4.0  # decision interval
    z_cap: float = 3.0  # a day adds at most z_cap − k to the CUSUM
    watch_sd: float = 2.0
    notice_sd: float = 3.0
    min_volume: int = 100  # visits in the month for a notice
    min_rise: float = 0.05  # a notice's observed is at least this much above expected
    min_peers: int = 5
    min_active_days: int = 42  # baseline days with visits a facility needs to be judged


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


def evaluated(series: FacilitySeries, first: date, last: date, params: Params = Params()
              ) -> list[tuple[int, int]]:
    """The month column ranges a run over first..last evaluates (enough history before)."""
    return [s for s in months(series, first, last) if s[0] >= params.min_history]


def planned_rows(series: FacilitySeries, first: date, last: date, params: Params = Params()
                 ) -> int:
    """What ``detect`` will report to its progress callback in all: facility-days × metrics."""
    days = sum(b - a for a, b in evaluated(series, first, last, params))
    return days * len(series.facilities) * len(MEASURES)


def detect(series: FacilitySeries, first: date, last: date, params: Params = Params(),
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


def _peer_factor(resid: Array, groups: Groups) -> Array:
    """The month factor: per facility, its peers' median shift against their own baselines
    (the median over each peer's days, then over the peers)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a facility without data this month
        shift = np.nanmedian(resid, axis=1)
    factor = np.zeros(resid.shape[0])
    for g, idx in enumerate(groups.members):
        vals = shift[idx]
        if np.isfinite(vals).any():
            factor[groups.of == g] = float(np.nanmedian(vals))
    return factor


def _month(series: FacilitySeries, m: Measure, d: Daily, profile: Array,
           weekdays: npt.NDArray[np.int64], groups: Groups, span: tuple[int, int, int],
           p: Params) -> list[Anomaly]:
    """One metric, one month [a, b). The baseline ends where the previous month begins
    (``lead``) and the CUSUM runs from there: a rise that began late last month, too short
    to confirm then, is neither in this month's baseline nor lost to a CUSUM restart."""
    lead, a, b = span
    base = month_base(d, profile, weekdays, lead, p.baseline_days, p.level_days, m.kind)
    own_all = base.level[:, None] + profile[:, weekdays[lead:b]]  # no month factor yet
    resid_all = d.log[:, lead:b] - own_all
    cut = a - lead
    factor_prev = _peer_factor(resid_all[:, :cut], groups)
    factor = _peer_factor(resid_all[:, cut:], groups)
    shifts = np.concatenate([np.repeat(factor_prev[:, None], cut, axis=1),
                             np.repeat(factor[:, None], b - a, axis=1)], axis=1)
    s_all, _ = charts.cusum_upper((resid_all - shifts) / base.scale[:, None], p.cusum_k,
                                  p.cusum_h, p.z_cap)
    own, resid, s = own_all[:, cut:], resid_all[:, cut:], s_all[:, cut:]
    z = (resid - factor[:, None]) / base.scale[:, None]
    over = s > p.cusum_h
    first_alarm = np.where(over.any(axis=1), over.argmax(axis=1), -1)
    # Both lenses see each day capped at z_cap robust SDs above expectation, as the CUSUM
    # does: one extreme day stays in the observed total but cannot carry the month's score
    # or its place among the peers. A notice must also hold without the month's highest
    # day at all (``*_loo``), so it is never the work of one day.
    cap = p.z_cap * base.scale[:, None]
    capped_log = np.minimum(d.log[:, a:b], own + factor[:, None] + cap)
    raw = resid - factor[:, None]
    capped = np.minimum(raw, cap)
    top = np.argmax(np.where(np.isfinite(raw), raw, -np.inf), axis=1)  # uncapped: no ties
    rows = np.arange(len(series.facilities))
    without_top = capped.copy()
    without_top[rows, top] = np.nan
    score, score_loo = (_score(c, base.scale, base.level_se) for c in (capped, without_top))

    num = series.data[m.num][:, a:b].sum(axis=1)
    exp_own = np.exp(own) * base.smear[:, None]
    exp_all = exp_own * np.exp(factor)[:, None]
    with np.errstate(all="ignore"):
        if m.kind == "rate":
            den_days = series.data[m.den][:, a:b]
            den = den_days.sum(axis=1)
            observed = np.where(den > 0, num / den, np.nan)
            expected = (np.where(np.isfinite(exp_all), exp_all, 0) * den_days).sum(axis=1) / den
            kept = np.where(np.isfinite(capped_log), den_days * np.exp(capped_log), 0.0)
            against = den_days
            volume = den
            unit_of = np.ones_like(observed)
        else:
            observed = num
            expected = np.fmax(exp_all - d.offset, 0.0).sum(axis=1)
            kept = np.nan_to_num(np.fmax(np.exp(capped_log) - d.offset, 0.0))
            against = np.fmax(exp_own - d.offset, 0.0)
            volume = num
            unit_of = against.sum(axis=1)
        y = np.log(kept.sum(axis=1) / against.sum(axis=1))
        y_loo = np.log((kept.sum(axis=1) - kept[rows, top])
                       / (against.sum(axis=1) - against[rows, top]))
        v = base.scale ** 2 * base.mean_volume / np.fmax(volume, 1e-9) + base.level_se ** 2
    peer = compare(np.where(np.isfinite(y), y, np.nan), v, groups)
    with np.errstate(all="ignore"):  # without its top day, against the same funnel
        z_loo = (y_loo - peer.target) / peer.sd

    visits = series.data["visits"][:, a:b].sum(axis=1)
    out: list[Anomaly] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        typical = np.nanmedian(z, axis=1)
    # Sustained: the CUSUM crossed h AND the month's median day is above the allowance, so
    # one extreme day (capped in the CUSUM, but still in the month's total) cannot make it.
    rising = (first_alarm >= 0) & (typical >= p.cusum_k) & (score >= p.watch_sd)
    history = (series.data["visits"][:, max(0, lead - p.baseline_days):lead] > 0).sum(axis=1)
    flagged = rising & ((peer.z >= p.watch_sd) | (score >= p.notice_sd)) & (
        history >= p.min_active_days)
    for i in (int(x) for x in np.flatnonzero(flagged)):
        level = "notice" if (peer.z[i] >= p.notice_sd and visits[i] >= p.min_volume
                             and observed[i] >= expected[i] * (1 + p.min_rise)
                             and z_loo[i] >= p.notice_sd
                             and score_loo[i] >= p.watch_sd) else "watch"
        unit = unit_of[i]
        lo2, hi2 = (np.exp(peer.target[i] + k * p.watch_sd * peer.sd[i]) * unit for k in (-1, 1))
        lo3, hi3 = (np.exp(peer.target[i] + k * p.notice_sd * peer.sd[i]) * unit
                    for k in (-1, 1))
        info = series.facilities[i]
        anomaly = Anomaly(
            facility=info.facility, province=info.province, metric=m.name,
            period_start=series.day(a), period_end=series.day(b - 1), level=level,
            observed=float(observed[i]), expected=float(expected[i]),
            peer_low=float(lo2), peer_high=float(hi2), peer_low3=float(lo3),
            peer_high3=float(hi3), peer_target=float(np.exp(peer.target[i]) * unit),
            peer_percentile=float(np.nan_to_num(peer.percentile[i])),
            peer_z=float(peer.z[i]), peers=int(peer.peers[i]),
            peer_scope=groups.scope[int(groups.of[i])], score=float(score[i]),
            cusum=float(s[i].max()), alarm_day=series.day(a + int(first_alarm[i])),
            volume=int(visits[i]), excess_cost=_excess(series, m, i, a, b, float(observed[i]),
                                                        float(expected[i])))
        vi, en = explain(anomaly)
        out.append(replace(anomaly, explanation_vi=vi, explanation_en=en))
    return out


def _score(capped: Array, scale: Array, level_se: Array) -> Array:
    """The month's robust residual z: its mean capped residual against the standard error of
    a month's mean, the level's own uncertainty included (0 without days)."""
    n_days = np.isfinite(capped).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nan_to_num(np.nanmean(capped, axis=1))
    month_se = np.sqrt(scale ** 2 / np.fmax(n_days, 1) + level_se ** 2)
    out: Array = np.where(n_days > 0, mean / month_se, 0.0)
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
