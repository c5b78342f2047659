"""What reference data the worker holds: its metrics, ``GET /reference`` on its web server, and a
log line whenever the list of problems changes (streams/reference/status.py says what counts).

The known facilities are the facility register's and those that own a list; a deployment's
first day, before any list is loaded, then shows every national list missing and, once the
register is filled, every facility's lists missing too.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import faust
from faust.web import Request, Response, View

from streams.jurisdiction import FacilityRegister
from streams.metrics import Metrics
from streams.reference.feed import ReferenceFeed
from streams.reference.status import ReferenceWatch
from streams.settings import Settings

log = logging.getLogger("hireview.worker.reference")


def reference_watch(settings: Settings, feed: ReferenceFeed, metrics: Metrics,
                    check_every: float = 60.0) -> ReferenceWatch:
    """The watch on the worker's snapshot, its gauges installed and its problems logged now and
    on every change (a daemon thread)."""
    register = FacilityRegister.load(settings.portal_facility_register)
    watch = ReferenceWatch(feed.catalog, feed.cards, register.known)
    watch.install(metrics)
    said: list[str] = []

    def say() -> None:
        problems = watch()["problems"]
        if problems != said:
            for line in problems or ["reference data complete"]:
                (log.warning if problems else log.info)("reference data: %s", line)
            said[:] = problems

    say()
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(check_every):
            try:
                say()
            except Exception:  # the log line must never stop the worker
                log.exception("reference status failed")

    threading.Thread(target=loop, name="reference-status", daemon=True).start()
    return watch


def add_reference_page(app: faust.App, watch: ReferenceWatch) -> None:
    """``GET /reference``: the status document of this worker's snapshot."""

    @app.page("/reference")
    async def reference(view: View, request: Request) -> Response:
        doc: dict[str, Any] = watch()
        return view.json(doc)
