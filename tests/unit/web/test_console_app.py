"""The web app's console routes in-process: sign-in, CSRF, jurisdiction, take, actions.

The queue is fed by hand and the ClickHouse store is a dictionary here; the browser tests run
the same app on the real pipeline."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streams.codec import Codec, from_json
from streams.jurisdiction import FacilityRegister
from streams.settings import Settings
from streams.web.accounts import Accounts, add_account
from streams.web.app import create_web
from streams.web.console.pages import Console
from streams.web.console.queue import Queue
from streams.web.session import Sessions
from streams.web.shell import Shell

ROOT = Path(__file__).parents[3]
PASSWORD = "correct horse battery"


def _warned() -> dict[str, Any]:
    """The example warned decision, as the feed decodes it from hi.warnings."""
    codec = Codec.from_settings(Settings())
    raw = json.loads((ROOT / "avro/examples/decision/warn-overlapping-stay.json").read_text())
    return codec.decode(codec.encode("decision", from_json(codec.schema("decision"), raw)),
                        "decision")


class Store:
    def __init__(self) -> None:
        self.claims: dict[tuple[str, str, int], dict[str, Any]] = {}

    def claim(self, facility: str, claim_id: str, version: int) -> dict[str, Any] | None:
        return self.claims.get((facility, claim_id, version))

    def visits(self, *_args: Any) -> list[dict[str, Any]]:
        return []

    def revisions(self, *_args: Any) -> list[dict[str, Any]]:
        return []

    def rule_quality(self) -> list[dict[str, Any]]:
        return [{"code": "XC02", "reviewed": 4, "confirmed": 1, "cleared": 2, "changed": 1,
                 "amount": 1500000.0}]


@pytest.fixture()
def web(tmp_path: Path) -> tuple[TestClient, Queue, list[dict[str, Any]]]:
    accounts = tmp_path / "accounts.json"
    add_account(accounts, "lan", "Nguyễn Thị Lan", "province", "79", PASSWORD)
    add_account(accounts, "hung", "Trần Văn Hùng", "province", "01", PASSWORD)
    register = FacilityRegister({"79001": "79-760"})
    queue = Queue(register.district)
    queue.on_warning(_warned())
    published: list[dict[str, Any]] = []
    shell = Shell(Accounts.load(accounts, register), Sessions(tmp_path, 8))
    console = Console(queue, Store(), published.append, "e1", 300.0, 10)  # type: ignore[arg-type]
    return TestClient(create_web(shell, console)), queue, published


def _sign_in(client: TestClient, user: str) -> str:
    page = client.post("/login", data={"user": user, "password": PASSWORD, "next": "/queue"})
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
    assert match
    return match.group(1)


def test_pages_need_a_sign_in(web: Any) -> None:
    client, _, _ = web
    answer = client.get("/queue", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/queue"
    assert client.get("/api/console/stream").status_code == 401
    wrong = client.post("/login", data={"user": "lan", "password": "nope-nope-nope"})
    assert wrong.status_code == 401 and "Sai tên đăng nhập" in wrong.text


def test_sign_in_then_queue_in_vietnamese_and_english(web: Any) -> None:
    client, _, _ = web
    _sign_in(client, "lan")
    page = client.get("/queue")
    assert "Hồ sơ cần giám định" in page.text and "Nguyễn Thị Lan" in page.text
    client.get("/lang/en?next=/queue")
    assert "Claims to review" in client.get("/queue").text


def test_a_post_without_the_csrf_token_is_refused(web: Any) -> None:
    client, queue, published = web
    token = _sign_in(client, "lan")
    url = "/api/console/claims/79001/79001_2025_03_BN0042817_01/1/actions"
    body = {"action": "CONFIRM", "note": "checked the stays: plausible"}
    assert client.post(url, json=body).status_code == 403
    assert client.post(url, json=body, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert published == []
    ok = client.post(url, json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200, ok.text
    (review,) = published
    assert review["action"] == "CONFIRM" and review["actor"] == "lan"
    assert review["base_revision"] == queue.rows(_central(), 0.0)[0]["revision"]
    assert {h["verdict"] for h in review["hits"]} == {"CONFIRMED"}


def test_another_province_sees_nothing_and_may_do_nothing(web: Any, caplog: Any) -> None:
    client, _, published = web
    token = _sign_in(client, "hung")
    claim = "/claims/79001/79001_2025_03_BN0042817_01/1"
    assert client.get(claim).status_code == 403
    url = "/api/console/claims/79001/79001_2025_03_BN0042817_01/1"
    for path in ("/take", "/actions"):
        answer = client.post(url + path, json={"action": "CONFIRM", "note": "x"},
                             headers={"X-CSRF-Token": token})
        assert answer.status_code == 403, path
    assert published == []
    assert any("refused: hung" in r.getMessage() for r in caplog.records)


def test_a_claim_taken_by_one_appraiser_shows_taken_to_another(web: Any, tmp_path: Path) -> None:
    client, queue, published = web
    token = _sign_in(client, "lan")
    url = "/api/console/claims/79001/79001_2025_03_BN0042817_01/1"
    assert client.post(url + "/take", headers={"X-CSRF-Token": token}).json()["mine"]
    key = "79001|79001_2025_03_BN0042817_01|1"
    assert queue.take(key, "minh", 0.0, 1.0) == "lan"  # someone else, now: refused
    row = next(r for r in queue.rows(_central(), 0.0) if r["key"] == key)
    assert row["taken_by"] == "lan"
    client.post(url + "/release", headers={"X-CSRF-Token": token})
    assert queue.take(key, "minh", 0.0, 1.0) == "minh"


def test_a_bad_action_names_the_field(web: Any) -> None:
    client, _, published = web
    token = _sign_in(client, "lan")
    url = "/api/console/claims/79001/79001_2025_03_BN0042817_01/1/actions"
    for body, field in (({"action": "CONFIRM", "note": " "}, "note"),
                        ({"action": "DELETE", "note": "x"}, "action"),
                        ({"action": "REJECT_LINES", "note": "x", "lines": []}, "lines"),
                        ({"action": "CLEAR_HITS", "note": "x", "clear": ["nope"]}, "clear")):
        answer = client.post(url, json=body, headers={"X-CSRF-Token": token})
        assert answer.status_code == 422, body
        assert answer.json()["detail"].startswith(field), answer.json()
    assert published == []


def test_rule_quality_page(web: Any) -> None:
    client, _, _ = web
    _sign_in(client, "lan")
    page = client.get("/quality")
    assert page.status_code == 200 and "XC02" in page.text and "50%" in page.text


def _central() -> Any:
    from streams.jurisdiction import Jurisdiction

    return Jurisdiction("central", "*")
