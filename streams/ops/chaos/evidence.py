"""Read what a chaos run left behind: hi.decisions, ClickHouse, committed offsets, metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streams.audit import kafka_log
from streams.clickhouse import db
from streams.codec import Codec
from streams.ops.chaos.count import DecisionEvent, Evidence, Identity, Position, verdict
from streams.settings import Settings

Record = dict[str, Any]


def read_decisions(settings: Settings, codec: Codec) -> tuple[list[DecisionEvent],
                                                               dict[Identity, Record]]:
    """Every hi.decisions record (log order per partition), and each claim version's current
    decision decoded (highest revision, the last such record)."""
    events, latest = [], dict[Identity, Record]()
    for msg in kafka_log.read_range(settings, settings.topic("hi.decisions")):
        d = codec.decode(msg.value() or b"", "decision")
        ident = (d["facility"], d["claim_id"], int(d["version"]))
        events.append(DecisionEvent(int(msg.partition() or 0), int(msg.offset() or 0), ident,
                                    int(d["revision"]), verdict(d)))
        if ident not in latest or d["revision"] >= latest[ident]["revision"]:
            latest[ident] = d
    return events, latest


def stored_rows(settings: Settings) -> dict[Identity, int]:
    client = db.client(settings)
    try:
        rows = client.execute("SELECT facility, claim_id, version, count() FROM decisions FINAL "
                              "GROUP BY facility, claim_id, version")
    finally:
        client.disconnect()
    return {(f, c, int(v)): int(n) for f, c, v, n in rows}


def committed(settings: Settings, group: str, topic: str) -> dict[int, int]:
    return {x.partition: x.committed for x in kafka_log.group_lags(settings, group, [topic])
            if x.committed is not None}


def gather(settings: Settings, codec: Codec, acked: Mapping[Identity, Position]
           ) -> tuple[Evidence, dict[Identity, Record]]:
    """Offsets first, then the logs and the store: a later read sees at least as much."""
    worker = committed(settings, settings.app_id, settings.topic("hi.claims"))
    sink = committed(settings, settings.sink_group, settings.topic("hi.decisions"))
    decisions, latest = read_decisions(settings, codec)
    return Evidence(acked, decisions, stored_rows(settings), worker, sink), latest
