"""streams.kafka against the real broker: ``deliver`` fills a tiny local producer queue and still
delivers every message once, in order; ``read_to_end`` stops at the end a topic had."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, Message, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from streams.kafka import deliver, producer, read_to_end, watermarks
from streams.settings import Settings

pytestmark = pytest.mark.kafka
QUEUE = 20  # queue.buffering.max.messages: a replay of a few thousand claims overflows it


@pytest.fixture()
def topic(kafka_service: Settings) -> Iterator[str]:
    """A two-partition topic of this test, deleted afterwards."""
    name = f"t{uuid.uuid4().hex[:8]}.delivery"
    admin = AdminClient({"bootstrap.servers": kafka_service.bootstrap})
    for future in admin.create_topics([NewTopic(name, num_partitions=2,
                                                replication_factor=1)]).values():
        future.result(timeout=30)
    yield name
    for future in admin.delete_topics([name]).values():
        future.result(timeout=30)


def consumer(settings: Settings) -> Consumer:
    return Consumer({"bootstrap.servers": settings.bootstrap, "enable.auto.commit": False,
                     "group.id": f"delivery-{uuid.uuid4().hex[:8]}",
                     "enable.partition.eof": True})


def test_a_full_local_queue_still_delivers_everything(kafka_service: Settings, topic: str) -> None:
    prod = producer(kafka_service, **{"queue.buffering.max.messages": QUEUE})
    n, fullest = 3000, 0
    items = [(f"p{i % 7}".encode(), f"{i:06d}".encode()) for i in range(n)]

    def watched() -> Iterator[tuple[bytes, bytes]]:
        nonlocal fullest
        for item in items:
            fullest = max(fullest, len(prod))  # messages queued and not yet answered
            yield item

    assert deliver(prod, topic, watched(), timeout=60) == n
    assert fullest == QUEUE, "the queue never filled: the test proves nothing"

    got: dict[bytes, list[bytes]] = {}
    reader = consumer(kafka_service)
    try:
        read = read_to_end(reader, [topic], lambda m: got.setdefault(
            m.key() or b"", []).append(m.value() or b""), timeout=60)
    finally:
        reader.close()
    assert read == n  # every one, none twice
    for key, values in got.items():  # and in the order sent, key by key
        assert values == [v for k, v in items if k == key]


def test_read_to_end_stops_at_the_end_the_topic_had(kafka_service: Settings, topic: str) -> None:
    deliver(producer(kafka_service), topic, [(b"only-key", f"{i}".encode()) for i in range(25)])
    reader = consumer(kafka_service)
    try:
        seen: list[Message] = []
        assert read_to_end(reader, [topic, "no.such.topic"], seen.append, timeout=30) == 25
        assert len({m.partition() for m in seen}) == 1  # one key: the other partition is empty
        ends = [watermarks(reader, TopicPartition(topic, p))[1] for p in (0, 1)]
        assert sorted(ends) == [0, 25]
    finally:
        reader.close()
