"""The portal's HTTP API with fakes for Kafka (publish, receipts log) and ClickHouse (results)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streams.portal.access import Unavailable
from streams.portal.auth import CredentialError, Credentials, add_credential
from streams.portal.intake import claim_to_json, parse_envelope
from streams.portal.receipts import Receipt, ReceiptStore, ReceiptWriteFailed
from streams.portal.service import create_portal
from streams.settings import Settings
from tests.unit.portal.portal_fixtures import claim, envelope

XML = {"Content-Type": "application/xml"}


@dataclass
class FakePublish:
    published: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False

    def __call__(self, records: list[dict[str, Any]]) -> None:
        if self.fail:
            raise Unavailable("hi.claims: broker down (fake)")
        self.published.extend(records)


@dataclass
class FakeResults:
    started: set[tuple[str, str]] = field(default_factory=set)
    decisions: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def decided(self, facility: str, claim_id: str) -> bool:
        return (facility, claim_id) in self.started

    def latest_decision(self, facility: str, claim_id: str) -> dict[str, Any] | None:
        return self.decisions.get((facility, claim_id))


@dataclass
class FakeLog:
    written: list[tuple[str, bytes]] = field(default_factory=list)
    fail: bool = False

    def __call__(self, items: list[tuple[str, bytes]]) -> None:
        if self.fail:
            raise ReceiptWriteFailed("hi.receipts: broker down (fake)")
        self.written.extend(items)


@dataclass
class Portal:
    client: TestClient
    publish: FakePublish
    results: FakeResults
    log: FakeLog
    keys: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def post(self, body: bytes, who: str = "own", ctype: str = "application/xml") -> Any:
        return self.client.post("/api/v1/claims", content=body,
                                headers={**self.auth(who), "Content-Type": ctype})


KEYS = {"own": ("facility", "79001"), "other": ("facility", "01001"),
        "province": ("province", "79"), "other_province": ("province", "01"),
        "central": ("central", "*")}


@pytest.fixture(scope="module")
def cred_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("creds") / "portal-credentials.json"
    keys = {who: add_credential(path, who, role, scope) for who, (role, scope) in KEYS.items()}
    return path, keys


def make_portal(cred_file: tuple[Path, dict[str, str]], *, max_mb: int = 16,
                receipts: list[Receipt] | None = None) -> Portal:
    path, keys = cred_file
    publish, results, log = FakePublish(), FakeResults(), FakeLog()
    app = create_portal(Settings(portal_max_body_mb=max_mb), publish=publish,
                        receipts=ReceiptStore(log, receipts or []), results=results,
                        credentials=Credentials.load(path))
    return Portal(TestClient(app), publish, results, log, keys)


@pytest.fixture()
def portal(cred_file: tuple[Path, dict[str, str]]) -> Portal:
    return make_portal(cred_file)


def test_credentials_are_stored_hashed(cred_file: tuple[Path, dict[str, str]]) -> None:
    path, keys = cred_file
    text = path.read_text()
    assert all(key not in text and key.split("_", 2)[2] not in text for key in keys.values())
    assert path.stat().st_mode & 0o077 == 0
    creds = Credentials.load(path)
    cred = creds.verify(keys["province"])
    assert cred is not None and (cred.role, cred.scope) == ("province", "79")
    assert creds.verify(keys["own"][:-1] + ("A" if keys["own"][-1] != "A" else "B")) is None
    with pytest.raises(CredentialError, match="scope"):
        add_credential(path, "x", "province", "7")
    with pytest.raises(CredentialError, match="role"):
        add_credential(path, "x", "admin", "*")


def test_clean_envelope_is_accepted_and_published_once(portal: Portal) -> None:
    spec = claim(1)
    r = portal.post(envelope([spec]))
    assert r.status_code == 200, r.text
    [result] = r.json()["claims"]
    assert result["accepted"] and result["status"] == "accepted"
    assert result["version"] == 1 and result["receipt"]
    assert result["claim_key"] == f"79001|{spec.xml1['MA_LK']}"
    assert [p["claim_id"] for p in portal.publish.published] == [spec.xml1["MA_LK"]]
    event = portal.publish.published[0]
    assert event["version"] == 1 and event["person_key"] == spec.xml1["MA_THE_BHYT"][-10:]
    assert event["submitted_at"].tzinfo is not None and event["content_hash"]
    [(key, value)] = portal.log.written
    assert key == result["claim_key"]
    assert Receipt.from_json(value).receipt == result["receipt"]


def test_multi_claim_envelope_has_one_result_per_claim(portal: Portal) -> None:
    bad = claim(2)
    bad.xml1["MA_LK"] = ""
    r = portal.post(envelope([claim(1), bad, claim(3)]))
    assert r.status_code == 200, r.text
    results = r.json()["claims"]
    assert [c["accepted"] for c in results] == [True, False, True]
    assert results[1]["receipt"] is None and results[1]["findings"]
    assert any(f["blocking"] for f in results[1]["findings"])
    assert len(portal.publish.published) == 2


def test_same_content_same_receipt_no_second_event(cred_file: Any) -> None:
    portal = make_portal(cred_file)
    body = envelope([claim(1)])
    first = portal.post(body).json()["claims"][0]
    again = portal.post(body).json()["claims"][0]
    assert again["receipt"] == first["receipt"] and again["version"] == 1
    assert again["status"] == "duplicate" and again["accepted"]
    assert len(portal.publish.published) == 1 and len(portal.log.written) == 1
    # After a restart the receipts come back from the log: still a duplicate.
    restarted = make_portal(cred_file, receipts=[Receipt.from_json(v)
                                                 for _, v in portal.log.written])
    third = restarted.post(body).json()["claims"][0]
    assert third["receipt"] == first["receipt"] and restarted.publish.published == []


def test_changed_content_is_version_two(portal: Portal) -> None:
    spec = claim(1)
    first = portal.post(envelope([spec])).json()["claims"][0]
    changed = spec.copy()
    changed.xml1["CAN_NANG"] = "63"
    second = portal.post(envelope([changed])).json()["claims"][0]
    assert second["version"] == 2 and second["status"] == "accepted"
    assert second["receipt"] != first["receipt"]
    assert [p["version"] for p in portal.publish.published] == [1, 2]


def test_replacing_an_appraised_claim_needs_an_unlock(portal: Portal) -> None:
    spec = claim(1)
    ma_lk = spec.xml1["MA_LK"]
    portal.post(envelope([spec, claim(2)]))
    portal.results.started.add(("79001", ma_lk))
    changed = spec.copy()
    changed.xml1["CAN_NANG"] = "63"
    other = claim(3)
    r = portal.post(envelope([changed, other]))
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "appraisal_started"
    assert [c["status"] for c in r.json()["claims"]] == ["conflict", "rejected"]
    assert len(portal.publish.published) == 2  # neither the replacement nor claim 3
    url = f"/api/v1/claims/79001/{ma_lk}/unlock"
    assert portal.client.post(url, headers=portal.auth("own")).status_code == 403
    assert portal.client.post(url, headers=portal.auth("other_province")).status_code == 403
    assert portal.client.post("/api/v1/claims/79001/NOPE/unlock",
                              headers=portal.auth("province")).status_code == 404
    u = portal.client.post(url, headers=portal.auth("province"))
    assert u.status_code == 200 and u.json()["unlocked_version"] == 1
    r = portal.post(envelope([changed]))
    assert r.status_code == 200 and r.json()["claims"][0]["version"] == 2
    # The unlock was for version 1: replacing version 2 is refused again.
    changed.xml1["CAN_NANG"] = "64"
    assert portal.post(envelope([changed])).status_code == 409
    # Resending what is already accepted is no replacement: answered, not refused.
    assert portal.post(envelope([claim(2)])).json()["claims"][0]["status"] == "duplicate"


def test_kafka_failure_is_503_and_nothing_accepted(portal: Portal) -> None:
    portal.publish.fail = True
    r = portal.post(envelope([claim(1)]))
    assert r.status_code == 503 and r.json()["error"] == "unavailable"
    assert portal.log.written == []
    portal.publish.fail = False
    r = portal.post(envelope([claim(1)]))  # nothing was delivered: version 1 is still free
    assert r.json()["claims"][0]["version"] == 1
    assert r.json()["claims"][0]["status"] == "accepted"


def test_a_delivered_claim_keeps_its_version_when_its_receipt_write_fails(
        portal: Portal) -> None:
    portal.log.fail = True
    r = portal.post(envelope([claim(1)]))
    assert r.status_code == 503 and r.json()["error"] == "unavailable"
    [first] = r.json()["claims"]  # delivered: said so, with its receipt
    assert first["status"] == "accepted" and first["receipt"] and first["version"] == 1
    portal.log.fail = False
    again = portal.post(envelope([claim(1)]))  # the same content: the same receipt
    assert again.json()["claims"][0]["status"] == "duplicate"
    assert again.json()["claims"][0]["receipt"] == first["receipt"]
    assert [k for k, _ in portal.log.written] == [first["claim_key"]]  # written on the retry
    fixed = portal.post(envelope([claim(1, drugs=2)]))  # corrected: a new version, never 1
    assert fixed.json()["claims"][0]["version"] == 2


@pytest.mark.parametrize("body, reason", [
    (b"<GIAMDINHHS><THONGTINDONVI>", "malformed_xml"),
    (b"not xml at all", "malformed_xml"),
    (b"<OTHER/>", "not_an_envelope"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><GIAMDINHHS/>', "unsafe_xml"),
])
def test_unreadable_xml_is_400_with_reason(portal: Portal, body: bytes, reason: str) -> None:
    r = portal.post(body)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == reason and r.json()["detail"]
    assert portal.publish.published == []


def test_too_large_is_413(cred_file: Any) -> None:
    portal = make_portal(cred_file, max_mb=1)
    body = envelope([claim(1)]) + b" " * (1024 * 1024)
    r = portal.post(body)
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def test_bad_content_type_and_bad_json_are_4xx(portal: Portal) -> None:
    assert portal.post(b"x", ctype="text/plain").status_code == 415
    r = portal.post(b"{not json", ctype="application/json")
    assert r.status_code == 400 and r.json()["error"] == "malformed_json"
    r = portal.post(b"[1, {}]", ctype="application/json")
    assert r.status_code == 200 and not any(c["accepted"] for c in r.json()["claims"])


def test_deep_or_huge_json_is_refused_with_the_limit_named(portal: Portal) -> None:
    deep = portal.post(b"[" * 20000 + b"]" * 20000, ctype="application/json")
    # Beyond json's own recursion guard or beyond portal_max_depth: the same answer.
    for body in (b"[" * 20000 + b"]" * 20000, b"[" * 40 + b"]" * 40):
        deep = portal.post(body, ctype="application/json")
        assert deep.status_code == 422 and deep.json()["error"] == "too_deep", deep.text
        assert deep.json()["limit"] == 16 and deep.json()["field"].startswith("$")
    many = portal.post(b"[" + b",".join([b"{}"] * 1001) + b"]", ctype="application/json")
    assert many.status_code == 413 and many.json()["limit"] == 1000, many.text
    assert portal.publish.published == []


def test_json_form_is_accepted_like_the_xml(portal: Portal) -> None:
    parsed = parse_envelope(envelope([claim(5)]), max_bytes=10**7).claims[0].record
    assert parsed is not None
    body = json.dumps(claim_to_json(parsed)).encode()
    r = portal.post(body, ctype="application/json")
    assert r.status_code == 200, r.text
    [result] = r.json()["claims"]
    assert result["accepted"] and result["version"] == 1
    [event] = portal.publish.published
    assert event["claim_id"] == parsed["claim_id"] and event["header"] == parsed["header"]
    # The same claim as XML afterwards: same content, so no second event.
    assert portal.post(envelope([claim(5)])).json()["claims"][0]["status"] == "duplicate"
    # Two copies of one claim in one JSON list: the second is blocked.
    r = portal.post(json.dumps([claim_to_json(parsed)] * 2).encode(), ctype="application/json")
    assert [c["accepted"] for c in r.json()["claims"]] == [True, False]
    assert r.json()["claims"][1]["findings"][-1]["code"] == "P010"


def _decision() -> dict[str, Any]:
    return {"facility": "79001", "ma_lk": "X1", "version": 1, "outcome": "PARTIAL",
            "approved": "10.00", "hits": [{"code": "R1", "message": "m", "legal_basis": "b"}]}


# (who, facility of the request) -> allowed?
MATRIX = [("own", "79001", True), ("other", "79001", False), ("province", "79001", True),
          ("other_province", "79001", False), ("central", "79001", True),
          ("other", "01001", True), ("province", "01001", False)]


@pytest.mark.parametrize("who, facility, allowed", MATRIX)
def test_auth_matrix_submit(portal: Portal, who: str, facility: str, allowed: bool,
                            caplog: pytest.LogCaptureFixture) -> None:
    spec = claim(1)
    spec.xml1["MA_CSKCB"] = facility
    with caplog.at_level(logging.WARNING, logger="hireview.portal"):
        r = portal.post(envelope([spec], facility=facility), who=who)
    assert r.status_code == (200 if allowed else 403), r.text
    assert len(portal.publish.published) == (1 if allowed else 0)
    assert ("refused" in caplog.text) is (not allowed)
    if who != "own":  # JSON form under the same rules
        spec = claim(2)
        spec.xml1["MA_CSKCB"] = facility
        record = parse_envelope(envelope([spec], facility=facility), max_bytes=10**7)
        body = json.dumps(claim_to_json(record.claims[0].record or {})).encode()
        r = portal.post(body, who=who, ctype="application/json")
        assert r.status_code == (200 if allowed else 403), r.text


@pytest.mark.parametrize("who, facility, allowed", MATRIX)
def test_auth_matrix_read(portal: Portal, who: str, facility: str, allowed: bool) -> None:
    portal.results.decisions[(facility, "X1")] = _decision()
    r = portal.client.get(f"/api/v1/claims/{facility}/X1", headers=portal.auth(who))
    assert r.status_code == (200 if allowed else 403), r.text
    if allowed:
        assert r.json()["hits"][0]["legal_basis"] == "b"
        missing = portal.client.get(f"/api/v1/claims/{facility}/X2", headers=portal.auth(who))
        assert missing.status_code == 404


def test_a_hoso_of_another_facility_in_an_own_envelope_is_403(portal: Portal) -> None:
    spec = claim(2)
    spec.xml1["MA_CSKCB"] = "01001"  # inside a 79001 envelope sent with the 79001 key
    r = portal.post(envelope([claim(1), spec]))
    assert r.status_code == 403 and "01001" in r.json()["detail"]
    assert portal.publish.published == []


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer hrv_0123456789abcdef_" + "x" * 43}])
def test_no_or_invalid_key_is_401(portal: Portal, headers: dict[str, str]) -> None:
    for method, url in (("POST", "/api/v1/claims"), ("GET", "/api/v1/claims/79001/X1"),
                        ("POST", "/api/v1/claims/79001/X1/unlock")):
        r = portal.client.request(method, url, headers={**headers, **XML},
                                  content=envelope([claim(1)]))
        assert r.status_code == 401, (method, url, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
    assert portal.publish.published == []


def test_error_catalogue_and_openapi(portal: Portal) -> None:
    rows = portal.client.get("/api/v1/errors").json()
    assert {"P010", "P104"} <= {row["code"] for row in rows}
    paths = portal.client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/claims", "/api/v1/claims/{facility}/{ma_lk}",
            "/api/v1/claims/{facility}/{ma_lk}/unlock", "/api/v1/errors"} <= set(paths)


def test_backfill_stamps_the_original_send_time(portal: Portal) -> None:
    spec = claim(7)
    r = portal.client.post("/api/v1/claims?sent_at=2025-03-03T09:30:00%2B07:00",
                           content=envelope([spec]),
                           headers={**portal.auth("own"), "Content-Type": "application/xml"})
    assert r.status_code == 200, r.text
    (event,) = portal.publish.published
    assert event["sent_at"].isoformat() == "2025-03-03T02:30:00+00:00"
    assert event["submitted_at"] > event["sent_at"]
    # the same content sent live again is the same claim: sent_at is not content
    again = portal.post(envelope([spec]))
    assert again.json()["claims"][0]["status"] == "duplicate"


def test_live_submission_has_no_send_time(portal: Portal) -> None:
    assert portal.post(envelope([claim(8)])).status_code == 200
    assert portal.publish.published[0]["sent_at"] is None


@pytest.mark.parametrize(("value", "problem"), [
    ("2025-03-03T09:30:00", "give a time zone"), ("2999-01-01T00:00:00Z", "in the future")])
def test_bad_backfill_time_names_the_field(portal: Portal, value: str, problem: str) -> None:
    r = portal.client.post(f"/api/v1/claims?sent_at={value}", content=envelope([claim(9)]),
                           headers={**portal.auth("own"), "Content-Type": "application/xml"})
    assert r.status_code == 422 and "sent_at" in r.text and problem in r.text
    assert portal.publish.published == []
