"""Kafka plumbing shared by the CLI, simulator, benchmarks and tests: topics and producers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from streams.settings import Settings


def topic_specs(settings: Settings) -> list[dict[str, Any]]:
    """The topic catalogue (avro/topics.yaml) with partition counts resolved."""
    data = yaml.safe_load(Path(settings.avro_dir / "topics.yaml").read_text())
    specs = []
    for t in data["topics"]:
        parts = t.get("partitions", 1)
        specs.append({
            "name": settings.topic(t["name"]),
            "partitions": settings.partitions if parts == "settings.partitions" else int(parts),
            "config": {"cleanup.policy": t.get("cleanup_policy", "delete"),
                       "retention.ms": str(t.get("retention_ms", -1))},
        })
    return specs


def create_topics(settings: Settings) -> list[str]:
    """Create every catalogue topic that does not exist yet; returns the ones created."""
    admin = AdminClient({"bootstrap.servers": settings.bootstrap})
    existing = set(admin.list_topics(timeout=10).topics)
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


def publish(
    settings: Settings,
    topic: str,
    items: Iterable[tuple[bytes, bytes]],
    rate: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Produce (key, value) pairs with acks=all; waits until every one is acknowledged."""
    prod = producer(settings)
    failures: list[str] = []

    def on_delivery(err: Any, msg: Any) -> None:
        if err is not None:
            failures.append(str(err))

    sent, started = 0, time.monotonic()
    for key, value in items:
        while True:
            try:
                prod.produce(topic, value=value, key=key, on_delivery=on_delivery)
                break
            except BufferError:  # local queue full: let deliveries drain
                prod.poll(0.05)
        sent += 1
        prod.poll(0)
        if rate > 0:
            ahead = sent / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
        if progress and sent % 1000 == 0:
            progress(sent)
    if prod.flush(60) != 0:
        raise RuntimeError(f"{topic}: messages still unacknowledged after 60s")
    if failures:
        raise RuntimeError(f"{topic}: {len(failures)} deliveries failed, first: {failures[0]}")
    return sent


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
