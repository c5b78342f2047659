"""``hireview replay`` against the real ClickHouse (and Kafka for reference data and
re-injection): stored claims re-appraised with a params file that changes one threshold."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from clickhouse_driver import Client
from confluent_kafka import Consumer

from rules.engine import Engine
from rules.params import PARAMS_FILE
from streams.clickhouse import db
from streams.codec import Codec
from streams.kafka import create_topics
from streams.replay.run import REAPPRAISE_HEADER, command, run_replay
from streams.replay.store import Scope
from streams.settings import Settings
from streams.sim.generate import generate
from streams.sim.publish import publish_reference
from streams.sink.consumer import insert_tables
from streams.sink.payload_json import load_layout
from streams.sink.rows import claim_tables, decision_tables, payload_row
from streams.worker.processor import Enrichment, appraise

CLAIMS = 600


def lenient_ct02(tmp: Path) -> Path:
    """params.yaml with CT02's tolerance so large that no price excess is ever rejected."""
    text = PARAMS_FILE.read_text(encoding="utf-8")
    assert text.count("tolerance_vnd: 0.5") == 1, "CT02 tolerance line not found"
    path = tmp / "lenient.yaml"
    path.write_text(text.replace("tolerance_vnd: 0.5", "tolerance_vnd: 1000000000"))
    return path


class World:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.sim = generate(CLAIMS, seed=11, violations=0.5)
        catalog, cards = self.sim.indexes()
        self.ref = Enrichment(engine, catalog, cards, settings.history_keep_days,
                              settings.history_min_visits)
        self.codec: Codec = Codec.from_settings(settings)
        self.layout = load_layout(self.codec.schemas_dir)
        encode = self.codec.encoder("claim")
        self.payloads = {self.key(c.claim): encode(c.claim) for c in self.sim.claims}
        self.decisions: dict[tuple[str, str, int], dict[str, Any]] = {}

    @staticmethod
    def key(record: dict[str, Any]) -> tuple[str, str, int]:
        return (record["facility"], record["claim_id"], record["version"])

    def store(self, client: Client, forms: Callable[[int], str] = lambda _i: "current") -> None:
        """What the worker and sink would have stored: appraised in arrival order with
        ``ref.engine``, every decision revision landed through the sink's row builders.
        ``forms(i)`` for the i-th claim: "current" (the sink's row: Avro bytes and the JSON
        form of today's claim schema), "only" (the same with Avro bytes that cannot decode: only
        the form can give the claim), "none" (a row written before claim_json existed) or
        "stale" (a form of another claim schema, which the replay must not trust)."""
        now, visits = datetime.now(UTC), dict[str, Any]()
        tables: dict[str, list[dict[str, Any]]] = {}

        def add(rows: dict[str, list[dict[str, Any]]]) -> None:
            for table, items in rows.items():
                tables.setdefault(table, []).extend(items)

        for i, sc in enumerate(self.sim.claims):
            claim = self.codec.decode(self.payloads[self.key(sc.claim)], "claim")
            result = appraise(claim, visits.get(claim["person_key"], []), self.ref)
            visits[claim["person_key"]] = result.visits
            add(claim_tables(claim, now))
            form = forms(i)
            row = payload_row(claim, self.payloads[self.key(claim)], now,
                              None if form == "none" else self.layout)
            assert bool(row["claim_json"]) == (form != "none")
            if form == "stale":
                row.update(claim_json=b'["not", "this", "claim"]',
                           claim_json_schema="sha256:another-claim-schema")
            elif form == "only":
                row["payload"] = b"\x00\x00\x00\x00\x00not avro"
            add({"claim_payloads": [row]})
            for d in (result.decision, *result.amendments):
                self.decisions[self.key(d)] = d  # the last revision is the current one
                add(decision_tables(d, now))
        insert_tables(client, tables, db.insert_settings(client))

    def scope(self, seed_days: int) -> Scope:
        days = [c.claim["header"]["ngay_vao"].date() for c in self.sim.claims]
        return Scope(min(days), max(days), "", seed_days)

    def with_code(self, code: str) -> list[dict[str, Any]]:
        return [d for d in self.decisions.values() if any(h["code"] == code for h in d["hits"])]


