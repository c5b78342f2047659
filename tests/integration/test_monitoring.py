"""Ops monitoring end to end: the stack with its Prometheus (``hireview infra up``), simulated
claims through worker, sink and portal children, read back only through Prometheus's API.

Every process announces itself (streams/scrape.py) and Prometheus scrapes it; lag, throughput
and latency series exist for each; every ops panel query returns series; the lag drains to 0;
and once the worker stops while claims keep coming, the "stage stalled" alert goes pending, then
firing within its ``for:`` (this test's copy of the rule: the real expression, short windows,
only this test's consumer group; dropped under <state_dir>/prometheus/rules and reloaded).
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from streams.clickhouse import db
from streams.codec import Codec
from streams.kafka import create_topics, publish
from streams.ops import prom
from streams.ops import prometheus as promsvc
from streams.ops import services as infra
from streams.ops.dashboard import load_panels
from streams.ops.procs import Child, free_port, scrape, wait_for
from streams.portal.auth import add_credential
from streams.settings import Settings
from streams.sim.generate import generate
from streams.sim.publish import publish_reference

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

FOR_SECONDS = 10  # the test rule's `for:`
RULE = "HireviewStageStalledTest"


@pytest.fixture()
def monitored(isolated: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Prometheus up (started or reused) with this test's short-window copy of the alert."""
    infra.up(isolated, progress=lambda m: print(f"[infra] {m}"), services=(infra.PROMETHEUS,))
    rules = yaml.safe_load((promsvc.RULES_DIR / "alerts.rules.yml").read_text())
    real = next(r for g in rules["groups"] for r in g["rules"]
                if r.get("alert") == "HireviewStageStalled")
    mine = f'{{group="{isolated.app_id}"}}'
    expr = (real["expr"].replace("hireview_consumer_lag_messages", "hireview_consumer_lag_"
                                 "messages" + mine)
            .replace("hireview_consumed_total", "hireview_consumed_total" + mine)
            .replace("[2m]", "[10s]"))
    assert expr.count(mine) == 2 and "[10s]" in expr, expr
    path = promsvc.local_rules_dir(isolated) / f"{isolated.app_id}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"groups": [{"name": isolated.app_id, "rules": [
        {"alert": RULE, "expr": expr, "for": f"{FOR_SECONDS}s", "labels": real["labels"]}]}]}))
    promsvc.reload(isolated)
    try:
        yield isolated
    finally:
        path.unlink(missing_ok=True)
        promsvc.reload(isolated)


def series(settings: Settings, promql: str) -> list[prom.Series]:
    return prom.query(settings, promql)


def has_series(settings: Settings, promql: str) -> bool:
    return bool(series(settings, promql))


def my_alerts(settings: Settings) -> list[dict[str, Any]]:
    return [a for a in prom.alerts(settings) if a["labels"].get("alertname") == RULE
            and a["labels"].get("group") == settings.app_id]


