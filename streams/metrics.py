"""The metric catalogue: every Prometheus metric hireview exports is declared here, once.

Dashboards (``dashboards/*.json``) may only reference names declared here; a test checks it.
A registry is passed in so tests and benchmarks get their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    claims_total: Counter
    decisions_total: Counter
    rule_hits_total: Counter
    dead_letters_total: Counter
    reappraisals_total: Counter
    amendments_total: Counter
    appraise_seconds: Histogram
    submit_to_decision_seconds: Histogram
    catalog_entries: Gauge
    sink_rows_total: Counter
    sink_batches_total: Counter
    sink_insert_seconds: Histogram
    sink_retries_total: Counter
    decision_to_store_seconds: Histogram
    claims_undecided: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> Metrics:
        r = registry if registry is not None else CollectorRegistry()
        return cls(
            registry=r,
            claims_total=Counter(
                "hireview_claims_total", "Claims consumed by the appraiser", registry=r
            ),
            decisions_total=Counter(
                "hireview_decisions_total", "Decisions emitted, by outcome", ["outcome"],
                registry=r,
            ),
            rule_hits_total=Counter(
                "hireview_rule_hits_total", "Rule hits, by rule code", ["code"], registry=r
            ),
            dead_letters_total=Counter(
                "hireview_dead_letters_total", "Events sent to a dead-letter topic, by reason",
                ["reason"], registry=r,
            ),
            reappraisals_total=Counter(
                "hireview_reappraisals_total",
                "Claims judged again after a retroactive rule change, by whether it changed",
                ["changed"], registry=r,
            ),
            amendments_total=Counter(
                "hireview_amendments_total",
                "Partner hits routed to a claim's owner, by code and whether they amended it",
                ["code", "applied"], registry=r,
            ),
            appraise_seconds=Histogram(
                "hireview_appraise_seconds", "Decode+enrich+rules time per claim",
                buckets=(1e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05), registry=r,
            ),
            submit_to_decision_seconds=Histogram(
                "hireview_submit_to_decision_seconds", "Claim submitted_at to decision emitted",
                buckets=_LATENCY_BUCKETS, registry=r,
            ),
            catalog_entries=Gauge(
                "hireview_catalog_entries", "Catalog rows and cards loaded in this worker",
                ["kind"], registry=r,
            ),
            sink_rows_total=Counter(
                "hireview_sink_rows_total", "Rows inserted into ClickHouse, by table", ["table"],
                registry=r,
            ),
            sink_batches_total=Counter(
                "hireview_sink_batches_total", "Batches inserted and committed", registry=r
            ),
            sink_insert_seconds=Histogram(
                "hireview_sink_insert_seconds", "Time to insert one batch",
                buckets=_LATENCY_BUCKETS, registry=r,
            ),
            sink_retries_total=Counter(
                "hireview_sink_retries_total", "Insert attempts that failed and were retried",
                registry=r,
            ),
            decision_to_store_seconds=Histogram(
                "hireview_decision_to_store_seconds", "Decision decided_at to ClickHouse insert",
                buckets=_LATENCY_BUCKETS, registry=r,
            ),
            claims_undecided=Gauge(
                "hireview_claims_undecided",
                "Claim versions stored by the sink more than older_than_seconds ago (within "
                "audit_lookback_seconds) that still have no decision in ClickHouse; should be 0. "
                "Alert when > 0 for 5 min: a claim was skipped, is stuck or dead-lettered "
                "(run hireview audit to list them, --redrive to re-send them)",
                ["older_than_seconds"], registry=r,
            ),
        )
