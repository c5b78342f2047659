"""The Faust worker without a broker: events are put into the agent that reads ``hi.claims``
(Faust's ``agent.test_context()``) and what the worker produces is read off a recording
producer, by topic; the one question the worker asks the broker (where a partition starts) is
answered "at 0". The test knows the topics in and out, not how the agents are written.

Being unmarked, it also shows that none of this opens a Kafka connection (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, cast

import faust
import pytest
from faust.types import TP, FutureMessage, ProducerT
from faust.types.tuples import RecordMetadata

from rules.engine import Engine
from streams.codec import Codec
from streams.metrics import Metrics
from streams.settings import Settings
from streams.worker.app import create_app
from streams.worker.processor import Enrichment
from tests.unit.shared.examples import AVRO, codec_in, example, reference

PREFIX = "unit."
CLAIM = AVRO / "examples" / "claim" / "outpatient-acute-uri.json"


class Sent(NamedTuple):
    topic: str
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]


class RecordingProducer:
    """Stands in for Faust's Kafka producer: every message is recorded and acknowledged."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def on(self, name: str) -> list[Sent]:
        return [s for s in self.sent if s.topic == PREFIX + name]

    def _ack(self, topic: str, key: Any, value: Any, partition: int | None,
             headers: Any) -> RecordMetadata:
        pairs = headers.items() if isinstance(headers, dict) else headers or ()
        self.sent.append(Sent(topic, key, value, {k: bytes(v) for k, v in pairs}))
        tp = TP(topic, partition or 0)
        return RecordMetadata(topic, tp.partition, tp, len(self.sent), 0.0, 0)

    async def maybe_start(self) -> None:
        return None

    async def send(self, topic: str, key: Any, value: Any, partition: int | None,
                   timestamp: float | None, headers: Any, **_: Any) -> asyncio.Future[Any]:
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(self._ack(topic, key, value, partition, headers))
        return done

    async def send_and_wait(self, topic: str, key: Any, value: Any, partition: int | None,
                            timestamp: float | None, headers: Any,
                            **_: Any) -> RecordMetadata:
        return self._ack(topic, key, value, partition, headers)

    def send_soon(self, fut: FutureMessage) -> None:  # table changelogs
        m = fut.message
        topic = cast(faust.TopicT, m.channel).get_topic_name()
        fut.set_result(self._ack(topic, m.key, m.value, m.partition, m.headers))
        if m.callback:
            m.callback(fut)


async def fresh_partitions(*partitions: TP) -> dict[TP, int]:
    """The broker's answer to where partitions start (the offset guard asks): fresh topics."""
    return dict.fromkeys(partitions, 0)


class Worker(NamedTuple):
    app: faust.App
    codec: Codec
    producer: RecordingProducer


@pytest.fixture()
def worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Worker]:
    settings = Settings(state_dir=tmp_path, topic_prefix=PREFIX, app_id="hireview-unit",
                        partitions=2)
    codec = codec_in(tmp_path)
    catalog, cards = reference(codec)
    app = create_app(settings, codec, Enrichment(Engine.load(), catalog, cards),
                     Metrics.worker()).app
    producer = RecordingProducer()
    app.producer = cast(ProducerT, producer)
    # Faust's consumer stays (it is never started, and holds the offsets it acknowledges); only
    # its one question to the broker is answered here.
    monkeypatch.setattr(app.consumer, "earliest_offsets", fresh_partitions)
    yield Worker(app, codec, producer)


def put(app: faust.App, *events: tuple[bytes | None, bytes | None],
        topic: str = "hi.claims") -> None:
    """Feed ``events`` (key, value) in order to the agent reading ``topic``; wait for each."""
    (agent,) = [a for a in app.agents.values()
                if PREFIX + topic in getattr(a.channel, "topics", ())]

    async def run() -> None:
        async with agent.test_context() as test:
            for key, value in events:
                await asyncio.wait_for(test.put(key=key, value=value), 10)

    asyncio.run(run())


def test_a_claim_in_is_a_decision_out(worker: Worker) -> None:
    data, claim = example(worker.codec, CLAIM)
    put(worker.app, (claim["person_key"].encode(), data))
    (sent,) = worker.producer.on("hi.decisions")
    assert sent.key == claim["person_key"].encode()
    decision = worker.codec.decode(sent.value or b"", "decision")
    for field in ("facility", "claim_id", "version", "person_key", "content_hash"):
        assert decision[field] == claim[field], field
    assert decision["requested"] == pytest.approx(claim["header"]["t_bhtt"])
    assert sent.headers["claim"].decode().startswith(f"{claim['facility']}|{claim['claim_id']}|")
    review = any(h["severity"] == "WARNING" for h in decision["hits"])
    assert len(worker.producer.on("hi.warnings")) == int(review)
    assert worker.producer.on("hi.claims.dlq") == []