def test_prometheus_sees_every_process_lag_drains_and_a_stopped_worker_alerts(
    monitored: Settings, tmp_path: Path
) -> None:
    started = time.monotonic()
    settings = monitored.model_copy(update={"portal_port": free_port(),
                                            "portal_credentials": tmp_path / "creds.json"})
    db.migrate(settings, progress=lambda _m: None)
    create_topics(settings)
    codec = Codec.from_settings(settings)
    sim = generate(600, seed=3, violations=0.3)
    publish_reference(settings, codec, sim.catalog_entries, sim.cards)
    with contextlib.redirect_stdout(io.StringIO()):
        key = add_credential(settings.portal_credentials, "ops", "central", "*")
    worker, sink, portal = (Child(settings, c, tmp_path) for c in ("worker", "sink", "portal"))
    children = (worker, sink, portal)
    ports = {"worker": settings.worker_web_port, "sink": settings.sink_metrics_port,
             "portal": settings.portal_port}
    instance = {job: f'instance="127.0.0.1:{port}"' for job, port in ports.items()}
    # Every process announced itself and Prometheus scrapes it (2 s discovery and scrapes).
    wait_for(lambda: all(has_series(settings, f'up{{job="{j}",{instance[j]}}} == 1')
                         for j in ports), 90, "every process scraped", children=children)

    encode = codec.encoder("claim")
    claims = [(c.claim["person_key"].encode(), encode(c.claim)) for c in sim.claims]
    publish(settings, settings.topic("hi.claims"), claims[:400], 200.0)
    publish(settings, settings.topic("hi.claims"), [(b"bad", b"not avro")], 0)  # a DLQ series
    headers = {"Authorization": f"Bearer {key}"}
    for _ in range(3):  # portal request series (a 200 and an auth-checked route)
        httpx.get(f"http://127.0.0.1:{settings.portal_port}/api/v1/errors", timeout=5)
        httpx.get(f"http://127.0.0.1:{settings.portal_port}/api/v1/claims/x/y",
                  headers=headers, timeout=5)

    groups = f'group=~"{settings.app_id}|{settings.sink_group}"'
    drained = (f"max by (group, topic, partition) "
               f"(hireview_consumer_lag_messages{{{groups}}})")

    def lag_zero() -> bool:
        found = series(settings, drained)
        return len(found) >= 5 * settings.partitions and all(s.last == 0 for s in found)

    wait_for(lambda: (scrape(ports["sink"], "hireview_sink_rows_total") or 0) > 0, 120,
             "rows stored", children=children)
    wait_for(lag_zero, 120, "the lag drained to 0 for the worker and sink groups",
             interval=1.0, children=children)

    # Lag, throughput and latency series for every process, read from Prometheus (each
    # process reads the lag on its own clock and Prometheus scrapes on its own: a few seconds).
    for job in ports:
        where = f"{{{instance[job]},{groups}}}"
        for query in (f"hireview_consumer_lag_messages{where}",
                      f"hireview_consumer_lag_seconds{where}",
                      f"hireview_consumed_total{where} > 0"):
            wait_for(partial(has_series, settings, query), 30, f"{job}: {query}",
                     interval=1.0, children=children)
    latency = {"worker": "hireview_submit_to_decision_seconds_count",
               "sink": "hireview_decision_to_store_seconds_count",
               "portal": "hireview_portal_request_seconds_count"}
    for job, name in latency.items():
        assert has_series(settings, f"{name}{{{instance[job]}}} > 0"), f"{job}: {name}"
    # Every ops panel query returns series from this Prometheus (rates need two samples: the
    # loop allows a few scrapes).
    empty: list[str] = []
    for panel in load_panels():
        for q in panel.queries:
            if not series(settings, q.expr):
                empty.append(f"{panel.id}: {q.expr}")
    assert not empty, empty
    assert not my_alerts(settings), "nothing is stalled while the worker runs"

    # Stop the worker; claims keep arriving: the worker group has lag and commits nothing.
    worker.stop()
    stopped = time.monotonic()
    publish(settings, settings.topic("hi.claims"), claims[400:], 0)
    states: dict[str, float] = {}

    def fired() -> bool:
        for alert in my_alerts(settings):
            states.setdefault(alert["state"], time.monotonic())
        return "firing" in states

    wait_for(fired, 60, f"{RULE} firing", interval=0.5, children=(sink, portal))
    assert "pending" in states, f"went firing without being seen pending: {states}"
    pending_for = states["firing"] - states["pending"]
    # `for:` plus a rule evaluation and the poll interval at most.
    assert pending_for <= FOR_SECONDS + 2 * settings.prometheus_scrape_seconds + 1, states
    assert states["firing"] - stopped >= FOR_SECONDS, "fired before its for: window"
    sink.stop()
    portal.stop()
    print(f"stalled alert: pending after {states['pending'] - stopped:.1f}s, firing "
          f"{pending_for:.1f}s later; whole test {time.monotonic() - started:.0f}s")
