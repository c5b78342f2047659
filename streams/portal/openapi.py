"""The portal's OpenAPI document, with every status it answers and the error body it sends.

FastAPI documents a route's 200 and its own 422 (``HTTPValidationError``, a body the portal
never sends: ``access.install`` answers validation errors in the portal's shape). Every
refusal of the portal is ``ErrorBody`` (``access.error_response``); ``document`` adds it to
each operation for the statuses that operation can answer:

- every operation: 400 (an unreadable body or a parameter the portal's own check refuses, e.g.
  a month that is not YYYYMM), 401 (no or unknown key), 403 (not in the key's jurisdiction),
  404 (no such item), 422 (a parameter or body of the wrong shape, or a bound:
  ``field``/``limit``), 503 (Kafka or ClickHouse did not answer);
- operations with a body: 413 (a bound: body size, claims, keys, lines ...), 415 (content
  type); ``POST /api/v1/claims`` also 409 (appraisal started; its body also carries
  ``claims``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ErrorBody", "STATUSES", "install_document"]


class ErrorBody(BaseModel):
    """Every 4xx and 503 answer of the portal."""

    model_config = ConfigDict(extra="allow")  # 409/503 of a submission also carry "claims"

    error: str = Field(description="machine-readable reason, e.g. forbidden, too_many_keys")
    detail: str = Field(description="what is wrong, in words, naming the field")
    field: str | None = Field(None, description="a bound's field (JSON path or XML tag)")
    limit: float | None = Field(None, description="a bound's limit")


_WORDS = {400: "Unreadable input (malformed XML or JSON, an envelope without MACSKCB)",
          401: "No API key, or an unknown one", 403: "Outside the key's jurisdiction or role",
          404: "No such item (or not visible to this key)",
          409: "Appraisal started: replacing needs an unlock; nothing was accepted",
          413: "A bound exceeded: the body, claims, keys, values, lines or a string",
          415: "Content type not accepted",
          422: "Parameters or body of the wrong shape, or a bound (nesting, time budget)",
          503: "Kafka or ClickHouse did not answer in time; per claim what was delivered"}
EVERY = (400, 401, 403, 404, 422, 503)
WITH_BODY = (413, 415)
STATUSES = tuple(sorted(_WORDS))


def _statuses(path: str, method: str, operation: dict[str, Any]) -> tuple[int, ...]:
    statuses = list(EVERY)
    if "requestBody" in operation or method in ("post", "put", "patch"):
        statuses += WITH_BODY
    if path == "/api/v1/claims" and method == "post":
        statuses.append(409)
    return tuple(sorted(statuses))


def document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document with ``ErrorBody`` declared for every status each operation can
    answer (FastAPI's ``HTTPValidationError`` replaced: it is not what is sent)."""
    doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/"
                                                       "{model}")
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation):
                own = responses.get(str(status))
                if own is not None and status != 422:  # the route's own (health's 503)
                    continue
                responses[str(status)] = {"description": _WORDS[status], "content": ref}
    return doc


def install_document(app: FastAPI) -> None:
    """Serve ``document(app)`` as /openapi.json (built once, on the first request)."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
