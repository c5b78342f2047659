"""Settlement of claims that went through the whole pipeline: simulated claims → Kafka → the
Faust worker → the sink → ClickHouse → ``close_period``, month by month. Each closed month
equals the sums ClickHouse computes independently; then appraisers settle two waiting claims of
a closed month through hi.reviews (the worker's review agent issues the revisions), and the next
month carries them as adjustments."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rules.decision import hit_keys
from streams.clickhouse.db import connect, migrate
from streams.codec import Codec
from streams.kafka import publish
from streams.ops.procs import Child, wait_for
from streams.settings import Settings
from streams.settle.close import close_period
from streams.settle.periods import Period
from streams.sim.publish import simulate_and_publish
from tests.integration.records import records
from tests.integration.test_settlement import _EXPECTED, _FIGURES, _settlement

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]
LATER = date(2100, 1, 1)  # "today" for closing: the simulated months include the current one


def _review(codec: Codec, decision: dict[str, Any], action: str) -> tuple[bytes, bytes]:
    keys = hit_keys(decision["hits"])
    warnings = [(k, h) for k, h in zip(keys, decision["hits"], strict=True)
                if h["severity"] == "WARNING"]
    verdict = "CONFIRMED" if action == "CONFIRM" else "CHANGED"
    record = {"review_id": uuid.uuid4().hex, "facility": decision["facility"],
              "claim_id": decision["claim_id"], "version": decision["version"],
              "person_key": decision["person_key"], "base_revision": decision["revision"],
              "action": action, "actor": "lan", "actor_role": "province",
              "note": "đã đối chiếu hồ sơ", "at": datetime.now(UTC), "request_id": None,
              "due": None, "proposal": None, "lines": [], "attachments": [],
              "hits": [{"key": k, "code": h["code"], "amount": h["amount"], "verdict": verdict}
                       for k, h in warnings]}
    return decision["person_key"].encode(), codec.encoder("review")(record)


def test_months_of_pipeline_decisions_settle_and_reviews_adjust(isolated: Settings,
                                                                tmp_path: Path) -> None:
    migrate(isolated, progress=lambda _m: None)
    sim = simulate_and_publish(isolated, claims=1200, rate=0, violations=0.3, seed=31,
                               out=lambda _s: None)
    versions = {(c.claim["facility"], c.claim["claim_id"], c.claim["version"])
                for c in sim.claims}
    client = connect(isolated)
    worker, sink = Child(isolated, "worker", tmp_path), Child(isolated, "sink", tmp_path)
    children = (worker, sink)
    wait_for(lambda: client.execute("SELECT count() FROM decisions FINAL")[0][0]
             == len(versions), 600, "every claim decided and stored", interval=1.0,
             children=children)

    months = sorted(Period.of("month", d) for (d,) in client.execute(
        "SELECT DISTINCT toStartOfMonth(service_date) FROM decisions"))
    assert len(months) >= 2, months
    *closed, last = months
    for month in closed:
        close_period(client, month, today=LATER)
        expected = client.execute(_EXPECTED, {"s": month.start, "e": month.end})
        assert expected
        for facility, *sums in expected:
            got = _settlement(client, facility, month)
            assert tuple(got[k] for k in _FIGURES) == tuple(sums), (facility, month)

    # Two claims of a closed month still wait for an appraiser: one is confirmed, the other
    # rejected as a whole, both after their month closed.
    codec = Codec.from_settings(isolated)
    latest: dict[tuple[str, str, int], dict[str, Any]] = {}
    for d in records(isolated, codec, "hi.decisions", "decision"):
        key = (d["facility"], d["claim_id"], d["version"])
        if key not in latest or d["revision"] > latest[key]["revision"]:
            latest[key] = d
    waiting = sorted((d for d in latest.values() if d["outcome"] == "WARN"
                      and d["service_date"] <= closed[-1].end
                      and max(v for f, c, v in latest if (f, c) == (d["facility"],
                                                                    d["claim_id"]))
                      == d["version"]), key=lambda d: (d["facility"], d["claim_id"]))
    assert len(waiting) >= 2, "the simulation has claims waiting for an appraiser"
    confirmed, rejected = waiting[0], waiting[1]
    publish(isolated, isolated.topic("hi.reviews"), [_review(codec, confirmed, "CONFIRM"),
                                                      _review(codec, rejected, "REJECT_CLAIM")])

    def reviewed() -> int:
        return int(client.execute(
            "SELECT count() FROM decisions FINAL WHERE reviewed_by = 'lan' AND claim_id IN "
            "%(c)s", {"c": (confirmed["claim_id"], rejected["claim_id"])})[0][0])
    try:
        wait_for(lambda: reviewed() == 2, 180, "both reviews applied and stored",
                 children=children)
    finally:
        worker.stop()
        sink.stop()

    close_period(client, last, today=LATER)
    rows = client.execute(
        "SELECT facility, claim_id, approved, rejected_rule, rejected_review, under_review "
        "FROM settlement_entries FINAL WHERE period_kind = 'month' AND period = %(p)s AND "
        "entry = 'adjustment'", {"p": last.label})
    adjustments = {(f, c): tuple(x) for f, c, *x in rows}
    assert set(adjustments) == {(d["facility"], d["claim_id"]) for d in (confirmed, rejected)}
    was = {d["claim_id"]: Decimal(str(d["approved"])).quantize(Decimal("0.01"))
           for d in (confirmed, rejected)}
    now = {c: (a, r) for c, a, r in client.execute(
        "SELECT claim_id, approved, rejected FROM decisions FINAL WHERE claim_id IN %(c)s",
        {"c": tuple(was)})}
    approved, cut = now[confirmed["claim_id"]]
    assert adjustments[(confirmed["facility"], confirmed["claim_id"])] == (
        approved, cut, Decimal(0), -was[confirmed["claim_id"]])
    assert adjustments[(rejected["facility"], rejected["claim_id"])] == (
        Decimal(0), Decimal(0), Decimal(str(rejected["requested"])).quantize(Decimal("0.01")),
        -was[rejected["claim_id"]])
    for facility, *sums in client.execute(_EXPECTED, {"s": last.start, "e": last.end}):
        got = _settlement(client, facility, last)
        assert tuple(got[k] for k in _FIGURES) == tuple(sums), (facility, last)
