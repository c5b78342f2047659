"""Roles written once: streams/portal/roles.py is what the code asks, docs/portal-access.md
carries its table, and the endpoints answer as it says."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from streams.jurisdiction import ROLES
from streams.portal.roles import ACTIONS, may, table
from streams.settings import ROOT
from tests.unit.portal.test_portal_authz import ROLES as KEYS
from tests.unit.portal.test_portal_authz import portal  # noqa: F401 - the fixture
from tests.unit.portal.test_portal_fuzz import Fuzzed, fuzzed  # noqa: F401 - the fixture

DOC = ROOT / "docs" / "portal-access.md"
BEGIN, END = "<!-- roles: hireview portal roles -->", "<!-- /roles -->"


def test_the_docs_table_is_what_the_code_says() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOC}: the roles table markers are missing"
    documented = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert documented == table().strip(), \
        f"{DOC} differs from the code: paste the output of `hireview portal roles`"


def test_every_operation_is_in_the_table(fuzzed: Fuzzed) -> None:  # noqa: F811
    named = " ".join(a.endpoints for a in ACTIONS)
    public = {"/api/v1/errors", "/api/v1/health"}
    missing: list[str] = []
    for path, item in fuzzed.app.openapi()["paths"].items():
        stem = re.split(r"/\{", path)[0]
        if path not in public and path not in named and f"{stem}…" not in named:
            missing.extend(f"{m.upper()} {path}" for m in item)
    assert missing == [], f"operations no action of streams/portal/roles.py names: {missing}"


@pytest.mark.parametrize("who", ["facility_own", "district_in", "province_in", "central"])
def test_unlock_answers_as_the_table_says(portal: tuple[FastAPI, dict[str, str]],  # noqa: F811
                                         who: str) -> None:
    app, keys = portal
    role = KEYS[who][0]
    r = TestClient(app).post("/api/v1/claims/79001/MA0001/unlock",
                             headers={"Authorization": f"Bearer {keys[who]}"})
    if may(role, "unlock claims"):
        assert r.status_code == 404, r.text  # allowed; no such claim received
    else:
        assert r.status_code == 403 and "district, province, central" in r.json()["detail"]


def test_every_action_names_known_roles() -> None:
    for action in ACTIONS:
        assert action.roles and set(action.roles) <= set(ROLES), action
