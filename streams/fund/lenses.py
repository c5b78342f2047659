"""The two lenses of one metric and month, as arrays over all facilities.

``own_lens``: the facility against its own baseline (streams/fund/baseline.py) with the peers'
month factor, the capped one-sided CUSUM and the month's score, with and without its highest
day. ``month_values``: the month's observed and expected values in the metric's unit, and the
log value (each day capped) that the peer funnel compares, with its sampling variance.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streams.fund import charts
from streams.fund.baseline import Daily, MonthBase, month_base
from streams.fund.measures import Measure
from streams.fund.params import Params
from streams.fund.peers import Groups
from streams.fund.series import FacilitySeries

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class OwnLens:
    base: MonthBase
    own: Array  # [facility, day]: expected log value without the month factor
    factor: Array  # [facility]: the peers' shift this month
    cusum: Array  # [facility, day]
    first_alarm: npt.NDArray[np.int64]  # day index in the month where S > h, or −1
    typical: Array  # the month's median daily z
    capped_log: Array  # each day's log value capped at z_cap SDs above expectation
    top: npt.NDArray[np.int64]  # the day with the largest (uncapped) residual
    score: Array
    score_loo: Array  # the score without the top day


def own_lens(d: Daily, profile: Array, weekdays: npt.NDArray[np.int64], groups: Groups,
             span: tuple[int, int, int], kind: str, p: Params) -> OwnLens:
    """The baseline ends where the previous month begins (``lead``) and the CUSUM runs from
    there: a rise that began late last month, too short to confirm then, is neither in this
    month's baseline nor lost to a CUSUM restart."""
    lead, a, b = span
    base = month_base(d, profile, weekdays, lead, p.baseline_days, p.level_days, kind)
    own_all = base.level[:, None] + profile[:, weekdays[lead:b]]
    resid_all = d.log[:, lead:b] - own_all
    cut = a - lead
    factor_prev = _peer_factor(resid_all[:, :cut], groups)
    factor = _peer_factor(resid_all[:, cut:], groups)
    shifts = np.concatenate([np.repeat(factor_prev[:, None], cut, axis=1),
                             np.repeat(factor[:, None], b - a, axis=1)], axis=1)
    s_all, _ = charts.cusum_upper((resid_all - shifts) / base.scale[:, None], p.cusum_k,
                                  p.cusum_h, p.z_cap)
    own, s = own_all[:, cut:], s_all[:, cut:]
    raw = resid_all[:, cut:] - factor[:, None]
    over = s > p.cusum_h
    first_alarm = np.where(over.any(axis=1), over.argmax(axis=1), -1)
    # Both lenses see each day capped at z_cap robust SDs above expectation, as the CUSUM
    # does: one extreme day stays in the observed total but cannot carry the month's score
    # or its place among the peers. A notice must also hold without the month's highest
    # day at all (``*_loo``), so it is never the work of one day.
    cap = p.z_cap * base.scale[:, None]
    capped = np.minimum(raw, cap)
    top = np.argmax(np.where(np.isfinite(raw), raw, -np.inf), axis=1)  # uncapped: no ties
    without_top = capped.copy()
    without_top[np.arange(raw.shape[0]), top] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a facility without days
        typical = np.nanmedian(raw / base.scale[:, None], axis=1)
    return OwnLens(base, own, factor, s, first_alarm, typical,
                   np.minimum(d.log[:, a:b], own + factor[:, None] + cap), top,
                   _score(capped, base.scale, base.level_se),
                   _score(without_top, base.scale, base.level_se))


@dataclass(frozen=True)
class MonthValues:
    observed: Array  # in the metric's unit
    expected: Array  # own baseline × the peers' month factor, smeared into a mean
    unit: Array  # what exp(log value) is multiplied by to be in the metric's unit
    y: Array  # the log value the funnel compares (days capped)
    y_loo: Array  # the same without the top day
    v: Array  # its sampling variance


def month_values(series: FacilitySeries, m: Measure, d: Daily, lens: OwnLens, a: int, b: int
                 ) -> MonthValues:
    """Rates are compared on their level; counts and amounts, whose sizes differ by facility,
    on observed / own expectation (O/E). The variance is the daily scale² × mean daily volume
    / the month's volume (volume-aware), plus the level's own error²."""
    base, rows = lens.base, np.arange(len(series.facilities))
    num = series.data[m.num][:, a:b].sum(axis=1)
    exp_own = np.exp(lens.own) * base.smear[:, None]
    exp_all = exp_own * np.exp(lens.factor)[:, None]
    with np.errstate(all="ignore"):
        if m.kind == "rate":
            den_days = series.data[m.den][:, a:b]
            volume = den_days.sum(axis=1)
            observed = np.where(volume > 0, num / volume, np.nan)
            expected = (np.nan_to_num(exp_all) * den_days).sum(axis=1) / volume
            kept = np.where(np.isfinite(lens.capped_log),
                            den_days * np.exp(lens.capped_log), 0.0)
            against = den_days
            unit = np.ones_like(observed)
        else:
            observed, volume = num, num
            expected = np.fmax(exp_all - d.offset, 0.0).sum(axis=1)
            kept = np.nan_to_num(np.fmax(np.exp(lens.capped_log) - d.offset, 0.0))
            against = np.fmax(exp_own - d.offset, 0.0)
            unit = against.sum(axis=1)
        y = np.log(kept.sum(axis=1) / against.sum(axis=1))
        y_loo = np.log((kept.sum(axis=1) - kept[rows, lens.top])
                       / (against.sum(axis=1) - against[rows, lens.top]))
        v = base.scale ** 2 * base.mean_volume / np.fmax(volume, 1e-9) + base.level_se ** 2
    return MonthValues(observed, expected, unit, np.where(np.isfinite(y), y, np.nan),
                       y_loo, v)


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
