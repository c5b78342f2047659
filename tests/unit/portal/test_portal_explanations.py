"""The facility's side of an explanation request: listing, answering, every refusal named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streams.portal.api.explanations import explanations_router
from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.settings import Settings
from tests.unit.portal.test_portal_service import FakeLog, FakePublish, FakeResults

OPEN, LATE, DONE = "a" * 32, "b" * 32, "c" * 32


def _request(rid: str, due: datetime, status: str = "open") -> dict[str, Any]:
    return {"id": rid, "facility": "79001", "claim_id": "79001_X", "version": 1,
            "person_key": "7912345678", "base_revision": 2, "question": "why twice?",
            "requested_by": "lan", "requested_at": datetime(2025, 3, 1), "due": due,
            "proposal": "REJECT_CLAIM", "answer": "", "answer_attachments": [],
            "answered_by": "", "answered_at": None, "answers": 0, "status": status,
            "line_tables": ["XML2"], "line_numbers": [3], "line_amounts": [Decimal("1200")]}


class Store:
    def __init__(self) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        self.rows = {OPEN: _request(OPEN, now + timedelta(days=3)),
                     LATE: _request(LATE, now - timedelta(hours=1)),
                     DONE: _request(DONE, now + timedelta(days=3), "decided")}

    def of_facility(self, facility: str, status: str | None) -> list[dict[str, Any]]:
        return [r for r in self.rows.values() if r["facility"] == facility
                and status in (None, r["status"])]

    def get(self, request_id: str) -> dict[str, Any] | None:
        return self.rows.get(request_id)


@pytest.fixture()
def client(tmp_path: Path) -> tuple[TestClient, dict[str, str], list[dict[str, Any]]]:
    path = tmp_path / "keys.json"
    keys = {who: add_credential(path, who, role, scope) for who, role, scope in (
        ("own", "facility", "79001"), ("other", "facility", "01001"),
        ("province", "province", "79"))}
    sent: list[dict[str, Any]] = []
    app = create_portal(Settings(), publish=FakePublish(), receipts=ReceiptStore(FakeLog(), []),
                        results=FakeResults(), credentials=Credentials.load(path),
                        routers=(explanations_router(Store(), sent.append),))  # type: ignore[arg-type]
    return TestClient(app), keys, sent


def _auth(keys: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[who]}"}


def test_the_facility_lists_its_requests_with_overdue_flags(client: Any) -> None:
    http, keys, _ = client
    body = http.get("/api/v1/explanations", headers=_auth(keys, "own")).json()
    assert {e["id"]: e["overdue"] for e in body["explanations"]} == {
        OPEN: False, LATE: True, DONE: False}
    assert body["overdue"] == 1
    first = body["explanations"][0]
    assert first["lines"] == [{"table": "XML2", "line": 3, "amount": "1200.00"}]
    assert first["answer"] is None and first["question"] == "why twice?"
    assert http.get("/api/v1/explanations", params={"facility": "79001"},
                    headers=_auth(keys, "other")).status_code == 403
    assert http.get("/api/v1/explanations", params={"status": "nope"},
                    headers=_auth(keys, "own")).status_code == 400


def test_an_answer_is_published_once_and_refusals_say_why(client: Any) -> None:
    http, keys, sent = client
    own = _auth(keys, "own")
    answer = {"text": "Transferred the same day", "attachments": ["giay-chuyen-tuyen.pdf"]}
    ok = http.post(f"/api/v1/explanations/{OPEN}", json=answer, headers=own)
    assert ok.status_code == 200, ok.text
    (event,) = sent
    assert (event["action"], event["request_id"], event["actor_role"]) == (
        "EXPLAIN", OPEN, "facility")
    assert event["note"] == "Transferred the same day" and event["base_revision"] == 2
    for rid, headers, body, status, words in (
            ("f" * 32, own, answer, 404, "no request"),
            (LATE, own, answer, 409, "was due"),
            (DONE, own, answer, 409, "decided"),
            (OPEN, _auth(keys, "other"), answer, 404, "no request"),  # out of scope
            (OPEN, _auth(keys, "province"), answer, 403, "only the facility"),
            (OPEN, own, {"text": "  "}, 422, "text"),
            (OPEN, own, {"text": "x", "attachments": ["a"] * 21}, 422, "attachments"),
            # Answered a moment ago: the view does not show it yet, the portal remembers.
            (OPEN, own, answer, 409, "answered")):
        got = http.post(f"/api/v1/explanations/{rid}", json=body, headers=headers)
        assert got.status_code == status and words in got.json()["detail"], (rid, got.text)
    assert len(sent) == 1


def test_an_answer_kafka_did_not_take_may_be_sent_again(tmp_path: Path) -> None:
    from streams.portal.access import Unavailable

    path = tmp_path / "keys.json"
    key = add_credential(path, "own", "facility", "79001")
    sent: list[dict[str, Any]] = []

    def flaky(event: dict[str, Any]) -> None:
        if not sent:
            sent.append({})
            raise Unavailable("hi.reviews: 1 message(s) not delivered")
        sent.append(event)

    app = create_portal(Settings(), publish=FakePublish(), receipts=ReceiptStore(FakeLog(), []),
                        results=FakeResults(), credentials=Credentials.load(path),
                        routers=(explanations_router(Store(), flaky),))  # type: ignore[arg-type]
    http = TestClient(app)
    headers = {"Authorization": f"Bearer {key}"}
    down = http.post(f"/api/v1/explanations/{OPEN}", json={"text": "x"}, headers=headers)
    assert down.status_code == 503 and down.json()["error"] == "unavailable"
    again = http.post(f"/api/v1/explanations/{OPEN}", json={"text": "x"}, headers=headers)
    assert again.status_code == 200 and sent[-1]["request_id"] == OPEN
