"""The web app, assembled in one place: the shell (sign-in, layout, languages) and its pages.

    appraisers' console  streams/web/console/  (queue over SSE, claim view, review actions)
    ops page             streams/web/ops/      (Prometheus queries drawn with uPlot)

Later pages (fund use) add their routers here the same way.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from streams.web.console.pages import Console, console_router
from streams.web.shell import Shell


def create_web(shell: Shell, console: Console, more: tuple[APIRouter, ...] = ()) -> FastAPI:
    """``more``: routers of further pages (built with the same shell, so they share its nav)."""
    app = FastAPI(title="hireview web app", docs_url=None, redoc_url=None, openapi_url=None)
    shell.install(app)
    app.include_router(console_router(shell, console))
    for router in more:
        app.include_router(router)
    return app
