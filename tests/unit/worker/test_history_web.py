"""The worker's ``GET /history/{person_key}`` page: answers from the local table when this worker
owns the key's partition, forwards to the owner otherwise, 503 while no owner is known."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any, cast

import faust
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from faust.web.exceptions import ServiceUnavailable
from yarl import URL

from streams.internal import HEADER
from streams.worker import history as hist
from streams.worker.history_page import add_history_page, history_payload


def visit(claim_id: str, day: int, *, facility: str = "79001", legacy: bool = False
          ) -> hist.Visit:
    decided = datetime(2025, 3, day, 12, tzinfo=UTC)
    kept = {} if legacy else {"kind": "01", "diagnosis": "J06", "outcome": 1, "copay": 0.0}
    return {"facility": facility, "claim_id": claim_id, "version": 1, "content_hash": "h",
            "admitted": datetime(2025, 3, day, 8), "discharged": datetime(2025, 3, day, 11),
            "inpatient": False, "status": "closed", **kept,
            "decision": {"outcome": "ACCEPT", "revision": 1, "requested": 100.0,
                         "approved": 100.0, "rejected": 0.0, "submitted_at": decided,
                         "decided_at": decided, "service_date": date(2025, 3, day),
                         "hits": [{"code": "X"}]}}


SECRET = "s3cret-for-the-test"


def make_app() -> tuple[faust.App, Any]:
    app = faust.App("history-web-test", broker="kafka://127.0.0.1:1", store="memory://",
                    web_enabled=True, web_host="127.0.0.1", web_port=36999)
    table = app.Table("history", key_type=bytes, value_type=bytes, partitions=4)
    add_history_page(app, table, SECRET)
    return app, table


def web_app(app: faust.App) -> web.Application:
    """The aiohttp application behind faust's web server (faust's driver for aiohttp)."""
    application: web.Application = cast(Any, app.web).web_app
    return application


def get(app: faust.App, *paths: str, secret: str | None = SECRET) -> list[tuple[int, Any]]:
    """Status and JSON body of each GET, in one event loop (the aiohttp app is bound to it)."""
    headers = {HEADER: secret} if secret is not None else {}

    async def call() -> list[tuple[int, Any]]:
        async with TestClient(TestServer(web_app(app))) as client:
            out = []
            for path in paths:
                answer = await client.get(path, headers=headers)
                out.append((answer.status, await answer.json()))
            return out

    return asyncio.run(call())


def test_payload_keeps_the_visit_and_drops_the_hits() -> None:
    stored = hist.dumps([visit("A", 1, legacy=True), visit("B", 2)])
    payload = history_payload("9900000001", stored)
    assert payload["person_key"] == "9900000001"
    first, second = payload["visits"]
    assert first["claim_id"] == "A" and first["admitted"] == "2025-03-01T08:00:00"
    # Stored before the history kept them: unknown, not "" or 0.
    assert (first["diagnosis"], first["outcome"], first["kind"]) == (None, None, None)
    assert (second["diagnosis"], second["outcome"], second["kind"]) == ("J06", 1, "01")
    assert second["decision"]["outcome"] == "ACCEPT"
    assert second["decision"]["decided_at"] == "2025-03-02T12:00:00+00:00"
    assert "hits" not in second["decision"]
    assert history_payload("9900000002", None)["visits"] == []


def test_owner_answers_from_its_table(monkeypatch: pytest.MonkeyPatch) -> None:
    app, table = make_app()
    table.data[b"9900000001"] = hist.dumps([visit("A", 1), visit("B", 2)])
    asked: list[tuple[str, bytes]] = []

    def key_store(table_name: str, key: Any) -> URL:
        asked.append((table_name, table.changelog_topic.prepare_key(key, None)[0]))
        return URL("http://127.0.0.1:36999")  # this worker's canonical URL: served here

    monkeypatch.setattr(app.router, "key_store", key_store)
    (status, body), (status2, body2) = get(app, "/history/9900000001", "/history/9900000002")
    assert status == 200
    assert [v["claim_id"] for v in body["visits"]] == ["A", "B"]
    assert status2 == 200 and body2 == {"person_key": "9900000002", "visits": []}
    # Routed by the table's own key bytes, as the worker stores them.
    assert asked == [("history", b"9900000001"), ("history", b"9900000002")]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
def test_without_the_secret_no_history_is_shown(monkeypatch: pytest.MonkeyPatch,
                                                secret: str | None) -> None:
    app, table = make_app()
    table.data[b"9900000001"] = hist.dumps([visit("A", 1)])
    monkeypatch.setattr(app.router, "key_store", lambda *_a: URL("http://127.0.0.1:36999"))
    [(status, body)] = get(app, "/history/9900000001", secret=secret)
    assert status == 401 and body["error"] == "unauthorized" and "visits" not in body


def test_bad_person_key_is_400(monkeypatch: pytest.MonkeyPatch) -> None:
    app, _table = make_app()
    monkeypatch.setattr(app.router, "key_store", lambda *_a: URL("http://127.0.0.1:36999"))
    [(status, body)] = get(app, "/history/a%20b")
    assert status == 400 and "person_key" in body["detail"]


def test_other_owner_gets_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    app, table = make_app()
    table.data[b"9900000001"] = hist.dumps([visit("LOCAL", 1)])  # must not be answered here

    async def owner_page(request: web.Request) -> web.Response:
        return web.json_response({"person_key": request.match_info["key"], "visits": [],
                                  "owner": request.headers.get(HEADER) == SECRET})

    async def call() -> tuple[int, Any]:
        owner = web.Application()
        owner.router.add_get("/history/{key}", owner_page)
        async with TestServer(owner) as other:
            monkeypatch.setattr(app.router, "key_store",
                                lambda *_a: URL(f"http://127.0.0.1:{other.port}"))
            async with TestClient(TestServer(web_app(app))) as client:
                answer = await client.get("/history/9900000001", headers={HEADER: SECRET})
                result = answer.status, await answer.json()
            await app.http_client.close()  # faust's forwarding session
            return result

    status, body = asyncio.run(call())
    assert status == 200 and body["owner"] is True and body["visits"] == []


def test_no_assignment_yet_is_503(monkeypatch: pytest.MonkeyPatch) -> None:
    app, _table = make_app()

    async def unavailable(*_a: Any) -> Any:
        raise ServiceUnavailable()

    monkeypatch.setattr(app.router, "route_req", unavailable)
    [(status, _body)] = get(app, "/history/9900000001")
    assert status == 503


def test_the_secret_file_is_made_once_private_and_shared(tmp_path: Any) -> None:
    from streams.internal import history_secret
    from streams.settings import Settings

    settings = Settings(state_dir=tmp_path)
    first = history_secret(settings)
    assert len(first) == 64 and history_secret(settings) == first  # the portal reads the same
    path = tmp_path / "worker-history.secret"
    assert path.stat().st_mode & 0o077 == 0
    given = Settings(state_dir=tmp_path, worker_history_secret="from-settings")
    assert history_secret(given) == "from-settings"
