"""Publish a run's claims at a steady rate in a thread, recording what Kafka acknowledged."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from streams.kafka import producer
from streams.ops.chaos.count import Identity, Position
from streams.settings import Settings

Item = tuple[Identity, bytes, bytes]  # identity, key (person), value (Avro wire format)
_FLUSH_SECONDS = 300.0  # the producer keeps retrying through a broker restart meanwhile


class Publisher(threading.Thread):
    """``sent``: records handed to the producer; ``acked``: position of each acknowledged claim
    version (the first ack when sent twice); ``failed``: delivery errors (not acknowledged)."""

    def __init__(self, settings: Settings, items: Sequence[Item], rate: float) -> None:
        super().__init__(name="chaos-publisher", daemon=True)
        self._settings, self._items, self._rate = settings, items, rate
        self.sent = 0
        self.acked: dict[Identity, Position] = {}
        self.failed: list[str] = []
        self.error: BaseException | None = None
        self.unflushed = 0
        self._halt = threading.Event()

    def halt(self) -> None:
        self._halt.set()
        self.join(timeout=30)

    def run(self) -> None:
        try:
            self._publish()
        except BaseException as exc:  # reported by the run, which fails clearly
            self.error = exc

    def _publish(self) -> None:
        # Deliveries must survive a broker restart: retries for up to 5 minutes.
        prod = producer(self._settings, **{"message.timeout.ms": 300_000})
        topic = self._settings.topic("hi.claims")
        started = time.monotonic()
        for ident, key, value in self._items:
            if self._halt.is_set():
                break

            def delivered(err: Any, msg: Any, ident: Identity = ident) -> None:
                if err is not None:
                    self.failed.append(str(err))
                else:
                    self.acked.setdefault(ident, (int(msg.partition()), int(msg.offset())))

            while not self._halt.is_set():
                try:
                    prod.produce(topic, key=key, value=value, on_delivery=delivered)
                    break
                except BufferError:  # local queue full (the broker is down): wait for room
                    prod.poll(0.1)
            self.sent += 1
            prod.poll(0)
            if self._rate > 0:
                ahead = self.sent / self._rate - (time.monotonic() - started)
                if ahead > 0:
                    self._halt.wait(ahead)
        deadline = time.monotonic() + _FLUSH_SECONDS
        while (left := prod.flush(1.0)) and time.monotonic() < deadline:
            if self._halt.is_set():
                break
        self.unflushed = left
