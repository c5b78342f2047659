"""Reference status (streams/reference/status.py): what a fresh installation lacks, per kind and
facility, and the gauges that say it."""

from __future__ import annotations

from datetime import date
from typing import Any

from prometheus_client import generate_latest

from rules.reference import CatalogIndex
from streams.metrics import Metrics
from streams.reference.status import ReferenceWatch, reference_status

TODAY = date(2026, 12, 3)


def row(kind: str, facility: str, code: str, valid_from: date = date(2025, 1, 1),
        valid_to: date | None = None) -> dict[str, Any]:
    return {"kind": kind, "facility": facility, "code": code, "valid_from": valid_from,
            "valid_to": valid_to, "price": 1.0, "ma_nhom": 4, "tt_thau": None, "name": "",
            "unit": "", "attributes": {}}


def test_a_fresh_installation_names_everything_it_lacks() -> None:
    doc = reference_status(CatalogIndex(), 0, ["79001", "01001"], TODAY)
    assert not doc["ok"]
    assert {k: v["state"] for k, v in doc["national"].items()} == {
        "drugs": "missing", "services": "missing", "supplies": "missing"}
    assert doc["cards"]["state"] == "missing"
    assert doc["facilities"]["79001"] == {
        "missing": ["drugs", "services", "supplies", "staff", "equipment"], "stale": []}
    assert doc["facility_lists_missing"]["staff"] == 2
    assert any("hireview catalogs load --kind drugs" in p for p in doc["problems"])
    assert any("no HI cards" in p for p in doc["problems"])


def test_loaded_lists_are_ok_and_ended_ones_stale() -> None:
    catalog = CatalogIndex()
    for kind in ("DRUG", "SERVICE", "SUPPLY"):
        catalog.put(row(kind, "", f"{kind}-1"))
    for kind in ("DRUG", "SERVICE", "SUPPLY", "STAFF", "EQUIPMENT"):
        catalog.put(row(kind, "79001", f"{kind}-9"))
    # 01001's staff list ended last year; its new list was never sent.
    catalog.put(row("STAFF", "01001", "S1", valid_to=date(2025, 12, 31)))
    doc = reference_status(catalog, 10, ["79001", "01001"], TODAY)
    assert {v["state"] for v in doc["national"].values()} == {"ok"}
    assert "79001" not in doc["facilities"]
    assert doc["facilities"]["01001"]["stale"] == ["staff"]
    assert "staff" not in doc["facilities"]["01001"]["missing"]
    assert doc["facilities_with_problems"] == 1 and not doc["ok"]
    # a facility that owns a list counts as known even when no register lists it
    catalog.put(row("DRUG", "48001", "X"))
    assert "48001" in reference_status(catalog, 10, [], TODAY)["facilities"]


def test_the_gauges_follow_the_snapshot() -> None:
    catalog, cards = CatalogIndex(), ["card"]
    watch = ReferenceWatch(catalog, cards, lambda: ["79001"], every=0.0)
    metrics = Metrics.portal()
    watch.install(metrics)
    page = generate_latest(metrics.registry).decode()
    assert 'hireview_reference_lists{kind="drugs",scope="national",state="missing"} 1.0' in page
    assert 'hireview_reference_lists{kind="staff",scope="facility",state="missing"} 1.0' in page
    assert "hireview_reference_ok 0.0" in page
    for kind in ("DRUG", "SERVICE", "SUPPLY"):
        catalog.put(row(kind, "", "c"))
    for kind in ("DRUG", "SERVICE", "SUPPLY", "STAFF", "EQUIPMENT"):
        catalog.put(row(kind, "79001", "c"))
    page = generate_latest(metrics.registry).decode()
    assert 'hireview_reference_lists{kind="drugs",scope="national",state="ok"} 1.0' in page
    assert 'hireview_reference_lists{kind="staff",scope="facility",state="ok"} 1.0' in page
    assert "hireview_reference_ok 1.0" in page
