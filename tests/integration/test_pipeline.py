"""End to end through the real Kafka, Faust worker, sink and ClickHouse."""

from __future__ import annotations

import threading
import urllib.request
from functools import partial as partial_fn
from pathlib import Path
from typing import Any

import pytest

from streams.clickhouse import db
from streams.codec import Codec
from streams.kafka import create_topics, publish
from streams.ops.procs import Child, wait_for
from streams.settings import Settings
from streams.sim.generate import CODES, generate
from streams.sim.publish import publish_reference, simulate_and_publish

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

Key = tuple[str, str, int]


def expected_labels(sim: Any) -> dict[Key, frozenset[str]]:
    return {(c.claim["facility"], c.claim["claim_id"], c.claim["version"]): c.labels
            for c in sim.claims}


def current_decisions(settings: Settings) -> dict[Key, tuple[str, frozenset[str]]]:
    rows = db.connect(settings).execute(
        "SELECT facility, claim_id, version, outcome, hit_codes FROM decisions FINAL"
    )
    return {(f, c, int(v)): (o, frozenset(h)) for f, c, v, o, h in rows}


def matches(settings: Settings, expected: dict[Key, frozenset[str]]) -> bool:
    got = current_decisions(settings)
    return len(got) == len(expected) and all(got[k][1] == v for k, v in expected.items()
                                             if k in got)


def mismatches(settings: Settings, expected: dict[Key, frozenset[str]]) -> list[str]:
    got = current_decisions(settings)
    out = [f"missing decision for {k}" for k in expected if k not in got]
    out += [f"unexpected decision for {k}" for k in got if k not in expected]
    out += [f"{k}: labelled {sorted(v)}, detected {sorted(got[k][1])}"
            for k, v in expected.items() if k in got and got[k][1] != v]
    return out


