"""Control-chart and funnel pieces, written here (not taken from a library) so every step can be
checked by hand: robust z-scores, the one-sided CUSUM, the funnel (random-effects) limits and
the peer percentile. All functions are pure and work row-wise on 2-D arrays (one row per
facility), so a whole register is scored in one numpy call.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
MAD_TO_SD = 1.4826  # the MAD of a normal sample times this is its standard deviation


def robust_scale(residuals: Array, floor: Array | float = 0.0) -> Array:
    """Per row: 1.4826 × median |r − median r| (NaNs ignored), at least ``floor``.

    A row with no finite value gets ``floor`` (or NaN when the floor is 0)."""
    r = np.asarray(residuals, dtype=float)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a row without values
        centre = np.nanmedian(r, axis=-1, keepdims=True) if r.size else r
        mad = MAD_TO_SD * np.nanmedian(np.abs(r - centre), axis=-1)
    out: Array = np.fmax(mad, floor)
    return out


def cusum_upper(z: Array, k: float, h: float, cap: float) -> tuple[Array, Array]:
    """One-sided upper CUSUM per row: S_t = max(0, S_{t−1} + min(z_t, cap) − k), S_0 = 0.

    Returns (the running S, per row the first index where S > h, or −1). NaN z (no data that
    day) adds nothing. Capping z is what keeps one extreme day from raising an alarm alone:
    a single day adds at most ``cap − k``, below ``h`` when ``cap − k < h``."""
    zc = np.where(np.isfinite(z), np.minimum(z, cap), 0.0)
    s = np.zeros_like(zc)
    prev = np.zeros(zc.shape[:-1])
    for t in range(zc.shape[-1]):
        prev = np.maximum(0.0, prev + zc[..., t] - k)
        s[..., t] = prev
    over = s > h
    first = np.where(over.any(axis=-1), over.argmax(axis=-1), -1)
    return s, first.astype(float)


def between_variance(y: Array, v: Array) -> float:
    """τ², the between-unit variance beyond sampling: the robust spread of the units' values
    (1.4826 × MAD)² minus their median sampling variance, at least 0.

    Robust on purpose: the anomalous unit is among the peers, and a moment estimate
    (DerSimonian–Laird's Q) would let it widen the very limits that should catch it;
    winsorizing small groups instead shrinks τ² and raises false alarms."""
    ok = np.isfinite(y) & np.isfinite(v) & (v >= 0)
    if int(ok.sum()) < 2:
        return 0.0
    spread = float(robust_scale(y[ok]))
    return max(0.0, spread ** 2 - float(np.median(v[ok])))


def funnel_z(y: Array, v: Array, target: Array | float, tau2: Array | float) -> Array:
    """z of each unit against the funnel: (y − target) / √(v + τ²)."""
    with np.errstate(all="ignore"):
        out: Array = (y - target) / np.sqrt(v + tau2)
    return out


def funnel_limits(v: Array, target: Array | float, tau2: Array | float, sd: float
                  ) -> tuple[Array, Array]:
    """The funnel's (low, high) at ``sd`` standard deviations for units of variance ``v``."""
    half = sd * np.sqrt(v + tau2)
    return target - half, target + half


def percentile_among(y: Array) -> Array:
    """Each unit's percentile (0–100) among all units of ``y``: the share strictly below plus
    half the ties (mid-rank), so the median unit is 50. NaN units get NaN and are not counted."""
    ok = np.isfinite(y)
    vals = y[ok]
    out = np.full(y.shape, np.nan)
    if vals.size == 0:
        return out
    below = (vals[None, :] < y[ok][:, None]).sum(axis=1)
    ties = (vals[None, :] == y[ok][:, None]).sum(axis=1) - 1
    out[ok] = 100.0 * (below + 0.5 * ties) / max(vals.size - 1, 1)
    return out
