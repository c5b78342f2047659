"""HTTP request metrics of the portal and the web app: every request counted and timed by route
template, and the registry served on ``/metrics``.

The route label is the template (``/api/v1/claims/{facility}/{ma_lk}``), never the path a
client sent, so a scan of random URLs cannot grow the series: unmatched paths share one label.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from streams.metrics import Metrics

UNMATCHED = "unmatched"


class RequestMetrics:
    """ASGI middleware: a request counter (method, route, status) and a latency histogram
    (method, route). Plain ASGI (not ``BaseHTTPMiddleware``): it never buffers or re-wraps a
    response, so a Server-Sent Events stream passes through untouched."""

    def __init__(self, app: ASGIApp, requests: Counter, seconds: Histogram) -> None:
        self.app, self.requests, self.seconds = app, requests, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500  # 500 unless a response starts

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            route: Any = scope.get("route")  # set by the router on the scope it was given
            template = getattr(route, "path", None) or UNMATCHED
            method = str(scope.get("method", ""))
            self.requests.labels(method, template, str(status)).inc()
            self.seconds.labels(method, template).observe(time.perf_counter() - started)


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    """Count every request and serve the registry on ``GET /metrics`` (the process binds its
    host setting, loopback by default)."""
    if metrics.process == "web":
        requests, seconds = metrics.web_requests_total, metrics.web_request_seconds
    else:
        requests, seconds = metrics.portal_requests_total, metrics.portal_request_seconds
    app.add_middleware(RequestMetrics, requests=requests, seconds=seconds)

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