@pytest.fixture()
def stored(isolated: Settings) -> Iterator[tuple[Settings, Client]]:
    db.migrate(isolated, progress=lambda _m: None)
    client = db.connect(isolated)
    yield isolated, client
    client.disconnect()


@pytest.mark.clickhouse
def test_replay_with_a_changed_threshold_reports_and_stores_the_impact(
    stored: tuple[Settings, Client], tmp_path: Path
) -> None:
    settings, client = stored
    world = World(settings, Engine.load())
    world.store(client)
    ct02 = world.with_code("CT02")
    # Injected violations fire only their own rule: these claims are PARTIAL_REJECT by CT02.
    assert ct02 and all({h["code"] for h in d["hits"]} == {"CT02"} for d in ct02)

    lenient = Engine.load(params_path=lenient_ct02(tmp_path))
    ref = Enrichment(lenient, world.ref.catalog, world.ref.cards, settings.history_keep_days,
                     settings.history_min_visits)
    result = run_replay(settings, ref, world.scope(settings.history_keep_days), "lenient.yaml",
                        workers=2, show_progress=False)

    impact = result.impact
    expected_delta = round(sum(d["rejected"] for d in ct02) * 100)
    assert result.replayed == len(world.sim.claims)
    assert (impact.total.claims, impact.undecided, impact.errors) == (len(world.decisions), 0, 0)
    assert impact.total.affected == impact.total.outcome_changes == len(ct02)
    assert impact.total.delta_cents == expected_delta > 0
    assert (impact.by_rule["CT02"].lost, impact.by_rule["CT02"].gained) == (len(ct02), 0)
    assert set(impact.by_rule) == {"CT02"}
    per_facility: dict[str, int] = {}
    for d in ct02:
        per_facility[d["facility"]] = per_facility.get(d["facility"], 0) + 1
    assert {f: t.affected for f, t in impact.by_facility.items() if t.affected} == per_facility

    run = {"run": result.run_id}
    rows = client.execute(
        "SELECT facility, claim_id, version, outcome, real_outcome, approved - real_approved, "
        "rules_version, real_rules_version FROM replay_decisions FINAL "
        "WHERE run_id = %(run)s AND changed = 1", run)
    assert {(f, c, v) for f, c, v, *_ in rows} == {world.key(d) for d in ct02}
    assert {(r[3], r[4]) for r in rows} == {("ACCEPT", "PARTIAL_REJECT")}
    assert round(float(sum(r[5] for r in rows)) * 100) == expected_delta
    assert {(r[6], r[7]) for r in rows} == {(lenient.version, Engine.load().version)}
    assert client.execute("SELECT count() FROM replay_decisions WHERE run_id = %(run)s",
                          run)[0][0] == len(world.decisions)
    runs = client.execute("SELECT status, claims, affected, approved_delta, rules_version "
                          "FROM replay_runs FINAL WHERE run_id = %(run)s", run)
    assert runs == [("done", len(world.decisions), len(ct02), pytest.approx(expected_delta / 100),
                     lenient.version)]


