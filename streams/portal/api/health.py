"""``GET /api/v1/health``: is this portal able to take claims and judge pre-checks? No key.

Answer: ``{"status": "ok" | "degraded", "kafka": {"reachable", "detail"}, "reference_feed":
{"loaded", "following", "catalog_age_s", "cards_age_s"}, "reference": {...}}`` with HTTP 200
when ok and 503 when degraded (Kafka unreachable, or the reference feed not loaded or no
longer followed), so a load balancer or probe can act on the status code alone.

``reference`` is what the injected callable answers: the per-kind and per-facility status of
the reference data (missing or stale), owned by ``streams/reference/``. It informs and does not
change ``status``: a fresh installation with no catalogs is reachable and healthy, and this
block is where it learns what to load. Nothing here names a claim or a person.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from streams.portal.access import Access

KafkaCheck = Callable[[], tuple[bool, str]]  # (reachable, detail)
FeedState = Callable[[], dict[str, Any]]  # {"loaded": bool, "following": bool, ...}


def no_reference() -> dict[str, Any]:
    return {}


def health_router(kafka: KafkaCheck, feed: FeedState,
                  reference: Callable[[], dict[str, Any]] = no_reference,
                  ) -> Callable[[Access], APIRouter]:
    def make(_access: Access) -> APIRouter:
        router = APIRouter()

        @router.get("/api/v1/health", summary="Health: Kafka, the reference feed, reference "
                    "data status (no key needed)",
                    responses={503: {"description": "degraded: see kafka and reference_feed"}})
        def health() -> JSONResponse:
            reachable, detail = kafka()
            state = feed()
            ok = reachable and bool(state.get("loaded")) and bool(state.get("following"))
            try:
                status = reference()
            except Exception as exc:  # noqa: BLE001 - a broken report must not hide the rest
                status = {"error": f"reference status failed: {exc}"}
            body = {"status": "ok" if ok else "degraded",
                    "kafka": {"reachable": reachable, "detail": detail},
                    "reference_feed": state, "reference": status}
            return JSONResponse(body, status_code=200 if ok else 503)

        return router

    return make
