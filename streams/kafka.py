"""The Kafka toolkit every process uses: the topic catalogue, producers, sending with acks,
reading a compacted topic to its end, and dead-letter headers.

- ``avro/topics.yaml`` is the only table of topics: creation (``create_topics``), the reader
  schema of a topic (``topic_schemas``) and the topic of a catalog kind (``catalog_topics``).
- ``producer`` builds every producer. ``Outbox`` sends through one and tracks the deliveries of
  exactly its own messages, so a caller waits for its acks and never for other callers' (the
  portal shares a producer between requests); ``deliver`` sends a stream of pairs and waits.
  Both survive a full local queue (``BufferError``: poll, then retry) and end in
  ``DeliveryFailed`` naming the topic and the count when Kafka did not take everything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from streams.settings import Settings

Headers = Sequence[tuple[str, str | bytes | None]]
Pending = tuple[bytes | None, bytes | None, Headers | None]  # key, value, headers
DETAIL_LIMIT = 2000  # characters of a dead letter's ``detail``: a stack of errors stays readable


# --- the topic catalogue ---------------------------------------------------------------------
def _catalogue(settings: Settings) -> list[dict[str, Any]]:
    topics: list[dict[str, Any]] = yaml.safe_load(
        Path(settings.avro_dir / "topics.yaml").read_text(encoding="utf-8"))["topics"]
    return topics


def topic_specs(settings: Settings) -> list[dict[str, Any]]:
    """The topic catalogue (avro/topics.yaml) with partition counts resolved."""
    specs = []
    for t in _catalogue(settings):
        parts = t.get("partitions", 1)
        specs.append({
            "name": settings.topic(t["name"]),
            "partitions": settings.partitions if parts == "settings.partitions" else int(parts),
            "config": {"cleanup.policy": t.get("cleanup_policy", "delete"),
                       "retention.ms": str(t.get("retention_ms", -1))},
        })
    return specs


def topic_schemas(settings: Settings) -> dict[str, str]:
    """Real topic name -> reader schema (the ``.avsc`` stem) of every topic that has one."""
    return {settings.topic(t["name"]): Path(t["schema"]["file"]).stem
            for t in _catalogue(settings) if t.get("schema")}


def catalog_topics(settings: Settings) -> dict[str, str]:
    """CatalogEntry kind (``DRUG``, ``STAFF``, …) -> the real name of the topic carrying it."""
    return {t["entry_kind"]: settings.topic(t["name"])
            for t in _catalogue(settings) if t.get("entry_kind")}


def create_topics(settings: Settings, wait: float = 300.0) -> list[str]:
    """Create every catalogue topic that does not exist yet; returns the ones created.

    Every process calls this first, so it waits (up to ``wait`` seconds, saying so) for a broker
    that is down or restarting: a process started during a broker outage then begins when the
    broker is back, instead of exiting with a transport error."""
    admin = AdminClient({"bootstrap.servers": settings.bootstrap})
    deadline, told = time.monotonic() + wait, 0.0
    while True:
        try:
            existing = set(admin.list_topics(timeout=10).topics)
            break
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            if time.monotonic() - told > 30:
                print(f"waiting for Kafka at {settings.bootstrap}...", flush=True)
                told = time.monotonic()
            time.sleep(1.0)
    new = [NewTopic(s["name"], num_partitions=s["partitions"], replication_factor=1,
                    config=s["config"]) for s in topic_specs(settings) if s["name"] not in existing]
    if not new:
        return []
    for future in admin.create_topics(new).values():
        try:
            future.result()
        except Exception as exc:  # a concurrent creator won the race: fine
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    return [t.topic for t in new]


# --- producing -------------------------------------------------------------------------------
def producer(settings: Settings, **overrides: Any) -> Producer:
    """An acks=all idempotent producer that partitions like Faust/Java (murmur2)."""
    conf: dict[str, Any] = {
        "bootstrap.servers": settings.bootstrap,
        "acks": "all",
        "enable.idempotence": True,
        "partitioner": "murmur2_random",
        "linger.ms": 5,
        "compression.type": "lz4",
    }
    conf.update(overrides)
    return Producer(conf)


class DeliveryFailed(RuntimeError):
    """Kafka did not acknowledge every message of a wait. ``failed`` holds the messages whose
    delivery failed (to send again); ``unacknowledged`` counts those still without an answer."""

    def __init__(self, topic: str, failed: list[Pending], unacknowledged: int,
                 first_error: str | None, timeout: float) -> None:
        self.topic, self.failed, self.unacknowledged = topic, failed, unacknowledged
        parts = [f"{len(failed)} failed (first: {first_error})"] if failed else []
        if unacknowledged:
            parts.append(f"{unacknowledged} unacknowledged after {timeout:g}s")
        super().__init__(f"{topic}: {len(failed) + unacknowledged} message(s) not delivered: "
                         + "; ".join(parts))


class Outbox:
    """Messages to one topic through ``producer`` (possibly shared with other threads), with
    the deliveries of exactly these messages tracked. Delivery callbacks may run in any thread
    that polls the producer, hence the lock."""

    def __init__(self, producer: Producer, topic: str) -> None:
        self.producer, self.topic = producer, topic
        self._lock = threading.Lock()
        self._pending = self._acked = 0
        self._failed: list[Pending] = []
        self._error: str | None = None

    def send(self, key: bytes | None, value: bytes | None, headers: Headers | None = None
             ) -> None:
        message: Pending = (key, value, headers)

        def delivered(err: Any, _msg: Any) -> None:
            with self._lock:
                self._pending -= 1
                if err is None:
                    self._acked += 1
                else:
                    self._failed.append(message)
                    self._error = self._error or str(err)

        with self._lock:
            self._pending += 1
        while True:
            try:
                self.producer.produce(self.topic, value=value, key=key,
                                      headers=list(headers) if headers else None,
                                      on_delivery=delivered)
                break
            except BufferError:  # the local queue is full: serve deliveries, then retry
                self.producer.poll(0.05)
            except BaseException:
                with self._lock:
                    self._pending -= 1
                raise
        self.producer.poll(0)

    def wait(self, timeout: float) -> int:
        """Block until every message sent since the last wait has its answer; returns how
        many were acknowledged, else raises ``DeliveryFailed``. A message still unanswered at
        the timeout stays tracked: a later failure of it is reported by the next wait."""
        deadline = time.monotonic() + timeout
        while self._pending > 0 and (left := deadline - time.monotonic()) > 0:
            # Short polls: another thread's poll may serve our callbacks while we block.
            self.producer.poll(min(left, 0.01))
        with self._lock:
            failed, self._failed = self._failed, []
            error, self._error = self._error, None
            acked, self._acked = self._acked, 0
            pending = self._pending
        if failed or pending:
            raise DeliveryFailed(self.topic, failed, pending, error, timeout)
        return acked


def deliver(prod: Producer, topic: str, items: Iterable[tuple[bytes | None, bytes | None]], *,
            headers: Headers | None = None, timeout: float = 60.0, rate: float = 0.0,
            progress: Callable[[int], None] | None = None) -> int:
    """Send (key, value) pairs and return their count once Kafka acknowledged every one.
    ``rate`` caps messages per second (0: as fast as the producer takes them); ``progress``
    is called with the count every 1,000 messages."""
    out, sent, started = Outbox(prod, topic), 0, time.monotonic()
    for key, value in items:
        out.send(key, value, headers)
        sent += 1
        if rate > 0 and (ahead := sent / rate - (time.monotonic() - started)) > 0:
            time.sleep(ahead)
        if progress and sent % 1000 == 0:
            progress(sent)
    out.wait(timeout)
    return sent


def deliver_report(prod: Producer, topic: str, items: Sequence[tuple[bytes | None, bytes]],
                   *, timeout: float) -> list[bool | None]:
    """Send ``items`` and wait (at most ``timeout`` s) for each one's delivery report: per item
    True (acknowledged), False (known not delivered: the producer gave up on it and will never
    send it later) or None (no report yet). With a producer whose ``message.timeout.ms`` is
    below ``timeout`` every item gets True or False: librdkafka reports each message by then."""
    report: list[bool | None] = [None] * len(items)
    lock = threading.Lock()
    left = [len(items)]

    def answer(index: int) -> Callable[[Any, Any], None]:
        def delivered(err: Any, _msg: Any) -> None:
            with lock:
                report[index] = err is None
                left[0] -= 1
        return delivered

    for index, (key, value) in enumerate(items):
        while True:
            try:
                prod.produce(topic, value=value, key=key, on_delivery=answer(index))
                break
            except BufferError:  # the local queue is full: serve deliveries, then retry
                prod.poll(0.05)
            except Exception:  # refused locally (too large, unknown topic): never sent
                with lock:
                    report[index] = False
                    left[0] -= 1
                break
    deadline = time.monotonic() + timeout
    while left[0] > 0 and (remaining := deadline - time.monotonic()) > 0:
        prod.poll(min(remaining, 0.01))  # short polls: another thread may serve our reports
    with lock:
        return list(report)


def publish(settings: Settings, topic: str, items: Iterable[tuple[bytes, bytes]],
            rate: float = 0.0, progress: Callable[[int], None] | None = None) -> int:
    """``deliver`` on a producer of its own."""
    return deliver(producer(settings), topic, items, rate=rate, progress=progress)


def dead_letter_headers(reason: str, detail: object, topic: str, partition: int | None,
                        offset: int | None) -> list[tuple[str, bytes]]:
    """The headers of a dead letter (worker and sink): why, and where the event came from."""
    text = str(detail)
    if len(text) > DETAIL_LIMIT:
        text = text[:DETAIL_LIMIT - 1] + "…"
    return [("reason", reason.encode()), ("detail", text.encode()), ("topic", topic.encode()),
            ("partition", str(partition).encode()), ("offset", str(offset).encode())]


# --- consuming -------------------------------------------------------------------------------
# Errors a just-created topic gives until its partition leader is elected.
_NOT_READY = frozenset({KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
                        KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._TIMED_OUT})


def watermarks(consumer: Consumer, tp: TopicPartition, timeout: float = 30.0) -> tuple[int, int]:
    """``(low, high)`` offsets of ``tp``, waiting out a partition whose leader is not elected
    yet (a topic created a moment ago) instead of failing on the first answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            low, high = consumer.get_watermark_offsets(tp, timeout=10)
            return int(low), int(high)
        except KafkaException as exc:
            code = exc.args[0].code() if exc.args else None
            if code not in _NOT_READY or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def read_to_end(consumer: Consumer, topics: Iterable[str], apply: Callable[[Message], None],
                timeout: float) -> int:
    """Assign every partition of ``topics`` (those that exist) from the beginning and hand each
    record to ``apply`` until every partition reached the end it had when called; returns the
    records read. The assignment stays, so the caller may keep polling to follow the topics.

    The end is the high watermark taken before reading, or the partition's EOF event when the
    consumer has ``enable.partition.eof`` (a compacted topic may hold gaps up to it)."""
    meta = consumer.list_topics(timeout=10)
    tps = [TopicPartition(t, p, OFFSET_BEGINNING) for t in topics
           if t in meta.topics and not meta.topics[t].error for p in meta.topics[t].partitions]
    consumer.assign(tps)
    ends: dict[tuple[str, int], int] = {}
    for tp in tps:  # an empty partition sends no EOF after assign on some brokers: skip it
        low, high = watermarks(consumer, tp)
        if high > low:
            ends[(tp.topic, tp.partition)] = high
    read, deadline = 0, time.monotonic() + timeout
    while ends:
        if time.monotonic() > deadline:
            raise TimeoutError(f"not read to the end in {timeout:g}s: {sorted(ends)}")
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        where = (str(msg.topic()), int(msg.partition() or 0))
        err = msg.error()
        if err is not None:
            if err.code() != KafkaError._PARTITION_EOF:
                raise KafkaException(err)
            ends.pop(where, None)
            continue
        apply(msg)
        read += 1
        if int(msg.offset() or 0) + 1 >= ends.get(where, 0):
            ends.pop(where, None)
    return read


