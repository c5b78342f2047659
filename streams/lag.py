"""Consumer lag of every hireview consumer group, read by each process that talks to Kafka.

``LagMonitor(settings, metrics).start()`` runs a daemon thread that, every
``settings.lag_interval_seconds``, reads each group's committed offsets and each partition's end
offset, and sets ``hireview_consumer_lag_messages`` (end minus committed) and
``hireview_consumer_lag_seconds`` (now minus the Kafka time of the first uncommitted record, read
with a probe consumer that commits nothing), and counts committed progress in
``hireview_consumed_total`` (a group's throughput per topic).

Every process measures every group (the worker's app and the sink, see ``groups``), not only
its own: when all workers are down the sink and the portal still show the worker group's lag
growing, which is what the "stage stalled" alert needs. Queries fold the copies with ``max``.
A group with no commit yet counts from the partition's start (``auto.offset.reset=earliest``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence

from confluent_kafka import OFFSET_INVALID, Consumer, TopicPartition

from streams.metrics import Metrics
from streams.settings import Settings

log = logging.getLogger("hireview.lag")
_PROBE_SECONDS = 1.0  # longest wait for the first uncommitted records of one group


def groups(settings: Settings) -> dict[str, list[str]]:
    """Consumer group -> every topic it subscribes to (the pipeline's two stages): the worker's
    agents (claims, practitioner schedules, amendments, reviews) and the sink's consumer. A
    topic left out here is a stage whose stall no alert sees."""
    return {settings.app_id: [settings.topic(t) for t in ("hi.claims", "hi.practice",
                                                          "hi.amendments", "hi.reviews")],
            settings.sink_group: [settings.topic(t) for t in ("hi.claims", "hi.decisions",
                                                              "hi.reviews")]}


Reading = dict[tuple[str, str, int], tuple[int, float]]  # (group, topic, partition) -> lag, age


class LagMonitor:
    def __init__(self, settings: Settings, metrics: Metrics,
                 watched: Mapping[str, Sequence[str]] | None = None) -> None:
        self._settings, self._metrics = settings, metrics
        self._watched = dict(watched or groups(settings))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._committed: dict[tuple[str, str, int], int] = {}  # last reading, for consumed_total
        self._clients: dict[str, Consumer] = {}

    def _client(self, group: str | None) -> Consumer:
        """A consumer named after ``group`` only to read its commits: it never subscribes, so
        it never joins the group; the probe (``None``: a group of its own that nothing
        commits to) reads metadata, end offsets and record times."""
        name = group if group is not None else f"{self._settings.app_id}-lag-probe"
        if name not in self._clients:
            self._clients[name] = Consumer({
                "bootstrap.servers": self._settings.bootstrap, "group.id": name,
                "enable.auto.commit": False, "enable.auto.offset.store": False})
        return self._clients[name]

    def _partitions(self, topic: str) -> list[TopicPartition]:
        meta = self._client(None).list_topics(topic, timeout=5).topics.get(topic)
        if meta is None or meta.error is not None:
            return []
        return [TopicPartition(topic, p) for p in sorted(meta.partitions)]

    def _ages(self, starts: list[TopicPartition]) -> dict[tuple[str, int], float]:
        """Now minus the Kafka time of the record at each given offset."""
        if not starts:
            return {}
        probe = self._client(None)
        probe.assign(starts)
        ages: dict[tuple[str, int], float] = {}
        deadline = time.monotonic() + _PROBE_SECONDS
        while len(ages) < len(starts) and time.monotonic() < deadline:
            for msg in probe.consume(num_messages=len(starts), timeout=0.2):
                key = (str(msg.topic()), int(msg.partition() or 0))
                if msg.error() is None and key not in ages:
                    ages[key] = max(0.0, time.time() - msg.timestamp()[1] / 1000)
        probe.unassign()
        return ages

    def read(self) -> Reading:
        """One reading of every watched group (also sets the metrics)."""
        reading: Reading = {}
        for group, topics in self._watched.items():
            parts = [tp for t in topics for tp in self._partitions(t)]
            if not parts:
                continue
            committed = self._client(group).committed(parts, timeout=5)
            lags: dict[tuple[str, int], tuple[int, int]] = {}
            for tp in committed:
                low, high = self._client(None).get_watermark_offsets(tp, timeout=5, cached=False)
                at = tp.offset if tp.offset != OFFSET_INVALID and tp.offset >= 0 else low
                lags[(tp.topic, tp.partition)] = (max(0, high - at), at)
                self._count(group, tp.topic, tp.partition, at)
            ages = self._ages([TopicPartition(t, p, at) for (t, p), (lag, at) in lags.items()
                               if lag > 0])
            for (topic, partition), (lag, _at) in lags.items():
                age = ages.get((topic, partition), 0.0) if lag else 0.0
                reading[(group, topic, partition)] = (lag, age)
                labels = (group, topic, str(partition))
                self._metrics.consumer_lag_messages.labels(*labels).set(lag)
                self._metrics.consumer_lag_seconds.labels(*labels).set(age)
        return reading

    def _count(self, group: str, topic: str, partition: int, at: int) -> None:
        key = (group, topic, partition)
        before = self._committed.get(key)
        self._committed[key] = at
        counter = self._metrics.consumed_total.labels(group, topic)  # present from the start
        if before is not None and at > before:
            counter.inc(at - before)

    def start(self) -> LagMonitor:
        """Read in a daemon thread: first until a reading succeeds, at once again after each
        failure (on a fresh broker the group coordinator, __consumer_offsets, takes seconds to
        appear, and consumed_total counts from the first reading: one taken after the worker
        had committed everything would show no throughput at all), then one reading every
        ``lag_interval_seconds``."""
        def read() -> bool:
            try:
                self.read()
                return True
            except Exception as exc:  # broker down: keep the last values, try again
                log.warning("consumer lag not read: %s", exc)
                return False

        def run() -> None:
            first = time.monotonic()
            while not self._stop.is_set() and not read() and time.monotonic() - first < 60:
                self._stop.wait(0.2)
            while not self._stop.wait(self._settings.lag_interval_seconds):
                read()
            for client in self._clients.values():
                client.close()

        self._thread = threading.Thread(target=run, name="consumer-lag", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
