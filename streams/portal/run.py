"""``hireview portal``: the portal with its real dependencies, served by uvicorn.

``build_portal(settings)`` wires Kafka (claims producer, receipts read to the end) and ClickHouse
(results); ``serve(settings)`` runs it on ``settings.portal_host:portal_port`` until stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from clickhouse_driver import Client
from confluent_kafka import KafkaException, Producer
from fastapi import FastAPI

from streams.clickhouse.db import connect
from streams.codec import Codec
from streams.kafka import DeliveryFailed, create_topics, deliver, deliver_report, producer
from streams.lag import LagMonitor
from streams.metrics import Metrics
from streams.portal.access import GuardedClickHouse, NotDelivered, Unavailable
from streams.portal.api.summaries import ClickHouseSums, summaries_router
from streams.portal.auth import Credentials
from streams.portal.intake.limits import Limits
from streams.portal.parsepool import ParsePool
from streams.portal.receipts import kafka_writer, load_receipts
from streams.portal.service import create_portal
from streams.scrape import scrape_host, scrape_target
from streams.settings import Settings

_DECISION = ("SELECT facility, claim_id, version, revision, outcome, requested, approved, "
             "rejected, rules_version, hit_count, warned, submitted_at, decided_at "
             "FROM decisions FINAL WHERE facility = %(f)s AND claim_id = %(c)s "
             "ORDER BY version DESC, revision DESC LIMIT 1")
_DECISION_COLUMNS = ("facility", "ma_lk", "version", "revision", "outcome", "requested",
                     "approved", "rejected", "rules_version", "hit_count", "warned",
                     "submitted_at", "decided_at")
_HITS = ("SELECT code, severity, title, table, line, amount, message, message_vi, threshold, "
         "legal_basis FROM rule_hits FINAL WHERE facility = %(f)s AND claim_id = %(c)s "
         "AND version = %(v)s AND revision = %(r)s ORDER BY code, table, line, occurrence")
_HIT_COLUMNS = ("code", "severity", "title", "table", "line", "amount", "message",
                "message_vi", "threshold", "legal_basis")


class KafkaPublisher:
    """Publishes stamped claims to hi.claims (Avro, keyed by person_key), waiting for each
    one's delivery report (``ack_wait``): all acknowledged, or ``NotDelivered`` with the
    report per claim. The portal's producer gives up on a message after half of
    ``portal_ack_seconds`` (``portal_producer``), so a claim reported not delivered is never
    sent later, and a corrected resubmission may take its version."""

    def __init__(self, settings: Settings, kafka: Producer, codec: Codec) -> None:
        self._topic = settings.topic("hi.claims")
        self._producer = kafka
        self._encode = codec.encoder("claim")
        self._timeout = ack_wait(settings)

    def __call__(self, records: list[dict[str, Any]]) -> None:
        items = [(r["person_key"].encode("utf-8"), self._encode(r))
                 for r in records]  # an encode error publishes nothing
        report = deliver_report(self._producer, self._topic, items, timeout=self._timeout)
        if all(report):
            return
        lost = sum(1 for ok in report if ok is False)
        unknown = sum(1 for ok in report if ok is None)
        raise NotDelivered(f"{self._topic}: {lost} of {len(report)} claim(s) not delivered"
                           + (f", {unknown} without a report" if unknown else ""), report)


def ack_wait(settings: Settings) -> float:
    """How long one flush of a request waits for its reports: the producer's message timeout
    (half the request's ``portal_ack_seconds``: claims, then receipts) plus the second
    librdkafka may take to report a timed-out message."""
    return settings.portal_ack_seconds / 2 + 1.5


def portal_producer(settings: Settings) -> Producer:
    """The portal's producer. No linger: a request produces its messages at once and answers
    after their acks, so waiting for more to batch with would only add latency. A message
    not acknowledged within half of ``portal_ack_seconds`` is given up (reported failed), so
    a request's two flushes end within its one deadline and nothing answered "not delivered"
    arrives later."""
    return producer(settings, **{"linger.ms": 0,
                                 "message.timeout.ms": int(settings.portal_ack_seconds * 500)})


class ClickHouseResults:
    """Decisions from ClickHouse."""

    def __init__(self, client: Client) -> None:
        self._query = GuardedClickHouse(client).rows

    def decided(self, facility: str, claim_id: str) -> bool:
        """Locked: a version was decided, and no appraiser unlocked the latest decided version
        from the console (an UNLOCK event on hi.reviews, landed in ``reviews``)."""
        params = {"f": facility, "c": claim_id}
        rows = self._query("SELECT count(), max(version) FROM decisions WHERE facility = %(f)s "
                           "AND claim_id = %(c)s", params)
        if not rows or not rows[0][0]:
            return False
        unlocks = self._query("SELECT count() FROM reviews WHERE facility = %(f)s AND "
                              "claim_id = %(c)s AND action = 'UNLOCK' AND version >= %(v)s",
                              {**params, "v": int(rows[0][1])})
        return not (unlocks and unlocks[0][0])

    def latest_decision(self, facility: str, claim_id: str) -> dict[str, Any] | None:
        rows = self._query(_DECISION, {"f": facility, "c": claim_id})
        if not rows:
            return None
        decision = {k: _plain(v) for k, v in zip(_DECISION_COLUMNS, rows[0], strict=True)}
        hits = self._query(_HITS, {"f": facility, "c": claim_id, "v": decision["version"],
                                   "r": decision["revision"]})
        decision["warned"] = bool(decision["warned"])
        decision["hits"] = [{k: _plain(v) for k, v in zip(_HIT_COLUMNS, hit, strict=True)}
                            for hit in hits]
        return decision


def _plain(value: Any) -> Any:
    """JSON-friendly: money as text (exact), times as ISO."""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class KafkaReviews:
    """Publishes the facilities' explanations to hi.reviews, waiting for the ack."""

    def __init__(self, settings: Settings, kafka: Producer, codec: Codec) -> None:
        self._topic, self._producer = settings.topic("hi.reviews"), kafka
        self._encode = codec.encoder("review")
        self._timeout = settings.portal_ack_seconds

    def __call__(self, review: dict[str, Any]) -> None:
        try:
            deliver(self._producer, self._topic,
                    [(review["person_key"].encode("utf-8"), self._encode(review))],
                    timeout=self._timeout)
        except DeliveryFailed as exc:
            raise Unavailable(str(exc)) from exc


def kafka_check(kafka: Producer, timeout: float = 2.0) -> Callable[[], tuple[bool, str]]:
    """The health endpoint's Kafka probe: can the portal's producer reach a broker?"""

    def check() -> tuple[bool, str]:
        try:
            brokers = kafka.list_topics(timeout=timeout).brokers
        except KafkaException as exc:
            return False, f"no broker answered within {timeout:g} s: {exc}"
        return bool(brokers), f"{len(brokers)} broker(s) answered"

    return check


def feed_state(feed: Any) -> Callable[[], dict[str, Any]]:
    """The health endpoint's view of the reference feed (loaded before the portal serves)."""

    def state() -> dict[str, Any]:
        return {"loaded": True, "following": bool(feed.following),
                "catalog_age_s": round(feed.age("catalog"), 1),
                "cards_age_s": round(feed.age("cards"), 1)}

    return state


def parse_pool(settings: Settings) -> ParsePool | None:
    """The parser processes (``portal_parse_processes``), started before the port opens."""
    if not settings.portal_parse_processes:
        return None
    pool = ParsePool(settings.portal_parse_workers)
    pool.warm()
    return pool


def build_portal(settings: Settings) -> FastAPI:
    """The portal app on the real Kafka and ClickHouse (topics created when missing)."""
    from streams.fund.notices.db import ServerDb
    from streams.fund.notices.store import NoticeStore
    from streams.internal import history_secret
    from streams.portal.api.cards import WorkerHistory, cards_router
    from streams.portal.api.catalogs import LockedSnapshot, portal_catalogs
    from streams.portal.api.explanations import ClickHouseExplanations, explanations_router
    from streams.portal.api.health import health_router
    from streams.portal.api.notices import notices_router
    from streams.portal.api.precheck import Precheck, precheck_router
    from streams.portal.api.reports import reports_router
    from streams.portal.api.results import ClickHouseListing, results_router
    from streams.portal.auth import FacilityRegister
    from streams.reference.catalog import CardRegistry
    from streams.reference.feed import ReferenceFeed
    from streams.reference.status import ReferenceWatch
    from streams.ruleset import current_engine
    from streams.settle.reports import ReportStore

    create_topics(settings)
    kafka = portal_producer(settings)
    codec = Codec.from_settings(settings)
    write = kafka_writer(settings, kafka, ack_wait(settings))
    receipts = load_receipts(settings, write)
    # Cards (and catalogs) read to the end, then followed: a daemon thread for the process.
    feed = ReferenceFeed(settings, codec.decode, LockedSnapshot(), CardRegistry())
    feed.load()
    feed.follow()
    listing = ClickHouseListing(connect(settings))
    worker = settings.portal_worker_url or f"http://127.0.0.1:{settings.worker_web_port}"
    history = WorkerHistory(worker, settings.portal_worker_timeout, history_secret(settings))
    register = FacilityRegister.load(settings.portal_facility_register)
    metrics = Metrics.portal()
    # Which reference lists are missing or stale, for /api/v1/health and the metrics.
    watch = ReferenceWatch(feed.catalog, feed.cards, register.known)
    watch.install(metrics)
    results = ClickHouseResults(connect(settings))
    check = Precheck(current_engine(settings), feed.catalog, feed.cards, history, receipts,
                     results, settings.portal_max_body_mb * 1024 * 1024,
                     Limits.from_settings(settings))
    parser = parse_pool(settings)
    app = create_portal(settings, publish=KafkaPublisher(settings, kafka, codec),
        receipts=receipts, results=results, parser=parser,
        credentials=Credentials.load(settings.portal_credentials, register),
        routers=(health_router(kafka_check(kafka), feed_state(feed), reference=watch),
                 precheck_router(check), cards_router(feed.cards, history),
                 results_router(listing),
                 portal_catalogs(settings, feed.catalog, metrics),
                 summaries_router(ClickHouseSums(connect(settings))),
                 explanations_router(ClickHouseExplanations(connect(settings)),
                                     KafkaReviews(settings, kafka, codec)),
                 reports_router(ReportStore(connect(settings)), settings.settle_signers,
                                settings.state_dir / "settle", settings.settle_tsa_url,
                                metrics),
                 notices_router(NoticeStore(ServerDb(connect(settings))))), metrics=metrics)
    app.state.metrics = metrics  # serve() adds the consumer lag readings to it
    return app


def serve(settings: Settings) -> None:
    """``hireview portal``: serve until interrupted."""
    import uvicorn

    from streams.portal.memory import limit_arenas

    limit_arenas()  # before uvicorn's and the thread pool's threads (streams/portal/memory.py)
    app = build_portal(settings)
    lag = LagMonitor(settings, app.state.metrics).start()
    with scrape_target(settings, "portal", settings.portal_port,
                       host=scrape_host(settings.portal_host)):
        try:
            uvicorn.run(app, host=settings.portal_host, port=settings.portal_port,
                        log_level="info")
        finally:
            lag.stop()
