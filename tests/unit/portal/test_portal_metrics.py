"""The portal's own ``/metrics``: requests by route template and status, latency, and the writes
Kafka did not acknowledge; none of the worker's or the sink's metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from streams.metrics import CATALOGUE, Metrics
from streams.portal.api.catalogs import LockedSnapshot, catalog_routes
from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.settings import Settings
from tests.unit.portal.portal_fixtures import claim, envelope
from tests.unit.portal.test_portal_catalogs import FakePublish as FakeCatalogPublish
from tests.unit.portal.test_portal_service import FakeLog, FakePublish, FakeResults
from tests.unit.reference.test_catalog_rows import VALID

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("creds") / "portal-credentials.json"
    return path, add_credential(path, "own", "facility", "79001")


class Portal:
    def __init__(self, key: tuple[Path, str]) -> None:
        path, secret = key
        self.publish, self.log, self.catalogs = FakePublish(), FakeLog(), FakeCatalogPublish()
        settings = Settings()
        metrics = Metrics.portal()
        app = create_portal(settings, publish=self.publish, receipts=ReceiptStore(self.log),
                            results=FakeResults(), credentials=Credentials.load(path),
                            routers=(catalog_routes(settings, self.catalogs, LockedSnapshot(),
                                                    metrics),),
                            metrics=metrics)
        self.client = TestClient(app)
        self.auth = {"Authorization": f"Bearer {secret}"}

    def submit(self, n: int) -> int:
        r = self.client.post("/api/v1/claims", content=envelope([claim(n)]),
                             headers={**self.auth, "Content-Type": "application/xml"})
        return int(r.status_code)

    def scrape(self) -> tuple[str, Samples]:
        r = self.client.get("/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        samples = {(s.name, frozenset(s.labels.items())): s.value
                   for family in text_string_to_metric_families(r.text) for s in family.samples}
        return r.text, samples


def labels(**kv: str) -> frozenset[tuple[str, str]]:
    return frozenset(kv.items())


def test_requests_are_counted_by_route_template_and_status(key: tuple[Path, str]) -> None:
    portal = Portal(key)
    assert portal.submit(1) == 200
    assert portal.submit(2) == 200
    assert portal.client.get("/api/v1/claims/79001/LK-404", headers=portal.auth).status_code == 404
    assert portal.client.get("/api/v1/claims/79001/LK-other", headers=portal.auth
                             ).status_code == 404
    assert portal.client.get("/no/such/page").status_code == 404
    text, samples = portal.scrape()

    count = "hireview_portal_requests_total"
    assert samples[(count, labels(method="POST", route="/api/v1/claims", status="200"))] == 2
    template = "/api/v1/claims/{facility}/{ma_lk}"  # two paths, one series
    assert samples[(count, labels(method="GET", route=template, status="404"))] == 2
    assert samples[(count, labels(method="GET", route="unmatched", status="404"))] == 1
    assert "LK-404" not in text and "/no/such/page" not in text
    latency = samples[("hireview_portal_request_seconds_count",
                       labels(method="POST", route="/api/v1/claims"))]
    assert latency == 2
    assert samples[("hireview_portal_request_seconds_sum",
                    labels(method="POST", route="/api/v1/claims"))] > 0


def test_only_portal_metrics_are_served(key: tuple[Path, str]) -> None:
    portal = Portal(key)
    portal.submit(1)
    text, _ = portal.scrape()
    served = {family.name for family in text_string_to_metric_families(text)
              if not family.name.endswith("_created")}  # each series' creation time
    portal_only = {d.name.removesuffix("_total") for d in CATALOGUE if "portal" in d.processes}
    assert served == portal_only


def test_writes_kafka_did_not_acknowledge_are_counted_by_topic(key: tuple[Path, str]) -> None:
    portal = Portal(key)
    portal.publish.fail = True
    assert portal.submit(1) == 503
    portal.publish.fail, portal.log.fail = False, True
    assert portal.submit(2) == 503
    assert portal.submit(3) == 503
    portal.catalogs.fail = True
    r = portal.client.post("/api/v1/catalogs/drugs", content=json.dumps([VALID["drugs"]]),
                           headers={**portal.auth, "Content-Type": "application/json"})
    assert r.status_code == 503, r.text
    _, samples = portal.scrape()
    failures = "hireview_portal_publish_failures_total"
    assert samples[(failures, labels(topic="hi.claims"))] == 1
    # 2's receipt, 2's again (retried before 3's, its claim was delivered) and 3's.
    assert samples[(failures, labels(topic="hi.receipts"))] == 3
    assert samples[(failures, labels(topic="hi.catalog.drugs"))] == 1
    count = "hireview_portal_requests_total"
    assert samples[(count, labels(method="POST", route="/api/v1/claims", status="503"))] == 3
