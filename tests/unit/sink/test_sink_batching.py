"""The sink's BatchWriter with fakes: batching by size and time, commit only after the write,
retries, rebalances, dead letters (no services)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from streams.kafka import DeliveryFailed
from streams.metrics import Metrics
from streams.sink.consumer import BatchWriter, DeadLetters

NOW = datetime(2025, 3, 2, 1, 2, 3, tzinfo=UTC)



# --- BatchWriter: batching by size and time, commit after write, retries (no services) ---------

Rows = Mapping[str, Sequence[dict[str, Any]]]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeStore:
    """Stands in for ClickHouse (write) and Kafka (commit); records the order of events."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.events: list[tuple[str, Any]] = []

    def write(self, tables: Rows) -> None:
        self.events.append(("write", {t: len(r) for t, r in tables.items()}))
        if self.failures:
            self.failures -= 1
            raise ConnectionError("ClickHouse is down")

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        self.events.append(("commit", dict(offsets)))


def writer_for(store: FakeStore, clock: FakeClock, waits: list[float] | None = None,
               metrics: Metrics | None = None, **kw: Any) -> BatchWriter:
    def wait(seconds: float) -> None:
        (waits if waits is not None else []).append(seconds)
        clock.now += seconds

    opts: dict[str, Any] = {"max_rows": 3, "max_seconds": 1.0}
    opts.update(kw)
    return BatchWriter(store.write, store.commit, metrics=metrics or Metrics.sink(),
                       clock=clock, wait=wait, **opts)


ONE = {"decisions": [{"id": 1}], "rule_hits": [{"id": 1}, {"id": 2}]}


def test_flush_by_size_writes_once_then_commits_next_offsets() -> None:
    store, clock = FakeStore(), FakeClock()
    w = writer_for(store, clock)
    w.submit("d", 0, 10, {"decisions": [{"id": 1}]})
    w.submit("d", 1, 4, {"decisions": [{"id": 2}]})
    assert store.events == []  # 2 rows < 3, and no time has passed
    w.submit("d", 0, 11, {"decisions": [{"id": 3}]})
    assert store.events == [("write", {"decisions": 3}), ("commit", {("d", 0): 12, ("d", 1): 5})]
    assert w.pending() == {}


def test_size_limit_is_per_table() -> None:
    store, clock = FakeStore(), FakeClock()
    w = writer_for(store, clock)
    w.submit("d", 0, 0, ONE)  # 1 decision, 2 hits
    assert store.events == []
    w.submit("d", 0, 1, ONE)  # 2 decisions, 4 hits: rule_hits reached 3
    assert store.events[0] == ("write", {"decisions": 2, "rule_hits": 4})


def test_flush_by_time_on_tick() -> None:
    store, clock = FakeStore(), FakeClock()
    w = writer_for(store, clock, max_rows=1000, max_seconds=1.0)
    w.submit("c", 2, 7, {"claims": [{"id": 1}]})
    clock.now = 0.6
    w.tick()
    assert store.events == [] and w.time_left() == pytest.approx(0.4)
    clock.now = 1.0
    w.tick()
    assert store.events == [("write", {"claims": 1}), ("commit", {("c", 2): 8})]
    assert w.time_left() == 1.0  # the next batch's clock starts at its first message


def test_dead_lettered_message_without_rows_still_advances_its_offset() -> None:
    store, clock = FakeStore(), FakeClock()
    w = writer_for(store, clock)
    w.submit("c", 0, 41, {})
    clock.now = 5
    w.tick()
    assert store.events == [("write", {}), ("commit", {("c", 0): 42})]


def test_failed_insert_is_retried_with_capped_backoff_and_committed_only_after() -> None:
    store, clock, waits = FakeStore(failures=5), FakeClock(), list[float]()
    metrics = Metrics.sink()
    w = writer_for(store, clock, waits, metrics, max_rows=1, backoff=(0.5, 2.0))
    w.submit("d", 0, 0, {"decisions": [{"id": 1}]})
    writes = [e for e in store.events if e[0] == "write"]
    assert len(writes) == 6 and all(e[1] == {"decisions": 1} for e in writes)  # same batch
    assert waits == [0.5, 1.0, 2.0, 2.0, 2.0]
    assert [e[0] for e in store.events] == ["write"] * 6 + ["commit"]
    sample = metrics.registry.get_sample_value
    assert sample("hireview_sink_retries_total") == 5
    assert sample("hireview_sink_batches_total") == 1
    assert sample("hireview_sink_rows_total", {"table": "decisions"}) == 1


