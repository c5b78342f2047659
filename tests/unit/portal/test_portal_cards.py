"""Card lookup: status on a date, lookup by citizen id, the last visits from the worker's
history, the facility rule (registered or visited) and answers without a worker."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from fastapi.testclient import TestClient

from streams.portal.api.cards import HistoryUnavailable, WorkerHistory, cards_router
from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.reference.catalog import CardRegistry
from streams.settings import Settings
from streams.worker import history as hist
from tests.unit.portal.test_portal_service import FakeLog, FakePublish, FakeResults
from tests.unit.worker.test_history_web import SECRET, make_app, visit, web_app

PERSON = "9900000001"
CARD = f"DN479{PERSON}"  # group DN, level 4, province 79
TODAY = date(2025, 3, 15)


def card(no: str = CARD, **changes: Any) -> dict[str, Any]:
    return {"card_no": no, "person_key": no[5:], "citizen_id": "079095000001",
            "group_code": no[:2], "benefit_level": int(no[2]), "province": no[3:5],
            "registered_facility": "79001", "valid_from": date(2025, 1, 1),
            "valid_to": date(2025, 12, 31), "five_year_date": date(2022, 1, 1),
            "replaced_by": None, **changes}


def history_visit(claim_id: str, day: int, facility: str = "79001") -> dict[str, Any]:
    return {"facility": facility, "claim_id": claim_id, "version": 1,
            "admitted": f"2025-03-{day:02d}T08:00:00", "discharged": f"2025-03-{day:02d}T11:00:00",
            "inpatient": False, "kind": "01", "diagnosis": "J06", "outcome": 1,
            "status": "closed", "decision": {"outcome": "ACCEPT"}}


@dataclass
class FakeHistory:
    visits_by_person: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    down: bool = False

    def visits(self, person_key: str) -> list[dict[str, Any]]:
        if self.down:
            raise HistoryUnavailable("worker at http://127.0.0.1:1 did not answer (fake)")
        return self.visits_by_person.get(person_key, [])


ROLES = {"own": ("facility", "79001"), "visited": ("facility", "79002"),
         "other": ("facility", "01001"), "province": ("province", "79"),
         "central": ("central", "*")}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("cards") / "creds.json"
    return path, {who: add_credential(path, who, role, scope)
                  for who, (role, scope) in ROLES.items()}


@dataclass
class Cards:
    client: TestClient
    registry: CardRegistry
    history: FakeHistory
    keys: dict[str, str]

    def get(self, number: str, who: str = "own", on: str | None = None) -> Any:
        params = {"on": on} if on else {}
        return self.client.get(f"/api/v1/cards/{number}", params=params,
                               headers={"Authorization": f"Bearer {self.keys[who]}"})


@pytest.fixture()
def cards(keys: tuple[Path, dict[str, str]]) -> Cards:
    path, secrets = keys
    registry, history = CardRegistry(), FakeHistory()
    registry.put(card())
    app = create_portal(Settings(), publish=FakePublish(), receipts=ReceiptStore(FakeLog()),
                        results=FakeResults(), credentials=Credentials.load(path),
                        routers=[cards_router(registry, history, today=lambda: TODAY)])
    return Cards(TestClient(app), registry, history, secrets)


def test_valid_card_with_its_last_six_visits_newest_first(cards: Cards) -> None:
    cards.history.visits_by_person[PERSON] = [history_visit(f"V{d}", d) for d in range(1, 9)]
    r = cards.get(CARD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["problems"], body["on"]) == ("valid", [], "2025-03-15")
    assert (body["benefit_level"], body["registered_facility"]) == (4, "79001")
    assert (body["five_year_date"], body["valid_to"]) == ("2022-01-01", "2025-12-31")
    assert body["visits_available"] is True and body["visits_reason"] is None
    assert [v["ma_lk"] for v in body["visits"]] == ["V8", "V7", "V6", "V5", "V4", "V3"]
    first = body["visits"][0]
    assert (first["diagnosis"], first["outcome"], first["appraisal"]) == ("J06", 1, "ACCEPT")
    assert first["admitted"] == "2025-03-08T08:00:00"


def test_a_corrected_claim_is_one_visit_shown_as_its_latest_version(cards: Cards) -> None:
    visits = [history_visit(f"V{d}", d) for d in range(1, 8)]
    visits.append({**history_visit("V7", 7), "version": 2, "decision": {"outcome": "WARN"}})
    cards.history.visits_by_person[PERSON] = visits
    body = cards.get(CARD).json()
    assert [(v["ma_lk"], v["version"]) for v in body["visits"]] == [
        ("V7", 2), ("V6", 1), ("V5", 1), ("V4", 1), ("V3", 1), ("V2", 1)]
    assert body["visits"][0]["appraisal"] == "WARN"


@pytest.mark.parametrize("on, status", [("2024-12-31", "not_yet_valid"),
                                        ("2025-01-01", "valid"), ("2025-12-31", "valid"),
                                        ("2026-01-01", "expired")])
def test_status_on_a_date(cards: Cards, on: str, status: str) -> None:
    r = cards.get(CARD, on=on)
    assert r.status_code == 200 and r.json()["status"] == status


def test_replaced_card_and_lookup_by_citizen_id(cards: Cards) -> None:
    new = f"HT379{PERSON}"
    cards.registry.put(card(replaced_by=new, valid_to=date(2025, 2, 28)))
    cards.registry.put(card(new, valid_from=date(2025, 3, 1)))
    old = cards.get(CARD, on="2025-02-01").json()
    assert old["status"] == "replaced" and old["replaced_by"] == new
    assert [c["card_no"] for c in old["cards"]] == [CARD, new]
    by_id = cards.get("079095000001").json()
    assert (by_id["card_no"], by_id["status"], by_id["benefit_level"]) == (new, "valid", 3)
    expired_and_replaced = cards.get(CARD).json()
    assert expired_and_replaced["problems"] == ["expired", "replaced"]


@pytest.mark.parametrize("presented, problem", [
    (f"DN379{PERSON}", "wrong_benefit_level"), (f"DN401{PERSON}", "wrong_province"),
    (f"HT479{PERSON}", "wrong_group")])
def test_number_presented_with_the_wrong_parts(cards: Cards, presented: str,
                                               problem: str) -> None:
    body = cards.get(presented).json()
    assert (body["card_no"], body["presented"]) == (CARD, presented)
    assert body["status"] == problem and body["problems"] == [problem]


def test_unknown_and_malformed_numbers(cards: Cards) -> None:
    unknown = cards.get("DN4790000000009")
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    assert cards.get("079000000009").status_code == 404  # unknown citizen id
    bad = cards.get("DN47")
    assert bad.status_code == 400 and "number" in bad.json()["detail"]
    bad_day = cards.get(CARD, on="15/03/2025")
    assert bad_day.status_code == 400 and bad_day.json()["detail"].startswith("on:")
    assert cards.get(CARD.lower()).status_code == 200  # case does not matter


def test_worker_down_still_answers_the_card(cards: Cards,
                                            caplog: pytest.LogCaptureFixture) -> None:
    cards.history.down = True
    body = cards.get(CARD).json()
    assert body["status"] == "valid" and body["visits_available"] is False
    assert "did not answer" in body["visits_reason"] and body["visits"] == []
    assert cards.get(CARD, who="central").status_code == 200
    # A facility whose right rests on the history cannot be told yes or no: 503, retry.
    with caplog.at_level(logging.WARNING, logger="hireview.portal"):
        r = cards.get(CARD, who="visited")
    assert r.status_code == 503 and "history unavailable" in r.json()["detail"]
    assert "refused" not in caplog.text


@pytest.mark.parametrize("who, visits_at, allowed", [
    ("own", [], True), ("visited", ["79002"], True), ("visited", [], False),
    ("other", ["79002"], False), ("province", [], True), ("central", [], True),
    ("other", ["01001"], True)])
def test_facility_may_look_up_the_patients_it_serves(cards: Cards, who: str, visits_at: list[str],
                                                     allowed: bool,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    cards.history.visits_by_person[PERSON] = [history_visit(f"V{i}", i + 1, f)
                                              for i, f in enumerate(visits_at)]
    with caplog.at_level(logging.WARNING, logger="hireview.portal"):
        r = cards.get(CARD, who=who)
    assert r.status_code == (200 if allowed else 403), r.text
    assert ("refused" in caplog.text) is (not allowed)


def test_registry_indexes_follow_updates_and_deletes() -> None:
    registry = CardRegistry()
    registry.put(card())
    registry.put(card(f"HT379{PERSON}", citizen_id="079095000002"))
    assert [c["card_no"] for c in registry.find_by_person(PERSON)] == [f"DN479{PERSON}",
                                                                       f"HT379{PERSON}"]
    registry.put(card(citizen_id="079095000002"))  # the first card's citizen id changes
    assert registry.find_by_citizen("079095000001") == []
    assert len(registry.find_by_citizen("079095000002")) == 2
    registry.delete(CARD)
    assert [c["card_no"] for c in registry.find_by_person(PERSON)] == [f"HT379{PERSON}"]
    registry.delete(f"HT379{PERSON}")
    assert registry.find_by_person(PERSON) == [] and len(registry) == 0


# --- the HTTP client of the worker's history page -----------------------------------------------
@pytest.fixture()
def plain_server() -> Iterator[tuple[str, dict[str, Any]]]:
    """A local HTTP server answering ``reply["status"]`` with ``reply["body"]``."""
    reply: dict[str, Any] = {"status": 200, "body": b"{}"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            reply["path"] = self.path
            self.send_response(reply["status"])
            self.end_headers()
            self.wfile.write(reply["body"])

        def log_message(self, *_args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", reply
    server.shutdown()
    server.server_close()


def test_worker_history_client(plain_server: tuple[str, dict[str, Any]]) -> None:
    url, reply = plain_server
    client = WorkerHistory(url + "/", timeout=2.0)
    reply["body"] = json.dumps({"visits": [history_visit("A", 1)]}).encode()
    assert [v["claim_id"] for v in client.visits(PERSON)] == ["A"]
    assert reply["path"] == f"/history/{PERSON}"
    for status, body, reason in ((503, b"{}", "HTTP 503"), (200, b"<html>", "not JSON"),
                                 (200, b'{"visits": [{"x": 1}]}', "no list of visits")):
        reply["status"], reply["body"] = status, body
        with pytest.raises(HistoryUnavailable, match=reason):
            client.visits(PERSON)


def test_worker_history_client_without_a_worker() -> None:
    with pytest.raises(HistoryUnavailable, match="did not answer"):
        WorkerHistory("http://127.0.0.1:9", timeout=1.0).visits(PERSON)


def test_card_lookup_reads_the_worker_page(keys: tuple[Path, dict[str, str]]) -> None:
    """The portal's client and the worker's page agree on the format (real HTTP both ways)."""
    faust_app, table = make_app()
    table.data[PERSON.encode()] = hist.dumps([visit("W1", 3), visit("W2", 4)])

    async def same_node(*_args: Any) -> Any:
        from faust.exceptions import SameNode
        raise SameNode()

    faust_app.router.route_req = same_node  # type: ignore[method-assign,assignment]
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(web_app(faust_app))
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        path, secrets = keys
        registry = CardRegistry()
        registry.put(card())
        app = create_portal(Settings(), publish=FakePublish(), receipts=ReceiptStore(FakeLog()),
                            results=FakeResults(), credentials=Credentials.load(path),
                            routers=[cards_router(registry, WorkerHistory(
                                f"http://127.0.0.1:{port}", 5.0, SECRET), today=lambda: TODAY)])
        body = TestClient(app).get(f"/api/v1/cards/{CARD}", headers={
            "Authorization": f"Bearer {secrets['own']}"}).json()
        assert body["visits_available"] is True
        # Without the secret the worker's page refuses, and the card answer says so.
        refused = create_portal(Settings(), publish=FakePublish(),
                                receipts=ReceiptStore(FakeLog()), results=FakeResults(),
                                credentials=Credentials.load(path),
                                routers=[cards_router(registry, WorkerHistory(
                                    f"http://127.0.0.1:{port}", 5.0), today=lambda: TODAY)])
        unsent = TestClient(refused).get(f"/api/v1/cards/{CARD}", headers={
            "Authorization": f"Bearer {secrets['own']}"}).json()
        assert unsent["visits_available"] is False and "401" in unsent["visits_reason"]
        assert [(v["ma_lk"], v["diagnosis"], v["appraisal"]) for v in body["visits"]] == [
            ("W2", "J06", "ACCEPT"), ("W1", "J06", "ACCEPT")]
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
