"""Peer groups and the funnel comparison of one month's values within each group.

Peers are the facilities of the same tier, province and kind. A group with fewer than
``min_peers`` members is too small to say what is usual, so its facilities are compared with
the same tier and kind nationwide, then the same kind, then everyone (the scope is recorded).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streams.fund import charts
from streams.fund.series import FacilityInfo

Array = npt.NDArray[np.float64]
SCOPES = ("tier_province_kind", "tier_kind", "kind", "all")


@dataclass(frozen=True)
class Groups:
    members: list[npt.NDArray[np.int64]]  # row indices of each group
    of: npt.NDArray[np.int64]  # [facility] -> group number
    scope: list[str]  # per group, which of SCOPES it is
    pool: npt.NDArray[np.int64]  # [facility] -> its (tier, kind) population, for τ²


def peer_groups(facilities: list[FacilityInfo], min_peers: int) -> Groups:
    keys = [
        [(f.tier, f.province, f.kind) for f in facilities],
        [(f.tier, "", f.kind) for f in facilities],
        [(0, "", f.kind) for f in facilities],
        [(0, "", "") for _ in facilities],
    ]
    sizes = [Counter(key) for key in keys]
    chosen: list[tuple[int, tuple[int, str, str]]] = []
    for i in range(len(facilities)):
        for level, key in enumerate(keys):
            if sizes[level][key[i]] >= min_peers or level == 3:
                chosen.append((level, key[i]))
                break
    labels = sorted(set(chosen))
    index = {lab: g for g, lab in enumerate(labels)}
    of = np.array([index[c] for c in chosen], dtype=np.int64)
    # A facility's peers are everyone with the same key at that level, whatever level they
    # themselves settled on (a small group's members join the wider one as extra peers).
    members = []
    for level, label in labels:
        members.append(np.array([j for j in range(len(facilities))
                                 if keys[level][j] == label], dtype=np.int64))
    pools = {k: n for n, k in enumerate(sorted(set(keys[1])))}
    pool = np.array([pools[k] for k in keys[1]], dtype=np.int64)
    return Groups(members, of, [SCOPES[level] for level, _ in labels], pool)


@dataclass(frozen=True)
class Funnel:
    target: Array  # [facility]: the peer centre (log scale)
    z: Array
    sd: Array  # √(v + τ²) of each facility
    percentile: Array
    peers: npt.NDArray[np.int64]  # how many peers had a value


def compare(y: Array, v: Array, groups: Groups) -> Funnel:
    """Each facility's value ``y`` (log scale, NaN = none) with sampling variance ``v``
    against its group: a random-effects funnel centred on the group's median, and the
    percentile among the group.

    τ² (how much peers differ beyond sampling) is measured on the deviations from the local
    centres pooled over all facilities of the same tier and kind: a province group of nine
    is too few to measure a spread on, and an underestimated spread is a false notice."""
    n = y.shape[0]
    target, pct = np.full(n, np.nan), np.full(n, np.nan)
    peers = np.zeros(n, dtype=np.int64)
    for g, idx in enumerate(groups.members):
        mine = np.flatnonzero(groups.of == g)
        ok = np.isfinite(y[idx]) & np.isfinite(v[idx])
        if mine.size == 0 or ok.sum() < 2:
            continue
        target[mine] = float(np.median(y[idx][ok]))
        ranks = charts.percentile_among(np.where(ok, y[idx], np.nan))
        where = {int(j): r for j, r in zip(idx, ranks, strict=True)}
        pct[mine] = [where.get(int(j), np.nan) for j in mine]
        peers[mine] = int(ok.sum())
    tau2 = np.zeros(n)
    for p in np.unique(groups.pool):
        at = groups.pool == p
        tau2[at] = charts.between_variance(y[at] - target[at], v[at])
    sd = np.sqrt(v + tau2)
    return Funnel(target, charts.funnel_z(y, v, target, tau2), sd, pct, peers)
