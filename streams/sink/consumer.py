"""The ClickHouse sink: ``hi.claims``, ``hi.decisions`` and ``hi.reviews`` → ClickHouse tables.

Pipeline, in the shape of Snuba/arroyo (consume → process → batch → write → commit):

    consume ─▶ decode ─▶ rows (streams.sink.rows, pure) ─▶ BatchWriter.submit
       │ undecodable / invalid ─▶ hi.sink.dlq (and the offset still advances)
    BatchWriter.flush (size or time): one INSERT per table ─▶ dead letters acknowledged
                                      ─▶ only then commit the offsets of everything in the batch

At-least-once: a crash between INSERT and commit replays the batch, and the ReplacingMergeTree
tables make the replay harmless. While ClickHouse is down the batch is retried with capped
backoff; consumption is paused meanwhile, so memory stays bounded and nothing is committed.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from clickhouse_driver import Client
from confluent_kafka import Consumer, KafkaException, Message, Producer, TopicPartition

from streams.clickhouse.db import client as clickhouse_client
from streams.clickhouse.db import insert_rows, insert_settings
from streams.kafka import DeliveryFailed, Outbox, Pending, dead_letter_headers, producer
from streams.metrics import Metrics
from streams.scrape import announce, withdraw
from streams.settings import Settings
from streams.sink.payload_json import load_layout
from streams.sink.review_rows import TRAIL_COLUMNS, decision_trail_tables, review_tables
from streams.sink.rows import TABLE_COLUMNS, Row, claim_tables, payload_row

log = logging.getLogger(__name__)

Partition = tuple[str, int]
Tables = Mapping[str, Sequence[Row]]
Decode = Callable[[str, bytes], dict[str, Any]]
COLUMNS = {**TABLE_COLUMNS, **TRAIL_COLUMNS}
DLQ_TOPIC = "hi.sink.dlq"


class BatchWriter:
    """Accumulates rows with the offsets they came from; ``flush`` writes, then commits.

    ``submit`` adds one consumed message's rows and flushes when a table holds ``max_rows`` rows
    or the oldest message has waited ``max_seconds``; ``tick`` checks the time limit when no
    message arrives. Messages submitted while a flush is retrying (from ``wait``) join the batch.
    """

    def __init__(self, write: Callable[[Tables], None],
                 commit: Callable[[Mapping[Partition, int]], None], *, max_rows: int,
                 max_seconds: float, metrics: Metrics, clock: Callable[[], float] = time.monotonic,
                 wait: Callable[[float], None] = time.sleep,
                 stopping: Callable[[], bool] = lambda: False,
                 backoff: tuple[float, float] = (0.5, 10.0)) -> None:
        self._write, self._commit = write, commit
        self.max_rows, self.max_seconds = max_rows, max_seconds
        self._metrics, self._clock, self._wait, self._stopping = metrics, clock, wait, stopping
        self._backoff = backoff
        self._rows: dict[Partition, dict[str, list[Row]]] = {}
        self._offsets: dict[Partition, int] = {}  # next offset to commit: last + 1
        self._started: float | None = None
        self._flushing = False

    def pending(self) -> dict[str, int]:
        """Rows waiting, per table."""
        counts: dict[str, int] = {}
        for tables in self._rows.values():
            for table, rows in tables.items():
                counts[table] = counts.get(table, 0) + len(rows)
        return counts

    def time_left(self) -> float:
        if self._started is None:
            return self.max_seconds
        return self.max_seconds - (self._clock() - self._started)

    def due(self) -> bool:
        if not self._offsets:
            return False
        return self.time_left() <= 0 or max(self.pending().values(), default=0) >= self.max_rows

    def submit(self, topic: str, partition: int, offset: int, rows: Tables) -> None:
        tables = self._rows.setdefault((topic, partition), {})
        for table, items in rows.items():
            tables.setdefault(table, []).extend(items)
        self._offsets[(topic, partition)] = max(self._offsets.get((topic, partition), 0),
                                                offset + 1)
        if self._started is None:
            self._started = self._clock()
        self.tick()

    def tick(self) -> None:
        if not self._flushing and self.due():
            self.flush()

    def discard(self, partitions: Iterable[Partition]) -> None:
        """Forget rows and offsets of partitions we no longer own: they are redelivered."""
        for tp in partitions:
            self._rows.pop(tp, None)
            self._offsets.pop(tp, None)
        if not self._offsets:
            self._rows.clear()
            self._started = None

    def flush(self, retry: bool = True) -> bool:
        """Write the batch, then commit. True once written (or nothing was pending).

        1. ``write`` every table's rows, one INSERT per table. On failure: when ``retry`` and not
           stopping, ``wait`` with exponential backoff (capped) and write again — the batch is
           never dropped and nothing is committed; else return False (rows stay pending).
        2. Only after the write succeeded, ``commit`` the next offset of every partition in the
           batch. A failed commit is logged and the batch cleared: the rows are stored, and a
           later commit or a replay (deduplicated by the tables) covers the offsets.
        """
        if self._flushing:  # re-entered from ``wait`` (e.g. a rebalance): cannot write now
            return False
        if not self._offsets:
            return True
        self._flushing = True
        try:
            delay = self._backoff[0]
            while True:
                tables = self._collect()
                started = self._clock()
                try:
                    self._write(tables)
                    break
                except Exception as exc:
                    if not retry or self._stopping():
                        log.warning("sink write failed, not retrying: %s", exc)
                        return False
                    self._metrics.sink_retries_total.inc()
                    log.warning("sink write failed (%s); retrying in %.1fs", exc, delay)
                    self._wait(delay)
                    delay = min(delay * 2, self._backoff[1])
                    if not self._offsets:  # everything was revoked while we waited
                        return True
            self._metrics.sink_insert_seconds.observe(self._clock() - started)
            self._metrics.sink_batch_rows.observe(sum(len(rows) for rows in tables.values()))
            for table, rows in tables.items():
                self._metrics.sink_rows_total.labels(table).inc(len(rows))
            try:
                self._commit(dict(self._offsets))
                self._metrics.sink_batches_total.inc()
            except Exception as exc:
                log.warning("offset commit failed after a successful insert: %s", exc)
            self.discard(list(self._offsets))
            return True
        finally:
            self._flushing = False

    def _collect(self) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {}
        for tables in self._rows.values():
            for table, rows in tables.items():
                out.setdefault(table, []).extend(rows)
        return out


def insert_tables(client: Client, tables: Tables, settings: Mapping[str, Any] | None = None
                  ) -> None:
    """One INSERT per non-empty table, with the columns of ``TABLE_COLUMNS``."""
    for table, rows in tables.items():
        if rows:
            insert_rows(client, table, COLUMNS[table], rows, settings)


class DeadLetters:
    """Raw copies of messages the sink cannot store, on ``hi.sink.dlq`` with the reason."""

    def __init__(self, producer: Producer, topic: str, metrics: Metrics) -> None:
        self._out, self.topic, self._metrics = Outbox(producer, topic), topic, metrics
        self._failed: list[Pending] = []

    def send(self, msg: Message, reason: str, detail: str) -> None:
        log.warning("dead-lettering %s[%s]@%s: %s: %s", msg.topic(), msg.partition(),
                    msg.offset(), reason, detail)
        self._out.send(msg.key(), msg.value(), dead_letter_headers(
            reason, detail, str(msg.topic()), msg.partition(), msg.offset()))
        self._metrics.dead_letters_total.labels(str(msg.topic()), reason).inc()

    def wait(self, timeout: float = 30.0) -> None:
        """Block until every dead letter is acknowledged, else raise ``DeliveryFailed``; the
        failed ones are sent again by the next wait (the batch writer retries)."""
        failed, self._failed = self._failed, []
        for key, value, headers in failed:
            self._out.send(key, value, headers)
        try:
            self._out.wait(timeout)
        except DeliveryFailed as exc:
            self._failed = exc.failed
            raise


def builders(settings: Settings) -> dict[str, Callable[[Mapping[str, Any], datetime],
                                                    dict[str, list[Row]]]]:
    """The topics the sink subscribes to, each with the row builder of its records."""
    return {settings.topic("hi.claims"): claim_tables,
            settings.topic("hi.decisions"): decision_trail_tables,
            settings.topic("hi.reviews"): review_tables}


class Sink:
    """One consumer of hi.claims, hi.decisions and hi.reviews feeding a BatchWriter."""

    def __init__(self, settings: Settings, decode: Decode, metrics: Metrics,
                 stop: threading.Event, client: Client | None = None) -> None:
        self._decode, self._metrics, self._stop = decode, metrics, stop
        self._client = client or clickhouse_client(settings)
        self._claims_topic = settings.topic("hi.claims")
        self._group = settings.sink_group
        # The decode callable reads claims with the catalogue's claim schema: the JSON forms of
        # claim_payloads follow its layout (streams.sink.payload_json).
        self._json_layout = load_layout(settings.avro_dir / "schemas")
        self._builders = builders(settings)
        self._consumer = Consumer({
            "bootstrap.servers": settings.bootstrap, "group.id": settings.sink_group,
            # Static membership: a restarted sink takes its place back at once instead of
            # waiting out the dead member's session (45 s of no ClickHouse writes).
            "group.instance.id": f"{settings.sink_group}-{settings.sink_instance_id}",
            "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "queued.max.messages.kbytes": 16384,  # bound librdkafka's pre-fetch queue
        })
        self._dlq = DeadLetters(producer(settings), settings.topic(DLQ_TOPIC), metrics)
        self._insert_settings: dict[str, Any] | None = None
        self._paused = False
        self._seen_errors: set[str] = set()
        self.writer = BatchWriter(self._write, self._commit, max_rows=settings.sink_batch_size,
                                  max_seconds=settings.sink_batch_seconds, metrics=metrics,
                                  wait=self._pause_and_wait, stopping=stop.is_set)

    def run(self) -> None:
        self._consumer.subscribe(list(self._builders), on_assign=self._on_assign,
                                 on_revoke=self._on_revoke, on_lost=self._on_lost)
        try:
            while not self._stop.is_set():
                timeout = min(max(self.writer.time_left(), 0.01), 0.5)
                for msg in self._consumer.consume(num_messages=500, timeout=timeout):
                    self._handle(msg)
                self.writer.tick()
                if self._paused:
                    self._consumer.resume(self._consumer.assignment())
                    self._paused = False
            self.writer.flush(retry=False)  # last chance; if it fails nothing was committed
        finally:
            self._consumer.close()
            try:
                self._dlq.wait(10)
            except DeliveryFailed as exc:  # their offsets were not committed: redelivered
                log.warning("%s", exc)
            self._client.disconnect()

    def _handle(self, msg: Message) -> None:
        err = msg.error()
        if err is not None:
            if err.fatal():
                raise KafkaException(err)
            if err.str() not in self._seen_errors:  # e.g. topic not created yet: log once
                self._seen_errors.add(err.str())
                log.warning("consumer: %s", err.str())
            return
        topic, value = str(msg.topic()), msg.value()
        rows: dict[str, list[Row]] = {}
        try:
            if value is None:
                raise ValueError("message has no value")
            record = self._decode(topic, value)
        except Exception as exc:  # the codec's InvalidMessage carries a short reason label
            self._dlq.send(msg, str(getattr(exc, "reason", "undecodable")),
                           f"{type(exc).__name__}: {exc}")
        else:
            try:
                now = datetime.now(UTC)
                rows = self._builders[topic](record, now)
                if topic == self._claims_topic:  # the bytes as received: what replay decodes
                    rows["claim_payloads"] = [payload_row(record, value, now,
                                                              self._json_layout)]
            except Exception as exc:
                self._dlq.send(msg, "invalid_record", f"{type(exc).__name__}: {exc}")
        self.writer.submit(topic, int(msg.partition() or 0), int(msg.offset() or 0), rows)

    def _write(self, tables: Tables) -> None:
        if self._insert_settings is None:
            self._insert_settings = insert_settings(self._client)
        insert_tables(self._client, tables, self._insert_settings)
        self._dlq.wait()  # a dead letter must be safe before its offset is committed
        now = datetime.now(UTC)
        for row in tables.get("decisions", ()):
            self._metrics.decision_to_store_seconds.observe(
                max((now - row["decided_at"]).total_seconds(), 0.0))

    def _commit(self, offsets: Mapping[Partition, int]) -> None:
        result = self._consumer.commit(
            offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
            asynchronous=False)
        errors = [f"{tp.topic}[{tp.partition}]: {tp.error}" for tp in result or () if tp.error]
        if errors:
            raise KafkaException("; ".join(errors))

    def _pause_and_wait(self, seconds: float) -> None:
        """Backoff between insert attempts: consumption paused, but the consumer is still
        polled so it keeps its group membership and serves rebalances."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set() and (left := deadline - time.monotonic()) > 0:
            self._consumer.pause(self._consumer.assignment())
            self._paused = True
            msg = self._consumer.poll(min(left, 0.5))
            if msg is not None:  # fetched before the pause took effect: keep it
                self._handle(msg)

    def _on_assign(self, _consumer: Consumer, _partitions: list[TopicPartition]) -> None:
        self._metrics.rebalances_total.labels(self._group).inc()

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Store and commit what we hold before the partitions move. When that is impossible
        # (ClickHouse down, or this is called from inside a retrying flush), drop the revoked
        # partitions' rows uncommitted: their next owner reads them again.
        if not self.writer.flush(retry=False):
            self.writer.discard((tp.topic, tp.partition) for tp in partitions)

    def _on_lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.writer.discard((tp.topic, tp.partition) for tp in partitions)


def run_sink(settings: Settings, decode: Decode, stop: threading.Event | None = None,
             metrics: Metrics | None = None, serve_metrics: bool = False) -> None:
    """Run the sink until ``stop`` is set or the process gets SIGTERM (main thread only)."""
    stop = stop or threading.Event()
    metrics = metrics or Metrics.sink()
    server, target = None, None
    if serve_metrics:
        from prometheus_client import start_http_server

        server, _ = start_http_server(settings.sink_metrics_port, addr="127.0.0.1",
                                      registry=metrics.registry)
        target = announce(settings, "sink", settings.sink_metrics_port,
                          labels={"sink_id": settings.sink_instance_id})
    previous: Any = None
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        def on_term(_sig: int, _frame: FrameType | None) -> None:
            stop.set()
        previous = signal.signal(signal.SIGTERM, on_term)
    try:
        Sink(settings, decode, metrics, stop).run()
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        if server is not None:  # a sink run in a thread (tests) frees its port
            if target is not None:
                withdraw(target)
            server.shutdown()
            server.server_close()
