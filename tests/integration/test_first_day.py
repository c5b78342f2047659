"""A fresh installation, as a deployer meets it (docs/first-day.md): no catalogs, no cards, and
every rule in go-live mode ``observe`` (``hireview rules go-live``).

- the portal's health endpoint and both processes' metrics name what is missing;
- real-shaped claims (the simulator's, and the exporter shape files) are decided with their
  hits recorded, each under mode ``observe``, and nothing rejected or queued;
- loading the lists then turns the health green.

The same simulated claims with the lists loaded and the rules in ``enforce`` get their real
decisions, the simulator's labels: test_portal_e2e (same generator, seed 17) proves that.
"""

from __future__ import annotations

import contextlib
import io
from datetime import date
from pathlib import Path

import httpx
import orjson
import pytest

from rules.golive import dump, stage
from rules.params import read_params
from streams.clickhouse import db
from streams.codec import Codec
from streams.kafka import create_topics
from streams.ops.procs import Child, free_port, wait_for
from streams.portal.auth import add_credential
from streams.portal.intake import claim_to_json
from streams.settings import ROOT, Settings
from streams.sim.generate import generate
from streams.sim.publish import publish_reference
from tests.integration.test_portal_e2e import Stack

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]
SHAPES = ROOT / "tests" / "data" / "exporter_shapes"


def observed_everything(tmp: Path) -> Path:
    table = read_params()
    path = tmp / "params-local.yaml"
    path.write_text(dump(stage(table, sorted(table), "observe", date(2020, 1, 1))),
                    encoding="utf-8")
    return path


def fresh_stack(isolated: Settings, tmp: Path) -> Stack:
    settings = isolated.model_copy(update={
        "portal_port": free_port(), "portal_credentials": tmp / "creds.json",
        "rules_params": observed_everything(tmp)})
    db.migrate(settings, progress=lambda _m: None)
    create_topics(settings)
    with contextlib.redirect_stdout(io.StringIO()):
        key = add_credential(settings.portal_credentials, "deployer", "central", "*")
    stack = Stack(settings, tmp, key, Child(settings, "portal", tmp),
                  Child(settings, "worker", tmp), Child(settings, "sink", tmp))
    stack.wait_serving()
    return stack


def test_a_fresh_installation_observes_and_says_what_is_missing(isolated: Settings,
                                                                tmp_path: Path) -> None:
    sim = generate(60, seed=17, violations=0.5)
    stack = fresh_stack(isolated, tmp_path)
    try:
        http = httpx.Client(base_url=stack.url, timeout=60,
                            headers={"Authorization": f"Bearer {stack.key}"})
        health = http.get("/api/v1/health").json()
        reference = health["reference"]
        assert reference["ok"] is False
        assert {v["state"] for v in reference["national"].values()} == {"missing"}
        assert reference["cards"]["state"] == "missing"
        assert any("catalogs load --kind drugs" in p for p in reference["problems"])
        metrics = http.get("/metrics").text
        assert 'hireview_reference_lists{kind="drugs",scope="national",state="missing"} 1.0' \
            in metrics and "hireview_reference_ok 0.0" in metrics

        claims = [sc.claim for sc in sim.claims if sc.claim["version"] == 1]
        r = http.post("/api/v1/claims", content=orjson.dumps([claim_to_json(c) for c in claims]),
                      headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text[:1000]
        sent = {(c["facility"], c["claim_id"]) for c in claims}
        for shape in sorted(SHAPES.glob("*.xml")):  # real exporters' shapes, accepted as lawful
            r = http.post("/api/v1/claims", content=shape.read_bytes(),
                          headers={"Content-Type": "application/xml"})
            assert r.status_code == 200, (shape.name, r.text[:1000])
            sent |= {tuple(x["claim_key"].split("|")) for x in r.json()["claims"]
                     if x["accepted"]}
        client = db.connect(stack.settings)

        def decided() -> bool:  # the sink inserts decisions and their hits as two INSERTs
            rows = client.execute("SELECT facility, claim_id FROM decisions FINAL")
            hits = client.execute("SELECT DISTINCT facility, claim_id FROM rule_hits FINAL")
            return {(f, c) for f, c in rows} >= sent and {(f, c) for f, c in hits} >= sent

        wait_for(decided, 120, "every claim decided, with its hits", children=stack.children())
        outcomes = dict(client.execute(
            "SELECT outcome, count() FROM decisions FINAL GROUP BY outcome"))
        assert set(outcomes) == {"ACCEPT"}, outcomes
        assert client.execute("SELECT sum(rejected), max(warned) FROM decisions FINAL")[0] == (
            0, 0)
        modes = dict(client.execute("SELECT mode, count() FROM rule_hits FINAL GROUP BY mode"))
        assert set(modes) == {"observe"} and modes["observe"] >= len(sent)
        codes = {c for (c,) in client.execute("SELECT DISTINCT code FROM rule_hits FINAL")}
        assert "CT01" in codes  # nothing is in a catalog yet

        # The deployer loads the lists and the cards: the health turns green.
        publish_reference(stack.settings, Codec.from_settings(stack.settings),
                          sim.catalog_entries, sim.cards)

        def loaded() -> bool:
            doc = http.get("/api/v1/health").json()["reference"]
            return {v["state"] for v in doc["national"].values()} == {"ok"} and \
                doc["cards"]["state"] == "ok"

        wait_for(loaded, 60, "the portal to see the loaded lists", children=stack.children())
    finally:
        stack.stop()
