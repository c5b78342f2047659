"""Every SQL of the fund pages and the notices on the real ClickHouse server (18.16 here) AND on
chdb (a current engine), on the same generated rows: both must answer, and answer the same."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from streams.clickhouse import db as chdb_server
from streams.fund.notices.db import ServerDb
from streams.fund.notices.run import issue_month
from streams.fund.notices.store import NoticeStore
from streams.jurisdiction import Jurisdiction
from streams.settings import Settings
from streams.web.fund import views
from streams.web.fund.baseline import baseline_chart
from streams.web.fund.queries import FundQueries
from streams.web.fund.tiles import tile
from tests.fund_contract import ChdbDb, World, load_claims, run_migration

pytestmark = pytest.mark.clickhouse
WHO = (Jurisdiction("central", "*"), Jurisdiction("province", "79"),
       Jurisdiction("district", "79-001", frozenset({"79001", "79003"})))


@pytest.fixture()
def engines(isolated: Settings) -> Iterator[tuple[ServerDb, ChdbDb]]:
    chdb_server.migrate(isolated, progress=lambda _m: None)
    server = ServerDb(chdb_server.connect(isolated))
    local = ChdbDb()
    for name in ("0001_claims.sql", "0003_decisions.sql", "0018_notices.sql"):
        run_migration(local, name)  # the server has them from db.migrate
    world = World().build()
    for engine in (server, local):
        world.load(engine)
        load_claims(engine)
    yield server, local
    local.close()


def _same(a: Any, b: Any, where: str) -> None:
    """Equal up to float rounding (sums may add in another order on another engine)."""
    if isinstance(a, float) or isinstance(b, float):
        assert math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif hasattr(a, "__dataclass_fields__"):
        _same(vars(a), vars(b), where)
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def test_every_page_query_runs_on_the_server_and_on_chdb(engines: Any) -> None:
    server, local = engines
    answers: list[dict[str, Any]] = []
    for engine in (server, local):
        q = FundQueries(engine)
        got: dict[str, Any] = {"latest": q.latest_month()}
        for who in WHO:
            key = f"{who.role}"
            got[f"province_months/{key}"] = q.province_months(who, 202505, 202604)
            got[f"facility_months/{key}"] = q.facility_months(who, 202505, 202604,
                                                              codes=("79", "74"))
            got[f"facility_list/{key}"] = q.facility_months(who, 202604, 202604,
                                                            facilities=("79001", "01002"))
            got[f"register/{key}"] = q.register(who, codes=("79",))
        got["register/peers"] = q.register(None, tier=2, kind="public_hospital")
        got["days"] = q.days("79001", date(2026, 3, 1), date(2026, 4, 30))
        got["claims"] = q.claims("79001", 202604)
        answers.append(got)
    server_answer, chdb_answer = answers
    assert server_answer["latest"] == 202604
    assert len(server_answer["claims"]) == 12 and server_answer["claims"][0]["outcome"]
    assert server_answer["province_months/central"]
    assert {k[0] for k in server_answer["province_months/province"]} == {"79"}
    assert {k[0] for k in server_answer["facility_months/district"]} == {"79001", "79003"}
    for key in server_answer:
        _same(server_answer[key], chdb_answer[key], key)


def test_pages_and_notices_agree_on_both_engines(engines: Any) -> None:
    server, local = engines
    results = []
    for engine in (server, local):
        q, store = FundQueries(engine), NoticeStore(engine)
        outcome = issue_month(engine, 202604, show_progress=False)
        central = WHO[0]
        hcm = tile("ho-chi-minh")
        assert hcm is not None
        facility = q.register(central, facilities=("79001",))[0]
        page = views.facility_view(q, store, central, facility, 202604, "vi")
        results.append({
            "outcome": vars(outcome),
            "map": views.map_view(q, store, central, 202604, "vi")["rows"],
            "province": views.province_view(q, store, WHO[1], hcm, 202604, "en")["rows"],
            "facility": {k: page[k] for k in ("change", "vs_peers", "n_peers", "claims")},
            "anomalies": [a.anomaly_id for a in page["anomalies"]],
            "listing": [(r.facility, r.month, r.status) for r in
                        store.listing(WHO[1], 202604)],
            "chart": baseline_chart(q, page["anomalies"][0], "vi"),
        })
    assert results[0]["outcome"]["issued"] == 3
    assert results[0]["listing"] == [("79001", 202604, "issued")]
    assert 'data-chart="baseline-' in results[0]["chart"]
    for key in results[0]:
        _same(results[0][key], results[1][key], key)


def test_status_changes_within_one_second_keep_their_order(engines: Any) -> None:
    """fetched then acknowledged in the same second: updated_at still orders them, on both."""
    for engine in engines:
        issue_month(engine, 202604, show_progress=False)
        store = NoticeStore(engine)
        row = store.of_month(202604)[0]
        fetched = store.update(row, status="fetched")
        store.update(fetched, status="acknowledged", acknowledged_by="79001")
        again = store.get(row.notice_id)
        assert again is not None and again.status == "acknowledged"
        assert again.issued_at == row.issued_at  # the issue date never moves
        assert [r.status for r in store.of_month(202604)].count("acknowledged") == 1
