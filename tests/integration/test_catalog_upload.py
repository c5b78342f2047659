"""Catalog uploads on the REAL Kafka: the portal publishes acknowledged rows to the compacted
topics, keyed by entry_key, that a worker's ReferenceFeed then loads; ``hireview catalogs load``
publishes a file the same way, and the running portal's own view follows it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streams.clickhouse.db import migrate
from streams.codec import Codec
from streams.portal.auth import add_credential
from streams.portal.run import build_portal
from streams.reference.catalog import CardRegistry, CatalogSnapshot, entry_key
from streams.reference.feed import ReferenceFeed
from streams.reference.load import load_file
from streams.settings import ROOT, Settings
from tests.integration.test_portal import read_all

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]
TENDER = "215/QĐ-SYT;G1;N4;2024"


def fresh_feed(settings: Settings) -> ReferenceFeed:
    """What a worker starting now would see."""
    feed = ReferenceFeed(settings, Codec.from_settings(settings).decode, CatalogSnapshot(),
                         CardRegistry())
    feed.load(timeout=30)
    return feed


def test_portal_upload_reaches_the_reference_feed(isolated: Settings, tmp_path: Path) -> None:
    settings = isolated.model_copy(update={"portal_credentials": tmp_path / "creds.json"})
    migrate(settings, progress=lambda _m: None)
    key = add_credential(settings.portal_credentials, "test facility", "facility", "79001")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    rows: list[dict[str, Any]] = [
        {"code": "40.221", "name": "Ceftriaxon (thử)", "ma_nhom": 4, "price": 20000,
         "tt_thau": TENDER, "valid_from": "2024-01-01", "valid_to": "2024-12-31"},
        {"code": "40.221", "name": "Ceftriaxon (thử)", "ma_nhom": 4, "price": 21000,
         "tt_thau": TENDER, "valid_from": "2025-01-01"},
    ]
    client = TestClient(build_portal(settings))
    r = client.post("/api/v1/catalogs/drugs", content=json.dumps(rows), headers=headers)
    assert r.status_code == 200, r.text
    keys = [res["key"] for res in r.json()["rows"]]
    assert keys == ["DRUG|79001|40.221|2024-01-01", "DRUG|79001|40.221|2025-01-01"]

    # Acknowledged before the answer: both rows are on the topic, under their keys.
    codec = Codec.from_settings(settings)
    events = read_all(settings, "hi.catalog.drugs", expect=2, timeout=10)
    assert sorted(k for k, _ in events) == keys
    assert all(entry_key(codec.decode(v, "catalog_entry")) == k for k, v in events)

    feed = fresh_feed(settings)
    try:
        old = feed.catalog.find("DRUG", "79001", "40.221", date(2024, 6, 1))
        new = feed.catalog.find("DRUG", "79001", "40.221", date(2025, 6, 1))
        assert old is not None and old["price"] == 20000
        assert new is not None and new["price"] == 21000
    finally:
        feed.close()

    # A bad upload publishes nothing.
    bad = [dict(rows[1], code="40.9"), dict(rows[1], code="40.10", price="abc")]
    r = client.post("/api/v1/catalogs/drugs", content=json.dumps(bad), headers=headers)
    assert r.status_code == 422, r.text
    read_all(settings, "hi.catalog.drugs", expect=2)

    # The national list, loaded by the CLI code, reaches the portal's view through its feed.
    summary = load_file(settings, "services", ROOT / "infra/catalogs/national-services.json",
                        out=lambda _line: None)
    assert summary.published == 3 and summary.findings == []
    deadline, seen = time.monotonic() + 15, 0
    while time.monotonic() < deadline and seen < 3:
        got = client.get("/api/v1/catalogs/services", params={"facility": "",
                                                                 "on": "2025-06-01"},
                         headers=headers)
        seen = got.json()["count"]
        time.sleep(0.2)
    assert seen == 3, "the portal's view did not follow hi.catalog.services"


def test_cli_loads_a_facility_list(isolated: Settings, tmp_path: Path) -> None:
    env = {**os.environ, "HIREVIEW_TOPIC_PREFIX": isolated.topic_prefix}
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "catalogs", "load", "--kind", "staff",
         "--facility", "79001", str(ROOT / "infra/catalogs/79001-staff.csv")],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "rows read: 2, published: 2, rejected: 0" in done.stdout
    feed = fresh_feed(isolated)
    try:
        doctor = feed.catalog.find("STAFF", "79001", "000543/HCM-CCHN", date(2025, 3, 1))
        assert doctor is not None and doctor["attributes"]["scope"] == "1;2;13"
        assert feed.catalog.find("STAFF", "79001", "000544/HCM-CCHN", date(2025, 7, 1)) is None
    finally:
        feed.close()

    # A file with a bad row: exit 1, nothing more published.
    bad = tmp_path / "bad-staff.csv"
    bad.write_text("code,valid_from,licence\n000545/HCM-CCHN,2025-01-01,\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "catalogs", "load", "--kind", "staff",
         "--facility", "79001", str(bad)],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "row 1, licence: the practising licence number is required" in done.stdout
    read_all(isolated, "hi.catalog.staff", expect=2)
