"""The analytics SQL on a modern engine (chdb): every migration applies, facility_day is
right after re-inserts, a decision revision and a claim moved to another day, and the
detector's read and write queries run. tests/integration/test_fund_analytics.py runs the
same on the ClickHouse 18.16 server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from streams.fund import refresh, store
from streams.fund.anomaly import Anomaly
from streams.jurisdiction import FacilityRegister, RegisteredFacility
from streams.sink.rows import TABLE_COLUMNS
from tests.unit.fund.chdb_engine import Chdb
from tests.unit.fund.fund_rows import EXPECTED, batches, correction


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chdb]:
    ch = Chdb(tmp_path_factory.mktemp("chdb"))
    for tables in batches():
        for table, rows in tables.items():
            store.write(ch.insert, table, TABLE_COLUMNS[table], rows)
    yield ch
    ch.close()


def facility_day(query: refresh.Query) -> dict[tuple[str, str], dict[str, Any]]:
    columns = refresh.DAY_COLUMNS
    rows = query(f"SELECT {', '.join(columns)} FROM facility_day FINAL ORDER BY facility, day")
    return {(str(r[0]), r[1]): dict(zip(columns, r, strict=True)) for r in rows}


def check(got: dict[tuple[str, str], dict[str, Any]]) -> None:
    assert set(got) == set(EXPECTED)
    for key, want in EXPECTED.items():
        for column, value in want.items():
            if isinstance(value, float):
                assert got[key][column] == pytest.approx(value), (key, column)
            else:
                assert list(got[key][column]) == value if isinstance(value, list) \
                    else got[key][column] == value, (key, column)


DAYS = [date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 5)]


def test_facility_day_counts_each_claim_once_at_its_current_state(engine: Chdb) -> None:
    assert refresh.refresh_touched(engine.query, "continuous", 300) == 3
    for table, rows in correction().items():  # LK4 leaves 03-05 for 03-02
        store.write(engine.insert, table, TABLE_COLUMNS[table], rows)
    refresh.refresh_days(engine.query, [date(2025, 3, 2), date(2025, 3, 5)])
    check(facility_day(engine.query))
    # Refreshing again (all days) replaces rows instead of adding to them.
    refresh.refresh_days(engine.query, DAYS)
    check(facility_day(engine.query))
    assert engine.query("SELECT count() FROM facility_day")[0][0] == 3  # merged by OPTIMIZE


def test_province_and_rule_views(engine: Chdb) -> None:
    refresh.refresh_days(engine.query, DAYS)
    rows = engine.query("SELECT day, province, facilities, visits, rejected FROM province_day "
                        "ORDER BY day")
    assert [(str(d), p, f, v, r) for d, p, f, v, r in rows] == [
        ("2025-03-01", "79", 1, 2, 500.0), ("2025-03-02", "79", 1, 2, 0.0),
        ("2025-03-05", "79", 0, 0, 0.0)]
    rows = engine.query("SELECT code, claims FROM facility_rule_day ORDER BY code")
    assert rows == [("CT01", 1), ("XC02", 1)]


def test_register_series_and_anomalies_round_trip(engine: Chdb) -> None:
    refresh.refresh_days(engine.query, DAYS)
    now = datetime(2025, 4, 1, tzinfo=UTC)
    register = FacilityRegister({"79001": "79-760", "79002": "79-760"}, {
        "79001": RegisteredFacility("79001", "79-760", "BV A", 2, "public_hospital")})
    store.write(engine.insert, "facilities", store.FACILITY_COLUMNS,
                store.register_rows(register, now))
    facilities = store.read_facilities(engine.query)
    assert [(f.facility, f.tier, f.kind) for f in facilities] == [
        ("79001", 2, "public_hospital"), ("79002", 0, "")]
    series = store.read_series(engine.query, facilities, date(2025, 2, 28), date(2025, 3, 3))
    assert series.data["visits"][0].tolist() == [0, 2, 2, 0]
    assert series.data["total_cost"][0, 1] == pytest.approx(2 * 54086.42)

    found = Anomaly("79001", "79", "cost_per_visit", date(2025, 3, 1), date(2025, 3, 31),
                    "notice", 2.0, 1.0, 0.5, 1.5, 0.4, 1.6, 1.0, 99.0, 4.0, 12, "tier_kind",
                    5.0, 7.5, date(2025, 3, 9), 3000, 3e6, 1, "vi", "en")
    row = store.anomaly_row(found, "run1", now)
    store.write(engine.insert, "anomalies", store.ANOMALY_COLUMNS, [row])
    # A later run over March that no longer flags it withdraws it.
    later = datetime(2025, 4, 2, tzinfo=UTC)
    cleared = store.cleared_rows(engine.query, ["79001"], [date(2025, 3, 1)], [], "run2", later)
    assert [(r["anomaly_id"], r["level"]) for r in cleared] == [(row["anomaly_id"], "cleared")]
    store.write(engine.insert, "anomalies", store.ANOMALY_COLUMNS, cleared)
    assert engine.query("SELECT level, run_id FROM anomalies FINAL") == [("cleared", "run2")]
    assert store.cleared_rows(engine.query, ["79001"], [date(2025, 3, 1)], [], "run3",
                              later) == []
