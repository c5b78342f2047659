"""The Faust worker, assembled visibly in one place.

    hi.claims (key: person) ──▶ appraise agent: decode → enrich (catalogs, history table)
                                 → rules → decision ──▶ hi.decisions, hi.warnings, hi.claims.dlq
                                 └─ shifts (key: practitioner) ──▶ hi.practice
    hi.practice ──▶ practitioner agent (schedule table): shift overlaps ──▶ hi.amendments
    hi.amendments (key: person) ──▶ amendment agent (history table) ──▶ hi.decisions, hi.warnings
    hi.reviews (key: person) ──▶ review agent (history table): an appraiser's decision
                                 ──▶ hi.decisions, hi.warnings (a revision attributed to them)

Every agent reads its topic through the offset guard (streams/worker/guard.py): a partition's
offsets must arrive without holes, else the worker stops and its restart reads them again.

The agent is thin: ``streams.worker.processor`` holds every decision. At-least-once: Faust
flushes the producer before it commits the consumed offsets, and a replayed claim re-emits its
stored decision.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust
from mode import CrashingSupervisor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from rules.decision import needs_review
from streams.claim import CLAIM_HEADER, claim_header
from streams.codec import Codec
from streams.internal import history_secret
from streams.kafka import dead_letter_headers
from streams.metrics import Metrics
from streams.settings import Settings
from streams.worker import history as hist
from streams.worker.faults import InjectGap, dropping
from streams.worker.guard import EXIT_GAP, Gap, GapLog, OffsetGuard, contiguous, faust_start_offset
from streams.worker.history_page import add_history_page
from streams.worker.practice import (
    Amendment,
    dump_shift,
    load_shift,
    on_shift,
)
from streams.worker.practice import shifts_of as practice_shifts
from streams.worker.processor import DeadLetter, Enrichment, amend_visit, process
from streams.worker.review import decode_review, review_visit


@dataclass(frozen=True)
class Worker:
    app: faust.App
    agent: Any
    tables: tuple[str, ...]  # table names: their changelogs are created before the start


def changelog_topics(settings: Settings, tables: tuple[str, ...]) -> list[str]:
    """faust's changelog topic names for the tables (app version 1)."""
    return [f"{settings.app_id}-{name}-changelog" for name in tables]


def stop_at_gap(log: GapLog, metrics: Metrics) -> Any:
    """What the guard does on a gap: record it, count it, stop the process at once."""

    async def stop(gap: Gap) -> None:
        log.record(gap)
        metrics.offset_gaps_total.labels(gap.topic, str(gap.partition)).inc()
        print(f"offset guard: {gap}; stopping so the restart reads them again", flush=True)
        # No graceful stop: it would flush and commit. The records after the hole were not
        # acknowledged, so the committed offset is still at or before the first missing one.
        os._exit(EXIT_GAP)

    return stop


def _given(visits: list[hist.Visit]) -> Any:
    """A history loader that answers what was already loaded (the agent keeps ``visits`` to
    prune the stored claims of visits the new history drops)."""
    return lambda _key: list(visits)


def _header(headers: Any, name: str) -> bytes | None:
    """A Kafka header's value (faust gives a list of pairs or a mapping)."""
    pairs = headers.items() if isinstance(headers, dict) else headers or ()
    for key, value in pairs:
        if key == name:
            return bytes(value) if value is not None else b""
    return None


