"""Who may call the portal, shared by every router: authentication, scope checks, error shape.

Routers take an :class:`Access` and call ``authenticate`` then ``require`` on each request;
``install`` registers the handlers that turn :class:`Refused` and :class:`Unavailable` into the
portal's ``{"error": reason, "detail": message}`` answers.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from clickhouse_driver import Client
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Route

from streams.portal.auth import Credential, Credentials

log = logging.getLogger("hireview.portal")


class Unavailable(Exception):
    """Kafka or ClickHouse did not answer: 503, the client may retry the same request."""


class NotDelivered(Unavailable):
    """Some records were not delivered: ``report`` per record, True (acknowledged), False
    (known not delivered: the producer gave up and will never send it) or None (unknown)."""

    def __init__(self, detail: str, report: list[bool | None]) -> None:
        super().__init__(detail)
        self.report = report


class Refused(Exception):
    """A 4xx answer with a machine-readable reason; a refused bound also names its ``field``
    and ``limit`` (both in the answer's body)."""

    def __init__(self, status: int, reason: str, detail: str, *, field: str | None = None,
                 limit: int | float | None = None) -> None:
        super().__init__(detail)
        self.status, self.reason, self.detail = status, reason, detail
        self.field, self.limit = field, limit


class GuardedClickHouse:
    """One ClickHouse connection shared by request threads: guarded (the driver is not
    thread-safe), and any network or server error becomes :class:`Unavailable` (503)."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._lock = threading.Lock()

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                rows: list[tuple[Any, ...]] = self._client.execute(sql, params)
            except Exception as exc:  # network or server error: the caller answers 503
                raise Unavailable(f"ClickHouse: {type(exc).__name__}: {exc}") from exc
        return rows


async def read_limited(request: Request, max_bytes: int) -> bytes:
    """The request body, refused with 413 as soon as it exceeds ``max_bytes`` (declared or
    streamed): an unbounded body is never buffered."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise Refused(413, "too_large", f"{declared} bytes: larger than the limit of "
                      f"{max_bytes} bytes", field="body", limit=max_bytes)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise Refused(413, "too_large", f"more than the limit of {max_bytes} bytes",
                          field="body", limit=max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def error_response(status: int, reason: str, detail: str, field: str | None = None,
                   limit: int | float | None = None) -> JSONResponse:
    """The one error body (``ErrorBody`` in streams/portal/openapi.py): error, detail, and for
    a bound its field and limit."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body: dict[str, Any] = {"error": reason, "detail": detail}
    if field is not None:
        body["field"] = field
    if limit is not None:
        body["limit"] = limit
    return JSONResponse(body, status_code=status, headers=headers)


class Access:
    """Bearer API keys checked against the hashed credentials; every refusal is logged."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def authenticate(self, request: Request) -> Credential:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Refused(401, "unauthenticated", "send Authorization: Bearer <API key>")
        cred = self._credentials.verify(key.strip())
        if cred is None:
            raise Refused(401, "unauthenticated", "unknown or invalid API key")
        return cred

    def require(self, cred: Credential, facility: str, action: str) -> None:
        """403 (logged) unless ``cred`` covers ``facility``."""
        if not cred.covers(facility):
            log.warning("refused: %s (%s %s) may not %s facility %r", cred.name, cred.role,
                        cred.scope, action, facility)
            raise Refused(403, "forbidden", f"{cred.role} {cred.scope} may not {action} "
                          f"facility {facility!r}")


_FRAMEWORK_REASONS = {404: "not_found", 405: "method_not_allowed"}


def allowed_methods(request: Request) -> str:
    """The Allow header for the request's path: every method of every operation on it, read
    from the OpenAPI document (FastAPI keeps included routers nested, so ``app.routes`` does
    not list their routes) and the app's own plain routes (the documents)."""
    path, methods = request.url.path, {"OPTIONS"}
    for template, operations in request.app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path):
            methods |= {m.upper() for m in operations}
    for route in request.app.routes:
        if isinstance(route, Route) and route.path == path:
            methods |= set(route.methods or ())
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Answer :class:`Refused`, :class:`Unavailable` and the framework's own refusals (bad
    parameters, no such route or method) in the portal's error shape."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        )
        return error_response(422, "invalid_request", problems or "invalid request")

    @app.exception_handler(HTTPException)
    async def framework(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            # Starlette's Allow names the methods of the first route on the path only (GET
            # and POST /api/v1/claims are two routes): name every route's.
            allow = allowed_methods(request)
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"Allow": allow})
            response = error_response(405, "method_not_allowed",
                                      f"{request.method} is not allowed here; allowed: {allow}")
            response.headers["Allow"] = allow
            return response
        reason = _FRAMEWORK_REASONS.get(exc.status_code, "http_error")
        response = error_response(exc.status_code, reason, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused) -> JSONResponse:
        return error_response(exc.status, exc.reason, exc.detail, exc.field, exc.limit)

    @app.exception_handler(Unavailable)
    async def unavailable(_request: Request, exc: Unavailable) -> JSONResponse:
        log.error("unavailable: %s", exc)
        return error_response(503, "unavailable", str(exc))
