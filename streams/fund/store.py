"""The detector's ClickHouse side: the register in, facility_day out, anomalies and runs in.

Queries are plain SQL text for both engines (the 18.16 server and chdb in the tests);
``Query`` runs one and returns rows, ``Insert`` writes dict rows into a table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import numpy as np

from streams.fund.anomaly import Anomaly
from streams.fund.measures import SERIES_COLUMNS
from streams.fund.refresh import Query, as_date
from streams.fund.series import FacilityInfo, FacilitySeries
from streams.jurisdiction import FacilityRegister

Insert = Callable[[str, Sequence[str], Sequence[Mapping[str, Any]]], None]

FACILITY_COLUMNS = ("facility", "name", "province", "district", "tier", "kind", "ingested_at")
ANOMALY_COLUMNS = (
    "anomaly_id", "run_id", "facility", "province", "metric", "period_start", "period_end",
    "level", "observed", "expected", "peer_low", "peer_high", "peer_percentile", "score",
    "cusum", "volume", "excess_cost", "rank", "explanation_vi", "explanation_en",
    "detected_at", "peer_low3", "peer_high3", "peer_target", "peer_z", "peers", "peer_scope",
    "alarm_day",
)
RUN_COLUMNS = ("run_id", "started_at", "seconds", "first_day", "last_day", "facilities",
               "rows", "anomalies", "notices", "ingested_at")
_FLOATS = ("observed", "expected", "peer_low", "peer_high", "peer_percentile", "score",
           "cusum", "excess_cost", "peer_low3", "peer_high3", "peer_target", "peer_z")


def register_rows(register: FacilityRegister, now: datetime) -> list[dict[str, Any]]:
    return [{"facility": e.facility, "name": e.name, "province": e.province,
             "district": e.district, "tier": e.tier, "kind": e.kind, "ingested_at": now}
            for e in register.entries()]


def read_facilities(query: Query) -> list[FacilityInfo]:
    """The register, plus every facility facility_day knows that the register does not (tier
    0, kind '': compared with everyone), in code order."""
    known = {r[0]: FacilityInfo(r[0], r[2], int(r[3]), r[4], r[1]) for r in query(
        "SELECT facility, name, province, tier, kind FROM facilities FINAL")}
    for (code,) in query("SELECT DISTINCT facility FROM facility_day"):
        known.setdefault(code, FacilityInfo(code, code[:2], 0, ""))
    return [known[k] for k in sorted(known)]


def series_sql(first: date, last: date) -> str:
    columns = ", ".join(SERIES_COLUMNS)
    return (f"SELECT day, facility, {columns} FROM facility_day FINAL "
            f"WHERE day >= toDate('{first.isoformat()}') AND day <= toDate('{last.isoformat()}')")


def read_series(query: Query, facilities: list[FacilityInfo], first: date, last: date
                ) -> FacilitySeries:
    """facility_day of ``first``..``last`` as arrays (a missing facility-day is zeros)."""
    series = FacilitySeries.empty(first, (last - first).days + 1, facilities)
    where = {f.facility: i for i, f in enumerate(facilities)}
    rows = [r for r in query(series_sql(first, last)) if r[1] in where]
    if not rows:
        return series
    at_day = np.array([(as_date(r[0]) - first).days for r in rows])
    at_fac = np.array([where[r[1]] for r in rows])
    for n, column in enumerate(SERIES_COLUMNS, start=2):
        series.data[column][at_fac, at_day] = np.array([float(r[n]) for r in rows])
    return series


def anomaly_id(facility: str, metric: str, period_start: date) -> str:
    key = f"{facility}|{metric}|{period_start.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def anomaly_row(a: Anomaly, run_id: str, now: datetime) -> dict[str, Any]:
    row = asdict(a)
    for name in _FLOATS:  # NaN/inf are no JSON and no honest figure: 0 stands for "none"
        value = float(row[name])
        row[name] = value if np.isfinite(value) else 0.0
    row.update(anomaly_id=anomaly_id(a.facility, a.metric, a.period_start), run_id=run_id,
               detected_at=now)
    return {c: row[c] for c in ANOMALY_COLUMNS}


def active_keys_sql(facilities: Iterable[str], first: date, last: date) -> str:
    listed = ", ".join(f"'{f}'" for f in sorted(set(facilities))) or "''"
    columns = ", ".join(ANOMALY_COLUMNS)
    return (f"SELECT {columns} FROM anomalies FINAL WHERE level != 'cleared' "
            f"AND period_start >= toDate('{first.isoformat()}') "
            f"AND period_start <= toDate('{last.isoformat()}') AND facility IN ({listed})")


def cleared_rows(query: Query, facilities: Iterable[str], months: Iterable[date],
                 found: Sequence[Mapping[str, Any]], run_id: str, now: datetime
                 ) -> list[dict[str, Any]]:
    """Rows that withdraw what earlier runs flagged for these facilities and months and this
    run no longer does (the month's data were revised): same key, level 'cleared'."""
    starts = sorted(set(months))
    if not starts:
        return []
    still = {r["anomaly_id"] for r in found}
    out = []
    for values in query(active_keys_sql(facilities, starts[0], starts[-1])):
        row = dict(zip(ANOMALY_COLUMNS, values, strict=True))
        if as_date(row["period_start"]) in starts and row["anomaly_id"] not in still:
            row.update(level="cleared", run_id=run_id, detected_at=now, rank=0)
            out.append(row)
    return out


def json_value(row: Mapping[str, Any]) -> dict[str, Any]:
    """The hi.anomalies value: the row with dates as ISO text."""
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in row.items()}


def write(insert: Insert, table: str, columns: Sequence[str],
          rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        insert(table, columns, rows)
