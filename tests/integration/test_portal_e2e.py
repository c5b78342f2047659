"""The portal end to end: ``hireview portal serve`` as a child process on the real Kafka, with a
worker and a sink running, and the decisions read back from ClickHouse.

1. Simulated claims sent as XML envelopes (several claims each, base64 and plain tables) and in
   the JSON form are decided with the simulator's labelled hits.
2. SIGKILL of the portal while many clients submit: every claim that got a 200 and a receipt is
   on hi.claims exactly once (one version), keeps its receipt when sent again after the restart,
   and is decided in ClickHouse; what was not answered is sent again and nothing is doubled.
"""

from __future__ import annotations

import contextlib
import io
import queue
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition

from rules.engine import Engine
from streams.clickhouse import db
from streams.codec import Codec
from streams.kafka import create_topics
from streams.ops.procs import Child, free_port, wait_for
from streams.portal.auth import add_credential
from streams.portal.intake import claim_to_json
from streams.settings import Settings
from streams.sim.envelopes import write_envelope
from streams.sim.generate import Simulation, generate
from streams.sim.publish import publish_reference

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

Key = tuple[str, str, int]
VN = timedelta(hours=7)  # facility local time, as SB01 reads NGAY_TTOAN


@dataclass
class Stack:
    settings: Settings
    tmp: Path
    key: str
    portal: Child
    worker: Child
    sink: Child

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.portal_port}"

    def children(self) -> tuple[Child, ...]:
        return self.portal, self.worker, self.sink

    def wait_serving(self) -> None:
        wait_for(lambda: _serving(self.url), 90, "the portal to serve", children=(self.portal,))

    def restart_portal(self) -> None:
        self.portal = Child(self.settings, "portal", self.tmp)
        self.wait_serving()

    def stop(self) -> None:
        for child in self.children():
            child.stop()


def _serving(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/errors", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def start_stack(isolated: Settings, tmp: Path, sim: Simulation) -> Stack:
    settings = isolated.model_copy(update={"portal_port": free_port(),
                                           "portal_credentials": tmp / "creds.json"})
    db.migrate(settings, progress=lambda _m: None)
    create_topics(settings)
    publish_reference(settings, Codec.from_settings(settings), sim.catalog_entries, sim.cards)
    with contextlib.redirect_stdout(io.StringIO()):
        key = add_credential(settings.portal_credentials, "e2e", "central", "*")
    stack = Stack(settings, tmp, key, Child(settings, "portal", tmp),
                  Child(settings, "worker", tmp), Child(settings, "sink", tmp))
    stack.wait_serving()
    return stack


def decisions(settings: Settings) -> dict[Key, dict[str, Any]]:
    rows = db.connect(settings).execute(
        "SELECT facility, claim_id, version, outcome, hit_codes FROM decisions FINAL")
    return {(f, c, int(v)): {"outcome": o, "hits": frozenset(h)} for f, c, v, o, h in rows}


def claim_events(settings: Settings) -> list[dict[str, Any]]:
    """Every event on hi.claims (all partitions, up to the end), decoded."""
    name, codec = settings.topic("hi.claims"), Codec.from_settings(settings)
    consumer = Consumer({"bootstrap.servers": settings.bootstrap, "group.id": f"e2e-{name}",
                         "enable.auto.commit": False})
    try:
        parts = consumer.list_topics(name, timeout=10).topics[name].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(name, p), timeout=10)[1]
                for p in parts}
        consumer.assign([TopicPartition(name, p, 0) for p in parts])
        events: list[dict[str, Any]] = []
        while len(events) < sum(ends.values()):
            msg = consumer.poll(10)
            assert msg is not None and msg.error() is None, f"hi.claims read stopped: {msg}"
            events.append(codec.decode(msg.value() or b"", "claim"))
        return events
    finally:
        consumer.close()


def expected_outcome(hits: frozenset[str], severity: dict[str, str]) -> str:
    levels = {severity[code] for code in hits}
    for level, outcome in (("REJECT", "REJECT"), ("PARTIAL", "PARTIAL_REJECT"),
                           ("WARNING", "WARN")):
        if level in levels:
            return outcome
    return "ACCEPT"


def late(claim: dict[str, Any], at: datetime) -> bool | None:
    """Does SB01 (sent > 24 h after NGAY_TTOAN) apply to ``claim`` received at ``at``? None
    within a minute of the limit. The simulator's own SB01 labels assume its send times."""
    paid = claim["header"]["ngay_ttoan"]
    if paid is None:
        return False
    delay = at - (paid.replace(tzinfo=UTC) - VN)
    if abs(delay - timedelta(hours=24)) < timedelta(minutes=1):
        return None
    return bool(delay > timedelta(hours=24))


