"""Feeds the in-memory catalog snapshot and card registry from their compacted topics.

Every worker reads all partitions (no consumer group): first to the end, so no claim is judged
against a half-loaded catalog, then it keeps following in a daemon thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from streams.codec import InvalidMessage
from streams.kafka import watermarks
from streams.reference.catalog import CardRegistry, CatalogSnapshot
from streams.settings import Settings

log = logging.getLogger(__name__)

CATALOG_TOPICS = {
    "hi.catalog.drugs": "catalog_entry",
    "hi.catalog.services": "catalog_entry",
    "hi.catalog.supplies": "catalog_entry",
    "hi.catalog.staff": "catalog_entry",
    "hi.catalog.equipment": "catalog_entry",
    "hi.cards": "card",
}


class ReferenceFeed:
    def __init__(
        self,
        settings: Settings,
        decode: Callable[[bytes, str], dict[str, Any]],
        catalog: CatalogSnapshot,
        cards: CardRegistry,
    ) -> None:
        self._settings = settings
        self._decode = decode
        self.catalog = catalog
        self.cards = cards
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._consumer = Consumer({
            "bootstrap.servers": settings.bootstrap,
            "group.id": f"{settings.app_id}-reference",  # required by librdkafka; never committed
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        })
        self._schema = {settings.topic(t): s for t, s in CATALOG_TOPICS.items()}

    def load(self, timeout: float = 120.0) -> int:
        """Read every reference topic to its end; returns the number of records applied."""
        tps: list[TopicPartition] = []
        meta = self._consumer.list_topics(timeout=10)
        for topic in self._schema:
            if topic in meta.topics and not meta.topics[topic].error:
                tps += [TopicPartition(topic, p, OFFSET_BEGINNING)
                        for p in meta.topics[topic].partitions]
        if not tps:
            self._consumer.assign([])
            return 0
        self._consumer.assign(tps)
        pending = {(tp.topic, tp.partition) for tp in tps}
        for tp in tps:  # empty partitions never send EOF after assign on some brokers
            low, high = watermarks(self._consumer, tp)
            if high <= low:
                pending.discard((tp.topic, tp.partition))
        applied, deadline = 0, time.monotonic() + timeout
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reference topics not loaded in {timeout}s: {sorted(pending)}")
            msg = self._consumer.poll(0.5)
            if msg is None:
                continue
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    pending.discard((msg.topic(), msg.partition()))
                    continue
                raise KafkaException(err)
            applied += self._apply(str(msg.topic()), msg.key(), msg.value())
        return applied

    def _apply(self, topic: str, key: bytes | None, value: bytes | None) -> int:
        schema = self._schema[topic]
        if value is None:  # tombstone
            if key is not None:
                if schema == "card":
                    self.cards.delete(key.decode())
                else:
                    self.catalog.delete(key.decode())
            return 1
        try:
            record = self._decode(value, schema)
        except InvalidMessage:  # a bad row must not stop the worker; a registry outage must
            log.exception("skipping undecodable %s record", topic)
            return 0
        if schema == "card":
            self.cards.put(record)
        else:
            self.catalog.put(record)
        return 1

    def follow(self) -> None:
        """Keep applying updates in a daemon thread until ``close``."""

        def run() -> None:
            while not self._stop.is_set():
                msg = self._consumer.poll(0.5)
                if msg is None or msg.error():
                    continue
                self._apply(str(msg.topic()), msg.key(), msg.value())

        self._thread = threading.Thread(target=run, name="reference-feed", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self._consumer.close()
