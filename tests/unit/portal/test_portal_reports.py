"""The portal's reports router on a fake store: who sees which report, who may sign, record
advances and the policy, and the refusals' shapes (bad JSON, bad fields, ClickHouse down)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streams.portal.api.reports import reports_router
from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.settings import Settings
from tests.unit.portal.test_portal_service import FakeLog, FakePublish, FakeResults

Record = dict[str, Any]


def _report(rid: str, facility: str, stage: int, province: str = "") -> Record:
    return {"report_id": rid, "kind": "minute" if facility else "fund", "facility": facility,
            "province": province or facility[:2], "period_kind": "quarter",
            "period": "2025-Q1", "period_start": date(2025, 1, 1), "stage": stage,
            "signers": [], "sha256": "x", "generated_at": None, "updated_at": None}


@dataclass
class FakeStore:
    reports: list[Record] = field(default_factory=lambda: [
        _report("signed01", "01001", 2), _report("draft01", "01001", 0),
        _report("signed02", "01002", 2), _report("fund01", "", 0, "01")])
    inserted: list[tuple[str, Record]] = field(default_factory=list)
    down: bool = False

    def listing(self, *, report_id: str | None = None, facility: str | None = None,
                period: str | None = None, kind: str | None = None, limit: int = 1000
                ) -> list[Record]:
        if self.down:
            raise ConnectionError("ClickHouse went away")
        return [r for r in self.reports if report_id in (None, r["report_id"])
                and facility in (None, r["facility"]) and kind in (None, r["kind"])]

    def get(self, rid: str) -> Record | None:
        found = self.listing(report_id=rid)
        return {**found[0], "pdf": b"%PDF-" + rid.encode()} if found else None

    def sign(self, rid: str, field: str, config: Any, actor: Any, font_dir: Path,
             tsa_url: str | None = None) -> Record:
        return {**self.listing(report_id=rid)[0], "stage": 1, "signed_by": actor.name}

    def settlements(self, facility: str, kind: str, period: str | None = None
                    ) -> list[Record]:
        return [{"facility": facility, "period_kind": kind, "period": "2025-Q1"}]

    def insert(self, table: str, columns: tuple[str, ...], rows: list[Record]) -> None:
        self.inserted.extend((table, r) for r in rows)


@pytest.fixture()
def portal(tmp_path: Path) -> tuple[TestClient, dict[str, dict[str, str]], FakeStore]:
    keys = tmp_path / "keys.json"
    auth = {who: {"Authorization": "Bearer " + add_credential(keys, who, role, scope)}
            for who, role, scope in (("bv1", "facility", "01001"), ("bv2", "facility", "01002"),
                                     ("p01", "province", "01"), ("p79", "province", "79"),
                                     ("all", "central", "*"))}
    (tmp_path / "signers.yaml").write_text("preparer: {key: k.pem, cert: c.pem}\n")
    store = FakeStore()
    app = create_portal(Settings(), publish=FakePublish(), receipts=ReceiptStore(FakeLog(), []),
                        results=FakeResults(), credentials=Credentials.load(keys),
                        routers=(reports_router(store, tmp_path / "signers.yaml", tmp_path),))
    return TestClient(app), auth, store


def test_who_sees_which_report(portal: tuple[TestClient, Any, FakeStore]) -> None:
    http, auth, _ = portal
    ids = {who: [r["report_id"] for r in http.get("/api/v1/reports", headers=auth[who])
                 .json()["reports"]] for who in auth}
    assert ids == {"bv1": ["signed01"], "bv2": ["signed02"],
                   "p01": ["signed01", "draft01", "signed02", "fund01"], "p79": [],
                   "all": ["signed01", "draft01", "signed02", "fund01"]}
    got = http.get("/api/v1/reports/signed01/pdf", headers=auth["bv1"])
    assert got.status_code == 200 and got.content == b"%PDF-signed01"
    assert got.headers["x-report-stage"] == "2"
    for who, rid in (("bv2", "signed01"), ("bv1", "draft01"), ("bv1", "fund01"),
                     ("p79", "signed01"), ("all", "nothing")):
        refused = http.get(f"/api/v1/reports/{rid}/pdf", headers=auth[who])
        assert refused.status_code == 404 and refused.json()["error"] == "not_found", (who, rid)
    assert http.get("/api/v1/reports?facility=01001", headers=auth["p79"]).status_code == 403
    assert http.get("/api/v1/reports").status_code == 401


def test_signing_and_its_refusals(portal: tuple[TestClient, Any, FakeStore]) -> None:
    http, auth, store = portal
    url = "/api/v1/reports/draft01/sign"
    assert http.post("/api/v1/reports/signed01/sign", json={"field": "head"},
                     headers=auth["bv1"]).status_code == 403
    bad = http.post(url, content=b"{not json", headers=auth["p01"])
    assert bad.status_code == 400 and bad.json()["error"] == "malformed_json"
    missing = http.post(url, json={"field": "head"}, headers=auth["p01"])
    assert missing.status_code == 409 and "no signer configured" in missing.json()["detail"]
    done = http.post(url, json={"field": "preparer"}, headers=auth["p01"])
    assert done.status_code == 200 and done.json()["signed_by"] == "p01"
    store.down = True
    assert http.post(url, json={"field": "preparer"},
                     headers=auth["p01"]).status_code == 503


def test_advances_policy_and_settlements(portal: tuple[TestClient, Any, FakeStore]) -> None:
    http, auth, store = portal
    advance = {"facility": "01002", "paid_on": "2025-02-01", "amount": 1e6, "reference": "UNC"}
    assert http.post("/api/v1/advances", json=advance, headers=auth["bv2"]).status_code == 403
    assert http.post("/api/v1/advances", json=advance, headers=auth["p79"]).status_code == 403
    ok = http.post("/api/v1/advances", json=advance, headers=auth["p01"])
    assert ok.status_code == 200 and ok.json()["amount"] == "1000000.00"
    bad = http.post("/api/v1/advances", json={**advance, "amount": "lots"}, headers=auth["p01"])
    assert bad.status_code == 422 and bad.json()["detail"].startswith("amount:")
    policy = {"percent": 80, "valid_from": "2025-01-01", "reference": "QĐ 1"}
    assert http.post("/api/v1/advance-policy", json=policy,
                     headers=auth["p01"]).status_code == 403
    assert http.post("/api/v1/advance-policy", json=policy,
                     headers=auth["all"]).status_code == 200
    assert [t for t, _ in store.inserted] == ["advances", "settlement_params"]
    assert http.get("/api/v1/settlements?facility=01001", headers=auth["bv1"]).json()[
        "settlements"][0]["period"] == "2025-Q1"
    assert http.get("/api/v1/settlements?facility=01001&kind=week",
                    headers=auth["bv1"]).status_code == 422
    assert http.get("/api/v1/settlements?facility=01001", headers=auth["bv2"]).status_code == 403
