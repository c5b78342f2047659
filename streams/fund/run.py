"""``hireview detect`` and ``hireview facilities load``: the thin I/O around the detector.

A run: bring facility_day up to date (the days touched since the last refresh, or every day
read with ``--rebuild``), read the register and the days the months need, detect, then write
the anomalies (and 'cleared' rows for what an earlier run flagged and this one no longer
does) to ClickHouse and hi.anomalies, and a detect_runs row.
"""

from __future__ import annotations

import logging
import signal
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from streams.clickhouse import db
from streams.fund import refresh, store
from streams.fund.detector import Params, detect, evaluated, planned_rows
from streams.jurisdiction import FacilityRegister, JurisdictionError
from streams.metrics import Metrics
from streams.progress import Progress
from streams.settings import Settings

log = logging.getLogger("hireview.detect")
TOPIC = "hi.anomalies"
REFRESH_NAME = "continuous"


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    first: date
    last: date
    facilities: int
    rows: int  # facility-days read
    anomalies: int
    notices: int
    cleared: int
    seconds: float
    detect_seconds: float


def _month_start(d: date) -> date:
    return d.replace(day=1)


def run_detection(settings: Settings, first: date, last: date, *, rebuild: bool = False,
                  publish: bool = True, show_progress: bool = True,
                  say: Callable[[str], None] = print,
                  metrics: Metrics | None = None) -> RunSummary:
    started, clock = datetime.now(UTC).replace(microsecond=0), Progress(0, "", enabled=False)
    client = db.connect(settings)

    def query(sql: str) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = client.execute(sql)
        return rows

    load_from = _month_start(first) - timedelta(days=settings.fund_history_days)
    if rebuild:
        days = [load_from + timedelta(days=i) for i in range((last - load_from).days + 1)]
        bar = Progress(len(days), "refresh facility_day (days)", enabled=show_progress)
        refresh.refresh_days(query, days, progress=bar.update)
        bar.close()
    else:
        refreshed = refresh.refresh_touched(query, REFRESH_NAME,
                                            settings.fund_refresh_margin_seconds)
        say(f"facility_day: {refreshed} day(s) refreshed")
    facilities = store.read_facilities(query)
    series = store.read_series(query, facilities, load_from, last)
    params = Params(min_volume=settings.fund_min_visits)
    bar = Progress(planned_rows(series, first, last, params), "detect (facility-days × metrics)",
                   enabled=show_progress)
    found = detect(series, first, last, params, progress=bar.update)
    bar.close()
    detect_seconds = bar.seconds
    run_id = f"{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [store.anomaly_row(a, run_id, now) for a in found]
    month_starts = [series.day(a) for a, _ in evaluated(series, first, last, params)]
    cleared = store.cleared_rows(query, [f.facility for f in facilities], month_starts, rows,
                                 run_id, now)
    insert = _inserter(client)
    store.write(insert, "anomalies", store.ANOMALY_COLUMNS, rows + cleared)
    if publish and rows + cleared:
        _publish(settings, rows + cleared)
    notices = sum(1 for r in rows if r["level"] == "notice")
    seconds = clock.seconds
    store.write(insert, "detect_runs", store.RUN_COLUMNS, [{
        "run_id": run_id, "started_at": started, "seconds": seconds, "first_day": first,
        "last_day": last, "facilities": len(facilities), "rows": series.rows,
        "anomalies": len(rows), "notices": notices, "ingested_at": now}])
    summary = RunSummary(run_id, first, last, len(facilities), series.rows, len(rows), notices,
                         len(cleared), seconds, detect_seconds)
    if metrics is not None:
        metrics.detect_runs_total.inc()
        metrics.detect_run_seconds.observe(seconds)
        for r in rows + cleared:
            metrics.anomalies_total.labels(r["level"]).inc()
    say(f"run {run_id}: {first}..{last}, {summary.facilities} facilities, "
        f"{summary.rows:,} facility-days in {seconds:.1f}s (detector {detect_seconds:.1f}s, "
        f"{summary.rows / max(detect_seconds, 1e-9):,.0f} facility-days/s); "
        f"{len(rows)} anomalies, {notices} notices, {len(cleared)} cleared")
    for r in sorted((r for r in rows if r["level"] == "notice"), key=lambda r: r["rank"])[:5]:
        say(f"  #{r['rank']} {r['facility']} {r['metric']} {r['period_start']}: "
            f"{r['explanation_en']}")
    return summary


def _inserter(client: Any) -> store.Insert:
    def insert(table: str, columns: Any, rows: Any) -> None:
        db.insert_rows(client, table, columns, rows)
    return insert


def _publish(settings: Settings, rows: list[dict[str, Any]]) -> None:
    from streams.kafka import publish

    items = [(r["facility"].encode(), orjson.dumps(store.json_value(r))) for r in rows]
    publish(settings, settings.topic(TOPIC), items)


def run_continuous(settings: Settings, stop: threading.Event | None = None,
                   say: Callable[[str], None] = print, metrics: Metrics | None = None) -> None:
    """Refresh facility_day every fund_refresh_seconds; detect every fund_detect_hours over
    the previous and the current month (up to yesterday), until SIGINT/SIGTERM or ``stop``.
    Its metrics are served on fund_metrics_port and announced to Prometheus."""
    from prometheus_client import start_http_server

    from streams.scrape import scrape_host, scrape_target

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    metrics = metrics or Metrics.detect()
    server, _ = start_http_server(settings.fund_metrics_port, addr=settings.fund_metrics_host,
                                  registry=metrics.registry)
    try:
        with scrape_target(settings, "detect", settings.fund_metrics_port,
                           scrape_host(settings.fund_metrics_host)):
            _loop(settings, stop, say, metrics)
    finally:
        server.shutdown()


def _loop(settings: Settings, stop: threading.Event, say: Callable[[str], None],
          metrics: Metrics) -> None:
    client = db.connect(settings)

    def query(sql: str) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = client.execute(sql)
        return rows

    last_run = 0.0
    while not stop.is_set():
        days = refresh.refresh_touched(query, REFRESH_NAME, settings.fund_refresh_margin_seconds)
        metrics.fund_refreshed_days_total.inc(days)
        metrics.fund_refreshed_at_seconds.set(datetime.now(UTC).timestamp())
        if days:
            log.info("facility_day: %d day(s) refreshed", days)
        now = datetime.now(UTC)
        if now.timestamp() - last_run >= settings.fund_detect_hours * 3600:
            yesterday = now.date() - timedelta(days=1)
            first = _month_start(_month_start(yesterday) - timedelta(days=1))
            run_detection(settings, first, yesterday, show_progress=False, say=say,
                          metrics=metrics)
            last_run = now.timestamp()
        stop.wait(settings.fund_refresh_seconds)


def load_facilities(settings: Settings, path: Path, say: Callable[[str], None] = print,
                    err: Callable[[str], None] = print) -> int:
    """``hireview facilities load CSV``: the register file into the facilities table."""
    if not path.exists():
        err(f"hireview facilities load: {path}: no such file")
        return 2
    try:
        register = FacilityRegister.load(path)
    except JurisdictionError as exc:
        err(f"hireview facilities load: {exc}")
        return 2
    client = db.connect(settings)
    rows = store.register_rows(register, datetime.now(UTC).replace(microsecond=0))
    store.write(_inserter(client), "facilities", store.FACILITY_COLUMNS, rows)
    say(f"{len(rows)} facilities loaded from {path}")
    return 0
