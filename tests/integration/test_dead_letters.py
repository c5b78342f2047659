"""Malformed events on hi.claims go to the dead-letter topic; the worker keeps going."""

from __future__ import annotations

import struct
import time
import urllib.request
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from streams.codec import Codec
from streams.kafka import create_topics, publish
from streams.ops.procs import Child, wait_for
from streams.settings import Settings
from streams.sim.generate import generate
from streams.sim.publish import publish_reference

pytestmark = pytest.mark.kafka


def read_all(settings: Settings, topic: str, expect: int, timeout: float = 120) -> list[object]:
    consumer = Consumer({"bootstrap.servers": settings.bootstrap, "group.id": f"{topic}-reader",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got: list[object] = []
    deadline = time.monotonic() + timeout
    while len(got) < expect and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            got.append(msg)
    consumer.close()
    return got


def test_malformed_claims_are_dead_lettered_and_good_ones_still_decided(
    isolated: Settings, tmp_path: Path
) -> None:
    create_topics(isolated)
    codec = Codec.from_settings(isolated)
    sim = generate(3, seed=3, violations=0.0)
    publish_reference(isolated, codec, sim.catalog_entries, sim.cards)
    good = [c.claim for c in sim.claims]
    body = codec.encoder("claim")(good[0])
    bad = [
        (b"plain text", "not Avro"),
        (b"\x00" + struct.pack(">I", 987654) + body[5:], "unknown schema id"),
        (body[: len(body) // 3], "truncated: missing fields"),
    ]
    key = good[0]["person_key"].encode()
    items = [(key, v) for v, _ in bad] + [(c["person_key"].encode(), codec.encoder("claim")(c))
                                         for c in good]
    publish(isolated, isolated.topic("hi.claims"), items)

    worker = Child(isolated, "worker", tmp_path)
    try:
        dead = read_all(isolated, isolated.topic("hi.claims.dlq"), expect=len(bad))
        decisions = read_all(isolated, isolated.topic("hi.decisions"), expect=len(good))
        wait_for(worker.alive, 1, "worker alive")
        url = f"http://127.0.0.1:{isolated.worker_web_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            metrics = response.read().decode()
    finally:
        worker.stop()

    assert len(dead) == len(bad), worker.tail()
    reasons = []
    for msg in dead:
        headers = dict(msg.headers())  # type: ignore[attr-defined]
        assert {"reason", "detail", "topic", "partition", "offset"} <= set(headers)
        assert headers["topic"].decode() == isolated.topic("hi.claims")
        assert int(headers["offset"]) in range(len(bad))  # the first three offsets
        reasons.append(headers["detail"].decode())
    assert any("magic" in r for r in reasons), reasons
    assert any("987654" in r for r in reasons), reasons
    assert f"hireview_claims_total {float(len(items))}" in metrics, metrics
    claims_topic = isolated.topic("hi.claims")
    dead_lines = [line for line in metrics.splitlines()
                  if line.startswith("hireview_dead_letters_total{")]
    assert (f'hireview_dead_letters_total{{reason="not_wire_format",topic="{claims_topic}"}} 1.0'
            in dead_lines), dead_lines
    decided = {codec.decode(m.value(), "decision")["claim_id"] for m in decisions}  # type: ignore[attr-defined]
    assert decided == {c["claim_id"] for c in good}


def test_unreadable_internal_events_are_dead_lettered_and_the_stages_go_on(
    isolated: Settings, tmp_path: Path
) -> None:
    """A garbage event on hi.practice or hi.amendments must not stop the worker (the agents
    would otherwise crash on it again after every restart): it is dead-lettered."""
    create_topics(isolated)
    codec = Codec.from_settings(isolated)
    sim = generate(3, seed=3, violations=0.0)
    publish_reference(isolated, codec, sim.catalog_entries, sim.cards)
    publish(isolated, isolated.topic("hi.practice"), [(b"BS001", b"{not json")])
    publish(isolated, isolated.topic("hi.amendments"), [(b"0123456789", b'{"hit": 1}')])
    good = [c.claim for c in sim.claims]
    publish(isolated, isolated.topic("hi.claims"),
            [(c["person_key"].encode(), codec.encoder("claim")(c)) for c in good])

    worker = Child(isolated, "worker", tmp_path)
    try:
        dead = read_all(isolated, isolated.topic("hi.claims.dlq"), expect=2)
        decisions = read_all(isolated, isolated.topic("hi.decisions"), expect=len(good))
        wait_for(worker.alive, 1, "worker alive")
    finally:
        worker.stop()
    reasons = {dict(m.headers())["reason"].decode(): dict(m.headers())["topic"].decode()  # type: ignore[attr-defined]
               for m in dead}
    assert reasons == {"bad_shift": isolated.topic("hi.practice"),
                       "bad_amendment": isolated.topic("hi.amendments")}, worker.tail()
    assert len(decisions) == len(good)
