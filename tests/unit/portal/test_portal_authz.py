"""The whole authorisation matrix: every role against every endpoint of the portal.

The endpoints are read from the app itself (``app.routes`` and its OpenAPI document), so an
endpoint added to any router in ``every_router`` is checked without editing this file; a new
router must be added there (``build_portal`` needs Kafka, so the composition is repeated here
with fakes). Every request acts on facility 79001's data:

- no key or a bad key: 401 on every endpoint except the public ones in ``PUBLIC``;
- a role covering 79001 (the facility itself, its district, its province, central): allowed,
  i.e. neither 401 nor 403 nor 5xx (404 for a claim with no decision yet is allowed);
- any other role (another facility, district or province): 403, and the refusal is logged;
- ``AGENCY_ONLY`` endpoints refuse the facility role even for its own facility.

Values for path and query parameters come from ``VALUES`` by name; an endpoint with a required
parameter not listed there fails the test with a message saying what to add.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from streams.portal.access import Access
from streams.portal.api.cards import cards_router
from streams.portal.api.catalogs import LockedSnapshot, catalog_routes
from streams.portal.api.results import results_router
from streams.portal.api.summaries import summaries_router
from streams.portal.auth import CredentialError, Credentials, FacilityRegister, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.reference.catalog import CardRegistry
from streams.settings import Settings
from tests.unit.portal.portal_fixtures import claim, envelope
from tests.unit.portal.test_portal_cards import CARD, FakeHistory, card
from tests.unit.portal.test_portal_results import FakeListing
from tests.unit.portal.test_portal_service import FakeLog, FakePublish, FakeResults

TARGET = "79001"
REGISTER = {"79001": "79-760", "79002": "79-761", "01001": "01-001"}
# who -> (role, scope, covers TARGET?)
ROLES = {
    "facility_own": ("facility", TARGET, True),
    "facility_other": ("facility", "01001", False),
    "district_in": ("district", "79-760", True),
    "district_out": ("district", "79-761", False),
    "province_in": ("province", "79", True),
    "province_out": ("province", "01", False),
    "central": ("central", "*", True),
}
PUBLIC = {("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
          ("GET", "/redoc"), ("GET", "/api/v1/errors")}
AGENCY_ONLY = {("POST", "/api/v1/claims/{facility}/{ma_lk}/unlock")}
# Path and query parameter values by name (query ones are sent when the endpoint has them).
VALUES = {"facility": TARGET, "ma_lk": "MA0001", "number": CARD, "kind": "drugs",
          "code": "D0001", "month": "202503"}
BAD_KEY = "hrv_0123456789abcdef_" + "x" * 43


def _claims_body() -> tuple[bytes, str]:
    spec = claim(1)
    spec.xml1["MA_CSKCB"] = TARGET
    return envelope([spec], facility=TARGET), "application/xml"


# Bodies for endpoints that read the facility from the body; others get an empty JSON list.
BODIES: dict[tuple[str, str], Callable[[], tuple[bytes, str]]] = {
    ("POST", "/api/v1/claims"): _claims_body,
    ("POST", "/api/v1/summaries"): lambda: (json.dumps({
        "facility": TARGET, "month": "202503", "claims": 0, "t_tongchi_bh": 0, "t_bhtt": 0,
        "t_bncct": 0}).encode(), "application/json"),
}


def every_router() -> list[Callable[[Access], APIRouter]]:
    """The routers ``build_portal`` includes, on fakes."""
    registry = CardRegistry()
    registry.put(card())  # registered at TARGET; the fake history has no visits
    listing = FakeListing()

    def publish_catalog(kind: str, entries: Sequence[dict[str, Any]],
                        progress: Callable[[int], None] | None = None) -> None:
        del kind, entries, progress  # accepted, as Kafka would acknowledge them

    def sums(facility: str, month: str) -> dict[str, float]:
        return {"claims": 0, "t_tongchi_bh": 0.0, "t_bhtt": 0.0, "t_bncct": 0.0, "t_bntt": 0.0}

    return [cards_router(registry, FakeHistory()), results_router(listing),
            catalog_routes(Settings(), publish_catalog, LockedSnapshot()), summaries_router(sums)]


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, dict[str, str]]:
    path = tmp_path_factory.mktemp("authz") / "creds.json"
    keys = {who: add_credential(path, who, role, scope)
            for who, (role, scope, _) in ROLES.items()}
    credentials = Credentials.load(path, FacilityRegister(REGISTER))
    app = create_portal(Settings(), publish=FakePublish(), receipts=ReceiptStore(FakeLog()),
                        results=FakeResults(), credentials=credentials, routers=every_router())
    return app, keys


def endpoints(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every endpoint: the OpenAPI document (it holds the routes of included
    routers, which FastAPI keeps nested), plus the plain routes (the documents themselves)."""
    out = {(method.upper(), path) for path, ops in app.openapi()["paths"].items()
           for method in ops}
    for route in app.routes:
        if isinstance(route, Route) and not isinstance(route, APIRoute):
            out |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
    return sorted(out)


