"""streams/metrics.py is the one catalogue: Prometheus names, one registry per process with only
that process's metrics, and dashboards that reference only declared names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client import Counter, Histogram, generate_latest

from streams.metrics import CATALOGUE, ForeignMetric, Metrics

ROOT = Path(__file__).resolve().parents[3]
PROCESSES = ("worker", "sink", "portal", "web", "detect")


def exported(m: Metrics) -> set[str]:
    """Metric family names in the registry (counters without the ``_total`` suffix)."""
    return {family.name for family in m.registry.collect()}


def declared(process: str) -> set[str]:
    return {d.name.removesuffix("_total") for d in CATALOGUE if process in d.processes}


def test_names_follow_prometheus_conventions() -> None:
    assert len({d.name for d in CATALOGUE}) == len(CATALOGUE), "a name declared twice"
    assert len({d.field for d in CATALOGUE}) == len(CATALOGUE), "a field declared twice"
    for d in CATALOGUE:
        assert re.fullmatch(r"hireview_[a-z_]+", d.name), d.name
        if d.kind is Counter:
            assert d.name.endswith("_total"), f"{d.name}: counters end in _total"
        if d.kind is Histogram:  # durations in seconds, sizes in rows
            assert d.name.endswith(("_seconds", "_rows")), f"{d.name}: give the unit"
        assert d.processes and set(d.processes) <= set(PROCESSES), d.name


@pytest.mark.parametrize("process", PROCESSES)
def test_each_process_registers_exactly_its_own_metrics(process: str) -> None:
    m = Metrics.of(process)  # type: ignore[arg-type]
    assert declared(process), f"no metric for the {process}"
    assert exported(m) == declared(process)


def test_the_named_constructors_build_their_process() -> None:
    assert (Metrics.worker().process, Metrics.sink().process, Metrics.portal().process) == (
        "worker", "sink", "portal")


def test_a_sink_page_shows_no_worker_metric_and_the_worker_none_of_the_sink() -> None:
    sink = generate_latest(Metrics.sink().registry).decode()
    worker = generate_latest(Metrics.worker().registry).decode()
    assert "hireview_sink_batches_total" in sink and "hireview_dead_letters_total" in sink
    assert "hireview_claims_total" not in sink and "hireview_appraise_seconds" not in sink
    assert "hireview_claims_total" in worker and "hireview_sink_" not in worker
    assert "hireview_portal_" not in sink + worker
    web = generate_latest(Metrics.web().registry).decode()
    assert "hireview_consumer_lag_messages" in web + sink + worker
    assert "hireview_claims_total" not in web


def test_using_another_process_metric_fails_loudly() -> None:
    sink = Metrics.sink()
    with pytest.raises(ForeignMetric, match="hireview_claims_total is not a sink metric"):
        sink.claims_total.inc()
    sink.dead_letters_total.labels("hi.claims", "undecodable").inc()  # worker's and sink's
    assert sink.registry.get_sample_value("hireview_dead_letters_total",
                                          {"topic": "hi.claims", "reason": "undecodable"}) == 1


def test_dashboards_use_only_catalogued_metrics() -> None:
    known = set()
    for d in CATALOGUE:
        known.add(d.name)
        known.update({f"{d.name}_bucket", f"{d.name}_sum", f"{d.name}_count"})
    dashboards = list((ROOT / "dashboards").glob("*.json"))
    assert dashboards
    for path in dashboards:
        exprs = re.findall(r'"expr":\s*"([^"]+)"', path.read_text())
        assert exprs, f"{path.name} has no queries"
        used = {m for e in exprs for m in re.findall(r"\bhireview_[a-z_]+", e)}
        assert used and used <= known, f"{path.name}: unknown metrics {sorted(used - known)}"