def group_by_facility(claims: list[dict[str, Any]], size: int = 4) -> list[list[dict[str, Any]]]:
    """Claims in batches of one facility, sent in the order returned. A person's claims keep
    their send order (history rules depend on it): a claim whose person is in an open batch,
    or whose key is already in its facility's batch, first closes every open batch."""
    done: list[list[dict[str, Any]]] = []
    open_: dict[str, list[dict[str, Any]]] = {}
    for claim in claims:
        mine = open_.get(claim["facility"], [])
        if (any(c["person_key"] == claim["person_key"] for b in open_.values() for c in b)
                or any(c["claim_id"] == claim["claim_id"] for c in mine)):
            done += open_.values()
            open_ = {}
        batch = open_.setdefault(claim["facility"], [])
        batch.append(claim)
        if len(batch) == size:
            done.append(open_.pop(claim["facility"]))
    return done + list(open_.values())


def test_envelopes_and_json_are_decided_with_the_labelled_hits(isolated: Settings,
                                                               tmp_path: Path) -> None:
    sim = generate(200, seed=17, violations=0.5)
    stack = start_stack(isolated, tmp_path, sim)
    severity = {rule.meta.code: rule.meta.severity.value.upper() for rule in Engine.load().rules}
    labelled = {(c.claim["facility"], c.claim["claim_id"], c.claim["version"]): c.labels
                for c in sim.claims}
    expected: dict[Key, frozenset[str]] = {}
    unsure: set[Key] = set()
    auth = {"Authorization": f"Bearer {stack.key}"}
    try:
        with httpx.Client(base_url=stack.url, headers=auth, timeout=60) as http:
            batches = group_by_facility([c.claim for c in sim.claims])
            assert sum(len(b) > 1 for b in batches) >= 10, "too few multi-claim envelopes"
            for n, batch in enumerate(batches):
                sent = datetime.now(UTC)
                answer = _submit(http, batch, form=("json", "xml", "plain")[n % 3])
                for result, claim in zip(answer["claims"], batch, strict=True):
                    assert result["status"] == "accepted", result
                    assert result["version"] == claim["version"], result
                    key = (claim["facility"], claim["claim_id"], claim["version"])
                    is_late = late(claim, sent)
                    if is_late is None:
                        unsure.add(key)
                    labels = labelled[key] - {"SB01"}
                    expected[key] = labels | ({"SB01"} if is_late else frozenset())

        def all_decided() -> bool:
            return len(decisions(stack.settings)) >= len(expected)

        wait_for(all_decided, 150, "every claim decided in ClickHouse", interval=1.0,
                 children=stack.children())
        # Amendments (XC02 on the earlier of two overlapping stays) may land a moment later.
        wait_for(lambda: _matches(stack.settings, expected, unsure), 30, "the labelled hits",
                 interval=1.0, children=stack.children())
        with httpx.Client(base_url=stack.url, headers=auth, timeout=60) as http:
            assert_card_lookup_shows_the_workers_history(http, sim)
    except TimeoutError:
        got = decisions(stack.settings)
        wrong = {k: (sorted(v), sorted(got[k]["hits"]) if k in got else None)
                 for k, v in expected.items() if k not in got or got[k]["hits"] != v}
        raise AssertionError(f"{len(wrong)} claims differ (labelled, decided): "
                             f"{list(wrong.items())[:8]}") from None
    finally:
        stack.stop()
    got = decisions(stack.settings)
    assert set(got) == set(expected)
    assert any(v - {"SB01"} for v in expected.values()), "no injected violation was sent"
    for key, hits in expected.items():
        assert got[key]["outcome"] == expected_outcome(got[key]["hits"], severity), key
        if key not in unsure:
            assert got[key]["outcome"] == expected_outcome(hits, severity), key


