"""Kafka side of the audit: read a topic's records in a time range, group lags, re-send records.

Reads never join a consumer group (``assign``, no commit), so they disturb nobody; a committed
offset is read with a consumer configured with the group's id that never subscribes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from streams.audit.compare import ClaimEvent, Identity, Lag, ReceiptRef
from streams.kafka import producer, watermarks
from streams.settings import Settings

_IDLE_SECONDS = 30.0  # a read that gets nothing for this long while records remain fails


@dataclass(frozen=True)
class Window:
    """Kafka timestamps ``start`` <= t < ``end`` (aware datetimes; None: unbounded)."""

    start: datetime | None = None
    end: datetime | None = None

    def bounds_ms(self) -> tuple[int | None, int | None]:
        def ms(d: datetime | None) -> int | None:
            return None if d is None else int(d.timestamp() * 1000)
        return ms(self.start), ms(self.end)

    def holds(self, seconds: float) -> bool:
        start, end = self.bounds_ms()
        return ((start is None or seconds * 1000 >= start)
                and (end is None or seconds * 1000 < end))


def _reader(settings: Settings, group: str | None = None) -> Consumer:
    return Consumer({"bootstrap.servers": settings.bootstrap,
                     "group.id": group or f"hireview-audit-{uuid.uuid4().hex[:8]}",
                     "enable.auto.commit": False, "enable.partition.eof": False,
                     "allow.auto.create.topics": False})


def _partitions(consumer: Consumer, topic: str) -> list[int]:
    """The topic's partitions; none when it does not exist (listing all topics never
    auto-creates one, which asking for a single missing topic may do)."""
    meta = consumer.list_topics(timeout=10).topics.get(topic)
    if meta is None or meta.error is not None:
        return []
    return sorted(meta.partitions)


def _offset_at(consumer: Consumer, tp: TopicPartition, ms: int, high: int) -> int:
    """First offset whose timestamp is >= ``ms`` (the end when there is none)."""
    found = consumer.offsets_for_times([TopicPartition(tp.topic, tp.partition, ms)], timeout=10)
    offset = int(found[0].offset)
    return high if offset < 0 else offset


def read_range(settings: Settings, topic: str, window: Window | None = None,
               idle: float = _IDLE_SECONDS) -> Iterator[Message]:
    """Every record of ``topic`` with a timestamp in ``window``, partition by partition as they
    come, up to the end the log had when the read began. Raises ``TimeoutError`` when nothing
    arrives for ``idle`` seconds while records remain (never waits forever)."""
    consumer = _reader(settings)
    try:
        start_ms, end_ms = (window or Window()).bounds_ms()
        ranges: dict[int, tuple[int, int]] = {}
        for p in _partitions(consumer, topic):
            tp = TopicPartition(topic, p)
            low, high = watermarks(consumer, tp)
            start = low if start_ms is None else max(low, _offset_at(consumer, tp, start_ms, high))
            end = high if end_ms is None else _offset_at(consumer, tp, end_ms, high)
            if start < end:
                ranges[p] = (start, end)
        if not ranges:
            return
        consumer.assign([TopicPartition(topic, p, s) for p, (s, _) in ranges.items()])
        left, last = set(ranges), time.monotonic()
        while left:
            msg = consumer.poll(0.5)
            err = None if msg is None else msg.error()
            if msg is None or err is not None:
                if err is not None and err.code() != KafkaError._PARTITION_EOF:
                    raise KafkaException(err)
                # A compacted log may end with a gap: done once the position reached the end.
                for tp in consumer.position([TopicPartition(topic, p) for p in left]):
                    if tp.offset >= ranges[tp.partition][1]:
                        left.discard(tp.partition)
                if left and time.monotonic() - last > idle:
                    raise TimeoutError(f"{topic}: no record for {idle:.0f}s with partitions "
                                       f"{sorted(left)} still to read")
                continue
            last = time.monotonic()
            p, offset = int(msg.partition() or 0), int(msg.offset() or 0)
            if p not in left:
                continue
            if offset + 1 >= ranges[p][1]:
                left.discard(p)
            if offset < ranges[p][1]:
                yield msg
    finally:
        consumer.close()


def timestamp(msg: Message) -> float:
    """The record's Kafka timestamp in epoch seconds."""
    return float(msg.timestamp()[1]) / 1000.0


