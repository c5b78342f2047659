"""Paged results on the REAL ClickHouse (isolated database): decisions written with the sink's
row builders, read back page by page through the portal's HTTP endpoint; and the card lookup on
``build_portal``'s real wiring (hi.cards on the REAL Kafka)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streams.clickhouse.db import connect, migrate
from streams.portal.api.results import ClickHouseListing, results_router
from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.settings import Settings
from streams.sink.consumer import insert_tables
from streams.sink.rows import decision_tables
from tests.unit.portal.test_portal_service import FakeLog, FakePublish, FakeResults
from tests.unit.sink.test_sink_rows import make_decision, make_hit

pytestmark = pytest.mark.clickhouse
NOW = datetime(2025, 4, 2, 3, 0, tzinfo=UTC)


def decision(claim_id: str, *, facility: str = "79001", day: date = date(2025, 3, 3),
             version: int = 1, revision: int = 1, hits: list[dict[str, Any]] | None = None
             ) -> dict[str, Any]:
    d = make_decision(claim_id, facility, version, revision, hits=hits)
    d["service_date"] = day
    return d


def store(settings: Settings, decisions: list[dict[str, Any]]) -> None:
    client = connect(settings)
    tables: dict[str, list[dict[str, Any]]] = {"decisions": [], "rule_hits": []}
    for d in decisions:
        for table, rows in decision_tables(d, NOW).items():
            tables[table] += rows
    insert_tables(client, tables)


def test_pages_of_current_decisions(isolated: Settings, tmp_path: Path) -> None:
    migrate(isolated, progress=lambda _m: None)
    march = [decision(f"K{i:03d}") for i in range(1, 24)]
    store(isolated, march)
    store(isolated, march[:5])  # a replayed sink batch: collapsed by FINAL
    store(isolated, [
        # Version 2 is the current one; its hits, not version 1's.
        decision("V2", hits=[make_hit("CT01")]),
        decision("V2", version=2, hits=[make_hit("CT02", line=2), make_hit("MN01", "REJECT",
                                                                            line=None)]),
        # An amendment (revision 2) adds a hit: the current revision is shown.
        decision("AMEND", hits=[make_hit("CT01")]),
        decision("AMEND", revision=2, hits=[make_hit("CT01"), make_hit("XC02", "WARNING",
                                                                        line=None)]),
        # Version 2 moved to April: the claim is April's now, not March's.
        decision("MOVED"), decision("MOVED", version=2, day=date(2025, 4, 2)),
        decision("OTHER", facility="79002"), decision("FEB", day=date(2025, 2, 28)),
        decision("APR1", day=date(2025, 4, 1)),
    ])
    path = tmp_path / "creds.json"
    key = add_credential(path, "facility", "facility", "79001")
    app = create_portal(isolated, publish=FakePublish(), receipts=ReceiptStore(FakeLog()),
                        results=FakeResults(), credentials=Credentials.load(path),
                        routers=[results_router(ClickHouseListing(connect(isolated)))])
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {key}"}

    url: str | None = "/api/v1/claims?facility=79001&month=202503&page_size=10"
    claims: list[dict[str, Any]] = []
    pages = 0
    while url is not None:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["total"], body["pages"]) == (25, 3)  # 23 + V2 + AMEND
        assert len(body["claims"]) == (10 if body["page"] < 3 else 5)
        claims += body["claims"]
        pages, url = pages + 1, body["next"]
    assert pages == 3
    ids = [c["ma_lk"] for c in claims]
    assert ids == sorted([f"K{i:03d}" for i in range(1, 24)] + ["V2", "AMEND"])
    by_id = {c["ma_lk"]: c for c in claims}
    v2 = by_id["V2"]
    assert (v2["version"], v2["revision"], v2["claim_key"]) == (2, 1, "79001|V2")
    assert sorted(h["code"] for h in v2["hits"]) == ["CT02", "MN01"]
    mn01 = next(h for h in v2["hits"] if h["code"] == "MN01")
    assert (mn01["line"], mn01["message"], mn01["legal_basis"]) == (-1, "MN01 message",
                                                                    "QD 130 art. 1")
    amend = by_id["AMEND"]
    assert amend["revision"] == 2 and amend["warned"] is True
    assert sorted(h["code"] for h in amend["hits"]) == ["CT01", "XC02"]
    k1 = by_id["K001"]
    assert (k1["requested"], k1["approved"], k1["rejected"]) == ("39269.14", "39169.14",
                                                                  "100.00")
    assert k1["service_date"] == "2025-03-03" and k1["outcome"] == "PARTIAL_REJECT"

    april = client.get("/api/v1/claims?month=202504", headers=headers).json()
    assert sorted(c["ma_lk"] for c in april["claims"]) == ["APR1", "MOVED"]
    assert next(c for c in april["claims"] if c["ma_lk"] == "MOVED")["version"] == 2
    assert client.get("/api/v1/claims?month=202502", headers=headers).json()["total"] == 1


def test_clickhouse_down_is_503(isolated: Settings, tmp_path: Path) -> None:
    down = isolated.model_copy(update={"clickhouse_port": 9})  # nothing listens there
    path = tmp_path / "creds.json"
    key = add_credential(path, "facility", "facility", "79001")
    from streams.clickhouse.db import client as lazy_client

    app = create_portal(down, publish=FakePublish(), receipts=ReceiptStore(FakeLog()),
                        results=FakeResults(), credentials=Credentials.load(path),
                        routers=[results_router(ClickHouseListing(lazy_client(down)))])
    r = TestClient(app).get("/api/v1/claims?month=202503",
                            headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 503 and r.json()["error"] == "unavailable"


@pytest.mark.kafka
def test_card_lookup_on_the_portal_wiring(isolated: Settings, tmp_path: Path) -> None:
    """build_portal: hi.cards read by the portal's feed, looked up by citizen id; no worker
    runs, so the card comes without visits (not a 5xx)."""
    from streams.codec import Codec
    from streams.kafka import create_topics, producer
    from streams.portal.run import build_portal
    from tests.unit.portal.test_portal_cards import CARD, card

    settings = isolated.model_copy(update={"portal_credentials": tmp_path / "creds.json",
                                           "portal_worker_timeout": 0.5})
    migrate(settings, progress=lambda _m: None)
    create_topics(settings)
    kafka = producer(settings)
    kafka.produce(settings.topic("hi.cards"), key=CARD.encode(),
                  value=Codec.from_settings(settings).encoder("card")(card()))
    assert kafka.flush(10) == 0
    key = add_credential(settings.portal_credentials, "facility", "facility", "79001")
    client = TestClient(build_portal(settings))
    r = client.get("/api/v1/cards/079095000001?on=2025-03-15",
                   headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["card_no"], body["status"], body["registered_facility"]) == (CARD, "valid",
                                                                             "79001")
    assert body["visits_available"] is False and body["visits"] == []
