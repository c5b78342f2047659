"""The web app, assembled in one place: the shell (sign-in, layout, languages) and its pages.

    appraisers' console  streams/web/console/  (queue over SSE, claim view, review actions)

Later pages (fund use, ops) add their routers here the same way.
"""

from __future__ import annotations

from fastapi import FastAPI

from streams.web.console.pages import Console, console_router
from streams.web.shell import Shell


def create_web(shell: Shell, console: Console) -> FastAPI:
    app = FastAPI(title="hireview web app", docs_url=None, redoc_url=None, openapi_url=None)
    shell.install(app)
    app.include_router(console_router(shell, console))
    return app
