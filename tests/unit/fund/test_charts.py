"""The control-chart and funnel pieces against cases worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from streams.fund import charts
from streams.fund.baseline import trimmed_mean


def test_robust_scale_is_1_4826_times_the_mad_and_ignores_one_outlier() -> None:
    # median 3; |x − 3| = 2, 1, 0, 1, 97 → MAD 1
    assert charts.robust_scale(np.array([[1.0, 2, 3, 4, 100]]))[0] == pytest.approx(1.4826)
    # a floor wins over a smaller MAD; NaNs are ignored
    got = charts.robust_scale(np.array([[5.0, 5, 5, np.nan]]), floor=0.2)
    assert got[0] == pytest.approx(0.2)


def test_cusum_accumulates_excess_over_the_allowance() -> None:
    # S: max(0, 0 − .5) = 0; 0 + 1 − .5 = .5; .5 + 2 − .5 = 2; 2 + 0 − .5 = 1.5; 1.5 + 3 − .5 = 4
    s, first = charts.cusum_upper(np.array([[0.0, 1, 2, 0, 3]]), k=0.5, h=2.0, cap=10.0)
    assert s[0].tolist() == pytest.approx([0.0, 0.5, 2.0, 1.5, 4.0])
    assert first[0] == 4  # S = 2 at index 2 is not above h; 4 at index 4 is


def test_a_single_capped_spike_cannot_raise_the_alarm_but_a_sustained_rise_does() -> None:
    spike = np.array([[0.0, 0, 10, 0, 0]])
    s, first = charts.cusum_upper(spike, k=0.5, h=4.0, cap=3.0)
    assert s[0].tolist() == pytest.approx([0.0, 0.0, 2.5, 2.0, 1.5])
    assert first[0] == -1
    _, uncapped = charts.cusum_upper(spike, k=0.5, h=4.0, cap=math.inf)
    assert uncapped[0] == 2  # without the cap the one day alone would alarm
    sustained = np.full((1, 10), 1.5)  # +1 a day over the allowance: S = 1, 2, 3, 4, 5
    _, first = charts.cusum_upper(sustained, k=0.5, h=4.0, cap=3.0)
    assert first[0] == 4


def test_cusum_skips_days_without_data_and_runs_per_row() -> None:
    z = np.array([[2.0, np.nan, 2.0], [0.0, 0.0, 0.0]])
    s, first = charts.cusum_upper(z, k=0.5, h=2.5, cap=3.0)
    assert s[0].tolist() == pytest.approx([1.5, 1.0, 2.5])
    assert s[1].tolist() == [0.0, 0.0, 0.0]
    assert first.tolist() == [-1, -1]


def test_between_variance_is_robust_spread_minus_sampling_variance() -> None:
    # median 0, |y| = 1, 0, 1 → MAD 1 → spread² 1.4826² = 2.198; minus median v 0.1
    tau2 = charts.between_variance(np.array([-1.0, 0.0, 1.0]), np.full(3, 0.1))
    assert tau2 == pytest.approx(1.4826 ** 2 - 0.1)
    # units that differ less than their sampling noise: no extra variance
    assert charts.between_variance(np.array([0.0, 0.01, 0.02]), np.full(3, 1.0)) == 0.0
    # one unit is too few
    assert charts.between_variance(np.array([3.0]), np.array([0.1])) == 0.0


def test_funnel_z_and_limits() -> None:
    # (0.5 − 0.2) / √(0.01 + 0) = 3
    assert charts.funnel_z(np.array([0.5]), np.array([0.01]), 0.2, 0.0)[0] == pytest.approx(3)
    # √(0.04 + 0.05) = 0.3 → 1 ± 2 × 0.3
    lo, hi = charts.funnel_limits(np.array([0.04]), 1.0, 0.05, 2.0)
    assert (lo[0], hi[0]) == pytest.approx((0.4, 1.6))
    # volume-aware: the same excess is further out for a unit with less sampling noise
    z = charts.funnel_z(np.array([0.3, 0.3]), np.array([0.04, 0.0025]), 0.0, 0.0)
    assert z.tolist() == pytest.approx([1.5, 6.0])


def test_percentile_is_mid_rank_among_units() -> None:
    assert charts.percentile_among(np.array([1.0, 2, 3, 4, 5])).tolist() == [0, 25, 50, 75, 100]
    # ties share the middle: 1 has one tie below none → (0 + ½) / 2 = 25 %
    assert charts.percentile_among(np.array([1.0, 1, 2])).tolist() == [25, 25, 100]
    got = charts.percentile_among(np.array([np.nan, 1.0, 2.0]))
    assert math.isnan(got[0]) and got[1:].tolist() == [0, 100]


def test_trimmed_mean_drops_the_extremes_and_counts_values() -> None:
    x = np.array([[1.0, 2, 3, 4, 5, 6, 7, 8, 9, 1000], [np.nan] * 10])
    mean, n = trimmed_mean(x)  # 10 % of 10 = 1 value off each end: mean of 2..9
    assert mean[0] == pytest.approx(5.5) and n.tolist() == [10, 0]
    assert math.isnan(mean[1])
