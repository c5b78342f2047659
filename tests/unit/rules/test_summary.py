"""SB02: the monthly summary check, its cases as data, and the portal endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from rules import summary
from streams.portal.api.summaries import summaries_router
from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.settings import Settings
from tests.unit.portal.test_portal_service import FakeLog, FakePublish, FakeResults

CASES = yaml.safe_load((Path(summary.__file__).with_name("summary_cases.yml")).read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    found = summary.compare(case["reported"], case["sums"])
    assert [f.field for f in found] == case["expect"]
    for f in found:
        assert f.message and f.message_vi and f.threshold
        assert f.to_dict()["code"] == "SB02" and f.to_dict()["legal_basis"]
        if f.field != "claims":  # the figures are in both languages
            assert f"{f.reported:.2f}" in f.message and f"{f.reported:.2f}" in f.message_vi


SUMS = {"claims": 3, "t_tongchi_bh": 300000.0, "t_bhtt": 240000.0, "t_bncct": 60000.0,
        "t_bntt": 0.0}


@pytest.fixture()
def client(tmp_path: Path) -> tuple[TestClient, dict[str, str], list[tuple[str, str]]]:
    creds = tmp_path / "creds.json"
    keys = {"own": add_credential(creds, "own", "facility", "79001"),
            "other": add_credential(creds, "other", "facility", "79002")}
    asked: list[tuple[str, str]] = []

    def sums(facility: str, month: str) -> dict[str, float]:
        asked.append((facility, month))
        return dict(SUMS)

    app = create_portal(Settings(), publish=FakePublish(), receipts=ReceiptStore(FakeLog()),
                        results=FakeResults(), credentials=Credentials.load(creds),
                        routers=[summaries_router(sums)])
    return TestClient(app), keys, asked


def post(c: TestClient, key: str, body: Any) -> Any:
    return c.post("/api/v1/summaries", content=json.dumps(body).encode(),
                  headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})


def test_summary_matching_the_claims(client: Any) -> None:
    c, keys, asked = client
    r = post(c, keys["own"], {"facility": "79001", "month": "202503", "claims": 3,
                              "t_tongchi_bh": 300000, "t_bhtt": 240000, "t_bncct": 60000})
    assert r.status_code == 200 and r.json()["matches"] is True
    assert asked == [("79001", "202503")]


def test_summary_off_lists_each_total(client: Any) -> None:
    c, keys, _ = client
    r = post(c, keys["own"], {"facility": "79001", "month": "202503", "claims": 3,
                              "t_tongchi_bh": 300000, "t_bhtt": 250000, "t_bncct": 50000})
    body = r.json()
    assert r.status_code == 200 and body["matches"] is False
    assert [(f["field"], f["difference"]) for f in body["findings"]] == [
        ("t_bhtt", 10000.0), ("t_bncct", -10000.0)]


@pytest.mark.parametrize(("patch", "field"), [
    ({"month": "2025-03"}, "month"), ({"month": "202513"}, "month"),
    ({"facility": "7900"}, "facility"), ({"claims": 1.5}, "claims"),
    ({"t_bhtt": -1}, "t_bhtt"), ({"t_bhtt": "10"}, "t_bhtt"), ({"t_bncct": None}, "t_bncct"),
])
def test_bad_summaries_name_the_field(client: Any, patch: dict[str, Any], field: str) -> None:
    c, keys, asked = client
    body = {"facility": "79001", "month": "202503", "claims": 3, "t_tongchi_bh": 1,
            "t_bhtt": 1, "t_bncct": 1, **patch}
    r = post(c, keys["own"], body)
    assert r.status_code == 422 and r.json()["error"] == "invalid_summary"
    assert r.json()["detail"].startswith(field) and asked == []


def test_another_facilitys_summary_is_refused(client: Any) -> None:
    c, keys, asked = client
    r = post(c, keys["other"], {"facility": "79001", "month": "202503", "claims": 3,
                                "t_tongchi_bh": 1, "t_bhtt": 1, "t_bncct": 1})
    assert r.status_code == 403 and asked == []