def assert_card_lookup_shows_the_workers_history(http: httpx.Client, sim: Simulation) -> None:
    """GET /api/v1/cards/{card} answers the card and the person's visits, read live from the
    running worker's history (its /history page): the visits just decided are there."""
    by_person: dict[str, list[dict[str, Any]]] = {}
    for c in sim.claims:
        by_person.setdefault(c.claim["person_key"], []).append(c.claim)
    person, claims = max(by_person.items(), key=lambda kv: len(kv[1]))
    card_no = claims[-1]["header"]["ma_the_bhyt"]
    r = http.get(f"/api/v1/cards/{card_no}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["visits_available"] is True, body
    shown = {(v["facility"], v["ma_lk"]) for v in body["visits"]}
    assert shown and shown <= {(c["facility"], c["claim_id"]) for c in claims}
    assert len(shown) == min(6, len({(c["facility"], c["claim_id"]) for c in claims}))
    assert all(v["appraisal"] for v in body["visits"])


def _matches(settings: Settings, expected: dict[Key, frozenset[str]], unsure: set[Key]) -> bool:
    got = decisions(settings)
    return all(k in got and (got[k]["hits"] == v or (k in unsure and
                                                     got[k]["hits"] ^ v <= {"SB01"}))
               for k, v in expected.items())


def _submit(http: httpx.Client, batch: list[dict[str, Any]], form: str) -> dict[str, Any]:
    """Post ``batch`` (XML or JSON form); on 409 (the claim's earlier version is being
    appraised) unlock what conflicts, as the agency would, and send again."""
    if form == "json":
        body, ctype = orjson.dumps([claim_to_json(c) for c in batch]), "application/json"
    else:
        body, ctype = write_envelope(batch, inline=form == "plain"), "application/xml"
    r = http.post("/api/v1/claims", content=body, headers={"Content-Type": ctype})
    if r.status_code == 409:
        for result in r.json()["claims"]:
            if result["status"] == "conflict":
                u = http.post(f"/api/v1/claims/{result['facility']}/{result['ma_lk']}/unlock")
                assert u.status_code == 200, u.text
        r = http.post("/api/v1/claims", content=body, headers={"Content-Type": ctype})
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


def test_sigkill_of_the_portal_loses_no_acknowledged_claim(isolated: Settings,
                                                           tmp_path: Path) -> None:
    sim = generate(400, seed=23, violations=0.1)
    later = {c.claim["claim_id"] for c in sim.claims if c.claim["version"] > 1}
    claims = [c.claim for c in sim.claims if c.claim["claim_id"] not in later]
    bodies = {(c["facility"], c["claim_id"]): write_envelope([c]) for c in claims}
    stack = start_stack(isolated, tmp_path, sim)
    acked: dict[tuple[str, str], str] = {}  # claim -> receipt of the 200 answer
    lock = threading.Lock()
    work: queue.Queue[tuple[str, str]] = queue.Queue()
    for key in bodies:
        work.put(key)
    headers = {"Authorization": f"Bearer {stack.key}", "Content-Type": "application/xml"}

    def client() -> None:
        with httpx.Client(base_url=stack.url, headers=headers, timeout=30) as http:
            while True:
                try:
                    key = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    r = http.post("/api/v1/claims", content=bodies[key])
                except httpx.HTTPError:
                    continue  # cut off by the kill: sent again after the restart
                if r.status_code == 200:
                    [result] = r.json()["claims"]
                    assert result["status"] == "accepted" and result["receipt"], result
                    with lock:
                        acked[key] = result["receipt"]

    try:
        threads = [threading.Thread(target=client) for _ in range(12)]
        for t in threads:
            t.start()
        wait_for(lambda: len(acked) >= len(bodies) // 4, 60, "a quarter acknowledged",
                 interval=0.01, children=stack.children())
        stack.portal.kill()
        for t in threads:
            t.join()
        assert len(bodies) // 4 <= len(acked) < len(bodies), "the kill must happen mid-run"
        first = dict(acked)
        stack.restart_portal()
        # Everything again: the acknowledged ones must come back as duplicates, same receipt.
        again: dict[tuple[str, str], dict[str, Any]] = {}
        with httpx.Client(base_url=stack.url, headers=headers, timeout=60) as http:
            for key, body in bodies.items():
                r = http.post("/api/v1/claims", content=body)
                assert r.status_code == 200, r.text
                [again[key]] = r.json()["claims"]
        for key, receipt in first.items():
            assert again[key]["status"] == "duplicate", (key, again[key])
            assert again[key]["receipt"] == receipt, key
        assert all(a["accepted"] and a["version"] == 1 for a in again.values())

        wanted = {(f, c, 1) for f, c in bodies}
        wait_for(lambda: wanted <= set(decisions(stack.settings)), 150,
                 "every claim decided in ClickHouse", interval=1.0, children=stack.children())
    finally:
        stack.stop()

    events: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for event in claim_events(stack.settings):
        events[(event["facility"], event["claim_id"])].append(event)
    assert set(events) == set(bodies)
    for key, copies in events.items():
        assert {(e["version"], e["content_hash"]) for e in copies} == {
            (1, copies[0]["content_hash"])}, key
        if key in first:  # acknowledged before the kill: published once, never again
            assert len(copies) == 1, (key, len(copies))
    got = decisions(stack.settings)
    assert set(got) == {(f, c, 1) for f, c in bodies}  # one decision per claim, no version 2
    stored = db.connect(stack.settings).execute(
        "SELECT count(), uniqExact(facility, claim_id) FROM claims FINAL")[0]
    assert stored[0] == stored[1] == len(bodies)