def request_for(app: FastAPI, method: str, path: str) -> dict[str, Any]:
    """Keyword arguments for ``TestClient.request`` acting on TARGET's data."""
    operation = app.openapi()["paths"].get(path, {}).get(method.lower())
    if operation is None:  # docs and the OpenAPI document: no parameters
        return {"method": method, "url": path}
    url, params = path, {}
    for param in operation.get("parameters", []):
        name, where = param["name"], param["in"]
        if where == "path":
            assert name in VALUES, f"{method} {path}: add a value for path parameter " \
                                   f"{name!r} to VALUES"
            url = url.replace(f"{{{name}}}", VALUES[name])
        elif where == "query" and name in VALUES:
            params[name] = VALUES[name]
        else:
            assert not param.get("required"), f"{method} {path}: add a value for the " \
                                              f"required {where} parameter {name!r}"
    spec: dict[str, Any] = {"method": method, "url": url, "params": params}
    if method in ("POST", "PUT", "PATCH"):
        body, ctype = BODIES.get((method, path), lambda: (b"[]", "application/json"))()
        spec |= {"content": body, "headers": {"Content-Type": ctype}}
    return spec


def call(client: TestClient, spec: dict[str, Any], key: str | None) -> Any:
    headers = dict(spec.get("headers", {}))
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return client.request(spec["method"], spec["url"], params=spec.get("params"),
                          content=spec.get("content"), headers=headers)


def test_the_matrix_sees_every_router(portal: tuple[FastAPI, dict[str, str]]) -> None:
    app, _ = portal
    seen = set(endpoints(app))
    assert {("GET", "/api/v1/cards/{number}"), ("GET", "/api/v1/claims"),
            ("POST", "/api/v1/claims"), ("GET", "/api/v1/claims/{facility}/{ma_lk}"),
            ("POST", "/api/v1/claims/{facility}/{ma_lk}/unlock")} <= seen
    assert any(p.startswith("/api/v1/catalogs") for _, p in seen)


@pytest.mark.parametrize("key", [None, "not-a-key", BAD_KEY])
def test_no_key_or_bad_key_is_401_everywhere_but_public(
        portal: tuple[FastAPI, dict[str, str]], key: str | None) -> None:
    app, _ = portal
    client = TestClient(app)
    wrong = []
    for method, path in endpoints(app):
        r = call(client, request_for(app, method, path), key)
        expected = (200,) if (method, path) in PUBLIC else (401,)
        if r.status_code not in expected:
            wrong.append(f"{method} {path}: {r.status_code} (expected {expected[0]}) {r.text}")
    assert wrong == []


