"""The portal's own metrics: every request counted and timed by route template, on ``/metrics``.

The route label is the template (``/api/v1/claims/{facility}/{ma_lk}``), never the path a
client sent, so a scan of random URLs cannot grow the series: unmatched paths share one label.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from streams.metrics import Metrics

UNMATCHED = "unmatched"


class RequestMetrics:
    """ASGI middleware: ``portal_requests_total`` and ``portal_request_seconds`` per request.
    Plain ASGI (not ``BaseHTTPMiddleware``): it never buffers or re-wraps a response."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

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
            self.metrics.portal_requests_total.labels(method, template, str(status)).inc()
            self.metrics.portal_request_seconds.labels(method, template).observe(
                time.perf_counter() - started)


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    """Count every request and serve the registry on ``GET /metrics`` (the portal binds
    ``settings.portal_host``, loopback by default)."""
    app.add_middleware(RequestMetrics, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