@pytest.mark.clickhouse
def test_unchanged_rules_reproduce_every_decision_from_json_forms_and_avro_bytes(
    stored: tuple[Settings, Client]
) -> None:
    settings, client = stored
    world = World(settings, Engine.load())
    kinds = ("only", "none", "stale", "current")
    world.store(client, lambda i: kinds[i % len(kinds)])
    stored_as = dict(client.execute(
        "SELECT claim_json_schema = %(tag)s AS usable, count() FROM claim_payloads GROUP BY usable",
        {"tag": world.layout.tag}))  # type: ignore[union-attr]
    assert stored_as == {1: CLAIMS // 2, 0: CLAIMS // 2}

    result = run_replay(settings, world.ref, world.scope(settings.history_keep_days), "current",
                        workers=2, show_progress=False)
    impact = result.impact
    assert result.replayed == CLAIMS
    # "only" rows decode from nothing but their form; "stale" ones only from their Avro bytes.
    assert (impact.errors, impact.undecided) == (0, 0)
    assert (impact.total.claims, impact.total.affected) == (len(world.decisions), 0)
    rows = client.execute(
        "SELECT facility, claim_id, version, outcome, approved, hit_code FROM replay_decisions "
        "FINAL WHERE run_id = %(run)s", {"run": result.run_id})
    assert {(f, c, v): (o, round(float(a), 2), sorted(h)) for f, c, v, o, a, h in rows} == {
        k: (d["outcome"], round(d["approved"], 2), sorted(h["code"] for h in d["hits"]))
        for k, d in world.decisions.items()}


def reinjected(settings: Settings, expect: int) -> list[Any]:
    reader = Consumer({"bootstrap.servers": settings.bootstrap, "group.id": "replay-test-reader",
                       "auto.offset.reset": "earliest"})
    reader.subscribe([settings.topic("hi.claims")])
    got: list[Any] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(got) < expect:
        msg = reader.poll(0.5)
        if msg is not None and not msg.error():
            got.append(msg)
    end = time.monotonic() + 2  # and nothing more arrives
    while time.monotonic() < end:
        msg = reader.poll(0.2)
        if msg is not None and not msg.error():
            got.append(msg)
    reader.close()
    return got


@pytest.mark.clickhouse
@pytest.mark.kafka
def test_retroactive_apply_reinjects_the_claims_whose_decision_changed(
    stored: tuple[Settings, Client], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, client = stored
    # Stored decisions were made by the lenient rules; the current params.yaml now applies a
    # CT02 version those decisions never saw.
    lenient = Engine.load(params_path=lenient_ct02(tmp_path))
    world = World(settings, lenient)
    world.store(client)
    create_topics(settings)
    publish_reference(settings, world.codec, world.sim.catalog_entries, world.sim.cards)

    args = argparse.Namespace(retroactive=True, apply=True, rules=None, date_from=None,
                              date_to=None, facility=None, workers=1)
    assert command(settings, args) == 0
    out = capsys.readouterr().out
    assert "retroactive: CT02 CT02@2024-07-01" in out
    run_id = out.split("WHERE run_id = '")[1].split("'")[0]

    # Which claims the current rules judge differently, computed here without the replay.
    changed = {k for k, d in _decide_all(World(settings, Engine.load())).items()
               if d["outcome"] != world.decisions[k]["outcome"]
               or {h["code"] for h in d["hits"]} != {h["code"] for h in world.decisions[k]["hits"]}}
    assert changed

    events = reinjected(settings, len(changed))
    assert len(events) == len(changed)
    for msg in events:
        assert dict(msg.headers())[REAPPRAISE_HEADER] == run_id.encode()
        claim = world.codec.decode(msg.value(), "claim")
        assert World.key(claim) in changed
        assert msg.value() == world.payloads[World.key(claim)]  # the same bytes
        assert msg.key() == claim["person_key"].encode()  # the same key
    assert f"re-injected {len(changed)} changed claim(s)" in out


def _decide_all(world: World) -> dict[tuple[str, str, int], dict[str, Any]]:
    visits: dict[str, Any] = {}
    out: dict[tuple[str, str, int], dict[str, Any]] = {}
    for sc in world.sim.claims:
        result = appraise(sc.claim, visits.get(sc.claim["person_key"], []), world.ref)
        visits[sc.claim["person_key"]] = result.visits
        for d in (result.decision, *result.amendments):
            out[World.key(d)] = d
    return out
