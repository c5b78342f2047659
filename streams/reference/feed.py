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

from confluent_kafka import Consumer, Message

from streams.codec import InvalidMessage
from streams.kafka import read_to_end, topic_schemas
from streams.reference.catalog import CardRegistry, CatalogSnapshot
from streams.settings import Settings

log = logging.getLogger(__name__)

# What the feed can apply; which topics carry them is avro/topics.yaml's to say.
REFERENCE_SCHEMAS = ("catalog_entry", "card")


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
        self._newest: dict[str, float] = {}  # "catalog"/"cards" -> Kafka time of newest record
        self._thread: threading.Thread | None = None
        self._consumer = Consumer({
            "bootstrap.servers": settings.bootstrap,
            "group.id": f"{settings.app_id}-reference",  # required by librdkafka; never committed
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        })
        self._schema = {t: s for t, s in topic_schemas(settings).items()
                        if s in REFERENCE_SCHEMAS}

    def load(self, timeout: float = 120.0) -> int:
        """Read every reference topic to its end; returns the number of records applied."""
        applied = 0

        def apply(msg: Message) -> None:
            nonlocal applied
            applied += self._apply(str(msg.topic()), msg.key(), msg.value())
            self._seen(msg)

        read_to_end(self._consumer, self._schema, apply, timeout)
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

    def _seen(self, msg: Message) -> None:
        kind = "cards" if self._schema[str(msg.topic())] == "card" else "catalog"
        self._newest[kind] = max(self._newest.get(kind, 0.0), msg.timestamp()[1] / 1000)

    def age(self, kind: str) -> float:
        """Seconds since the newest record of ``kind`` ("catalog" or "cards"); -1 if none."""
        newest = self._newest.get(kind)
        return -1.0 if newest is None else max(0.0, time.time() - newest)

    @property
    def following(self) -> bool:
        """Is the follower thread alive (``follow`` called, not closed, not crashed)?"""
        return self._thread is not None and self._thread.is_alive()

    def follow(self) -> None:
        """Keep applying updates in a daemon thread until ``close``."""

        def run() -> None:
            while not self._stop.is_set():
                msg = self._consumer.poll(0.5)
                if msg is None or msg.error():
                    continue
                self._apply(str(msg.topic()), msg.key(), msg.value())
                self._seen(msg)

        self._thread = threading.Thread(target=run, name="reference-feed", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self._consumer.close()