def ensure_compacted(settings: Settings, names: list[str], partitions: int,
                     timeout: float = 30.0) -> None:
    """Create the compacted topics ``names`` with ``partitions`` partitions if missing, then wait
    until the cluster metadata shows each with that many partitions (a topic created a moment
    ago can show none). An existing topic with another partition count is an error: a table's
    changelog must be partitioned like its source topic."""
    admin = AdminClient({"bootstrap.servers": settings.bootstrap})
    existing = admin.list_topics(timeout=10).topics
    new = [NewTopic(n, num_partitions=partitions, replication_factor=1,
                    config={"cleanup.policy": "compact"}) for n in names if n not in existing]
    for future in (admin.create_topics(new).values() if new else ()):
        try:
            future.result()
        except Exception as exc:  # a concurrent creator won the race: fine
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    deadline = time.monotonic() + timeout
    while True:
        topics = admin.list_topics(timeout=10).topics
        counts = {n: len(topics[n].partitions) if n in topics else 0 for n in names}
        wrong = {n: c for n, c in counts.items() if c not in (0, partitions)}
        if wrong:
            raise RuntimeError(f"changelog topics with {partitions} partitions expected, found "
                               f"{wrong}; recreate them (they are rebuilt from the source)")
        if all(c == partitions for c in counts.values()):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics not visible with {partitions} partitions after "
                               f"{timeout:.0f}s: {counts}")
        time.sleep(0.2)
