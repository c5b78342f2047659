"""``hireview bench detect``: the detector over simulated facility-day series.

The series come from streams/sim/fund_series.py (generated at the facility_day level, not
through Kafka: the detector reads only facility_day). Without ``--clickhouse`` the detector
runs in process on the arrays; with it, the rows are inserted into a scratch database and a
real ``hireview detect`` run reads them back and writes its anomalies (Kafka left out).
Figures: run time, facility-days per second, and the detection quality on the labels.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from typing import Any

from streams.clickhouse import db
from streams.fund.anomaly import Anomaly
from streams.fund.detector import Params, detect, evaluated, planned_rows
from streams.fund.refresh import DAY_COLUMNS
from streams.progress import Progress
from streams.settings import Settings
from streams.sim.fund_publish import day_columns
from streams.sim.fund_series import FundSim, simulate


def quality(sim: FundSim, found: list[Anomaly], params: Params | None = None
            ) -> dict[str, Any]:
    """Recall of the injected anomalies (flagged in their start month or the next), spikes
    noticed, false notices per 100 stable facility-months."""
    def month_no(d: date) -> int:
        return d.year * 12 + d.month

    flagged, noticed, spikes = 0, 0, 0
    for inj in sim.injections:
        hits = [a for a in found if a.facility == inj.facility
                and month_no(inj.start) <= month_no(a.period_start) <= month_no(inj.start) + 1
                and (not inj.metrics or a.metric in inj.metrics)]
        if inj.kind == "spike":
            spikes += any(a.level == "notice" for a in hits)
            continue
        flagged += bool(hits)
        noticed += any(a.level == "notice" for a in hits)
    s = sim.series
    touched = {i.facility for i in sim.injections}
    months = len(evaluated(s, s.day(0), s.day(s.days - 1), params or Params()))
    stable = sum(1 for f in s.facilities if f.facility not in touched) * months
    false = {(a.facility, a.period_start) for a in found
             if a.level == "notice" and a.facility not in touched}
    real = sum(1 for i in sim.injections if i.kind != "spike")
    return {"injected": real, "flagged": flagged, "noticed": noticed,
            "spikes_noticed": spikes, "stable_facility_months": stable,
            "false_notices": len(false),
            "false_per_100_facility_months": round(100 * len(false) / max(stable, 1), 3)}


def run_detect_bench(settings: Settings, facilities: int = 1000, days: int = 400,
                     clickhouse: bool = False, claims: int = 0, as_json: bool = False) -> int:
    started = time.perf_counter()
    sim = simulate(facilities=facilities, days=days, seed=13)
    s = sim.series
    figures: dict[str, Any] = {"facilities": facilities, "days": days,
                               "facility_days": s.rows,
                               "simulate_seconds": round(time.perf_counter() - started, 2)}
    first, last = s.day(0), s.day(s.days - 1)
    bar = Progress(planned_rows(s, first, last), "detect (facility-days × metrics)")
    found = detect(s, first, last, progress=bar.update)
    bar.close()
    figures.update(detect_seconds=round(bar.seconds, 2),
                   facility_days_per_s=round(s.rows / bar.seconds),
                   metric_facility_days_per_s=round(bar.done / bar.seconds),
                   anomalies=len(found), notices=sum(a.level == "notice" for a in found),
                   **quality(sim, found))
    if clickhouse:
        figures.update(_through_clickhouse(settings, sim))
        if claims:
            figures.update(bench_facility_day(settings, claims))
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:32} {value:,}" if isinstance(value, int | float) else f"{key:32} {value}")
    return 0


def bench_facility_day(settings: Settings, claims: int, facilities: int = 1000,
                       days: int = 60) -> dict[str, Any]:
    """What keeping facility_day costs against computing it on every read (the plain-view
    alternative): ``claims`` synthetic claims and decisions made by the server itself
    (INSERT ... SELECT FROM numbers), then timed: the view's query over all days, a one-day
    refresh (the continuous case), a rebuild of every day, and reading the maintained rows."""
    from streams.fund.refresh import day_rows_sql, refresh_days
    from streams.fund.store import series_sql

    scratch = settings.model_copy(update={
        "clickhouse_database": f"{settings.clickhouse_database}_facility_day_bench"})
    db.migrate(scratch, progress=lambda _m: None)
    client = db.connect(scratch)

    def query(sql: str) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = client.execute(sql)
        return rows

    first = date(2026, 1, 1)
    all_days = [date.fromordinal(first.toordinal() + i) for i in range(days)]
    per_day = max(claims // days, 1)

    def timed(sql: str) -> float:
        t0 = time.perf_counter()
        query(sql)
        return time.perf_counter() - t0

    try:
        made = timed(_CLAIMS_SQL.format(n=claims, f=facilities, per_day=per_day, days=days))
        made += timed(_DECISIONS_SQL.format(n=claims, f=facilities, per_day=per_day,
                                            days=days))
        view = timed(f"SELECT count(), sum(visits) FROM ({day_rows_sql(all_days)})")
        t0 = time.perf_counter()
        refresh_days(query, all_days)
        rebuild = time.perf_counter() - t0
        t0 = time.perf_counter()
        refresh_days(query, all_days[-1:])
        one_day = time.perf_counter() - t0
        read = timed(f"SELECT count(), sum(visits) FROM ({series_sql(all_days[0], all_days[-1])})")
        rows = query("SELECT count() FROM facility_day")[0][0]
    finally:
        client.execute(f"DROP DATABASE IF EXISTS {scratch.clickhouse_database}")
        client.disconnect()
    return {"fd_claims": claims, "fd_days": days, "fd_rows": rows,
            "fd_generate_seconds": round(made, 2), "fd_view_query_seconds": round(view, 2),
            "fd_rebuild_seconds": round(rebuild, 2), "fd_one_day_refresh_seconds":
            round(one_day, 2), "fd_read_maintained_seconds": round(read, 3)}


_CLAIMS_SQL = """INSERT INTO claims SELECT
    toString(10000 + number % {f}) AS facility, '10' AS province, toString(number) AS claim_id,
    toUInt32(1) AS version, toString(number % 100000) AS person_key, '' AS content_hash,
    now() AS submitted_at, 'QD130' AS source_standard, '' AS ma_the_bhyt, 1 AS gioi_tinh,
    if(number % 10 = 0, '03', '01') AS ma_loai_kcb, toUInt8(number % 10 = 0) AS inpatient,
    '1.1' AS ma_doituong_kcb, 'J18' AS ma_benh_chinh, '' AS ma_benh_kt, 'K01' AS ma_khoa,
    toDateTime('2026-01-01 08:00:00', 'Asia/Ho_Chi_Minh')
        + 86400 * (intDiv(number, {per_day}) % {days}) AS ngay_vao,
    ngay_vao AS ngay_ra, CAST(NULL AS Nullable(DateTime('Asia/Ho_Chi_Minh'))) AS ngay_ttoan,
    if(number % 10 = 0, 3, 0) AS so_ngay_dtri, 1 AS ket_qua_dtri, 1 AS ma_loai_rv,
    toDecimal64(50000 + number % 7000, 2) AS t_thuoc, toDecimal64(10000, 2) AS t_vtyt,
    toDecimal64(200000 + number % 9000, 2) AS t_tongchi_bv, t_tongchi_bv AS t_tongchi_bh,
    toDecimal64(0, 2) AS t_bntt, toDecimal64(0, 2) AS t_bncct,
    toDecimal64(160000 + number % 9000, 2) AS t_bhtt, toDecimal64(0, 2) AS t_nguonkhac,
    toUInt32(1) AS drug_lines, toUInt32(1) AS service_lines, toUInt32(1) AS supply_lines,
    0 AS lab_results, 0 AS clinical_notes, now() AS ingested_at
