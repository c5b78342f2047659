"""Fund monitoring on the real ClickHouse 18.16 (and Kafka for hi.anomalies): claims and
decisions inserted the way the sink writes them, with a re-inserted batch, a decision
revision and a corrected claim moved to another day → facility_day exact; then the detector
over simulated facility-day series writes anomalies rows and publishes them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from confluent_kafka import Consumer

from streams.clickhouse import db
from streams.fund import refresh, store
from streams.fund.run import TOPIC, load_facilities, run_detection
from streams.kafka import create_topics, read_to_end
from streams.settings import Settings
from streams.sim.fund_publish import day_columns
from streams.sim.fund_series import simulate
from streams.sink.consumer import insert_tables
from tests.unit.fund.fund_rows import EXPECTED, batches, correction
from tests.unit.fund.test_analytics_chdb import DAYS, check, facility_day

pytestmark = pytest.mark.clickhouse


def _query(client: Any) -> refresh.Query:
    def query(sql: str) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = client.execute(sql)
        return rows
    return query


def test_facility_day_from_sink_inserts_counts_each_claim_once(isolated: Settings) -> None:
    db.migrate(isolated, progress=lambda _m: None)
    client = db.connect(isolated)
    query = _query(client)
    for tables in batches():  # at-least-once: LK1 and a decision batch twice, a revision
        insert_tables(client, tables)
    assert refresh.refresh_touched(query, "continuous", 300) == len(EXPECTED)
    insert_tables(client, correction())  # LK4 leaves 03-05, which keeps no claim
    refresh.refresh_days(query, [date(2025, 3, 2), date(2025, 3, 5)])
    check(facility_day(query))
    refresh.refresh_days(query, DAYS)  # again: replaces
    check(facility_day(query))
    assert query("SELECT count() FROM facility_day")[0][0] == 3  # plain reads exact too
    assert query("SELECT visits, facilities FROM province_day ORDER BY day") == [
        (2, 1), (2, 1), (0, 0)]
    assert query("SELECT code, claims FROM facility_rule_day ORDER BY code") == [
        ("CT01", 1), ("XC02", 1)]
    # Nothing new stored: the next continuous refresh has nothing to do.
    assert refresh.refresh_touched(query, "continuous", 0) == 0


def _insert_series(client: Any, facilities: int, days: int) -> tuple[date, date]:
    sim = simulate(facilities=facilities, days=days, start=date(2025, 1, 1), seed=3)
    client.execute(f"INSERT INTO facility_day ({', '.join(refresh.DAY_COLUMNS)}) VALUES",
                   day_columns(sim, datetime(2026, 1, 1, tzinfo=UTC)), columnar=True)
    return sim.series.day(0), sim.series.day(sim.series.days - 1)


@pytest.mark.kafka
def test_detector_writes_anomalies_and_publishes_them(isolated: Settings,
                                                      tmp_path: Path) -> None:
    db.migrate(isolated, progress=lambda _m: None)
    create_topics(isolated)
    client = db.connect(isolated)
    register = tmp_path / "register.csv"
    register.write_text("facility,district,name,tier,kind\n01001,01-001,BV A,2,"
                        "public_hospital\n", encoding="utf-8")
    assert load_facilities(isolated, register, say=lambda _m: None) == 0
    first, last = _insert_series(client, 60, 300)
    said: list[str] = []
    summary = run_detection(isolated, date(2025, 6, 1), last, show_progress=False,
                            say=said.append)
    assert summary.facilities == 60 and summary.anomalies > 0
    rows = client.execute(f"SELECT {', '.join(store.ANOMALY_COLUMNS)} FROM anomalies FINAL")
    assert len(rows) == summary.anomalies
    found = [dict(zip(store.ANOMALY_COLUMNS, r, strict=True)) for r in rows]
    assert {a["level"] for a in found} <= {"watch", "notice"}
    assert all(a["period_start"] >= date(2025, 6, 1) and a["explanation_vi"] for a in found)
    assert client.execute("SELECT tier, kind FROM facilities FINAL WHERE facility = '01001'"
                          ) == [(2, "public_hospital")]
    assert client.execute("SELECT count() FROM detect_runs")[0][0] == 1
    assert any("facility-days/s" in m for m in said)

    consumer = Consumer({"bootstrap.servers": isolated.bootstrap, "group.id": "t",
                         "enable.auto.commit": False})
    events: list[dict[str, Any]] = []
    read_to_end(consumer, [isolated.topic(TOPIC)],
                lambda m: events.append(orjson.loads(m.value() or b"{}")), timeout=30)
    consumer.close()
    assert sorted(e["anomaly_id"] for e in events) == sorted(a["anomaly_id"] for a in found)
    assert set(events[0]) == set(store.ANOMALY_COLUMNS)

    # The same run again rewrites the same keys: no duplicates after FINAL.
    run_detection(isolated, date(2025, 6, 1), last, show_progress=False, publish=False,
                  say=lambda _m: None)
    assert client.execute("SELECT count() FROM anomalies FINAL")[0][0] == summary.anomalies


def test_continuous_detect_refreshes_what_the_sink_stores(isolated: Settings) -> None:
    import threading
    import urllib.request

    from streams.fund.run import run_continuous
    from streams.ops.procs import free_port

    settings = isolated.model_copy(update={"fund_refresh_seconds": 0.2,
                                           "fund_metrics_port": free_port()})
    db.migrate(settings, progress=lambda _m: None)
    client = db.connect(settings)
    stop = threading.Event()
    runner = threading.Thread(target=run_continuous,
                              kwargs={"settings": settings, "stop": stop,
                                      "say": lambda _m: None}, daemon=True)
    runner.start()
    try:
        for tables in batches(datetime.now(UTC)):  # stored while the loop runs, stamped
            insert_tables(client, tables)           # with the time as the sink does
        _wait_for(lambda: _visits(client, "2025-03-05") == 1 and _settled(client))
        insert_tables(client, correction(datetime.now(UTC)))  # LK4 leaves 03-05
        _wait_for(lambda: _visits(client, "2025-03-05") == 0)
        url = f"http://127.0.0.1:{settings.fund_metrics_port}/metrics"
        page = urllib.request.urlopen(url, timeout=10).read().decode()
        targets = list(settings.targets_dir.glob("detect-*.json"))
    finally:
        stop.set()
        runner.join(30)
    assert not runner.is_alive()
    check(facility_day(_query(client)))
    assert client.execute("SELECT count() FROM detect_runs")[0][0] == 1  # its first round
    assert "hireview_detect_runs_total 1.0" in page
    refreshed = re.search(r"^hireview_fund_refreshed_days_total (\S+)$", page, re.M)
    assert refreshed and float(refreshed.group(1)) >= len(EXPECTED)
    assert targets and not list(settings.targets_dir.glob("detect-*.json"))  # withdrawn


def _wait_for(condition: Any, seconds: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)


def _visits(client: Any, day: str) -> int | None:
    rows = client.execute(f"SELECT visits FROM facility_day FINAL WHERE day = '{day}'")
    return int(rows[0][0]) if rows else None


def _settled(client: Any) -> bool:
    """The last batch (a repeated revision) is in: LK1's rejected amount is revision 2's."""
    rows = client.execute("SELECT rejected FROM facility_day FINAL WHERE day = '2025-03-01'")
    return bool(rows) and rows[0][0] == 500.0
