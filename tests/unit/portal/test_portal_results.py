"""Paged results per facility and month (the HTTP layer, with a fake listing; the SQL runs in
tests/integration/test_portal_results.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streams.portal.access import Unavailable
from streams.portal.api.results import month_range, results_router
from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.settings import Settings
from tests.unit.portal.test_portal_service import FakeLog, FakePublish, FakeResults


@dataclass
class FakeListing:
    """Rows by facility with their service date; pages them as the SQL does (by MA_LK)."""
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    down: bool = False
    asked: list[tuple[str, date, date, int, int]] = field(default_factory=list)

    def decisions_page(self, facility: str, start: date, end: date, offset: int,
                       limit: int) -> tuple[int, list[dict[str, Any]]]:
        if self.down:
            raise Unavailable("ClickHouse: connection refused (fake)")
        self.asked.append((facility, start, end, offset, limit))
        month = sorted((r for r in self.rows.get(facility, [])
                        if start <= date.fromisoformat(r["service_date"]) < end),
                       key=lambda r: r["ma_lk"])
        return len(month), [dict(r) for r in month[offset:offset + limit]]


def row(ma_lk: str, day: str = "2025-03-03") -> dict[str, Any]:
    return {"ma_lk": ma_lk, "version": 1, "revision": 1, "outcome": "PARTIAL_REJECT",
            "requested": "100.00", "approved": "60.00", "rejected": "40.00",
            "service_date": day, "hits": [{"code": "CT02", "message": "price above",
                                           "legal_basis": "TT 22/2024"}]}


ROLES = {"own": ("facility", "79001"), "other": ("facility", "01001"),
         "province": ("province", "79"), "central": ("central", "*")}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("results") / "creds.json"
    return path, {who: add_credential(path, who, role, scope)
                  for who, (role, scope) in ROLES.items()}


@dataclass
class Results:
    client: TestClient
    listing: FakeListing
    keys: dict[str, str]

    def get(self, who: str = "own", **params: Any) -> Any:
        return self.client.get("/api/v1/claims", params=params,
                               headers={"Authorization": f"Bearer {self.keys[who]}"})


@pytest.fixture()
def results(keys: tuple[Path, dict[str, str]]) -> Results:
    path, secrets = keys
    listing = FakeListing({"79001": [row(f"K{i:03d}") for i in range(1, 26)]
                           + [row("APRIL", "2025-04-01")]})
    app = create_portal(Settings(), publish=FakePublish(), receipts=ReceiptStore(FakeLog()),
                        results=FakeResults(), credentials=Credentials.load(path),
                        routers=[results_router(listing)])
    return Results(TestClient(app), listing, secrets)


def test_pages_follow_the_next_links(results: Results) -> None:
    seen: list[str] = []
    r = results.get(facility="79001", month="202503", page_size="10")
    pages = 0
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["total"], body["pages"], body["page_size"]) == (25, 3, 10)
        seen += [c["ma_lk"] for c in body["claims"]]
        pages += 1
        if body["next"] is None:
            break
        r = results.client.get(body["next"], headers={
            "Authorization": f"Bearer {results.keys['own']}"})
    assert pages == 3 and seen == [f"K{i:03d}" for i in range(1, 26)]
    assert results.listing.asked[-1] == ("79001", date(2025, 3, 1), date(2025, 4, 1), 20, 10)
    last = r.json()
    assert last["claims"][0]["claim_key"] == "79001|K021"
    assert last["claims"][0]["hits"][0]["legal_basis"] == "TT 22/2024"


def test_facility_key_may_leave_the_facility_out(results: Results) -> None:
    body = results.get(month="202504").json()
    assert body["facility"] == "79001" and [c["ma_lk"] for c in body["claims"]] == ["APRIL"]
    assert body["next"] is None and body["page"] == 1
    empty = results.get(month="202505").json()
    assert (empty["total"], empty["pages"], empty["claims"]) == (0, 0, [])
    beyond = results.get(month="202503", page="9").json()
    assert beyond["claims"] == [] and beyond["next"] is None and beyond["total"] == 25
    r = results.get("central", month="202503")
    assert r.status_code == 400 and r.json()["detail"].startswith("facility: required")


@pytest.mark.parametrize("params, field_name", [
    ({"month": "2025-03"}, "month"), ({"month": "202513"}, "month"), ({"month": "999912"},
                                                                      "month"),
    ({"month": "202503", "page": "0"}, "page"), ({"month": "202503", "page": "x"}, "page"),
    ({"month": "202503", "page_size": "501"}, "page_size"),
    ({"month": "202503", "facility": "79-01"}, "facility")])
def test_bad_parameters_are_400_naming_the_field(results: Results, params: dict[str, str],
                                                 field_name: str) -> None:
    r = results.get(**params)
    assert r.status_code == 400, r.text
    assert r.json()["detail"].startswith(f"{field_name}:")


@pytest.mark.parametrize("who, facility, allowed", [
    ("own", "79001", True), ("other", "79001", False), ("province", "79001", True),
    ("province", "01001", False), ("central", "01001", True)])
def test_rights(results: Results, who: str, facility: str, allowed: bool,
                caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hireview.portal"):
        r = results.get(who, facility=facility, month="202503")
    assert r.status_code == (200 if allowed else 403), r.text
    assert ("refused" in caplog.text) is (not allowed)


def test_store_down_is_503(results: Results) -> None:
    results.listing.down = True
    r = results.get(month="202503")
    assert r.status_code == 503 and r.json()["error"] == "unavailable"


def test_month_range() -> None:
    assert month_range("202512") == (date(2025, 12, 1), date(2026, 1, 1))
    assert month_range("202402") == (date(2024, 2, 1), date(2024, 3, 1))
