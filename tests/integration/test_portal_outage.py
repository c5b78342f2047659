"""A broker outage during submissions (the real Kafka, stopped and restarted through the
project's infra): a claim answered 503 is known not delivered and never arrives later, so a
corrected resubmission takes its version without two contents under one identity.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from streams.codec import Codec
from streams.kafka import create_topics
from streams.ops import services as infra
from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore, kafka_writer
from streams.portal.run import KafkaPublisher, ack_wait, portal_producer
from streams.portal.service import create_portal
from streams.settings import Settings
from tests.integration.records import records
from tests.unit.portal.portal_fixtures import claim, envelope
from tests.unit.portal.test_portal_service import FakeResults

pytestmark = [pytest.mark.kafka]


def test_a_claim_answered_503_never_arrives_and_its_version_is_reused(
        isolated: Settings, tmp_path: Path) -> None:
    settings = isolated.model_copy(update={"portal_ack_seconds": 4.0})
    create_topics(settings)
    creds = tmp_path / "creds.json"
    key = add_credential(creds, "Bệnh viện 79001", "facility", "79001")
    kafka = portal_producer(settings)
    codec = Codec.from_settings(settings)
    receipts = ReceiptStore(kafka_writer(settings, kafka, ack_wait(settings)))
    app = create_portal(settings, publish=KafkaPublisher(settings, kafka, codec),
                        receipts=receipts, results=FakeResults(),
                        credentials=Credentials.load(creds))
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/xml"}
    first = client.post("/api/v1/claims", content=envelope([claim(1)]), headers=headers)
    assert first.status_code == 200 and first.json()["claims"][0]["status"] == "accepted"

    assert infra.stop_service(settings, infra.KAFKA), "Kafka was not started by the infra"
    try:
        started = time.monotonic()
        down = client.post("/api/v1/claims", content=envelope([claim(2)]), headers=headers)
        took = time.monotonic() - started
        print(f"503 after {took:.1f} s with portal_ack_seconds {settings.portal_ack_seconds}")
        assert down.status_code == 503, down.text
        [lost] = down.json()["claims"]
        assert lost["status"] == "not_delivered" and lost["version"] is None
        assert lost["receipt"] is None and not lost["accepted"]
        assert len(kafka) == 0, "the producer still holds the claim: it could arrive later"
    finally:
        infra.up(settings, progress=lambda m: print(f"[infra] {m}"), services=(infra.KAFKA,))
        assert infra.kafka_ready(settings, 60)

    corrected = claim(2, drugs=1)
    again = client.post("/api/v1/claims", content=envelope([corrected]), headers=headers)
    assert again.status_code == 200, again.text
    [taken] = again.json()["claims"]
    assert taken["status"] == "accepted" and taken["version"] == 1
    events = [r for r in records(settings, codec, "hi.claims", "claim")
              if r["claim_id"] == taken["ma_lk"]]
    assert [(e["version"], len(e["drugs"])) for e in events] == [(1, 1)], events
