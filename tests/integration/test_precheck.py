"""``POST /api/v1/precheck`` on the running pipeline (``hireview portal serve``, a worker and a
sink, as in test_portal_e2e): it answers the hits that submitting the same claims then gets,
and leaves no trace: no topic's end offset moves, no ClickHouse row appears, no receipt (the
later submission is still version 1, "accepted").

Earlier claims of the same people are submitted and decided first, so the pre-check judges
against a real history read from the worker (GET /history/{person}). The portal's health
endpoint answers on the same stack without a key."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition

from streams.clickhouse import db
from streams.portal.intake import claim_to_json
from streams.settings import Settings
from streams.sim.generate import generate
from tests.integration.test_portal_e2e import decisions, group_by_facility, start_stack
from tests.unit.portal.test_portal_precheck import comparable

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]
_TABLES = ("claims", "claim_lines", "claim_payloads", "decisions", "rule_hits",
           "decision_revisions")


def end_offsets(settings: Settings) -> dict[tuple[str, int], int]:
    """The end offset of every partition of every topic of this test's prefix."""
    consumer = Consumer({"bootstrap.servers": settings.bootstrap, "group.id": "precheck-ends"})
    try:
        topics = [t for t in consumer.list_topics(timeout=10).topics
                  if t.startswith(settings.topic_prefix) or t.startswith(settings.app_id)]
        out = {}
        for topic in topics:
            meta = consumer.list_topics(topic, timeout=10).topics[topic]
            for p in meta.partitions:
                out[(topic, p)] = consumer.get_watermark_offsets(TopicPartition(topic, p),
                                                                 timeout=10)[1]
        return out
    finally:
        consumer.close()


def row_counts(settings: Settings) -> dict[str, int]:
    client = db.connect(settings)
    return {t: int(client.execute(f"SELECT count() FROM {t}")[0][0]) for t in _TABLES}


def quiet(settings: Settings) -> dict[tuple[str, int], int]:
    """Offsets once the pipeline has stopped writing (two equal readings a second apart)."""
    last = end_offsets(settings)
    for _ in range(60):
        time.sleep(1.0)
        now = end_offsets(settings)
        if now == last:
            return now
        last = now
    raise AssertionError("the pipeline kept writing for a minute")


def stored_hits(settings: Settings, key: tuple[str, str, int]) -> list[dict[str, Any]]:
    rows = db.connect(settings).execute(
        "SELECT code, severity, table, line, toFloat64(amount), input_keys, input_values "
        "FROM rule_hits FINAL WHERE facility = %(f)s AND claim_id = %(c)s AND version = %(v)s",
        {"f": key[0], "c": key[1], "v": key[2]})
    return [{"code": c, "severity": s, "table": t, "line": None if line == -1 else line,
             "amount": a, "inputs": dict(zip(k, v, strict=True))}
            for c, s, t, line, a, k, v in rows]


def post(http: httpx.Client, url: str, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    r = http.post(url, content=orjson.dumps([claim_to_json(c) for c in batch]),
                  headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text[:2000]
    claims: list[dict[str, Any]] = r.json()["claims"]
    return claims


def test_precheck_gives_the_submitted_hits_and_leaves_no_trace(isolated: Settings,
                                                              tmp_path: Any) -> None:
    sim = generate(60, seed=29, violations=0.5)
    firsts = [c.claim for c in sim.claims if c.claim["version"] == 1]
    # Drafts: each person's last claim (one per person: a pre-check sees the submitted history,
    # not the other drafts), and the claims of people seen once; the rest is the history.
    last = {c["person_key"]: c for c in firsts}
    drafts = [c for c in firsts if last[c["person_key"]] is c][-16:]
    history = [c for c in firsts if all(c is not d for d in drafts)]
    assert {c["person_key"] for c in drafts} & {c["person_key"] for c in history}, \
        "no draft has an earlier visit of its person"
    stack = start_stack(isolated, tmp_path, sim)
    settings = stack.settings
    try:
        health = httpx.get(f"{stack.url}/api/v1/health", timeout=10)  # no key
        assert health.status_code == 200, health.text
        assert health.json()["kafka"]["reachable"] is True
        assert health.json()["reference_feed"]["loaded"] is True
        assert health.json()["reference_feed"]["following"] is True
        assert health.json()["reference_feed"]["catalog_age_s"] >= 0  # the sim's lists loaded
        with httpx.Client(base_url=stack.url, timeout=60,
                          headers={"Authorization": f"Bearer {stack.key}"}) as http:
            for batch in group_by_facility(history):
                assert all(r["status"] == "accepted" for r in post(http, "/api/v1/claims", batch))
            from streams.ops.procs import wait_for

            wait_for(lambda: len(decisions(settings)) >= len(history), 150,
                     "the history decided", interval=1.0, children=stack.children())
            before, counts = quiet(settings), row_counts(settings)

            checked: dict[tuple[str, str, int], dict[str, Any]] = {}
            for batch in group_by_facility(drafts):
                for item in post(http, "/api/v1/precheck", batch):
                    assert item["submission"] == "accepted" and item["version"] == 1, item
                    assert item["history"]["available"] is True, item
                    checked[(item["facility"], item["ma_lk"], 1)] = item
            assert any(i["history"]["visits"] for i in checked.values()), "no history seen"
            assert end_offsets(settings) == before, "the pre-check wrote to Kafka"
            assert row_counts(settings) == counts, "the pre-check left rows in ClickHouse"

            for batch in group_by_facility(drafts):
                results = post(http, "/api/v1/claims", batch)
                assert all(r["status"] == "accepted" and r["version"] == 1 for r in results)
            wait_for(lambda: len(decisions(settings)) >= len(history) + len(drafts), 150,
                     "the drafts decided", interval=1.0, children=stack.children())
            try:
                wait_for(lambda: not _differences(settings, checked), 30, "the stored hits",
                         interval=1.0, children=stack.children())
            except TimeoutError:
                raise AssertionError(f"pre-check and stored hits differ (claim, pre-check, "
                                     f"stored): {_differences(settings, checked)[:3]}") from None
    finally:
        stack.stop()
    assert any(i["decision"]["hits"] for i in checked.values()), "no draft had a hit"
    got = decisions(settings)
    for key, item in checked.items():
        assert got[key]["outcome"] == item["decision"]["outcome"], key


def _differences(settings: Settings,
                 checked: dict[tuple[str, str, int], dict[str, Any]]) -> list[Any]:
    out = []
    for key, item in checked.items():
        stored = sorted(map(comparable, stored_hits(settings, key)))
        mine = sorted(map(comparable, item["decision"]["hits"]))
        if stored != mine:
            out.append((key, [h for h in mine if h not in stored],
                        [h for h in stored if h not in mine]))
    return out
