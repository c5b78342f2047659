"""Catalog endpoints of the portal with a fake publisher (no Kafka): uploads, rights, look-ups."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.portal.api.catalogs import LockedSnapshot, catalog_routes
from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.reference.catalog import entry_key
from streams.reference.load import PublishFailed
from streams.reference.rows import KINDS
from streams.settings import Settings
from tests.unit.reference.test_catalog_rows import TENDER, VALID

KEYS = {"own": ("facility", "79001"), "other": ("facility", "01001"),
        "province": ("province", "79"), "other_province": ("province", "01"),
        "central": ("central", "*")}
URL = "/api/v1/catalogs"


@dataclass
class FakePublish:
    published: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    fail: bool = False

    def __call__(self, kind: str, entries: Any, progress: Any = None) -> None:
        if self.fail:
            raise PublishFailed("hi.catalog: broker down (fake)")
        self.published.append((kind, list(entries)))

    def entries(self) -> list[dict[str, Any]]:
        return [e for _, batch in self.published for e in batch]


class _Nothing:
    def decided(self, facility: str, claim_id: str) -> bool:
        return False

    def latest_decision(self, facility: str, claim_id: str) -> dict[str, Any] | None:
        return None


@dataclass
class Portal:
    client: TestClient
    publish: FakePublish
    catalog: LockedSnapshot
    keys: dict[str, str]

    def headers(self, who: str, ctype: str = "application/json") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}", "Content-Type": ctype}

    def upload(self, kind: str, rows: Any, who: str = "own", **params: str) -> Any:
        body = rows if isinstance(rows, str | bytes) else json.dumps(rows)
        ctype = "text/csv" if isinstance(rows, str) else "application/json"
        return self.client.post(f"{URL}/{kind}", content=body, params=params,
                                headers=self.headers(who, ctype))

    def get(self, path: str, who: str = "own", **params: str) -> Any:
        return self.client.get(f"{URL}/{path}", params=params, headers=self.headers(who))


@pytest.fixture(scope="module")
def cred_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("creds") / "portal-credentials.json"
    keys = {who: add_credential(path, who, role, scope) for who, (role, scope) in KEYS.items()}
    return path, keys


def make_portal(cred_file: tuple[Path, dict[str, str]], max_mb: int = 16) -> Portal:
    path, keys = cred_file
    settings = Settings(portal_max_body_mb=max_mb)
    publish, catalog = FakePublish(), LockedSnapshot()
    app = create_portal(settings, publish=lambda records: None,
                        receipts=ReceiptStore(lambda items: None, []), results=_Nothing(),
                        credentials=Credentials.load(path),
                        routers=(catalog_routes(settings, publish, catalog),))
    return Portal(TestClient(app), publish, catalog, keys)


@pytest.fixture()
def portal(cred_file: tuple[Path, dict[str, str]]) -> Portal:
    return make_portal(cred_file)


def row(kind: str, **fields: Any) -> dict[str, Any]:
    return {**copy.deepcopy(VALID[kind]), **fields}


# --- uploads -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(KINDS))
def test_upload_of_each_kind_is_published_and_visible(portal: Portal, kind: str) -> None:
    second = row(kind, code="X.2" if kind != "staff" else "000002/HCM-CCHN")
    r = portal.upload(kind, [VALID[kind], second])
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["read"], body["published"], body["rejected"]) == (2, 2, 0)
    [(published_kind, entries)] = portal.publish.published
    assert published_kind == kind
    assert [res["key"] for res in body["rows"]] == [entry_key(e) for e in entries]
    assert all(res["status"] == "published" and res["findings"] == [] for res in body["rows"])
    assert all(e["facility"] == "79001" and e["kind"] == KINDS[kind] for e in entries)
    # The portal's own view has them at once (a GET right after the upload sees them).
    assert len(portal.catalog.rows(KINDS[kind], "79001")) == 2
    listed = portal.get(kind, on="2025-06-01").json()
    assert sorted(r["code"] for r in listed["rows"]) == sorted([VALID[kind]["code"],
                                                                second["code"]])


def test_csv_upload(portal: Portal) -> None:
    text = ("code,name,ma_nhom,price,tt_thau,valid_from\n"
            f'40.1,Thuốc A,4,1000,"{TENDER}",2025-01-01\n'
            f'40.2,Thuốc B,4,2000.5,"{TENDER}",2025-01-01\n')
    r = portal.upload("drugs", text)
    assert r.status_code == 200, r.text
    assert [e["price"] for e in portal.publish.entries()] == [1000.0, 2000.5]


def test_bad_rows_reject_the_upload_with_findings_per_row(portal: Portal) -> None:
    rows = [VALID["drugs"], row("drugs", code="40.2", price="abc"),
            row("drugs", code="40.3", valid_from="2025-13-01", ma_nhom=10)]
    r = portal.upload("drugs", rows)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid_rows" and "nothing was published" in body["detail"]
    assert (body["published"], body["rejected"]) == (0, 2)
    assert [res["status"] for res in body["rows"]] == ["held", "rejected", "rejected"]
    assert [(f["row"], f["field"], f["code"]) for res in body["rows"]
            for f in res["findings"]] == [(2, "price", "invalid_number"),
                                          (3, "ma_nhom", "not_allowed"),
                                          (3, "valid_from", "invalid_date")]
    assert portal.publish.published == [] and len(portal.catalog) == 0


def test_partial_upload_publishes_the_valid_rows(portal: Portal) -> None:
    rows = [VALID["drugs"], row("drugs", code="40.2", price="abc")]
    r = portal.upload("drugs", rows, partial="true")
    assert r.status_code == 200, r.text
    assert [res["status"] for res in r.json()["rows"]] == ["published", "rejected"]
    assert [e["code"] for e in portal.publish.entries()] == ["40.221"]
    # Nothing valid at all: still a 422.
    assert portal.upload("drugs", [row("drugs", price="x")], partial="true").status_code == 422


@pytest.mark.parametrize(("body", "ctype", "status", "reason"), [
    (b"{not json", "application/json", 400, "malformed_json"),
    (b"[]", "application/json", 400, "empty"),
    (b"code,prcie\n", "text/csv", 400, "unknown_column"),
    (b"<x/>", "application/xml", 415, "unsupported_media_type"),
])
def test_unreadable_uploads(portal: Portal, body: bytes, ctype: str, status: int,
                            reason: str) -> None:
    r = portal.client.post(f"{URL}/drugs", content=body, headers=portal.headers("own", ctype))
    assert r.status_code == status, r.text
    assert r.json()["error"] == reason


def test_unknown_kind_oversize_and_unauthenticated(cred_file: tuple[Path, dict[str, str]]
                                                   ) -> None:
    portal = make_portal(cred_file, max_mb=1)
    r = portal.upload("medicines", [VALID["drugs"]])
    assert (r.status_code, r.json()["error"]) == (404, "unknown_kind")
    big = [row("drugs", code=f"40.{i}", name="x" * 1000) for i in range(1100)]
    r = portal.upload("drugs", big)
    assert (r.status_code, r.json()["error"]) == (413, "too_large")
    r = portal.client.post(f"{URL}/drugs", content=b"[]")
    assert r.status_code == 401
    assert portal.publish.published == []


def test_kafka_down_is_503_and_nothing_is_shown(portal: Portal) -> None:
    portal.publish.fail = True
    r = portal.upload("drugs", [VALID["drugs"]])
    assert (r.status_code, r.json()["error"]) == (503, "unavailable")
    assert len(portal.catalog) == 0


# --- rights ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("who", "facility", "status"), [
    ("own", None, 200), ("own", "79001", 200), ("own", "01001", 403), ("other", "79001", 403),
    ("province", "79001", 200), ("other_province", "79001", 403), ("central", "79001", 200),
    ("province", None, 400), ("central", None, 400), ("own", "7900", 400),
    # National rows (facility empty): central only.
    ("own", "", 403), ("province", "", 403), ("central", "", 200),
])
def test_who_may_upload(portal: Portal, who: str, facility: str | None, status: int) -> None:
    params = {} if facility is None else {"facility": facility}
    rows = [row("drugs", tt_thau=None)] if facility == "" else [VALID["drugs"]]
    r = portal.upload("drugs", rows, who=who, **params)
    assert r.status_code == status, r.text
    if status == 200:
        [entry] = portal.publish.entries()
        assert entry["facility"] == (facility if facility is not None else "79001")
    else:
        assert portal.publish.published == []


def test_a_row_cannot_name_another_facility(portal: Portal) -> None:
    r = portal.upload("drugs", [row("drugs", facility="01001")])
    assert r.status_code == 422
    [finding] = r.json()["rows"][0]["findings"]
    assert (finding["field"], finding["code"]) == ("facility", "mismatch")


@pytest.mark.parametrize(("who", "facility", "status"), [
    ("own", None, 200), ("other", "79001", 403), ("province", "79001", 200),
    ("other_province", "79001", 403), ("central", "79001", 200), ("own", "", 200),
    ("other", "", 200), ("central", None, 400),
])
def test_who_may_read(portal: Portal, who: str, facility: str | None, status: int) -> None:
    params = {} if facility is None else {"facility": facility}
    assert portal.get("drugs", who=who, **params).status_code == status
    assert portal.get("drugs/40.221", who=who, **params).status_code in (status, 404)


# --- look-ups and exports ------------------------------------------------------------------------
def versions(portal: Portal) -> None:
    """40.221: a closed 2024 price and an open 2025 one; 40.5 only in 2024; national 40.221."""
    rows = [row("drugs", price=20000, valid_from="2024-01-01", valid_to="2024-12-31"),
            row("drugs", price=21000, valid_from="2025-01-01", valid_to=None),
            row("drugs", code="40.5", price=300, valid_from="2024-01-01",
                valid_to="2024-12-31")]
    assert portal.upload("drugs", rows).status_code == 200
    national = [row("drugs", price=25000, tt_thau=None, valid_from="2023-01-01")]
    assert portal.upload("drugs", national, who="central", facility="").status_code == 200


def test_current_list_versus_history(portal: Portal) -> None:
    versions(portal)
    then = portal.get("drugs", on="2024-06-01").json()
    assert {(r["code"], r["price"]) for r in then["rows"]} == {("40.221", 20000.0),
                                                               ("40.5", 300.0)}
    now = portal.get("drugs", on="2025-06-01").json()
    assert [(r["code"], r["price"]) for r in now["rows"]] == [("40.221", 21000.0)]
    assert now["on"] == "2025-06-01" and now["count"] == 1
    history = portal.get("drugs", history="true").json()
    assert [(r["code"], r["valid_from"]) for r in history["rows"]] == [
        ("40.221", "2024-01-01"), ("40.221", "2025-01-01"), ("40.5", "2024-01-01")]
    assert history["on"] is None
    assert portal.get("drugs", on="yesterday").json()["error"] == "bad_date"
    assert portal.get("drugs", format="xlsx").json()["error"] == "bad_format"


def test_one_code_versions_and_the_entry_in_force(portal: Portal) -> None:
    versions(portal)
    body = portal.get("drugs/40.221", on="2025-03-01").json()
    assert [v["price"] for v in body["versions"]] == [20000.0, 21000.0]
    assert [v["price"] for v in body["national"]] == [25000.0]
    assert body["in_force"]["price"] == 21000.0
    # 40.5 ended in 2024 and has no national row: nothing in force in 2025.
    assert portal.get("drugs/40.5", on="2025-03-01").json()["in_force"] is None
    assert portal.get("drugs/40.404").status_code == 404
    # Staff codes hold a '/': the path keeps it.
    assert portal.upload("staff", [VALID["staff"]]).status_code == 200
    staff = portal.get("staff/000543/HCM-CCHN", on="2025-03-01").json()
    assert staff["in_force"]["attributes"]["scope"] == "1;2;13"


@pytest.mark.parametrize("kind", list(KINDS))
def test_csv_export_round_trip(cred_file: tuple[Path, dict[str, str]], kind: str) -> None:
    source = make_portal(cred_file)
    rows = [VALID[kind], row(kind, valid_from="2026-01-01", valid_to="2026-12-31")]
    assert source.upload(kind, rows).status_code == 200
    r = source.get(kind, history="true", format="csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    exported = r.text
    assert exported.splitlines()[0].startswith("facility,code,name")
    target = make_portal(cred_file)
    assert target.upload(kind, exported).status_code == 200, exported
    assert target.catalog.rows(KINDS[kind], "79001") == source.catalog.rows(KINDS[kind],
                                                                            "79001")
    assert target.get(kind, history="true", format="csv").text == exported


def test_json_export_round_trip(cred_file: tuple[Path, dict[str, str]]) -> None:
    source = make_portal(cred_file)
    assert source.upload("staff", [VALID["staff"]]).status_code == 200
    exported = source.get("staff", history="true").json()["rows"]
    target = make_portal(cred_file)
    assert target.upload("staff", exported).status_code == 200
    assert target.catalog.rows("STAFF", "79001") == source.catalog.rows("STAFF", "79001")


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)
_FIELDS = st.sampled_from(["code", "name", "ma_nhom", "price", "tt_thau", "valid_from",
                           "valid_to", "licence", "scope", "services", "attributes", "kind",
                           "facility", "MA_THUOC", "x"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(list(KINDS)),
       rows=st.lists(st.dictionaries(_FIELDS, _VALUES, max_size=8) | _VALUES, min_size=1,
                     max_size=4))
def test_no_upload_is_a_server_error(cred_file: tuple[Path, dict[str, str]], kind: str,
                                     rows: list[Any]) -> None:
    portal = make_portal(cred_file)
    r = portal.client.post(f"{URL}/{kind}", content=json.dumps(rows),
                           headers=portal.headers("own"))
    assert r.status_code in (200, 400, 422), r.text
    if r.status_code == 422:
        assert all(res["status"] != "published" for res in r.json()["rows"])
