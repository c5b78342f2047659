"""The detector's parameters (docs/fund-monitoring.md says why each has its value)."""

from __future__ import annotations

from dataclasses import dataclass


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


DEFAULTS = Params()  # frozen: safe as a default argument
