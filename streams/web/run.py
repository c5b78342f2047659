"""``hireview console``: the web app on the real Kafka and ClickHouse, served by uvicorn.

Start-up reads the review queue's topics to the end before the port opens, so the first page
(and a page reconnecting after a restart) gets the whole queue.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI

from streams.clickhouse.db import connect
from streams.codec import Codec
from streams.fund.notices.db import ServerDb
from streams.jurisdiction import FacilityRegister
from streams.kafka import create_topics, deliver, producer
from streams.lag import LagMonitor
from streams.metrics import Metrics
from streams.ops import prom
from streams.ops.dashboard import load_panels
from streams.scrape import scrape_host, scrape_target
from streams.settings import Settings
from streams.web.accounts import Accounts
from streams.web.app import create_web
from streams.web.console.actions import expiry
from streams.web.console.feed import ConsoleFeed
from streams.web.console.pages import Console
from streams.web.console.queue import Queue
from streams.web.console.store import ConsoleStore
from streams.web.fund.pages import fund_router
from streams.web.ops.pages import ops_router
from streams.web.session import Sessions
from streams.web.shell import Shell

log = logging.getLogger("hireview.web")


def build_web(settings: Settings) -> tuple[FastAPI, Any]:
    """The app, and a ``stop()`` for its feed and clock threads."""
    create_topics(settings)
    codec = Codec.from_settings(settings)
    register = FacilityRegister.load(settings.portal_facility_register)
    queue = Queue(register.district)
    feed = ConsoleFeed(settings, codec.decode, queue, lambda: None)
    read = feed.load()
    log.info("review queue loaded: %d records", read)
    feed.follow()
    kafka = producer(settings, **{"linger.ms": 0})
    encode = codec.encoder("review")
    topic = settings.topic("hi.reviews")

    def publish(review: dict[str, Any]) -> None:
        deliver(kafka, topic, [(review["person_key"].encode(), encode(review))],
                timeout=settings.portal_ack_seconds)

    stop = threading.Event()
    expired: set[str] = set()  # requests this process expired (until the feed reads them back)

    def clock() -> None:
        """Stale takes return to the queue; unanswered requests past due expire."""
        while not stop.wait(min(settings.web_clock_seconds, 5.0)):
            now = time.time()
            queue.expire_takes(now)
            for entry in queue.overdue(now):
                if entry.request is None or entry.request["review_id"] in expired:
                    continue
                try:
                    publish(expiry(entry.request, entry.decision, datetime.now(UTC)))
                    expired.add(entry.request["review_id"])
                    log.info("explanation expired: %s", entry.key)
                except Exception:  # Kafka down: the next tick tries again
                    log.exception("could not publish the expiry of %s", entry.key)

    threading.Thread(target=clock, name="console-clock", daemon=True).start()
    shell = Shell(Accounts.load(settings.web_accounts_path, register),
                  Sessions(settings.web_dir, settings.web_session_hours))
    metrics = Metrics.web()
    console = Console(queue, ConsoleStore(connect(settings), codec.decode), publish,
                      secrets.token_hex(4), settings.web_take_minutes * 60,
                      settings.web_explanation_days, metrics)
    panels = load_panels()

    def ops(web_shell: Shell) -> APIRouter:
        return ops_router(web_shell, panels, lambda expr, start, end, step: prom.query_range(
            settings, expr, start, end, step), time.time)

    lag = LagMonitor(settings, metrics).start()

    def close() -> None:
        stop.set()
        lag.stop()
        feed.close()

    return create_web(shell, console, (ops, fund_router(ServerDb(connect(settings))))), close


def serve(settings: Settings) -> None:
    import uvicorn

    app, close = build_web(settings)
    with scrape_target(settings, "web", settings.web_port, host=scrape_host(settings.web_host)):
        try:
            uvicorn.run(app, host=settings.web_host, port=settings.web_port, log_level="info")
        finally:
            close()
