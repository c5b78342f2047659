"""Live observation of a chaos run: decisions produced, rows stored, recoveries, guard metric."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from confluent_kafka import Consumer, TopicPartition

from streams.clickhouse import db
from streams.ops.procs import scrape
from streams.settings import Settings

GAP_METRIC = "hireview_offset_gaps_total"  # the worker's offset-contiguity guard (issue 8)
UNDECIDED_METRIC = "hireview_claims_undecided"  # the sink's gauge (streams/sink/undecided.py)


class Counts:
    """Records on hi.decisions (sum of high watermarks) and rows in ``decisions`` (no FINAL):
    both only grow, so "more than before" means "a new decision was produced / stored".
    ``None`` while the broker or ClickHouse does not answer."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._consumer = Consumer({"bootstrap.servers": settings.bootstrap,
                                   "group.id": f"chaos-watch-{uuid.uuid4().hex[:8]}",
                                   "enable.auto.commit": False,
                                   "allow.auto.create.topics": False})
        topic = settings.topic("hi.decisions")
        self._tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
        self._client = db.client(settings)
        self.last_decisions = 0
        self.last_stored = 0

    def decisions(self) -> int | None:
        try:
            total = sum(int(self._consumer.get_watermark_offsets(tp, timeout=1.0,
                                                                 cached=False)[1])
                        for tp in self._tps)
        except Exception:  # broker down or restarting
            return None
        self.last_decisions = max(self.last_decisions, total)
        return total

    def stored(self) -> int | None:
        try:
            total = int(self._client.execute("SELECT count() FROM decisions")[0][0])
        except Exception:  # ClickHouse stopped
            self._client.disconnect()
            return None
        self.last_stored = max(self.last_stored, total)
        return total

    def close(self) -> None:
        self._consumer.close()
        self._client.disconnect()


@dataclass
class Pending:
    kind: str
    since: float  # monotonic time of the fault (or of ClickHouse's restart)
    baseline: int
    source: str  # "kafka": hi.decisions grows; "clickhouse": decisions rows grow


@dataclass
class Recoveries:
    """Fault → first new decision (in Kafka, or stored in ClickHouse for sink and ClickHouse
    faults), in seconds, per fault kind; ``None`` when none came before the run ended."""

    pending: list[Pending] = field(default_factory=list)
    done: dict[str, list[float | None]] = field(default_factory=dict)

    def expect(self, kind: str, since: float, baseline: int | None, source: str) -> None:
        self.pending.append(Pending(kind, since, baseline or 0, source))

    def tick(self, decisions: int | None, stored: int | None) -> None:
        now, keep = time.monotonic(), []
        for p in self.pending:
            value = decisions if p.source == "kafka" else stored
            if value is not None and value > p.baseline:
                self.done.setdefault(p.kind, []).append(round(now - p.since, 1))
            else:
                keep.append(p)
        self.pending = keep

    def close(self) -> None:
        for p in self.pending:
            self.done.setdefault(p.kind, []).append(None)
        self.pending = []


class GapCounter:
    """The worker's guard counter summed over its incarnations (a restart resets it)."""

    def __init__(self, port: int) -> None:
        self._port = port
        self.seen = False  # the worker serves the metric at all
        self._earlier = 0.0
        self._current = 0.0

    def scrape(self) -> None:
        value = scrape(self._port, GAP_METRIC, timeout=1.0)
        if value is not None:
            self.seen, self._current = True, value

    def restarted(self) -> None:
        # The worker keeps its gap count across restarts (its data dir's gap log), so the
        # figure is the largest value seen, not a sum over incarnations.
        self._earlier = max(self._earlier, self._current)

    @property
    def total(self) -> float | None:
        return max(self._earlier, self._current) if self.seen else None