FROM numbers({n})"""
_DECISIONS_SQL = """INSERT INTO decisions SELECT
    toString(10000 + number % {f}) AS facility, '10' AS province, toString(number) AS claim_id,
    toUInt32(1) AS version, toUInt32(1) AS revision, toString(number % 100000) AS person_key,
    '' AS content_hash, now() AS submitted_at, now() AS decided_at, toUInt16(0),
    toDate('2026-01-01') + intDiv(number, {per_day}) % {days} AS service_date,
    'ACCEPT' AS outcome, toDecimal64(160000, 2) AS requested, toDecimal64(150000, 2),
    toDecimal64(10000, 2), 'r1', if(number % 7 = 0, ['CT01'], emptyArrayString()),
    toUInt32(number % 7 = 0), toUInt8(0), toUInt64(1), now(), '', ''
FROM numbers({n})"""


def _through_clickhouse(settings: Settings, sim: FundSim) -> dict[str, Any]:
    from streams.fund.run import run_detection

    scratch = settings.model_copy(update={
        "clickhouse_database": f"{settings.clickhouse_database}_detect_bench"})
    db.migrate(scratch, progress=lambda _m: None)
    client = db.connect(scratch)
    s = sim.series
    try:
        t0 = time.perf_counter()
        client.execute(f"INSERT INTO facility_day ({', '.join(DAY_COLUMNS)}) VALUES",
                       day_columns(sim, datetime.now(UTC)), columnar=True)
        insert_seconds = time.perf_counter() - t0
        summary = run_detection(scratch, s.day(0), s.day(s.days - 1), publish=False)
    finally:
        client.execute(f"DROP DATABASE IF EXISTS {scratch.clickhouse_database}")
        client.disconnect()
    return {"clickhouse_insert_seconds": round(insert_seconds, 2),
            "clickhouse_run_seconds": round(summary.seconds, 2),
            "clickhouse_rows_per_s": round(summary.rows / summary.seconds),
            "clickhouse_anomalies": summary.anomalies}