def create_app(settings: Settings, codec: Codec, ref: Enrichment, metrics: Metrics,
               on_gap: Any = None) -> Worker:
    """Build the Faust app from the settings: topics, the history, claim and schedule tables,
    the claim, practitioner and amendment agents, and the /history and /metrics pages.

    ``on_gap``: what the offset guard does on a gap (default: ``stop_at_gap``)."""
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
        # web_host is only the advertised name: faust binds web_bind, which defaults to 0.0.0.0
        # and would serve every person's visit history to the network.
        web_bind=settings.worker_web_host,
        web_host=settings.worker_web_host,
        web_port=settings.worker_web_port,
        web_enabled=True,
    )
    t = settings.topic

    def rocksdb_options() -> dict[str, int]:  # a fresh dict per table: faust pops keys out of it
        return {"block_cache_size": settings.rocksdb_cache_mb << 20,
                "write_buffer_size": 8 << 20, "max_write_buffer_number": 2}

    def raw_topic(name: str, partitions: int) -> faust.TopicT:
        return app.topic(t(name), partitions=partitions, key_type=bytes, value_type=bytes,
                         key_serializer="raw", value_serializer="raw")

    claims = raw_topic("hi.claims", settings.partitions)
    decisions = raw_topic("hi.decisions", settings.partitions)
    warnings = raw_topic("hi.warnings", settings.partitions)
    dlq = raw_topic("hi.claims.dlq", 1)
    practice = raw_topic("hi.practice", settings.partitions)
    amendments = raw_topic("hi.amendments", settings.partitions)
    reviews = raw_topic("hi.reviews", settings.partitions)
    visits = app.Table(
        "history",
        key_type=bytes,  # bytes types make faust store raw: history.dumps/loads own the format
        value_type=bytes,
        partitions=settings.partitions,
        options=rocksdb_options(),
    )
    # the portal's card lookup shows the last visits; only to a caller with the secret
    add_history_page(app, visits, history_secret(settings))
    schedules = app.Table("schedule", key_type=bytes, value_type=bytes,
                          partitions=settings.partitions, options=rocksdb_options())
    # The claims behind the history's visits, as received: a later claim is judged again when an
    # earlier one arrives after it (streams/worker/rejudge.py). Pruned with the history.
    stored = app.Table("claims", key_type=bytes, value_type=bytes,
                       partitions=settings.partitions, options=rocksdb_options())
    gap_log = GapLog(datadir / "offset-gaps.jsonl")
    for (topic, partition), n in gap_log.counts().items():  # gaps before this start
        metrics.offset_gaps_total.labels(topic, str(partition)).inc(n)
    guard = OffsetGuard()
    on_gap = on_gap or stop_at_gap(gap_log, metrics)

    fault = (InjectGap.parse(settings.worker_inject_gap, settings.topic_prefix,
                             datadir / "injected-gap") if settings.worker_inject_gap else None)

    def checked(stream: faust.StreamT[bytes]) -> AsyncIterator[Any]:
        events: AsyncIterator[Any] = stream.events()
        if fault is not None:
            events = dropping(events, fault, app.consumer)
        return contiguous(events, guard, faust_start_offset(app.consumer), on_gap)

    def load_claim(key: tuple[str, str, int]) -> dict[str, Any] | None:
        data = stored.get(stored_key(key))
        return codec.decode(data, "claim") if data else None
    encode_decision = codec.encoder("decision")
    engine = ref.engine

    async def dead_letter(msg: Any, reason: str, detail: object) -> None:
        metrics.dead_letters_total.labels(msg.topic, reason).inc()
        await dlq.send(key=msg.key, value=msg.value, headers=dead_letter_headers(
            reason, detail, msg.topic, msg.partition, msg.offset))

    async def emit(key: bytes, decision: dict[str, Any]) -> None:
        await decisions.send(key=key, value=encode_decision(decision),
                             headers=[(CLAIM_HEADER, claim_header(decision))])
        metrics.decisions_total.labels(decision["outcome"]).inc()
        if needs_review(decision):
            await warnings.send(key=decision["facility"].encode(),
                                value=encode_decision(decision))

    # concurrency=1: faust #606 can commit past an unfinished event with more. CrashingSupervisor:
    # an unexpected error stops the worker (to be restarted, replaying from the last commit)
    # instead of restarting the agent past the event that failed.
    @app.agent(claims, concurrency=1, supervisor_strategy=CrashingSupervisor)
    async def appraise_claims(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for event in checked(stream):
            msg = event.message
            metrics.claims_total.inc()
            started = time.perf_counter()
            reappraise = _header(msg.headers, "reappraise") is not None
            before = hist.loads(visits.get(msg.key)) if msg.key is not None else []
            result = process(codec.decode, msg.key, msg.value, _given(before), ref, reappraise,
                             load_claim)
            if isinstance(result, DeadLetter):
                await dead_letter(msg, result.reason, result.detail)
                yield None
                continue
            key = msg.key
            if reappraise:
                metrics.reappraisals_total.labels(str(not result.replayed).lower()).inc()
            if not result.replayed or reappraise:
                kept = {hist.identity(v) for v in result.visits}
                for gone in {hist.identity(v) for v in before} - kept:
                    stored.pop(stored_key(gone), None)
                visits[key] = hist.dumps(result.visits)
            mine = hist.identity(result.claim)
            # Only for a visit the history keeps; also on a replay: a crash may have lost it.
            if hist.find(result.visits, mine) is not None and stored.get(stored_key(mine)) is None:
                stored[stored_key(mine)] = msg.value
            if result.rejudged:
                changed = result.rejudge_changed
                metrics.rejudged_total.labels("false").inc(result.rejudged - changed)
                metrics.rejudged_total.labels("true").inc(changed)
            metrics.appraise_seconds.observe(time.perf_counter() - started)
            for decision in (result.decision, *result.amendments):
                await emit(key, decision)
            # Also on a replay: the crash may have come before the shifts were sent, and the
            # schedule ignores a shift it already holds.
            for shift in practice_shifts(result.claim, engine):
                await practice.send(key=shift["practitioner"].encode(), value=dump_shift(shift))
            for h in result.decision["hits"]:
                metrics.rule_hits_total.labels(h["code"]).inc()
            if msg.timestamp:
                metrics.submit_to_decision_seconds.observe(max(0.0, time.time() - msg.timestamp))
            yield None

    @app.agent(practice, concurrency=1, supervisor_strategy=CrashingSupervisor)
    async def practitioner_schedules(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for event in checked(stream):
            msg = event.message
            try:
                shift = load_shift(msg.value)
            except (ValueError, KeyError, TypeError) as exc:  # not ours: never stop the stage
                await dead_letter(msg, "bad_shift", exc)
                yield None
                continue
            found = on_shift(schedules, shift, engine, time.time())
            for amendment in found:
                await amendments.send(key=amendment.person_key.encode(), value=amendment.dumps())
            yield None

    @app.agent(amendments, concurrency=1, supervisor_strategy=CrashingSupervisor)
    async def amend_decisions(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for event in checked(stream):
            msg = event.message
            try:
                a = Amendment.loads(msg.value)
            except (ValueError, KeyError, TypeError) as exc:
                await dead_letter(msg, "bad_amendment", exc)
                yield None
                continue
            before = hist.loads(visits.get(msg.key))
            after, decision, result = amend_visit(
                before, (a.facility, a.claim_id, a.version), a.hit, datetime.now(UTC))
            applied = result == "applied"
            metrics.amendments_total.labels(a.hit.code, str(applied).lower()).inc()
            if applied:
                visits[msg.key] = hist.dumps(after)
                metrics.rule_hits_total.labels(a.hit.code).inc()
            if decision is not None:
                await emit(msg.key, decision)
            yield None

    @app.agent(reviews, concurrency=1, supervisor_strategy=CrashingSupervisor)
    async def apply_reviews(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for event in checked(stream):
            msg = event.message
            review = decode_review(codec.decode, msg.key, msg.value)
            if isinstance(review, DeadLetter):
                await dead_letter(msg, review.reason, review.detail)
                yield None
                continue
            before = hist.loads(visits.get(msg.key))
            step = review_visit(before, review, datetime.now(UTC), load_claim)
            if isinstance(step, DeadLetter):
                await dead_letter(msg, step.reason, step.detail)
                yield None
                continue
            after, decision, result = step
            metrics.reviews_total.labels(str(review["action"]), result).inc()
            if decision is not None:
                if result == "applied":
                    visits[msg.key] = hist.dumps(after)
                await emit(msg.key, decision)
            yield None

    @app.page("/metrics")
    async def prometheus(web: Any, request: Any) -> Any:
        # As a header: aiohttp refuses a charset inside content_type.
        return web.bytes(generate_latest(metrics.registry),
                         headers={"Content-Type": CONTENT_TYPE_LATEST})

    return Worker(app, appraise_claims, ("history", "schedule", "claims"))


def stored_key(identity: tuple[str, str, int]) -> bytes:
    facility, claim_id, version = identity
    return f"{facility}|{claim_id}|{version}".encode()