def claim_events(settings: Settings, identify: Callable[[bytes], Identity | None],
                 window: Window | None = None) -> list[ClaimEvent]:
    """The ``hi.claims`` records of ``window``; ``identify`` turns a value into its identity
    (None when it cannot be decoded)."""
    out = []
    for msg in read_range(settings, settings.topic("hi.claims"), window):
        value = msg.value()
        out.append(ClaimEvent(int(msg.partition() or 0), int(msg.offset() or 0), timestamp(msg),
                              identify(value) if value else None))
    return out


def receipt_refs(settings: Settings, window: Window | None = None) -> list[ReceiptRef]:
    """The latest receipt per claim key on ``hi.receipts`` (compacted), if written in
    ``window``."""
    from streams.portal.receipts import TOPIC, Receipt

    latest: dict[bytes, ReceiptRef | None] = {}
    for msg in read_range(settings, settings.topic(TOPIC)):
        key, value = msg.key() or b"", msg.value()
        if not value:
            latest[key] = None  # a tombstone
            continue
        r = Receipt.from_json(value)
        latest[key] = ReceiptRef((r.facility, r.claim_id, int(r.version)), timestamp(msg))
    within = window or Window()
    return [r for r in latest.values() if r is not None and within.holds(r.timestamp)]


def dead_lettered(settings: Settings) -> set[tuple[int, int]]:
    """(partition, offset) of the ``hi.claims`` records the worker sent to its DLQ."""
    claims = settings.topic("hi.claims").encode()
    out = set()
    for msg in read_range(settings, settings.topic("hi.claims.dlq")):
        headers = dict(msg.headers() or ())
        try:
            if headers.get("topic") == claims:
                out.add((int(headers["partition"] or b""), int(headers["offset"] or b"")))
        except (KeyError, TypeError, ValueError):
            continue  # a dead letter without its origin: nothing to match
    return out


def group_lags(settings: Settings, group: str, topics: Sequence[str]) -> list[Lag]:
    """Committed offset and log bounds of every partition of ``topics`` for ``group``."""
    consumer = _reader(settings, group)  # never subscribes: it reads, it does not join
    try:
        existing = set(consumer.list_topics(timeout=10).topics)
        out = []
        for topic in topics:
            if topic not in existing:
                continue
            tps = [TopicPartition(topic, p) for p in _partitions(consumer, topic)]
            for tp in consumer.committed(tps, timeout=10):
                low, high = watermarks(consumer, TopicPartition(topic, tp.partition))
                committed = int(tp.offset) if tp.offset >= 0 else None
                out.append(Lag(group, topic, tp.partition, committed, low, high))
        return out
    finally:
        consumer.close()


def fetch(settings: Settings, topic: str, positions: Iterable[tuple[int, int]],
          idle: float = _IDLE_SECONDS) -> list[Message]:
    """The records at ``positions`` (partition, offset), in partition then offset order."""
    wanted: dict[int, set[int]] = {}
    for p, o in positions:
        wanted.setdefault(p, set()).add(o)
    found: dict[tuple[int, int], Message] = {}
    consumer = _reader(settings)
    try:
        for p, offsets in sorted(wanted.items()):
            consumer.assign([TopicPartition(topic, p, min(offsets))])
            last, top = time.monotonic(), max(offsets)
            while True:
                msg = consumer.poll(0.5)
                if msg is None or msg.error() is not None:
                    if time.monotonic() - last > idle:
                        raise TimeoutError(f"{topic}[{p}]: offsets up to {top} not readable")
                    continue
                last = time.monotonic()
                offset = int(msg.offset() or 0)
                if offset in offsets:
                    found[(p, offset)] = msg
                if offset >= top:
                    break
    finally:
        consumer.close()
    return [found[k] for k in sorted(found)]


def resend(settings: Settings, topic: str, records: Sequence[Message],
           timeout: float = 60.0) -> int:
    """Produce ``records`` again to ``topic``: same key, value and headers, in order."""
    prod, failures = producer(settings), list[str]()

    def delivered(err: Any, _msg: Any) -> None:
        if err is not None:
            failures.append(str(err))

    for msg in records:
        prod.produce(topic, key=msg.key(), value=msg.value(), headers=msg.headers() or None,
                     on_delivery=delivered)
        prod.poll(0)
    if prod.flush(timeout) != 0 or failures:
        raise RuntimeError(f"{topic}: {len(failures)} re-sent record(s) failed or were not "
                           f"acknowledged in {timeout:g}s" + (f": {failures[0]}" if failures
                                                              else ""))
    return len(records)