def test_bad_events_go_to_the_dlq_and_the_next_claim_is_decided(worker: Worker) -> None:
    data, claim = example(worker.codec, CLAIM)
    key = claim["person_key"].encode()
    bad = [(key, b"not avro at all"), (b"someone-else", data), (key, None)]
    put(worker.app, *bad, (key, data))
    dead = worker.producer.on("hi.claims.dlq")
    assert [(d.key, d.value) for d in dead] == bad  # the original bytes, in order
    assert len({d.headers["reason"] for d in dead}) == 3, dead  # each says what is wrong
    assert all(d.headers["topic"] == (PREFIX + "hi.claims").encode() for d in dead)
    (decided,) = worker.producer.on("hi.decisions")
    assert worker.codec.decode(decided.value or b"", "decision")["claim_id"] == claim["claim_id"]


def test_every_topic_an_agent_reads_is_watched_for_lag(worker: Worker) -> None:
    """streams/lag.py lists what each group consumes; a topic missing there is a stage whose
    lag no process reports and whose stall no alert sees (hi.reviews once was)."""
    from streams.lag import groups
    from streams.sink.consumer import builders

    settings = Settings(topic_prefix=PREFIX, app_id="hireview-unit", sink_group="sink-unit")
    read = {t for a in worker.app.agents.values() for t in getattr(a.channel, "topics", ())}
    assert PREFIX + "hi.reviews" in read
    assert set(groups(settings)["hireview-unit"]) == read
    assert set(groups(settings)["sink-unit"]) == set(builders(settings))


def test_a_review_in_is_the_appraisers_revision_out(worker: Worker) -> None:
    """hi.reviews: a decisive review of a decided claim is its next revision, attributed to the
    appraiser; an unusable event goes to the DLQ (bad_review) and the next one still applies."""
    from rules.decision import hit_keys

    data, claim = example(worker.codec, CLAIM)
    key = claim["person_key"].encode()
    put(worker.app, (key, data))
    (first,) = worker.producer.on("hi.decisions")
    decision = worker.codec.decode(first.value or b"", "decision")
    review = {"review_id": "ab" * 16, "facility": claim["facility"],
              "claim_id": claim["claim_id"], "version": claim["version"],
              "person_key": claim["person_key"], "base_revision": decision["revision"],
              "action": "REJECT_LINES", "actor": "lan", "actor_role": "province",
              "note": "thuốc không đúng chỉ định", "at": datetime.now(UTC), "request_id": None,
              "due": None, "proposal": None, "attachments": [],
              "lines": [{"table": "XML2", "line": 1, "amount": 10**9}],  # capped at the line
              "hits": [{"key": k, "code": h["code"], "amount": h["amount"],
                        "verdict": "CONFIRMED"}
                       for k, h in zip(hit_keys(decision["hits"]), decision["hits"],
                                       strict=True)]}
    encode = worker.codec.encoder("review")
    bad = [(key, None), (key, b"garbage"), (b"someone-else", encode(review)),
           (key, encode({**review, "review_id": "cd" * 16, "note": ""}))]
    put(worker.app, *bad, (key, encode(review)), topic="hi.reviews")
    dead = worker.producer.on("hi.claims.dlq")
    assert [(d.key, d.value) for d in dead] == bad
    assert {d.headers["reason"] for d in dead} == {b"bad_review"}
    assert all(d.headers["topic"] == (PREFIX + "hi.reviews").encode() for d in dead)
    _, second = worker.producer.on("hi.decisions")
    revised = worker.codec.decode(second.value or b"", "decision")
    assert (revised["revision"], revised["reviewed_by"], revised["review_id"]) == (
        decision["revision"] + 1, "lan", "ab" * 16)
    line = claim["drugs"][0]
    assert revised["rejected"] >= line["t_bhtt"] and revised["outcome"] != "ACCEPT"
    assert any(a["code"] == "REVIEW" and a["rejected"] <= line["t_bhtt"]
               for a in revised["adjustments"])
