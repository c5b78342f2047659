"""An anomaly: one facility, one metric, one period, as the detector reports it and as the
``anomalies`` table and the ``hi.anomalies`` topic carry it (docs/fund-monitoring.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Anomaly:
    facility: str
    province: str
    metric: str
    period_start: date
    period_end: date
    level: str
    observed: float
    expected: float
    peer_low: float  # the watch_sd funnel band, in the metric's unit
    peer_high: float
    peer_low3: float  # the notice_sd band
    peer_high3: float
    peer_target: float
    peer_percentile: float
    peer_z: float
    peers: int
    peer_scope: str
    score: float
    cusum: float
    alarm_day: date
    volume: int
    excess_cost: float
    rank: int = 0
    explanation_vi: str = ""
    explanation_en: str = ""
