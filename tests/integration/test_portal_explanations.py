"""The facility's side of a request for explanation on ``build_portal``'s real wiring: REAL
Kafka (hi.reviews), the sink as a process, REAL ClickHouse (the explanations view)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streams.clickhouse.db import connect, migrate
from streams.codec import Codec, from_json
from streams.kafka import create_topics, producer, publish
from streams.ops.procs import Child, wait_for
from streams.portal.api.explanations import ClickHouseExplanations, explanations_router
from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.run import KafkaReviews, build_portal
from streams.portal.service import create_portal
from streams.settings import Settings
from tests.integration.records import records
from tests.unit.portal.test_portal_service import FakeLog, FakePublish, FakeResults
from tests.unit.shared.examples import AVRO

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def _request(codec: Codec) -> dict[str, Any]:
    raw = json.loads((AVRO / "examples/review/request-explanation.json").read_text("utf-8"))
    request: dict[str, Any] = from_json(codec.schema("review"), raw)
    now = datetime.now(UTC)
    request.update(review_id=uuid.uuid4().hex, at=now, due=now + timedelta(days=3),
                   proposal="REJECT_LINES",
                   lines=[{"table": "XML2", "line": 4, "amount": 23520.0}])
    return request


def test_a_request_reaches_the_facility_and_its_answer_the_trail(isolated: Settings,
                                                                 tmp_path: Path) -> None:
    settings = isolated.model_copy(update={"portal_credentials": tmp_path / "keys.json",
                                           "portal_worker_timeout": 0.5})
    migrate(settings, progress=lambda _m: None)
    create_topics(settings)
    codec = Codec.from_settings(settings)
    keys = {who: add_credential(settings.portal_credentials, who, role, scope)
            for who, role, scope in (("BV 79001", "facility", "79001"),
                                     ("BV 01001", "facility", "01001"),
                                     ("province 79", "province", "79"))}
    auth = {who: {"Authorization": f"Bearer {key}"} for who, key in keys.items()}
    request, spare = _request(codec), _request(codec)
    encode = codec.encoder("review")
    publish(settings, settings.topic("hi.reviews"),
            [(r["person_key"].encode(), encode(r)) for r in (request, spare)])
    sink = Child(settings, "sink", tmp_path)
    client = connect(settings)

    def status(rid: str) -> str | None:
        rows = client.execute("SELECT status FROM explanations WHERE id = %(i)s", {"i": rid})
        return str(rows[0][0]) if rows else None

    wait_for(lambda: status(request["review_id"]) == "open" == status(spare["review_id"]), 120,
             "the requests in the explanations view", children=(sink,))
    http = TestClient(build_portal(settings))
    rid = request["review_id"]

    listed = http.get("/api/v1/explanations", headers=auth["BV 79001"])
    assert listed.status_code == 200, listed.text
    shown = next(e for e in listed.json()["explanations"] if e["id"] == rid)
    assert (shown["status"], shown["overdue"], shown["proposal"], shown["question"]) == (
        "open", False, "REJECT_LINES", request["note"])
    assert shown["lines"] == [{"table": "XML2", "line": 4, "amount": "23520.00"}]
    assert shown["answer"] is None and shown["requested_by"] == "lan"
    assert http.get("/api/v1/explanations?facility=79001",
                    headers=auth["BV 01001"]).status_code == 403
    answer = {"text": "Người bệnh chuyển tuyến trong ngày", "attachments": ["gct-0042817.pdf"]}
    url = f"/api/v1/explanations/{rid}"
    for who, body, code, words in (("BV 01001", answer, 404, "no request"),
                                   ("province 79", answer, 403, "only the facility"),
                                   ("BV 79001", {"text": ""}, 422, "text")):
        got = http.post(url, json=body, headers=auth[who])
        assert got.status_code == code and words in got.json()["detail"], got.text

    done = http.post(url, json=answer, headers=auth["BV 79001"])
    assert done.status_code == 200, done.text
    assert done.json()["request_id"] == rid
    assert http.post(url, json=answer, headers=auth["BV 79001"]).status_code == 409
    (explain,) = [r for r in records(settings, codec, "hi.reviews", "review")
                  if r["action"] == "EXPLAIN"]
    assert (explain["review_id"], explain["request_id"], explain["actor"],
            explain["actor_role"], explain["base_revision"], explain["attachments"]) == (
        done.json()["review_id"], rid, "BV 79001", "facility", request["base_revision"],
        ["gct-0042817.pdf"])
    wait_for(lambda: status(rid) == "answered", 60, "the answer in the view", children=(sink,))
    shown = next(e for e in http.get("/api/v1/explanations?status=answered",
                                     headers=auth["BV 79001"]).json()["explanations"])
    assert shown["answer"]["text"] == answer["text"]
    assert shown["answer"]["attachments"] == answer["attachments"]
    sink.stop()

    # Kafka does not acknowledge: 503, and nothing counts as answered.
    down = settings.model_copy(update={"kafka_port": 9, "portal_ack_seconds": 1.0})
    app = create_portal(down, publish=FakePublish(), receipts=ReceiptStore(FakeLog(), []),
                        results=FakeResults(),
                        credentials=Credentials.load(settings.portal_credentials),
                        routers=(explanations_router(
                            ClickHouseExplanations(connect(settings)),
                            KafkaReviews(down, producer(down, log_level=0), codec)),))
    got = TestClient(app).post(f"/api/v1/explanations/{spare['review_id']}", json=answer,
                               headers=auth["BV 79001"])
    assert got.status_code == 503 and got.json()["error"] == "unavailable", got.text
