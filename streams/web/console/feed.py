"""Feeds the review queue from Kafka: hi.warnings and hi.reviews, then hi.decisions.

No consumer group: every web app process reads the topics whole (warnings are kept 30 days,
reviews forever), so the queue is rebuilt exactly after a restart. At start the warnings and
reviews are read to the end first, then the decisions, so a decision that settled a warning finds
its entry; then a daemon thread follows all three. hi.decisions carries every claim's decision:
only those of claims in the queue are decoded (the ``claim`` header names the claim), and the
last few thousand others are remembered by identity in case their warning is read just after.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, Message

from streams.claim import CLAIM_HEADER
from streams.codec import InvalidMessage
from streams.kafka import read_to_end
from streams.settings import Settings
from streams.web.console.queue import Queue, entry_key

log = logging.getLogger(__name__)
_RECENT = 20_000  # decisions of claims not (yet) in the queue, remembered by identity


class ConsoleFeed:
    def __init__(self, settings: Settings, decode: Callable[[bytes, str], dict[str, Any]],
                 queue: Queue, notify: Callable[[], None]) -> None:
        self._decode = decode
        self._queue = queue
        self._notify = notify
        self._warnings = settings.topic("hi.warnings")
        self._reviews = settings.topic("hi.reviews")
        self._decisions = settings.topic("hi.decisions")
        self._recent: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self._recent_lock = threading.Lock()  # the two follow threads share _recent
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._consumers = [self._consumer(settings, n) for n in ("queue", "decisions")]

    @staticmethod
    def _consumer(settings: Settings, name: str) -> Consumer:
        return Consumer({
            "bootstrap.servers": settings.bootstrap,
            "group.id": f"hireview-web-{name}",  # required by librdkafka; never committed
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        })

    def load(self, timeout: float = 120.0) -> int:
        """Read warnings and reviews, then decisions, to the end; returns records read."""
        queue, decisions = self._consumers
        read = read_to_end(queue, (self._warnings, self._reviews), self._apply, timeout)
        return read + read_to_end(decisions, (self._decisions,), self._apply, timeout)

    def _apply(self, msg: Message) -> None:
        value = msg.value()
        if msg.error() or value is None:
            return
        topic = msg.topic()
        try:
            if topic == self._warnings:
                decision = self._decode(value, "decision")
                key = entry_key(decision["facility"], decision["claim_id"], decision["version"])
                with self._recent_lock:  # with _on_decision's check: no decision slips between
                    self._queue.on_warning(decision)
                    later = self._recent.pop(key, None)
                if later is not None and later[0] > decision["revision"]:
                    self._queue.on_decision(self._decode(later[1], "decision"))
            elif topic == self._reviews:
                self._queue.on_review(self._decode(value, "review"))
            else:
                self._on_decision(msg, value)
        except InvalidMessage:  # not ours to stop on: the worker dead-letters such events
            log.exception("skipping undecodable %s record at offset %s", topic, msg.offset())
            return
        self._notify()

    def _on_decision(self, msg: Message, value: bytes) -> None:
        header = dict(msg.headers() or ()).get(CLAIM_HEADER)
        if header is None:
            self._queue.on_decision(self._decode(value, "decision"))
            return
        text = header.decode() if isinstance(header, bytes) else str(header)
        facility, claim_id, version, revision = text.rsplit("|", 3)
        key = entry_key(facility, claim_id, int(version))
        with self._recent_lock:
            if self._queue.get(key) is not None:
                self._queue.on_decision(self._decode(value, "decision"))
                return
            self._recent[key] = (int(revision), value)
            self._recent.move_to_end(key)
            while len(self._recent) > _RECENT:
                self._recent.popitem(last=False)

    def follow(self) -> None:
        """Keep applying new records in a daemon thread until ``close``."""

        def run(consumer: Consumer) -> None:
            while not self._stop.is_set():
                msg = consumer.poll(0.2)
                if msg is not None:
                    self._apply(msg)

        for i, consumer in enumerate(self._consumers):
            thread = threading.Thread(target=run, args=(consumer,), daemon=True,
                                      name=f"console-feed-{i}")
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for consumer in self._consumers:
            consumer.close()
