"""The ops page's series endpoint: runs the panel's PromQL over the window, names problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from streams.jurisdiction import FacilityRegister
from streams.ops.dashboard import Panel, Query
from streams.ops.prom import Series
from streams.web.accounts import Accounts, add_account
from streams.web.app import create_web
from streams.web.console.pages import Console
from streams.web.console.queue import Queue
from streams.web.ops.pages import ops_router
from streams.web.session import Sessions
from streams.web.shell import Shell

PANELS = [Panel("lag", "Độ trễ", "Lag", "short", "timeseries",
                 (Query("sum by (partition) (hireview_consumer_lag_messages)", "p{{partition}}"),))]


def _client(tmp_path: Path, query: Any) -> TestClient:
    add_account(tmp_path / "a.json", "ops", "Vận Hành", "central", "*", "password-123456")
    shell = Shell(Accounts.load(tmp_path / "a.json", FacilityRegister()), Sessions(tmp_path, 1))
    console = Console(Queue(), None, lambda _r: None, "e", 60.0, 10)  # type: ignore[arg-type]
    app = create_web(shell, console, (lambda sh: ops_router(sh, PANELS, query, lambda: 10_000.0),))
    client = TestClient(app)
    client.post("/login", data={"user": "ops", "password": "password-123456", "next": "/ops"})
    return client


def test_series_runs_the_panel_query_over_the_window(tmp_path: Path) -> None:
    asked: list[tuple[str, float, float, float]] = []

    def query(expr: str, start: float, end: float, step: float) -> list[Series]:
        asked.append((expr, start, end, step))
        return [Series({"partition": "0"}, ((9990.0, 3.0), (9995.0, float("nan"))))]

    client = _client(tmp_path, query)
    page = client.get("/ops")
    assert page.status_code == 200 and "Độ trễ" in page.text and 'href="/ops"' in page.text
    body = client.get("/api/ops/series", params={"panel": "lag", "window": "1h"}).json()
    assert body["series"] == [{"label": "p0", "points": [[9990.0, 3.0], [9995.0, None]]}]
    assert asked == [("sum by (partition) (hireview_consumer_lag_messages)", 10_000.0 - 3600,
                      10_000.0, 15.0)]
    assert client.get("/api/ops/series", params={"panel": "nope"}).status_code == 404
    assert client.get("/api/ops/series", params={"panel": "lag", "window": "2d"}
                      ).json()["detail"].startswith("window")


def test_prometheus_down_is_a_503_naming_it(tmp_path: Path) -> None:
    def down(*_args: Any) -> list[Series]:
        raise ConnectionError("connection refused")

    answer = _client(tmp_path, down).get("/api/ops/series", params={"panel": "lag"})
    assert answer.status_code == 503 and "Prometheus" in answer.json()["detail"]