def counter(port: int, name: str) -> float:
    """A counter from a process's /metrics; 0 while it is not serving yet."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return 0.0
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith(name + " ") or line.startswith(name + "{"))


def run_until_matched(settings: Settings, expected: dict[Key, frozenset[str]],
                      children: tuple[Child, ...], timeout: float) -> None:
    try:
        wait_for(lambda: matches(settings, expected), timeout, "every decision in ClickHouse",
                 interval=1.0, children=children)
    except TimeoutError:
        problems = mismatches(settings, expected)
        raise AssertionError(f"{len(problems)} problems, e.g. {problems[:10]}") from None


def test_every_injected_violation_detected_and_no_clean_claim_rejected(
    isolated: Settings, tmp_path: Path
) -> None:
    db.migrate(isolated)
    # 10,000 claims: every label must be detected (recall 100 %, the issue asks >= 99.5 %).
    sim = simulate_and_publish(isolated, claims=10_000, rate=0, violations=0.4, seed=11)
    expected = expected_labels(sim)
    # every rule of the catalogue was injected at least once
    assert {code for labels in expected.values() for code in labels} == set(CODES)

    worker, sink = Child(isolated, "worker", tmp_path), Child(isolated, "sink", tmp_path)
    try:
        run_until_matched(isolated, expected, (worker, sink), timeout=600)
    finally:
        worker.stop()
        sink.stop()

    decisions = current_decisions(isolated)
    assert len(decisions) == len(expected)  # exactly N current decisions
    clean = [k for k, labels in expected.items() if not labels]
    assert clean and all(decisions[k][0] == "ACCEPT" for k in clean)
    dup = db.connect(isolated).execute(
        "SELECT count() FROM (SELECT facility, claim_id, version FROM decisions FINAL "
        "GROUP BY facility, claim_id, version HAVING count() > 1)"
    )
    assert dup[0][0] == 0
    assert_practitioner_overlaps_join_two_facilities(isolated, expected)


def assert_practitioner_overlaps_join_two_facilities(
    settings: Settings, expected: dict[Key, frozenset[str]]
) -> None:
    """XC03 found across facilities: every hit names a claim at another facility that carries
    the mirror hit, both decisions amended (revision 2) by the practitioner stage."""
    rows = db.connect(settings).execute(
        "SELECT facility, claim_id, version, revision, input_keys, input_values "
        "FROM current_rule_hits WHERE code = 'XC03'")
    hits: dict[Key, list[tuple[int, dict[str, str]]]] = {}
    for f, c, v, r, k, vals in rows:
        hits.setdefault((f, c, int(v)), []).append((int(r), dict(zip(k, vals, strict=True))))
    assert set(hits) == {k for k, labels in expected.items() if "XC03" in labels}
    for (facility, claim_id, version), found in hits.items():
        for revision, inputs in found:
            assert revision >= 2, "XC03 arrives by amendment"
            other = (inputs["other_facility"], inputs["other_claim_id"],
                     int(inputs["other_version"]))
            assert other[0] != facility and other in hits
            assert any(mirror["other_claim_id"] == claim_id
                       and mirror["other_version"] == str(version)
                       and mirror["practitioner"] == inputs["practitioner"]
                       for _, mirror in hits[other])


def test_sigkill_of_worker_and_sink_loses_and_doubles_nothing(
    isolated: Settings, tmp_path: Path
) -> None:
    db.migrate(isolated)
    create_topics(isolated)
    codec = Codec.from_settings(isolated)
    sim = generate(2500, seed=5, violations=0.3)
    publish_reference(isolated, codec, sim.catalog_entries, sim.cards)
    encode = codec.encoder("claim")
    batches = [sim.claims[:1500], sim.claims[1500:]]
    expected = expected_labels(sim)
    client = db.connect(isolated)

    def stored_at_least(n: int) -> bool:
        return bool(client.execute("SELECT count() FROM decisions FINAL")[0][0] >= n)

    worker, sink = Child(isolated, "worker", tmp_path), Child(isolated, "sink", tmp_path)
    # Two rounds: publish a batch (at a steady rate, in the background), SIGKILL both once part
    # of it is stored (some decisions produced but not committed, some rows inserted but their
    # offsets not committed) while claims keep arriving, then restart.
    for batch, threshold in zip(batches, (300, 1700), strict=True):
        # Both must be working first (after a restart they replay what was not committed), or
        # the whole batch piles up and lands in ClickHouse in one sink batch.
        if threshold > 300:
            wait_for(lambda: counter(isolated.worker_web_port, "hireview_claims_total") > 0
                     and counter(isolated.sink_metrics_port, "hireview_sink_batches_total") > 0,
                     180, "worker and sink at work", children=(worker, sink))
        sender = threading.Thread(target=publish, args=(
            isolated, isolated.topic("hi.claims"),
            [(c.claim["person_key"].encode(), encode(c.claim)) for c in batch], 400.0))
        sender.start()
        wait_for(partial_fn(stored_at_least, threshold), 240, f"{threshold} decisions stored",
                 children=(worker, sink))
        worker.kill()
        sink.kill()
        partial = client.execute("SELECT count() FROM decisions FINAL")[0][0]
        sender.join()
        assert threshold <= partial < len(expected), "the kill must happen mid-run"
        worker, sink = Child(isolated, "worker", tmp_path), Child(isolated, "sink", tmp_path)

    try:
        run_until_matched(isolated, expected, (worker, sink), timeout=600)
    finally:
        worker.stop()
        sink.stop()
    totals = client.execute(
        "SELECT count(), sum(requested), sum(approved) FROM decisions FINAL"
    )[0]
    assert totals[0] == len(expected)
    claimed = sum(c.claim["header"]["t_bhtt"] for c in sim.claims)
    assert abs(float(totals[1]) - claimed) < 0.01 * len(expected)
    daily = client.execute("SELECT sum(claims) FROM facility_daily")[0][0]
    assert daily == len(expected)