@pytest.mark.parametrize("who", sorted(ROLES))
def test_every_role_against_every_endpoint(portal: tuple[FastAPI, dict[str, str]], who: str,
                                           caplog: pytest.LogCaptureFixture) -> None:
    app, keys = portal
    client = TestClient(app)
    role, _scope, covers = ROLES[who]
    wrong = []
    for method, path in endpoints(app):
        spec = request_for(app, method, path)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="hireview.portal"):
            r = call(client, spec, keys[who])
        refused_logged = any("refused" in rec.getMessage() for rec in caplog.records)
        allowed = (method, path) in PUBLIC or (
            covers and not (role == "facility" and (method, path) in AGENCY_ONLY))
        cell = f"{who} {method} {path}: {r.status_code} {r.text[:200]}"
        if allowed and (r.status_code in (401, 403) or r.status_code >= 500):
            wrong.append(f"expected allowed; {cell}")
        if not allowed and r.status_code != 403:
            wrong.append(f"expected 403; {cell}")
        if not allowed and r.status_code == 403 and not refused_logged:
            wrong.append(f"403 not logged; {cell}")
        if r.status_code == 403:
            assert json.loads(r.text)["error"] == "forbidden", cell
    assert wrong == []


def test_unlock_refusal_of_the_facility_role_is_logged(
        portal: tuple[FastAPI, dict[str, str]], caplog: pytest.LogCaptureFixture) -> None:
    app, keys = portal
    spec = request_for(app, "POST", "/api/v1/claims/{facility}/{ma_lk}/unlock")
    with caplog.at_level(logging.WARNING, logger="hireview.portal"):
        r = call(TestClient(app), spec, keys["facility_own"])
    assert r.status_code == 403
    assert any("refused" in rec.getMessage() for rec in caplog.records)


# --- the district role and its facility register ----------------------------------------------
def test_district_key_covers_the_facilities_of_its_register(tmp_path: Path) -> None:
    register_file = tmp_path / "register.csv"
    register_file.write_text("facility,district\n79001,79-760\n79002,79-760\n\n79003,79-761\n",
                             encoding="utf-8")
    register = FacilityRegister.load(register_file)
    assert len(register) == 3 and register.district("79003") == "79-761"
    path = tmp_path / "creds.json"
    key = add_credential(path, "district 760", "district", "79-760")
    cred = Credentials.load(path, register).verify(key)
    assert cred is not None and cred.role == "district" and cred.appraiser
    assert cred.covers("79001") and cred.covers("79002")
    assert not cred.covers("79003") and not cred.covers("79004")
    with pytest.raises(CredentialError, match="facility register"):
        Credentials.load(path)  # a district key without the register: refused, not open
    empty = Credentials.load(path, FacilityRegister.load(tmp_path / "missing.csv")).verify(key)
    assert empty is not None and not empty.covers("79001")


@pytest.mark.parametrize("text, problem", [
    ("code,district\n79001,79-760\n", "header"),
    ("facility,district\n7900,79-760\n", "line 2: facility"),
    ("facility,district\n79001,79760\n", "line 2: district"),
    ("facility,district\n79001,01-001\n", "not in the province"),
    ("facility,district\n79001,79-760\n79001,79-761\n", "line 3: facility 79001 is already"),
])
def test_register_errors_name_the_line(tmp_path: Path, text: str, problem: str) -> None:
    register_file = tmp_path / "register.csv"
    register_file.write_text(text, encoding="utf-8")
    with pytest.raises(CredentialError, match=problem):
        FacilityRegister.load(register_file)


def test_cli_creates_district_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from streams.cli import main

    path = tmp_path / "creds.json"
    monkeypatch.setenv("HIREVIEW_PORTAL_CREDENTIALS", str(path))
    assert main(["portal", "add-key", "--name", "BHXH huyen", "--role", "district",
                 "--scope", "79-760"]) == 0
    key = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    cred = Credentials.load(path, FacilityRegister({"79001": "79-760"})).verify(key)
    assert cred is not None and (cred.role, cred.scope) == ("district", "79-760")
    assert main(["portal", "add-key", "--name", "x", "--role", "district",
                 "--scope", "79"]) == 2
    assert "PP-DDD" in capsys.readouterr().err