def test_no_commit_and_nothing_dropped_when_stopping_while_clickhouse_is_down() -> None:
    store, clock = FakeStore(failures=100), FakeClock()
    stopping = {"now": False}

    def wait(_s: float) -> None:
        stopping["now"] = True  # SIGTERM arrives during the backoff

    w = BatchWriter(store.write, store.commit, max_rows=1, max_seconds=1.0,
                    metrics=Metrics.sink(), clock=clock, wait=wait,
                    stopping=lambda: stopping["now"])
    w.submit("d", 0, 0, {"decisions": [{"id": 1}]})
    assert [e[0] for e in store.events] == ["write", "write"]
    assert w.pending() == {"decisions": 1}  # kept; uncommitted, so Kafka redelivers it anyway
    assert w.flush(retry=False) is False


def test_messages_arriving_during_a_retry_join_the_batch_without_nested_flush() -> None:
    store, clock = FakeStore(failures=1), FakeClock()
    w: BatchWriter

    def wait(_s: float) -> None:
        w.submit("d", 0, 1, {"decisions": [{"id": 2}]})  # would reach max_rows: no re-entry

    w = BatchWriter(store.write, store.commit, max_rows=1, max_seconds=1.0,
                    metrics=Metrics.sink(), clock=clock, wait=wait)
    w.submit("d", 0, 0, {"decisions": [{"id": 1}]})
    assert store.events == [("write", {"decisions": 1}), ("write", {"decisions": 2}),
                            ("commit", {("d", 0): 2})]


def test_partitions_revoked_during_a_retry_are_dropped_uncommitted() -> None:
    store, clock = FakeStore(failures=1), FakeClock()
    w: BatchWriter
    reentrant: list[bool] = []

    def wait(_s: float) -> None:  # what the sink's on_revoke does when called from poll()
        reentrant.append(w.flush(retry=False))
        w.discard([("d", 0)])

    w = BatchWriter(store.write, store.commit, max_rows=1, max_seconds=1.0,
                    metrics=Metrics.sink(), clock=clock, wait=wait)
    w.submit("d", 0, 0, {"decisions": [{"id": 1}]})
    assert reentrant == [False]
    assert store.events == [("write", {"decisions": 1})]  # no commit, no further write
    assert w.pending() == {}


def test_failed_commit_clears_the_batch_without_counting_it() -> None:
    store, clock = FakeStore(), FakeClock()
    metrics = Metrics.sink()

    def commit(_o: Mapping[tuple[str, int], int]) -> None:
        raise RuntimeError("rebalance in progress")

    w = BatchWriter(store.write, commit, max_rows=1, max_seconds=1.0, metrics=metrics,
                    clock=clock)
    w.submit("d", 0, 0, {"decisions": [{"id": 1}]})
    assert w.pending() == {}
    assert metrics.registry.get_sample_value("hireview_sink_batches_total") == 0


class FakeProducer:
    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._callbacks: list[Any] = []

    def produce(self, topic: str, on_delivery: Any, **record: Any) -> None:
        self.sent.append((topic, record))
        self._callbacks.append(on_delivery)

    def poll(self, _t: float) -> int:
        """Answers every message sent so far, failing the first ``fail_first``."""
        callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            failed = self.fail_first > 0
            self.fail_first -= 1
            cb("broker down" if failed else None, None)
        return len(callbacks)


class FakeMessage:
    def topic(self) -> str:
        return "hi.claims"

    def partition(self) -> int:
        return 3

    def offset(self) -> int:
        return 17

    def key(self) -> bytes:
        return b"k"

    def value(self) -> bytes:
        return b"garbage"


def test_dead_letters_carry_headers_and_failed_deliveries_are_resent() -> None:
    producer = FakeProducer(fail_first=1)
    dlq = DeadLetters(producer, "hi.sink.dlq", Metrics.sink())  # type: ignore[arg-type]
    dlq.send(FakeMessage(), "undecodable", "bad magic byte")  # type: ignore[arg-type]
    with pytest.raises(DeliveryFailed, match="hi.sink.dlq: 1 message"):
        dlq.wait()
    dlq.wait()  # re-sent and acknowledged now
    assert len(producer.sent) == 2
    topic, record = producer.sent[-1]
    assert topic == "hi.sink.dlq" and record["value"] == b"garbage" and record["key"] == b"k"
    assert dict(record["headers"]) == {"reason": b"undecodable", "detail": b"bad magic byte",
                                       "topic": b"hi.claims", "partition": b"3",
                                       "offset": b"17"}
