"""What a monthly notice says, composed from the detector's ``anomalies`` rows (pure code).

A notice for facility F and month M lists F's anomalies of level ``notice`` whose period
overlaps M, one per metric (the latest period when several do), ranked by excess cost. It also
says what became of the metrics of F's previous notice, judged on M's anomalies: a metric with a
``notice`` again in M is *not adjusted*, one only at ``watch`` (above the 2-SD band, under the
3-SD one) is *partly adjusted*, and one without any anomaly in M is back within its peers' band:
*adjusted*. The whole previous notice is adjusted when every metric is, not adjusted when none
moved, partly adjusted otherwise. This same judgement is recorded on the previous notice's row
(``notices.followup``) by the next month's run.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

METRICS = ("cost_per_visit", "visits", "admissions", "length_of_stay", "drug_share",
           "supply_share", "service_share", "total_cost", "hi_cost", "referrals_out")
FOLLOWUPS = ("adjusted", "partly_adjusted", "not_adjusted")
ANOMALY_COLUMNS = ("anomaly_id", "run_id", "facility", "province", "metric", "period_start",
                   "period_end", "level", "observed", "expected", "peer_low", "peer_high",
                   "peer_percentile", "score", "cusum", "volume", "excess_cost", "rank",
                   "explanation_vi", "explanation_en")
_MONTH = re.compile(r"(20[0-9]{2})(0[1-9]|1[0-2])")


class NoticeInputError(ValueError):
    """A bad month or facility argument; the message names the field."""


def parse_month(text: str | int) -> int:
    """``YYYYMM`` as an int, refused with the field named otherwise."""
    value = str(text).strip()
    if not _MONTH.fullmatch(value):
        raise NoticeInputError(f"month: {value!r} is not YYYYMM (e.g. 202604)")
    return int(value)


def month_bounds(month: int) -> tuple[date, date]:
    """First and last day of ``month`` (YYYYMM)."""
    first = date(month // 100, month % 100, 1)
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def previous_month(month: int) -> int:
    year, mon = divmod(month, 100)
    return (year - 1) * 100 + 12 if mon == 1 else month - 1


def notice_id(facility: str, month: int) -> str:
    """Stable per facility and month: running the month again re-issues the same notice."""
    return hashlib.sha256(f"notice|{facility}|{month}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Anomaly:
    anomaly_id: str
    run_id: str
    facility: str
    province: str
    metric: str
    period_start: date
    period_end: date
    level: str
    observed: float
    expected: float
    peer_low: float
    peer_high: float
    peer_percentile: float
    score: float
    cusum: float
    volume: int
    excess_cost: float
    rank: int
    explanation_vi: str
    explanation_en: str

    @classmethod
    def of_row(cls, row: tuple[Any, ...]) -> Anomaly:
        values = dict(zip(ANOMALY_COLUMNS, row, strict=True))
        for key in ("period_start", "period_end"):
            if isinstance(values[key], str):  # chdb's JSON gives dates as text
                values[key] = date.fromisoformat(values[key])
        return cls(**values)

    @property
    def rise(self) -> float | None:
        """Observed over the facility's own expectation, as a fraction (0.3 = +30 %)."""
        return self.observed / self.expected - 1 if self.expected else None

    @property
    def above_band(self) -> float | None:
        """How far above the top of the peers' band, as a fraction of it."""
        return self.observed / self.peer_high - 1 if self.peer_high else None


@dataclass(frozen=True)
class FollowUp:
    metric: str
    before: Anomaly  # as the previous notice said it
    now: Anomaly | None  # the same metric's anomaly in this month, if any
    status: str  # one of FOLLOWUPS


@dataclass(frozen=True)
class Previous:
    """The facility's latest notice before this month, and its anomalies."""

    notice_id: str
    month: int
    anomalies: tuple[Anomaly, ...]


@dataclass(frozen=True)
class Notice:
    notice_id: str
    facility: str
    province: str
    month: int
    findings: tuple[Anomaly, ...]  # level notice, one per metric, first = largest excess
    previous: Previous | None = None
    followups: tuple[FollowUp, ...] = ()
    facility_name: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def anomaly_ids(self) -> list[str]:
        return [a.anomaly_id for a in self.findings]

    @property
    def excess_cost(self) -> float:
        return sum(max(a.excess_cost, 0.0) for a in self.findings)

    @property
    def followup(self) -> str:
        """The previous notice's overall follow-up ('' when there was none)."""
        return overall([f.status for f in self.followups])


def overlaps(a: Anomaly, month: int) -> bool:
    first, last = month_bounds(month)
    return a.period_start <= last and a.period_end >= first


def _per_metric(anomalies: list[Anomaly]) -> dict[str, Anomaly]:
    """One anomaly per metric: the latest period, then the higher level, then the larger
    excess (a sustained rise the detector reported in two periods is one finding)."""
    best: dict[str, Anomaly] = {}
    for a in anomalies:
        seen = best.get(a.metric)
        key = (a.period_start, a.level == "notice", a.excess_cost)
        if seen is None or key > (seen.period_start, seen.level == "notice", seen.excess_cost):
            best[a.metric] = a
    return best


def judge(before: Anomaly, now: Anomaly | None) -> str:
    if now is None:
        return "adjusted"
    return "not_adjusted" if now.level == "notice" else "partly_adjusted"


def overall(statuses: list[str]) -> str:
    if not statuses:
        return ""
    if all(s == "adjusted" for s in statuses):
        return "adjusted"
    if all(s == "not_adjusted" for s in statuses):
        return "not_adjusted"
    return "partly_adjusted"


def follow_ups(previous: Previous, month_anomalies: list[Anomaly]) -> tuple[FollowUp, ...]:
    """Each metric of ``previous`` judged on this month's anomalies (any level)."""
    now = _per_metric(month_anomalies)
    before = _per_metric(list(previous.anomalies))
    return tuple(FollowUp(m, a, now.get(m), judge(a, now.get(m)))
                 for m, a in sorted(before.items(), key=lambda kv: -kv[1].excess_cost))


def compose(facility: str, month: int, anomalies: list[Anomaly],
            previous: Previous | None = None, facility_name: str = "") -> Notice | None:
    """The notice of ``facility`` for ``month`` from its anomalies (any level, any period:
    the ones that do not overlap the month are left out), or None when nothing reached the
    ``notice`` level in that month."""
    mine = [a for a in anomalies if a.facility == facility and overlaps(a, month)]
    notices = [a for a in _per_metric([a for a in mine if a.level == "notice"]).values()]
    if not notices:
        return None
    findings = tuple(sorted(notices, key=lambda a: (-a.excess_cost, a.metric)))
    ups = follow_ups(previous, mine) if previous is not None else ()
    return Notice(notice_id(facility, month), facility, findings[0].province, month, findings,
                  previous, ups, facility_name)
