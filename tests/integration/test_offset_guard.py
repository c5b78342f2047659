"""The offset guard on the real pipeline: records lost between Kafka and the agent are found,
the worker stops and its restart decides them, in order, with nothing lost or doubled."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from streams.codec import Codec
from streams.kafka import create_topics, publish
from streams.ops.procs import Child, wait_for
from streams.settings import Settings
from streams.sim.generate import generate
from streams.sim.publish import publish_reference

pytestmark = pytest.mark.kafka

Key = tuple[str, str, int]


def decided(settings: Settings) -> dict[Key, list[tuple[int, int]]]:
    """Every decision on hi.decisions so far: claim → [(revision, position in its partition)]."""
    topic = settings.topic("hi.decisions")
    consumer = Consumer({"bootstrap.servers": settings.bootstrap, "group.id": "guard-reader",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(settings.partitions)])
    out: dict[Key, list[tuple[int, int]]] = {}
    idle = time.monotonic()
    while time.monotonic() - idle < 1.5:
        msg = consumer.poll(0.3)
        if msg is None or msg.error():
            continue
        idle = time.monotonic()
        header = dict(msg.headers() or [])["claim"]
        assert isinstance(header, bytes), msg.headers()
        facility, claim_id, version, revision = header.decode().split("|")
        out.setdefault((facility, claim_id, int(version)), []).append(
            (int(revision), int(msg.offset() or 0)))
    consumer.close()
    return out


def gaps_metric(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
        text = r.read().decode()
    return {line.split()[0]: float(line.split()[-1]) for line in text.splitlines()
            if line.startswith("hireview_offset_gaps_total{")}


def test_injected_gap_is_found_and_the_restart_decides_every_claim(
    isolated: Settings, tmp_path: Path
) -> None:
    settings = isolated.model_copy(update={"worker_inject_gap": "hi.claims:0:30:60"})
    create_topics(settings)
    codec = Codec.from_settings(settings)
    sim = generate(800, seed=21, violations=0.2)
    publish_reference(settings, codec, sim.catalog_entries, sim.cards)
    encode = codec.encoder("claim")
    publish(settings, settings.topic("hi.claims"),
            [(c.claim["person_key"].encode(), encode(c.claim)) for c in sim.claims])
    expected = {(c.claim["facility"], c.claim["claim_id"], c.claim["version"])
                for c in sim.claims}

    worker = Child(settings, "worker", tmp_path)
    try:
        wait_for(lambda: set(decided(settings)) >= expected, 240,
                 "a decision for every claim", interval=2.0, children=(worker,))
        log = worker.tail(400)
        assert "offset guard: " in log and "expected offset 31, got 91" in log, log
        assert "starting it again" in log
        wait_for(lambda: bool(_gaps(settings)), 60, "the worker's metrics", children=(worker,))
        topic = settings.topic("hi.claims")
        assert _gaps(settings) == {
            f'hireview_offset_gaps_total{{partition="0",topic="{topic}"}}': 1.0}
    finally:
        worker.stop()
    found = decided(settings)
    assert set(found) == expected
    # At-least-once may repeat a decision, never change it: one revision per claim unless an
    # amendment or a re-judgement added one.
    for key, seen in found.items():
        assert min(r for r, _ in seen) == 1, key


def _gaps(settings: Settings) -> dict[str, float]:
    try:
        return gaps_metric(settings.worker_web_port)
    except OSError:
        return {}
