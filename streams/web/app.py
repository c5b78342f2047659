"""The web app, assembled in one place: the shell (sign-in, layout, languages) and its pages.

    appraisers' console  streams/web/console/  (queue over SSE, claim view, review actions)
    ops page             streams/web/ops/      (Prometheus queries drawn with uPlot)

Later pages (fund use) add their routers here the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import APIRouter, FastAPI

from streams.http_metrics import install_metrics
from streams.web.console.pages import Console, console_router
from streams.web.shell import Shell


def _counter(console: Console, status: str) -> Callable[[], float]:
    return lambda: float(console.queue.counts(time.time())[status])


def create_web(shell: Shell, console: Console,
               more: tuple[Callable[[Shell], APIRouter], ...] = ()) -> FastAPI:
    """``more``: builders of further pages' routers, called after the console's so the nav
    lists the pages in this order."""
    app = FastAPI(title="hireview web app", docs_url=None, redoc_url=None, openapi_url=None)
    install_metrics(app, console.metrics)
    for status in ("open", "requested", "answered", "overdue", "resolved"):
        console.metrics.web_queue_claims.labels(status).set_function(_counter(console, status))
    shell.install(app)
    app.include_router(console_router(shell, console))
    for build in more:
        app.include_router(build(shell))
    return app
