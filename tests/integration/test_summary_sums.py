"""SB02 on the REAL ClickHouse: the facility-month sums the portal compares a summary with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rules import summary
from streams.clickhouse.db import connect, migrate
from streams.portal.api.summaries import ClickHouseSums
from streams.settings import Settings
from streams.sim.generate import generate
from streams.sink.consumer import insert_tables
from streams.sink.rows import claim_tables

pytestmark = pytest.mark.clickhouse
NOW = datetime(2026, 6, 3, tzinfo=UTC)


def store(settings: Settings, claims: list[dict[str, Any]]) -> None:
    tables: dict[str, list[dict[str, Any]]] = {"claims": [], "claim_lines": []}
    for claim in claims:
        for table, rows in claim_tables(claim, NOW).items():
            tables[table].extend(rows)
    client = connect(settings)
    insert_tables(client, tables)
    insert_tables(client, tables)  # a replayed sink batch: FINAL must not count it twice


def test_sums_use_the_latest_version_settled_in_the_month(isolated: Settings) -> None:
    migrate(isolated)
    sim = [c.claim for c in generate(400, seed=21, violations=0.0).claims]
    facility = max({c["facility"] for c in sim}, key=lambda f: sum(
        c["facility"] == f for c in sim))
    mine = [c for c in sim if c["facility"] == facility]
    # A second version of one claim replaces the first (its fund share changes).
    v2 = {**mine[0], "version": 2, "header": {**mine[0]["header"],
                                                "t_bhtt": mine[0]["header"]["t_bhtt"] - 100}}
    store(isolated, sim + [v2])
    latest = {c["claim_id"]: c for c in mine}
    latest[v2["claim_id"]] = v2
    month = max({f"{c['header']['ngay_ttoan']:%Y%m}" for c in latest.values()})
    in_month = [c for c in latest.values() if f"{c['header']['ngay_ttoan']:%Y%m}" == month]
    expected = {"claims": len(in_month)}
    for name in summary.TOTALS:
        expected[name] = round(sum(c["header"][name] for c in in_month), 2)

    got = ClickHouseSums(connect(isolated))(facility, month)
    assert got["claims"] == expected["claims"] > 0
    for name in summary.TOTALS:
        assert got[name] == pytest.approx(expected[name], abs=0.01), name
    assert summary.compare(expected, got) == []
    off = {**expected, "t_bhtt": expected["t_bhtt"] + 5000}
    assert [f.field for f in summary.compare(off, got)] == ["t_bhtt"]
    earlier = f"{datetime.strptime(month, '%Y%m') - timedelta(days=40):%Y%m}"
    assert ClickHouseSums(connect(isolated))(facility, earlier)["claims"] == sum(
        f"{c['header']['ngay_ttoan']:%Y%m}" == earlier for c in latest.values())
