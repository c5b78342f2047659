"""The portal in-process on the REAL Kafka and ClickHouse: acknowledged claims are on hi.claims,
keyed by person, decodable; receipts survive a restart (read back from hi.receipts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition
from fastapi.testclient import TestClient

from streams.clickhouse.db import migrate
from streams.codec import Codec
from streams.portal.auth import add_credential
from streams.portal.receipts import TOPIC as RECEIPTS
from streams.portal.run import build_portal
from streams.settings import Settings
from tests.unit.portal.portal_fixtures import claim, envelope

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def read_all(settings: Settings, topic: str, expect: int, timeout: float = 30.0
             ) -> list[tuple[str, bytes]]:
    """Every event of ``topic`` (all partitions, from the start); fails if fewer than
    ``expect`` arrive within ``timeout`` or if the topic holds more."""
    name = settings.topic(topic)
    consumer = Consumer({"bootstrap.servers": settings.bootstrap, "group.id": f"t-{name}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        parts = consumer.list_topics(name, timeout=10).topics[name].partitions
        total = sum(consumer.get_watermark_offsets(TopicPartition(name, p), timeout=10)[1]
                    for p in parts)
        assert total == expect, f"{name} holds {total} events, expected {expect}"
        consumer.assign([TopicPartition(name, p, 0) for p in parts])
        events: list[tuple[str, bytes]] = []
        while len(events) < expect:
            msg = consumer.poll(timeout)
            assert msg is not None, f"{name}: only {len(events)} of {expect} events"
            assert msg.error() is None, msg.error()
            events.append(((msg.key() or b"").decode(), msg.value() or b""))
        return events
    finally:
        consumer.close()


def test_portal_publishes_acknowledged_claims(isolated: Settings, tmp_path: Path) -> None:
    settings = isolated.model_copy(update={"portal_credentials": tmp_path / "creds.json"})
    migrate(settings, progress=lambda _m: None)
    key = add_credential(settings.portal_credentials, "test facility", "facility", "79001")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/xml"}
    specs = [claim(1), claim(2)]
    body = envelope(specs)

    client = TestClient(build_portal(settings))
    r = client.post("/api/v1/claims", content=body, headers=headers)
    assert r.status_code == 200, r.text
    results: list[dict[str, Any]] = r.json()["claims"]
    assert [c["status"] for c in results] == ["accepted", "accepted"]

    # The answer came after the acks: the events are there now, keyed by person.
    codec = Codec.from_settings(settings)
    events = read_all(settings, "hi.claims", expect=2, timeout=10)
    decoded = {codec.decode(value, "claim")["claim_id"]: (k, codec.decode(value, "claim"))
               for k, value in events}
    for spec in specs:
        k, record = decoded[spec.xml1["MA_LK"]]
        assert k == record["person_key"] == spec.xml1["MA_THE_BHYT"][-10:]
        assert record["version"] == 1 and record["facility"] == "79001"
    assert len(read_all(settings, RECEIPTS, expect=2)) == 2

    # No decision yet: the ClickHouse lookup answers 404.
    ma_lk = specs[0].xml1["MA_LK"]
    got = client.get(f"/api/v1/claims/79001/{ma_lk}", headers=headers)
    assert got.status_code == 404, got.text

    # A restarted portal reads its receipts back: the same envelope is a duplicate.
    restarted = TestClient(build_portal(settings))
    again = restarted.post("/api/v1/claims", content=body, headers=headers).json()["claims"]
    assert [c["receipt"] for c in again] == [c["receipt"] for c in results]
    assert {c["status"] for c in again} == {"duplicate"}
    read_all(settings, "hi.claims", expect=2)  # still exactly two events
