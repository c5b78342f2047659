"""The web app's shell: sign-in and sessions, CSRF, the language switch, page rendering.

Every page and API route of the app depends on ``Shell.account`` (a signed-in appraiser, else a
redirect to the sign-in page or 401 for API calls) and every POST on ``Shell.checked`` (the CSRF
token). Refusals are logged with the account and the reason.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from streams.web import i18n
from streams.web.accounts import Account, Accounts
from streams.web.session import COOKIE, Session, Sessions

log = logging.getLogger("hireview.web")
HERE = Path(__file__).parent


class NotSignedIn(Exception):
    """No valid session: pages redirect to sign-in, API calls answer 401."""


class Refused(Exception):
    """A 4xx answer with a reason; logged."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.reason, self.detail = status, reason, detail


@dataclass(frozen=True)
class Caller:
    account: Account
    session: Session
    lang: str


class Shell:
    def __init__(self, accounts: Accounts, sessions: Sessions,
                 secure_cookies: bool = False) -> None:
        self.accounts = accounts
        self.sessions = sessions
        self._secure = secure_cookies
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        env = self.templates.env
        env.globals.update(money=i18n.money, local_time=i18n.local_time)
        self.nav: list[tuple[str, str]] = []  # (path, label key): pages add themselves

    # --- dependencies ------------------------------------------------------------------------
    def caller(self, request: Request) -> Caller:
        session = self.sessions.read(request.cookies.get(COOKIE))
        account = self.accounts.get(session.user) if session else None
        if session is None or account is None:
            raise NotSignedIn()
        return Caller(account, session, i18n.lang_of(request.cookies.get(i18n.LANG_COOKIE)))

    def checked(self, request: Request) -> Caller:
        """``caller`` plus the CSRF token of a state-changing request."""
        who = self.caller(request)
        token = request.headers.get("x-csrf-token")
        if not self.sessions.csrf_ok(who.session, token):
            self.refuse(who, 403, "csrf", "missing or wrong X-CSRF-Token")
        return who

    @staticmethod
    def refuse(who: Caller | None, status: int, reason: str, detail: str) -> NoReturn:
        user = (f"{who.account.user} ({who.account.role} {who.account.scope})" if who
                else "anonymous")
        log.warning("refused: %s: %s: %s", user, reason, detail)
        raise Refused(status, reason, detail)

    # --- rendering ----------------------------------------------------------------------------
    def render(self, request: Request, who: Caller | None, name: str, status: int = 200,
               **context: Any) -> HTMLResponse:
        lang = who.lang if who else i18n.lang_of(request.cookies.get(i18n.LANG_COOKIE))
        context.update(
            request=request, lang=lang, who=who, nav=self.nav,
            t=lambda key, **v: i18n.text(key, lang, **v),
            csrf=self.sessions.csrf(who.session) if who else "",
            path=request.url.path,
        )
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def install(self, app: FastAPI) -> None:
        app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
        app.include_router(self._router())

        @app.exception_handler(NotSignedIn)
        async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
            if request.url.path.startswith("/api/") or request.headers.get("accept", "") \
                    .startswith("text/event-stream"):
                return JSONResponse({"error": "unauthenticated", "detail": "sign in first"},
                                    status_code=401)
            target = quote(str(request.url.path) + (f"?{request.url.query}"
                                                    if request.url.query else ""))
            return RedirectResponse(f"/login?next={target}", status_code=303)

        @app.exception_handler(Refused)
        async def refused(request: Request, exc: Refused) -> Response:
            if request.url.path.startswith("/api/"):
                return JSONResponse({"error": exc.reason, "detail": exc.detail},
                                    status_code=exc.status)
            return self.render(request, None, "error.html", status=exc.status,
                               reason=exc.reason, detail=exc.detail)

    def _router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/login", response_class=HTMLResponse)
        def login_page(request: Request, next: str = "/") -> HTMLResponse:
            return self.render(request, None, "login.html", next=_local(next), error=None)

        @router.post("/login", response_model=None)
        def login(request: Request, user: str = Form(""), password: str = Form(""),
                  next: str = Form("/")) -> Response:
            account = self.accounts.verify(user, password)
            if account is None:
                log.warning("refused: sign-in of %r: wrong user name or password", user[:64])
                return self.render(request, None, "login.html", status=401, next=_local(next),
                                   error="signin.bad")
            log.info("signed in: %s (%s %s)", account.user, account.role, account.scope)
            response = RedirectResponse(_local(next), status_code=303)
            response.set_cookie(COOKIE, self.sessions.issue(account.user), httponly=True,
                                samesite="strict", secure=self._secure,
                                max_age=self.sessions.seconds)
            return response

        @router.post("/logout", response_model=None)
        def logout(request: Request, csrf: str = Form("")) -> Response:
            who = self.caller(request)
            if not self.sessions.csrf_ok(who.session, csrf):
                self.refuse(who, 403, "csrf", "missing or wrong csrf field")
            self.sessions.revoke(who.session)
            response = RedirectResponse("/login", status_code=303)
            response.delete_cookie(COOKIE)
            return response

        @router.get("/lang/{lang}", response_model=None)
        def switch(lang: str, request: Request, next: str = "/") -> Response:
            response = RedirectResponse(_local(next), status_code=303)
            response.set_cookie(i18n.LANG_COOKIE, i18n.lang_of(lang), samesite="strict",
                                max_age=365 * 86400)
            return response

        @router.get("/healthz")
        def health() -> dict[str, Any]:
            return {"ok": True, "time": time.time()}

        return router


def _local(target: str) -> str:
    """Only same-site paths after sign-in: ``next=https://evil`` must not redirect away."""
    return target if target.startswith("/") and not target.startswith("//") else "/"
