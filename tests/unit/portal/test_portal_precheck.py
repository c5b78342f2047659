"""``POST /api/v1/precheck`` and ``GET /api/v1/health`` on fakes: the same parsing, access and
rules as submission and the worker; nothing published, no receipt written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rules.engine import Engine
from streams.portal.api.cards import HistoryUnavailable
from streams.portal.api.health import health_router
from streams.portal.api.precheck import Precheck, precheck_router
from streams.portal.auth import Credentials, add_credential
from streams.portal.intake import parse_envelope, stamp
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.reference.catalog import CardRegistry, CatalogSnapshot
from streams.settings import Settings
from streams.worker.processor import Enrichment, appraise
from tests.unit.portal.portal_fixtures import claim, envelope
from tests.unit.portal.test_portal_service import KEYS, FakeLog, FakePublish, FakeResults

XML = "application/xml"
ENGINE = Engine.load()
# SB01 quotes the submission time: a pre-check and a submission a moment apart differ there only.
CLOCK_INPUTS = frozenset({"submitted_at_utc", "delay_hours"})


def comparable(hit: dict[str, Any]) -> tuple[Any, ...]:
    """What must be equal between a pre-check's hit and the submitted claim's."""
    inputs = {k: v for k, v in hit["inputs"].items() if k not in CLOCK_INPUTS}
    return (hit["code"], hit["severity"], hit["table"], hit["line"], hit["amount"],
            sorted(inputs.items()))


@dataclass
class FakeHistory:
    visits_of: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    down: bool = False
    asked: list[str] = field(default_factory=list)

    def visits(self, person_key: str) -> list[dict[str, Any]]:
        self.asked.append(person_key)
        if self.down:
            raise HistoryUnavailable("worker at http://127.0.0.1:9 did not answer (fake)")
        return self.visits_of.get(person_key, [])


@dataclass
class Setup:
    client: TestClient
    publish: FakePublish
    log: FakeLog
    results: FakeResults
    history: FakeHistory
    keys: dict[str, str]

    def post(self, url: str, body: bytes, who: str = "own") -> Any:
        return self.client.post(url, content=body, headers={
            "Authorization": f"Bearer {self.keys[who]}", "Content-Type": XML})


@pytest.fixture(scope="module")
def keyfile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("creds") / "portal-credentials.json"
    return path, {who: add_credential(path, who, role, scope)
                  for who, (role, scope) in KEYS.items()}


@pytest.fixture()
def setup(keyfile: tuple[Path, dict[str, str]]) -> Setup:
    path, keys = keyfile
    publish, log, results, history = FakePublish(), FakeLog(), FakeResults(), FakeHistory()
    receipts = ReceiptStore(log, [])
    check = Precheck(ENGINE, CatalogSnapshot(), CardRegistry(), history, receipts, results,
                     16 * 1024 * 1024)
    app = create_portal(Settings(), publish=publish, receipts=receipts, results=results,
                        credentials=Credentials.load(path), routers=(precheck_router(check),))
    return Setup(TestClient(app), publish, log, results, history, keys)


def test_precheck_answers_the_decision_and_publishes_nothing(setup: Setup) -> None:
    spec = claim(1)
    r = setup.post("/api/v1/precheck", envelope([spec, claim(2)]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["published"] is False
    first, second = body["claims"]
    assert first["submission"] == "accepted" and first["version"] == 1
    decision = first["decision"]
    assert decision["outcome"] in ("ACCEPT", "WARN", "PARTIAL_REJECT", "REJECT")
    # No catalogs loaded: every line is "not in catalog" (CT01), with every hit given.
    assert {h["code"] for h in decision["hits"]} >= {"CT01"}
    assert decision["hit_count"] == len(decision["hits"])
    assert decision["requested"] == pytest.approx(decision["approved"] + decision["rejected"])
    assert first["history"] == {"available": True, "visits": 0}
    assert setup.publish.published == [] and setup.log.written == []
    assert second["submission"] == "accepted"
    assert setup.history.asked == [spec.xml1["MA_THE_BHYT"][-10:],
                                   claim(2).xml1["MA_THE_BHYT"][-10:]]


def test_precheck_gives_the_hits_the_worker_gives(setup: Setup) -> None:
    spec = claim(3, inpatient=True)
    data = envelope([spec])
    [mine] = setup.post("/api/v1/precheck", data).json()["claims"]
    record = stamp(parse_envelope(data, max_bytes=len(data)).claims[0].record or {},
                   version=1, submitted_at=datetime.now(UTC))
    worker = appraise(record, [], Enrichment(ENGINE, CatalogSnapshot(), CardRegistry()))
    assert ([comparable(h) for h in mine["decision"]["hits"]]
            == [comparable(h) for h in worker.decision["hits"]])
    assert mine["decision"]["outcome"] == worker.decision["outcome"]


def test_precheck_sees_the_persons_history(setup: Setup) -> None:
    """A visit of the same person at another facility overlapping the stay: XC02."""
    spec = claim(4, inpatient=True)
    person = spec.xml1["MA_THE_BHYT"][-10:]
    admitted = datetime.strptime(spec.xml1["NGAY_VAO"], "%Y%m%d%H%M")
    setup.history.visits_of[person] = [{
        "facility": "01001", "claim_id": "OTHER_STAY", "version": 1,
        "admitted": admitted.isoformat(), "discharged": admitted.replace(hour=23).isoformat(),
        "inpatient": True, "kind": "03", "diagnosis": "J18", "outcome": 1,
        "status": "under_appraisal", "content_hash": "x", "copay": 0.0,
        "decision": {"outcome": "ACCEPT"}}]
    [mine] = setup.post("/api/v1/precheck", envelope([spec])).json()["claims"]
    assert mine["history"] == {"available": True, "visits": 1}
    assert "XC02" in {h["code"] for h in mine["decision"]["hits"]}


def test_without_a_worker_the_rules_run_without_history_and_say_so(setup: Setup) -> None:
    setup.history.down = True
    [mine] = setup.post("/api/v1/precheck", envelope([claim(5)])).json()["claims"]
    assert mine["history"]["available"] is False and "did not answer" in mine["history"]["detail"]
    assert mine["decision"] is not None


def test_a_blocked_claim_has_findings_and_no_decision(setup: Setup) -> None:
    bad = claim(6)
    bad.xml1["NGAY_VAO"] = ""
    [mine] = setup.post("/api/v1/precheck", envelope([bad])).json()["claims"]
    assert mine["submission"] == "rejected" and mine["decision"] is None
    [p111] = [f for f in mine["findings"] if f["code"] == "P111"]
    assert p111["blocking"] and p111["empty"] and "present but empty" in p111["message"]


def test_duplicate_and_conflict_are_what_submission_would_answer(setup: Setup) -> None:
    spec = claim(7)
    assert setup.post("/api/v1/claims", envelope([spec])).status_code == 200
    [same] = setup.post("/api/v1/precheck", envelope([spec])).json()["claims"]
    assert same["submission"] == "duplicate" and same["version"] == 1
    changed = spec.copy()
    changed.xml1["CAN_NANG"] = "70"
    [new] = setup.post("/api/v1/precheck", envelope([changed])).json()["claims"]
    assert new["submission"] == "accepted" and new["version"] == 2
    setup.results.started.add(("79001", spec.xml1["MA_LK"]))
    [locked] = setup.post("/api/v1/precheck", envelope([changed])).json()["claims"]
    assert locked["submission"] == "conflict" and locked["decision"] is not None
    assert len(setup.publish.published) == 1 and len(setup.log.written) == 1


@pytest.mark.parametrize(("who", "status"), [("own", 200), ("other", 403), ("province", 200),
                                             ("other_province", 403), ("central", 200)])
def test_same_access_rules_as_submission(setup: Setup, who: str, status: int) -> None:
    r = setup.post("/api/v1/precheck", envelope([claim(8)]), who=who)
    assert r.status_code == status, r.text
    assert setup.client.post("/api/v1/precheck", content=envelope([claim(8)]),
                             headers={"Content-Type": XML}).status_code == 401


def test_openapi_declares_precheck_and_health(setup: Setup) -> None:
    paths = setup.client.get("/openapi.json").json()["paths"]
    body = paths["/api/v1/precheck"]["post"]["requestBody"]["content"]
    assert {"application/xml", "application/json"} <= set(body)
    params = {p["name"] for p in paths["/api/v1/precheck"]["post"]["parameters"]}
    assert "findings" in params


def _health(kafka: tuple[bool, str], feed: dict[str, Any],
            reference: Any = None) -> TestClient:
    router = (health_router(lambda: kafka, lambda: feed) if reference is None
              else health_router(lambda: kafka, lambda: feed, reference))
    app = create_portal(Settings(), publish=FakePublish(), receipts=ReceiptStore(FakeLog(), []),
                        results=FakeResults(), credentials=Credentials({}),
                        routers=(router,))
    return TestClient(app)


def test_health_needs_no_key_and_reports_the_injected_reference_status() -> None:
    status = {"catalogs": {"DRUG": {"national": "missing"}}, "cards": "stale"}
    client = _health((True, "1 broker(s) answered"), {"loaded": True, "following": True},
                     lambda: status)
    r = client.get("/api/v1/health")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok", "kafka": {"reachable": True,
                                                  "detail": "1 broker(s) answered"},
                        "reference_feed": {"loaded": True, "following": True},
                        "reference": status}
    assert "/api/v1/health" in client.get("/openapi.json").json()["paths"]


def test_health_is_503_when_kafka_or_the_feed_is_down() -> None:
    down = _health((False, "no broker answered"), {"loaded": True, "following": True})
    r = down.get("/api/v1/health")
    assert r.status_code == 503 and r.json()["status"] == "degraded"
    assert r.json()["reference"] == {}  # the default callable
    stopped = _health((True, "ok"), {"loaded": True, "following": False})
    assert stopped.get("/api/v1/health").status_code == 503

    def broken() -> dict[str, Any]:
        raise RuntimeError("boom")

    r = _health((True, "ok"), {"loaded": True, "following": True}, broken).get("/api/v1/health")
    assert r.status_code == 200 and "boom" in r.json()["reference"]["error"]
