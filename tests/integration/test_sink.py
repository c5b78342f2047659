"""The sink against the real Kafka and ClickHouse: store, dead-letter, commit after insert, replay.

Values are encoded here with fastavro + the 5-byte Confluent header, so the sink is tested on
its own (the pipeline test runs it with the real codec).
"""

from __future__ import annotations

import io
import json
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from clickhouse_driver import Client
from clickhouse_driver.errors import NetworkError
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from prometheus_client.parser import text_string_to_metric_families

from streams.clickhouse import db
from streams.metrics import CATALOGUE, Metrics
from streams.ops.procs import settings_env
from streams.settings import ROOT, Settings
from streams.sink.consumer import DLQ_TOPIC, Sink, insert_tables, run_sink
from streams.sink.rows import decision_tables
from tests.unit.sink.test_sink_rows import NOW, make_claim, make_decision, make_hit

SCHEMA_IDS = {"claim": 901, "decision": 902}
PARTITIONS = 2


class AvroWire:
    """Confluent wire format (magic 0, schema id, schemaless Avro) with fixed schema ids."""

    def __init__(self, settings: Settings) -> None:
        self.schemas = {name: parse_schema(json.loads(
            (settings.avro_dir / "schemas" / f"{name}.avsc").read_text())) for name in SCHEMA_IDS}
        self.by_topic = {settings.topic("hi.claims"): "claim",
                         settings.topic("hi.decisions"): "decision"}

    def encode(self, name: str, record: dict[str, Any]) -> bytes:
        buf = io.BytesIO()
        buf.write(struct.pack(">BI", 0, SCHEMA_IDS[name]))
        schemaless_writer(buf, self.schemas[name], record)
        return buf.getvalue()

    def decode(self, topic: str, data: bytes) -> dict[str, Any]:
        name = self.by_topic[topic]
        if len(data) < 5 or data[0] != 0:
            raise ValueError("not wire format: bad magic byte")
        if struct.unpack(">I", data[1:5])[0] != SCHEMA_IDS[name]:
            raise ValueError(f"unknown schema id {struct.unpack('>I', data[1:5])[0]}")
        record = schemaless_reader(io.BytesIO(data[5:]), self.schemas[name], None)
        return cast(dict[str, Any], record)


def create_topics(settings: Settings) -> list[str]:
    names = [settings.topic(t) for t in ("hi.claims", "hi.decisions", DLQ_TOPIC)]
    admin = AdminClient({"bootstrap.servers": settings.bootstrap})
    for future in admin.create_topics([NewTopic(n, num_partitions=PARTITIONS,
                                                replication_factor=1) for n in names]).values():
        future.result(timeout=30)
    return names


def produce(settings: Settings, items: list[tuple[str, bytes, bytes]]) -> None:
    producer = Producer({"bootstrap.servers": settings.bootstrap, "acks": "all"})
    for topic, key, value in items:
        producer.produce(topic, key=key, value=value)
    assert producer.flush(30) == 0, "messages not acknowledged by Kafka"


def workload(settings: Settings, wire: AvroWire, k: int) -> list[tuple[str, bytes, bytes]]:
    claims, decisions = settings.topic("hi.claims"), settings.topic("hi.decisions")
    items = []
    for i in range(k):
        facility = ("79001", "01002", "48003")[i % 3]
        key = f"{i % 50:010d}".encode()
        items.append((claims, key, wire.encode("claim", make_claim(f"LK{i}", facility))))
        hits = [make_hit("XC02", "WARNING", "XML1", None, 0.0)] if i % 5 == 0 else []
        items.append((decisions, key, wire.encode("decision", make_decision(
            f"LK{i}", facility, outcome="WARN" if hits else "ACCEPT", hits=hits,
            requested=1000.0 + i, rejected=0.0))))
    return items


def committed_and_end(settings: Settings, topics: list[str]
                      ) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], int]]:
    probe = Consumer({"bootstrap.servers": settings.bootstrap, "group.id": settings.sink_group,
                      "enable.auto.commit": False})
    try:
        tps = [TopicPartition(t, p) for t in topics for p in range(PARTITIONS)]
        committed = {(tp.topic, tp.partition): tp.offset for tp in probe.committed(tps, 10)}
        end = {(tp.topic, tp.partition): probe.get_watermark_offsets(tp, 10)[1] for tp in tps}
        return committed, end
    finally:
        probe.close()


def fully_committed(settings: Settings, topics: list[str]) -> bool:
    committed, end = committed_and_end(settings, topics)
    return committed == end


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.3)


def count(client: Client, query: str) -> int:
    value: int = client.execute(query)[0][0]
    return value


def read_topic(settings: Settings, topic: str, expect: int) -> list[Any]:
    reader = Consumer({"bootstrap.servers": settings.bootstrap, "group.id": f"{topic}-reader",
                       "auto.offset.reset": "earliest"})
    reader.subscribe([topic])
    got: list[Any] = []
    deadline = time.monotonic() + 30
    while len(got) < expect and time.monotonic() < deadline:
        msg = reader.poll(0.5)
        if msg is not None and not msg.error():
            got.append(msg)
    reader.close()
    return got


