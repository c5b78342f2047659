"""Submissions parsed in processes (streams/portal/parsepool.py) answer exactly as in threads:
the claims, a refusal with its field, and the access check made in the portal's process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from streams.portal.auth import Credentials, add_credential
from streams.portal.parsepool import ParsePool
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.settings import Settings
from tests.unit.portal.portal_fixtures import claim, envelope
from tests.unit.portal.test_portal_service import KEYS, FakeLog, FakePublish, FakeResults

Keys = tuple[Path, dict[str, str]]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    path = tmp_path_factory.mktemp("creds") / "portal-credentials.json"
    return path, {who: add_credential(path, who, role, scope)
                  for who, (role, scope) in KEYS.items()}


@pytest.fixture(scope="module")
def pool() -> Iterator[ParsePool]:
    p = ParsePool(1)
    p.warm()
    yield p
    p.close()


def client(keys: Keys, pool: ParsePool | None
           ) -> tuple[TestClient, FakePublish]:
    path, _keys = keys
    publish = FakePublish()
    app = create_portal(Settings(), publish=publish, receipts=ReceiptStore(FakeLog(), []),
                        results=FakeResults(), credentials=Credentials.load(path), parser=pool)
    return TestClient(app), publish


def answers(keys: Keys, pool: ParsePool | None,
            body: bytes, who: str) -> tuple[int, dict[str, object], int]:
    c, publish = client(keys, pool)
    r = c.post("/api/v1/claims", content=body, headers={
        "Authorization": f"Bearer {keys[1][who]}", "Content-Type": "application/xml"})
    body_json = r.json()
    for item in body_json.get("claims", []):
        item.pop("receipt", None)  # random per run
    return r.status_code, body_json, len(publish.published)


@pytest.mark.parametrize(("who", "case"), [
    ("own", "clean"), ("other", "clean"), ("own", "no_facility"), ("own", "garbage")])
def test_processes_answer_as_threads(keys: Keys, pool: ParsePool,
                                     who: str, case: str) -> None:
    body = {"clean": envelope([claim(1), claim(2)]),
            "no_facility": envelope([claim(3)], facility=""),
            "garbage": b"<GIAMDINHHS><THONGTINDONVI>"}[case]
    in_threads = answers(keys, None, body, who)
    in_processes = answers(keys, pool, body, who)
    assert in_processes == in_threads
    expected = {("own", "clean"): 200, ("other", "clean"): 403, ("own", "no_facility"): 400,
                ("own", "garbage"): 400}[(who, case)]
    assert in_processes[0] == expected
