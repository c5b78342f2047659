"""``hireview audit`` against the real Kafka and ClickHouse: a claim no stage will ever decide
is reported (by the CLI and by the sink's gauge), re-driven, decided, and the report is clean.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from streams.audit.compare import PASSED
from streams.audit.run import collect, command
from streams.clickhouse import db
from streams.codec import Codec
from streams.kafka import create_topics, publish, watermarks
from streams.ops.procs import Child, group_stable, scrape, wait_for
from streams.settings import Settings
from streams.sim.generate import generate
from streams.sim.publish import publish_reference

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

GAUGE = "hireview_claims_undecided"


def commit_to_end(settings: Settings, group: str, topic: str) -> None:
    """Commit ``group`` at the end of ``topic``, as the skip bug's commit past a gap does."""
    consumer = Consumer({"bootstrap.servers": settings.bootstrap, "group.id": group,
                         "enable.auto.commit": False})
    try:
        ends = [TopicPartition(topic, p, watermarks(consumer, TopicPartition(topic, p))[1])
                for p in range(settings.partitions)]
        consumer.commit(offsets=ends, asynchronous=False)
    finally:
        consumer.close()


def audit_rc(settings: Settings) -> int:
    args = argparse.Namespace(date_from=None, date_to=None, older_than=0.0, limit=5,
                              redrive=False)
    return command(settings, args)


def stored_decisions(settings: Settings) -> int:
    return int(db.connect(settings).execute("SELECT count() FROM decisions FINAL")[0][0])


def test_undecided_claims_are_reported_redriven_and_then_decided(
    isolated: Settings, tmp_path: Path
) -> None:
    s = isolated.model_copy(update={"audit_older_than_seconds": 0.0,
                                    "audit_interval_seconds": 1.0})
    db.migrate(s)
    create_topics(s)
    codec = Codec.from_settings(s)
    sim = generate(41, seed=23, violations=0.0)
    publish_reference(s, codec, sim.catalog_entries, sim.cards)
    enc = codec.encoder("claim")
    items = [(c.claim["person_key"].encode(), enc(c.claim)) for c in sim.claims]
    held_back, claims_topic = items.pop(), s.topic("hi.claims")
    sink = Child(s, "sink", tmp_path)
    worker: Child | None = None
    client = db.connect(s)
    try:
        publish(s, claims_topic, items)
        wait_for(lambda: client.execute("SELECT count() FROM claims FINAL")[0][0] == len(items),
                 120, "claims stored by the sink", children=(sink,))
        commit_to_end(s, s.app_id, claims_topic)  # no worker will ever read these claims

        report = collect(s, older_than=0.0)
        assert len(report.past) == len(items) and not report.final
        assert {u.state for u in report.past} == {PASSED}
        assert audit_rc(s) == 1
        wait_for(lambda: scrape(s.sink_metrics_port, GAUGE) == len(items), 60,
                 "the sink's undecided gauge", children=(sink,))

        worker = Child(s, "worker", tmp_path)
        wait_for(lambda: group_stable(s, s.app_id), 180, "the worker group",
                 children=(worker, sink))
        publish(s, claims_topic, [held_back])  # a new claim: the worker runs and decides it
        wait_for(lambda: stored_decisions(s) == 1, 120, "the new claim's decision",
                 children=(worker, sink))
        report = collect(s, older_than=0.0)
        assert len(report.past) == len(items)  # the group caught up; they stay undecided

        args = argparse.Namespace(date_from=None, date_to=None, older_than=0.0, limit=5,
                                  redrive=True)
        assert command(s, args) == 1  # reported (then re-sent)
        wait_for(lambda: stored_decisions(s) == len(items) + 1, 120, "re-driven decisions",
                 children=(worker, sink))
        wait_for(lambda: collect(s, older_than=0.0).final, 60, "every stage caught up",
                 children=(worker, sink))
        assert audit_rc(s) == 0
        wait_for(lambda: scrape(s.sink_metrics_port, GAUGE) == 0, 60,
                 "the gauge back at 0", children=(worker, sink))
    finally:
        if worker is not None:
            worker.stop()
        sink.stop()