@pytest.fixture()
def sink_env(isolated: Settings) -> Iterator[tuple[Settings, AvroWire, Client]]:
    settings = isolated.model_copy(update={"sink_batch_size": 100, "sink_batch_seconds": 0.5})
    db.migrate(settings, progress=lambda _m: None)
    topics = create_topics(settings)
    client = db.connect(settings)
    yield settings, AvroWire(settings), client
    client.disconnect()
    AdminClient({"bootstrap.servers": settings.bootstrap}).delete_topics(topics)


def start(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


@pytest.mark.kafka
@pytest.mark.clickhouse
def test_sink_stores_all_dead_letters_bad_ones_and_commits_to_the_end(
    sink_env: tuple[Settings, AvroWire, Client]
) -> None:
    settings, wire, client = sink_env
    k = 400
    claims = settings.topic("hi.claims")
    bad_decision = make_decision("BAD", revision=0)  # valid Avro, but revision must be >= 1
    items = workload(settings, wire, k) + [
        (claims, b"x", b"not avro at all"),
        (claims, b"x", struct.pack(">BI", 0, 4242) + b"\x00"),
        (settings.topic("hi.decisions"), b"x", wire.encode("decision", bad_decision)),
    ]
    produce(settings, items)
    topics = [claims, settings.topic("hi.decisions")]

    metrics, stop = Metrics.sink(), threading.Event()
    thread = start(lambda: run_sink(settings, wire.decode, stop=stop, metrics=metrics))
    try:
        wait_until(lambda: count(client, "SELECT count() FROM decisions FINAL") == k
                   and count(client, "SELECT count() FROM claims FINAL") == k, 90,
                   "every claim and decision in ClickHouse")
        wait_until(lambda: fully_committed(settings, topics), 30,
                   "committed offsets to reach the end offsets")
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive(), "the sink did not stop"

    assert count(client, "SELECT count() FROM claim_lines FINAL") == 3 * k
    assert count(client, "SELECT count() FROM rule_hits FINAL") == k // 5
    assert count(client, "SELECT sum(claims) FROM facility_daily") == k
    assert count(client, "SELECT sum(warned_claims) FROM facility_daily") == k // 5

    dead = read_topic(settings, settings.topic(DLQ_TOPIC), 3)
    headers = [{n: v.decode() for n, v in m.headers()} for m in dead]
    assert sorted(h["reason"] for h in headers) == ["invalid_record", "undecodable",
                                                    "undecodable"]
    assert any("decision.revision" in h["detail"] for h in headers)
    assert any("4242" in h["detail"] for h in headers)
    assert {m.value() for m in dead} >= {b"not avro at all"}
    sample = metrics.registry.get_sample_value
    assert sample("hireview_sink_rows_total", {"table": "decisions"}) == k
    assert sample("hireview_sink_rows_total", {"table": "claim_lines"}) == 3 * k
    assert (sample("hireview_sink_batches_total") or 0) >= 2  # 100-row batches
    assert sum(sample("hireview_dead_letters_total", {"topic": settings.topic(t),
                                                      "reason": "undecodable"}) or 0
               for t in ("hi.claims", "hi.decisions")) == 2
    assert sample("hireview_decision_to_store_seconds_count") == k

    # A replay from the start (offsets lost, a new group) must not double count anything.
    # It runs with its own metrics served, as `hireview sink` does: only the sink's show.
    replay = settings.model_copy(update={"sink_group": settings.sink_group + "-replay"})
    stop = threading.Event()
    thread = start(lambda: run_sink(replay, wire.decode, stop=stop, serve_metrics=True))
    try:
        wait_until(lambda: fully_committed(replay, topics), 90,
                   "the replaying sink to commit to the end")
        url = f"http://127.0.0.1:{replay.sink_metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
    finally:
        stop.set()
        thread.join(30)
    served = {f.name for f in text_string_to_metric_families(page)}
    assert {"hireview_sink_rows", "hireview_sink_batches", "hireview_dead_letters"} <= served
    worker_only = {d.name.removesuffix("_total") for d in CATALOGUE if "sink" not in d.processes}
    assert "hireview_claims" in worker_only and not served & worker_only, served & worker_only
    assert count(client, "SELECT count() FROM decisions FINAL") == k
    assert count(client, "SELECT count() FROM rule_hits FINAL") == k // 5
    assert count(client, "SELECT sum(claims) FROM facility_daily") == k
    requested = client.execute("SELECT sum(requested) FROM facility_daily")[0][0]
    assert float(requested) == pytest.approx(sum(1000.0 + i for i in range(k)))


class FlakyClient:
    """A real client whose first ``failures`` INSERTs fail as if ClickHouse were down."""

    def __init__(self, client: Client, failures: int, events: list[str]) -> None:
        self.client, self.failures, self.events = client, failures, events

    def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        if query.startswith("INSERT"):
            if self.failures > 0:
                self.failures -= 1
                self.events.append("insert-failed")
                raise NetworkError("simulated: Connection refused")
            self.events.append("insert")
        return self.client.execute(query, *args, **kwargs)

    def disconnect(self) -> None:
        self.client.disconnect()


class RecordingSink(Sink):
    events: list[str]

    def _commit(self, offsets: Any) -> None:
        self.events.append("commit")
        super()._commit(offsets)


@pytest.mark.kafka
@pytest.mark.clickhouse
def test_inserts_are_retried_while_clickhouse_fails_and_nothing_is_committed_before(
    sink_env: tuple[Settings, AvroWire, Client]
) -> None:
    settings, wire, client = sink_env
    k = 150
    produce(settings, workload(settings, wire, k))
    topics = [settings.topic("hi.claims"), settings.topic("hi.decisions")]
    events: list[str] = []
    metrics, stop = Metrics.sink(), threading.Event()
    flaky = FlakyClient(db.client(settings), failures=3, events=events)
    sink = RecordingSink(settings, wire.decode, metrics, stop, client=flaky)
    sink.events = events
    thread = start(sink.run)
    try:
        wait_until(lambda: count(client, "SELECT count() FROM decisions FINAL") == k, 90,
                   "every decision in ClickHouse")
        wait_until(lambda: fully_committed(settings, topics), 30,
                   "committed offsets to reach the end offsets")
    finally:
        stop.set()
        thread.join(30)
    assert events[:3] == ["insert-failed"] * 3
    assert events.index("commit") > events.index("insert")  # first commit after a stored batch
    assert metrics.registry.get_sample_value("hireview_sink_retries_total") == 3
    assert count(client, "SELECT count() FROM claims FINAL") == k


@pytest.mark.clickhouse
def test_insert_throughput_figures(isolated: Settings) -> None:
    """Prints rows/s for decisions + rule hits at 5,000 decisions per batch (no timed assert)."""
    db.migrate(isolated, progress=lambda _m: None)
    client = db.connect(isolated)
    hits = [make_hit("CT01"), make_hit("CT02", line=2)]
    batches, size = 4, 5000
    built = insert = 0.0
    for b in range(batches):
        started = time.perf_counter()
        tables: dict[str, list[dict[str, Any]]] = {"decisions": [], "rule_hits": []}
        for i in range(size):
            d = make_decision(f"T{b}-{i}", ("79001", "01002")[i % 2], hits=hits)
            for table, rows in decision_tables(d, NOW).items():
                tables[table].extend(rows)
        built += time.perf_counter() - started
        started = time.perf_counter()
        insert_tables(client, tables)
        insert += time.perf_counter() - started
    total = batches * size * (1 + len(hits))
    assert count(client, "SELECT count() FROM decisions") == batches * size
    assert count(client, "SELECT count() FROM rule_hits") == batches * size * len(hits)
    print(f"\n[sink throughput] {batches} batches of {size} decisions + {size * len(hits)} hits: "
          f"insert {total / insert:,.0f} rows/s ({batches * size / insert:,.0f} decisions/s), "
          f"row building {total / built:,.0f} rows/s, end to end "
          f"{total / (built + insert):,.0f} rows/s")


SIGTERM_CHILD = """
from streams.settings import Settings
from streams.sink.consumer import run_sink
from tests.integration.test_sink import AvroWire
settings = Settings.load()
print("running", flush=True)
run_sink(settings, AvroWire(settings).decode)
print("stopped", flush=True)
"""


@pytest.mark.kafka
@pytest.mark.clickhouse
def test_sigterm_stores_the_pending_batch_commits_and_exits(
    sink_env: tuple[Settings, AvroWire, Client]
) -> None:
    settings, wire, client = sink_env
    # A batch that would wait an hour: only the shutdown flush can store and commit it.
    settings = settings.model_copy(update={"sink_batch_size": 100_000,
                                           "sink_batch_seconds": 3600.0})
    k = 30
    produce(settings, workload(settings, wire, k))
    topics = [settings.topic("hi.claims"), settings.topic("hi.decisions")]
    proc = subprocess.Popen([sys.executable, "-c", SIGTERM_CHILD], env=settings_env(settings),
                            cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"running"
        wait_until(lambda: group_has_members(settings), 60, "the sink to join its group")
        time.sleep(5)  # let it consume everything into the pending batch
        assert count(client, "SELECT count() FROM decisions") == 0
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and b"stopped" in out, out.decode(errors="replace")[-2000:]
    assert count(client, "SELECT count() FROM decisions FINAL") == k
    assert fully_committed(settings, topics)


def group_has_members(settings: Settings) -> bool:
    admin = AdminClient({"bootstrap.servers": settings.bootstrap})
    groups = admin.describe_consumer_groups([settings.sink_group])
    description = groups[settings.sink_group].result(timeout=10)
    return len(description.members) > 0 and all(m.assignment.topic_partitions
                                                 for m in description.members)
