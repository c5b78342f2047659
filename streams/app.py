"""The Faust worker, assembled visibly in one place.

    hi.claims (key: person) ──▶ appraise agent: decode → enrich (catalogs, history table)
                                 → rules → decision ──▶ hi.decisions, hi.warnings, hi.claims.dlq

The agent is thin: ``streams.processor`` holds every decision. At-least-once: Faust flushes the
producer before it commits the consumed offsets, and a replayed claim re-emits its stored decision.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import faust
from mode import CrashingSupervisor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams import history as hist
from streams.codec import Codec
from streams.metrics import Metrics
from streams.processor import DeadLetter, Enrichment, process
from streams.settings import Settings


@dataclass(frozen=True)
class Worker:
    app: faust.App
    agent: Any


def claim_header(decision: dict[str, Any]) -> bytes:
    """``facility|claim_id|version|revision``: lets consumers route without decoding."""
    d = decision
    return f"{d['facility']}|{d['claim_id']}|{d['version']}|{d['revision']}".encode()


def create_app(settings: Settings, codec: Codec, ref: Enrichment, metrics: Metrics) -> Worker:
    """Build the Faust app from the settings: topics, the history table and the agent."""
    datadir = settings.state_dir / "worker" / settings.app_id / settings.worker_id
    datadir.parent.mkdir(parents=True, exist_ok=True)  # faust creates only the last level
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.bootstrap}",
        store="rocksdb://",
        datadir=str(datadir),
        topic_partitions=settings.partitions,
        topic_replication_factor=1,
        table_standby_replicas=0,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        broker_commit_every=10000,
        broker_commit_interval=1.0,
        broker_max_poll_records=2000,
        producer_linger=0.02,  # batch decisions and changelog writes: fewer, larger requests
        producer_max_batch_size=256 * 1024,
        # Static membership: a restarted worker takes its old place at once, with no
        # rebalance while the dead member's session runs out (rebalances right after a crash
        # are where faust's offset bookkeeping has lost events: #596/#606).
        consumer_group_instance_id=f"{settings.app_id}-{settings.worker_id}",
        producer_acks=-1,
        web_host="127.0.0.1",
        web_port=settings.worker_web_port,
        web_enabled=True,
    )
    t = settings.topic
    def raw_topic(name: str, partitions: int) -> faust.TopicT:
        return app.topic(t(name), partitions=partitions, key_type=bytes, value_type=bytes,
                         key_serializer="raw", value_serializer="raw")

    claims = raw_topic("hi.claims", settings.partitions)
    decisions = raw_topic("hi.decisions", settings.partitions)
    warnings = raw_topic("hi.warnings", settings.partitions)
    dlq = raw_topic("hi.claims.dlq", 1)
    visits = app.Table(
        "history",
        key_type=bytes,  # bytes types make faust store raw: history.dumps/loads own the format
        value_type=bytes,
        partitions=settings.partitions,
        options={  # a fresh dict: faust pops keys out of it
            "block_cache_size": settings.rocksdb_cache_mb << 20,
            "write_buffer_size": 8 << 20,
            "max_write_buffer_number": 2,
        },
    )
    encode_decision = codec.encoder("decision")

    # concurrency=1: faust #606 can commit past an unfinished event with more. CrashingSupervisor:
    # an unexpected error stops the worker (to be restarted, replaying from the last commit)
    # instead of restarting the agent past the event that failed.
    @app.agent(claims, concurrency=1, supervisor_strategy=CrashingSupervisor)
    async def appraise_claims(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for event in stream.events():
            msg = event.message
            metrics.claims_total.inc()
            started = time.perf_counter()
            result = process(codec.decode, msg.key, msg.value,
                             lambda k: hist.loads(visits.get(k)), ref)
            if isinstance(result, DeadLetter):
                metrics.dead_letters_total.labels(result.reason).inc()
                await dlq.send(key=msg.key, value=msg.value, headers=[
                    ("reason", result.reason.encode()), ("detail", result.detail.encode()),
                    ("topic", msg.topic.encode()), ("partition", str(msg.partition).encode()),
                    ("offset", str(msg.offset).encode()),
                ])
                yield None
                continue
            key = msg.key
            if not result.replayed:
                visits[key] = hist.dumps(result.visits)
            metrics.appraise_seconds.observe(time.perf_counter() - started)
            for decision in (result.decision, *result.amendments):
                await decisions.send(key=key, value=encode_decision(decision),
                                     headers=[("claim", claim_header(decision))])
                metrics.decisions_total.labels(decision["outcome"]).inc()
            for decision in result.review:
                await warnings.send(key=decision["facility"].encode(),
                                    value=encode_decision(decision))
            for h in result.decision["hits"]:
                metrics.rule_hits_total.labels(h["code"]).inc()
            if msg.timestamp:
                metrics.submit_to_decision_seconds.observe(max(0.0, time.time() - msg.timestamp))
            yield None

    @app.page("/metrics")
    async def prometheus(web: Any, request: Any) -> Any:
        # As a header: aiohttp refuses a charset inside content_type.
        return web.bytes(generate_latest(metrics.registry),
                         headers={"Content-Type": CONTENT_TYPE_LATEST})

    return Worker(app, appraise_claims)
